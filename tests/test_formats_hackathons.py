"""Hackathons: teams formed at signup with join codes, people without a team, initiatives
whose status organisers update, linked events and mentoring, and the figures reported."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    AuditEntry,
    Challenge,
    EventKind,
    Initiative,
    InitiativeStatus,
    Registration,
    RegistrationStatus,
    Team,
    TeamMember,
)
from eventhub.core.services import hackathons
from eventhub.core.services import indicators as ind
from eventhub.extensions import db
from tests import factories
from tests.helpers import manage_link, post_form, sign_in, signup

CODE = re.compile(r'id="team-code">([A-Z0-9]+)<')


def hackathon(title="Vunki mano! loometalgud", **kw):
    project = factories.project(
        name="Vunki mano! loometalgud", organiser="SA Võrumaa Arenduskeskus"
    )
    event = factories.event(
        title=title,
        kind=EventKind.HACKATHON,
        timezone="Europe/Tallinn",
        hours=30,
        capacity=100,
        project=project,
        **kw,
    )
    published = Challenge(event_id=event.id, title="Noored maale", published=True, position=1)
    hidden = Challenge(event_id=event.id, title="Salajane", published=False, position=2)
    db.session.add_all([published, hidden])
    db.session.flush()
    return event, published, hidden


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_a_team_is_started_at_signup_and_joined_with_its_code(client, mailbox):
    event, challenge, _hidden = hackathon()
    db.session.commit()
    form = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Your team" in form and "Noored maale" in form and "Salajane" not in form

    response = signup(
        client,
        event.id,
        name="Mari Tamm",
        email="mari@example.ee",
        fmt_team_mode="create",
        fmt_team_name="  Küla  kohvik ",
        fmt_challenge=str(challenge.id),
        fmt_idea="Kogukonnakohvik",
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your team “Küla kohvik” has been created" in page
    team = db.session.scalar(select(Team))
    assert team.name == "Küla kohvik" and team.challenge_id == challenge.id
    assert team.initiative.title == "Kogukonnakohvik"
    assert team.initiative.status == InitiativeStatus.IDEA
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", team.join_code)

    link = manage_link(mailbox.to("mari@example.ee")[0])
    assert f"/hackathons/manage/{token_of(link)}/team" in client.get(link).get_data(as_text=True)
    team_page = client.get(f"/hackathons/manage/{token_of(link)}/team").get_data(as_text=True)
    code = CODE.search(team_page).group(1)
    assert code == team.join_code

    typed = f"{code[:4].lower()} - {code[4:].lower()}"  # as people type it
    response = signup(
        client, event.id, name="Jaan Saar", email="jaan@example.ee",
        fmt_team_mode="join", fmt_join_code=typed,
    )  # fmt: skip
    assert response.status_code == 303
    assert hackathons.member_counts(event.id) == {team.id: 2}

    public = client.get(f"/hackathons/{event.id}").get_data(as_text=True)
    assert "Küla kohvik" in public and "2 members" in public
    assert "Noored maale" in public and "Salajane" not in public
    assert "Kogukonnakohvik" in public
    for private in ("Mari", "Jaan", "example.ee", code):
        assert private not in public


def test_a_wrong_team_code_is_refused_clearly_and_nothing_is_written(client, mailbox):
    event, _challenge, _hidden = hackathon()
    db.session.commit()
    response = signup(client, event.id, fmt_team_mode="join", fmt_join_code="NOPE1234")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "No team of this hackathon has that code." in page
    assert 'value="NOPE1234"' in page and 'value="Aino Korhonen"' in page
    assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 0
    assert mailbox.to("aino@example.fi") == []

    empty = signup(client, event.id, fmt_team_mode="join", fmt_join_code="")
    assert "Please enter the code of your team." in empty.get_data(as_text=True)


def test_a_code_of_another_hackathon_does_not_work(client, mailbox):
    event, *_ = hackathon()
    other, *_ = hackathon(title="Teine")
    db.session.commit()
    signup(client, other.id, fmt_team_mode="create", fmt_team_name="Teised")
    code = db.session.scalar(select(Team.join_code))
    response = signup(client, event.id, email="x@example.ee", fmt_team_mode="join",
                      fmt_join_code=code)  # fmt: skip
    assert response.status_code == 422


def test_a_team_name_is_taken_once_per_hackathon(client, mailbox):
    event, *_ = hackathon()
    db.session.commit()
    signup(client, event.id, fmt_team_mode="create", fmt_team_name="Rõuge Noored")
    response = signup(
        client, event.id, email="kadri@example.ee", fmt_team_mode="create",
        fmt_team_name="rõuge noored",
    )  # fmt: skip
    assert response.status_code == 422
    assert "There is a team with this name already." in response.get_data(as_text=True)
    missing = signup(client, event.id, email="kadri@example.ee", fmt_team_mode="create")
    assert "Please give your team a name." in missing.get_data(as_text=True)


def test_people_without_a_team_are_seen_by_teams_and_can_be_invited(client, mailbox):
    event, *_ = hackathon()
    db.session.commit()
    signup(client, event.id, name="Mari Tamm", email="mari@example.ee",
           fmt_team_mode="create", fmt_team_name="Kohvik")  # fmt: skip
    signup(client, event.id, name="Liis Kask", email="liis@example.ee", fmt_team_mode="none",
           fmt_looking="y", fmt_seeker_note="Oskan kujundada")  # fmt: skip
    signup(client, event.id, name="Tõnu Mägi", email="tonu@example.ee", fmt_team_mode="none")

    mari = token_of(manage_link(mailbox.to("mari@example.ee")[0]))
    page = client.get(f"/hackathons/manage/{mari}/team").get_data(as_text=True)
    assert "Liis: Oskan kujundada" in page
    assert "Kask" not in page and "liis@example.ee" not in page and "Tõnu" not in page

    liis_reg = db.session.scalar(
        select(Registration).where(Registration.person.has(email="liis@example.ee"))
    )
    url = f"/hackathons/manage/{mari}/team/invite/{liis_reg.id}"
    response = post_form(client, url, token_from=f"/hackathons/manage/{mari}/team")
    assert response.status_code == 303
    [invitation] = [m for m in mailbox.to("liis@example.ee") if "invitation" in m["Subject"]]
    code = db.session.scalar(select(Team.join_code))
    assert code in invitation.get_body(("plain",)).get_content()

    # Liis joins from her own manage link; a wrong code first.
    liis = token_of(manage_link(mailbox.to("liis@example.ee")[0]))
    team_url = f"/hackathons/manage/{liis}/team"
    wrong = post_form(client, f"{team_url}/join", {"code": "WRONG"}, token_from=team_url)
    assert wrong.status_code == 422
    assert "No team of this hackathon has that code." in wrong.get_data(as_text=True)
    assert (
        post_form(client, f"{team_url}/join", {"code": code}, token_from=team_url).status_code
        == 303
    )
    assert hackathons.member_counts(event.id) == {1: 2}
    assert hackathons.seekers(event.id) == []


def test_a_participant_without_a_team_starts_one_from_the_manage_link(client, mailbox):
    event, challenge, _hidden = hackathon()
    db.session.commit()
    signup(client, event.id)
    token = token_of(manage_link(mailbox.to("aino@example.fi")[0]))
    url = f"/hackathons/manage/{token}/team"
    response = post_form(
        client, f"{url}/create", {"name": "Uus", "challenge": str(challenge.id)}, token_from=url
    )
    assert response.status_code == 303
    assert CODE.search(client.get(url).get_data(as_text=True))
    post_form(client, f"{url}/leave", token_from=url)
    assert db.session.scalar(select(db.func.count()).select_from(TeamMember)) == 0


def test_organiser_updates_an_initiative_status(client, mailbox):
    event, *_ = hackathon()
    manager = factories.user(projects=[event.project])
    factories.user("other@example.fi", projects=[factories.project()])
    db.session.commit()
    signup(client, event.id, fmt_team_mode="create", fmt_team_name="Kohvik")
    initiative = db.session.scalar(select(Initiative))
    url = f"/hackathons/organiser/initiatives/{initiative.id}"
    page_url = f"/hackathons/organiser/{event.id}"

    sign_in(client, "other@example.fi")
    assert client.get(page_url).status_code == 404
    client.post("/logout", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/organiser/").get_data(as_text=True)
    ).group(1)})  # fmt: skip

    sign_in(client, manager.email)
    assert "Challenges, teams and initiatives" in client.get(
        f"/organiser/events/{event.id}"
    ).get_data(as_text=True)
    bad = post_form(client, url, {"title": "", "status": "launched"}, token_from=page_url)
    assert bad.status_code == 422
    response = post_form(
        client,
        url,
        {"title": "Küla kohvik", "description": "Avatud laupäeviti", "status": "launched"},
        token_from=page_url,
    )
    assert response.status_code == 303
    db.session.refresh(initiative)
    assert initiative.status == InitiativeStatus.LAUNCHED and initiative.status_changed_at
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "initiative_status"))
    assert entry.details == {"old": "idea", "new": "launched"}
    public = client.get(f"/hackathons/initiatives/{initiative.id}").get_data(as_text=True)
    assert 'id="initiative-status">Launched<' in public and "Avatud laupäeviti" in public
    assert post_form(client, url, {"title": "Küla kohvik", "status": "bogus"},
                     token_from=page_url).status_code == 422  # fmt: skip


def test_organiser_publishes_challenges_before_the_event(client):
    event, _published, hidden = hackathon()
    factories.user(projects=[event.project])
    db.session.commit()
    sign_in(client, "anne@example.fi")
    page_url = f"/hackathons/organiser/{event.id}"
    post_form(client, f"/hackathons/organiser/challenges/{hidden.id}/publish", {"published": "1"},
              token_from=page_url)  # fmt: skip
    post_form(client, f"/hackathons/organiser/{event.id}/challenges",
              {"title": "Bussiühendused", "published": "y"}, token_from=page_url)  # fmt: skip
    public = client.get(f"/hackathons/{event.id}").get_data(as_text=True)
    assert "Salajane" in public and "Bussiühendused" in public


def test_hackathon_figures_with_linked_events_and_mentoring(client, mailbox):
    event, *_ = hackathon()
    project = event.project
    before = factories.event(title="Eelkohtumine", kind=EventKind.INFO_SESSION, project=project,
                             starts_at=event.starts_at - timedelta(days=14))  # fmt: skip
    mentoring = [
        factories.event(
            title=f"Mentorkohtumine {i}",
            kind=EventKind.MENTORING,
            project=project,
            starts_at=event.starts_at + timedelta(days=30 + i),
        )  # fmt: skip
        for i in range(3)
    ]
    factories.user(projects=[project])
    db.session.commit()
    signup(client, event.id, name="Mari", email="mari@example.ee", fmt_team_mode="create",
           fmt_team_name="Kohvik")  # fmt: skip
    signup(client, event.id, name="Priit", email="priit@example.ee", fmt_team_mode="create",
           fmt_team_name="Buss")  # fmt: skip
    code = db.session.scalar(select(Team.join_code).where(Team.name == "Kohvik"))
    signup(client, event.id, name="Jaan", email="jaan@example.ee", fmt_team_mode="join",
           fmt_join_code=code)  # fmt: skip
    signup(client, event.id, name="Solo", email="solo@example.ee")
    cancelled = signup(client, event.id, name="Gone", email="gone@example.ee",
                       fmt_team_mode="join", fmt_join_code=code)  # fmt: skip
    assert cancelled.status_code == 303
    gone = db.session.scalar(
        select(Registration).where(Registration.person.has(email="gone@example.ee"))
    )
    gone.status = RegistrationStatus.CANCELLED
    db.session.commit()
    kohvik, buss = (
        db.session.scalar(select(Team).where(Team.name == n)) for n in ("Kohvik", "Buss")
    )

    sign_in(client, "anne@example.fi")
    page_url = f"/hackathons/organiser/{event.id}"
    links = f"/hackathons/organiser/{event.id}/links"
    assert post_form(client, links, {"event": before.id}, token_from=page_url).status_code == 303
    for m, team in zip(mentoring, (kohvik, kohvik, buss), strict=True):
        response = post_form(client, links, {"event": m.id, "team": team.id}, token_from=page_url)
        assert response.status_code == 303
    not_mentoring = factories.event(title="Koolitus", kind=EventKind.TRAINING, project=project)
    db.session.commit()
    refused = post_form(client, links, {"event": not_mentoring.id, "team": buss.id},
                        token_from=page_url)  # fmt: skip
    assert refused.status_code == 422
    assert "must be an event of the kind Mentoring" in refused.get_data(as_text=True)

    # Two mentoring sessions were held (closed) with attendance, one is still ahead.
    mari = db.session.scalar(
        select(Registration).where(Registration.person.has(email="mari@example.ee"))
    )
    for m in mentoring[:2]:
        m.closed_at = utcnow()
        db.session.add(Attendance(event_id=m.id, person_id=mari.person_id, walk_in_name="Mari"))
    kohvik.initiative.status = InitiativeStatus.LAUNCHED
    db.session.commit()

    figures = hackathons.hackathon_indicators(event.id)
    assert figures.teams == 2
    assert figures.participants == 4  # the cancelled registration is not counted
    assert figures.in_teams == 3 and figures.without_team == 1
    assert figures.members_per_team == {"Buss": 1, "Kohvik": 2}
    assert figures.average_team_size == 1.5
    assert figures.initiatives_by_status == {"idea": 1, "launched": 1, "continued": 0, "ended": 0}
    assert figures.mentoring_sessions_held == 2
    assert figures.mentoring_participations == 2
    assert figures.teams_mentored == 1

    page = client.get(page_url).get_data(as_text=True)
    assert "Mentorkohtumine 2" in page and "Eelkohtumine" in page
    public = client.get(f"/hackathons/{event.id}").get_data(as_text=True)
    assert "Eelkohtumine" in public
    assert "Part of the hackathon" in client.get(f"/events/{before.id}").get_data(as_text=True)


def test_organiser_records_a_past_hackathons_teams_and_continues_an_initiative(client, mailbox):
    """A project's earlier hackathons, entered by the organiser: teams, members (nobody is
    mailed), initiatives, and an initiative that continues one from an earlier hackathon."""
    project = factories.project(name="Vunki mano!")
    factories.user("anne@example.fi", projects=[project])
    earlier = factories.event(
        title="Loometalgud 2024", kind=EventKind.HACKATHON, project_id=project.id,
        starts_at=utcnow() - timedelta(days=400), closed_at=utcnow() - timedelta(days=399),
    )  # fmt: skip
    later = factories.event(
        title="Loometalgud 2025", kind=EventKind.HACKATHON, project_id=project.id,
        starts_at=utcnow() - timedelta(days=30), closed_at=utcnow() - timedelta(days=29),
    )  # fmt: skip
    db.session.commit()
    sign_in(client, "anne@example.fi")
    mailbox.clear()

    page = f"/hackathons/organiser/{earlier.id}"
    added = post_form(
        client, f"{page}/teams",
        {"name": "Külapood", "initiative": "Village shop", "status": "launched"}, token_from=page,
    )  # fmt: skip
    assert added.status_code == 303
    shop = db.session.scalar(select(Team).where(Team.name == "Külapood"))
    assert shop.initiative.status == InitiativeStatus.LAUNCHED
    for fields in ({"name": "Mari Tamm", "email": "mari@example.ee"}, {"name": "Jaan Kask"}):
        data = {f"m{shop.id}-{k}": v for k, v in fields.items()}
        response = post_form(client, f"/hackathons/organiser/teams/{shop.id}/members", data,
                             token_from=page)  # fmt: skip
        assert response.status_code == 303
    assert sorted(r.person.name for r in hackathons.active_members(shop)) == [
        "Jaan Kask",
        "Mari Tamm",
    ]
    twice = post_form(
        client, f"/hackathons/organiser/teams/{shop.id}/members",
        {f"m{shop.id}-name": "Mari", f"m{shop.id}-email": "MARI@example.ee"}, token_from=page,
    )  # fmt: skip
    assert twice.status_code == 409 and "already" in twice.text

    page2 = f"/hackathons/organiser/{later.id}"
    post_form(client, f"{page2}/teams", {"name": "Külapood 2", "status": "idea"}, token_from=page2)
    second = db.session.scalar(select(Team).where(Team.name == "Külapood 2"))
    # The earlier initiative is offered on the later hackathon, not the other way round.
    assert "Village shop" in client.get(page2).text
    assert f'value="{second.initiative.id}"' not in client.get(page).text
    saved = post_form(
        client, f"/hackathons/organiser/initiatives/{second.initiative.id}",
        {"title": "Village shop", "status": "continued",
         "continues_from": str(shop.initiative.id)}, token_from=page2,
    )  # fmt: skip
    assert saved.status_code == 303
    db.session.refresh(second.initiative)
    assert second.initiative.continues_from_id == shop.initiative.id
    backwards = post_form(
        client, f"/hackathons/organiser/initiatives/{shop.initiative.id}",
        {"title": "Village shop", "status": "launched",
         "continues_from": str(second.initiative.id)}, token_from=page,
    )  # fmt: skip
    assert backwards.status_code == 422  # a later initiative is no choice
    assert mailbox.messages == []  # recording history mails nobody

    # The project's totals follow.
    totals = ind.hackathon_totals(ind.Scope(project_ids=(project.id,)))
    assert totals.teams == 2
    assert totals.initiatives[InitiativeStatus.LAUNCHED] == 1
    assert totals.initiatives[InitiativeStatus.CONTINUED] == 1
    dashboard = client.get(f"/organiser/indicators/?project={project.id}").text
    assert re.search(r"Hackathon teams</th><td class=\"num\">2<", dashboard)
