"""Forums: a programme with parallel discussion groups that have their own places, on the
page, in the calendar file and in the API; headcounts per session; optional registration."""

from __future__ import annotations

import threading
from datetime import timedelta

import icalendar
from sqlalchemy import select

from eventhub.api import openapi
from eventhub.core.models import (
    Attendance,
    AuditEntry,
    DiscussionGroup,
    EventKind,
    GroupChoice,
    ProgrammeItem,
    Registration,
    RegistrationStatus,
    Role,
)
from eventhub.core.services import forums
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import manage_link, post_form, sign_in, signup
from tests.test_api import schema_validator


def forum(capacity=200, **kw):
    project = factories.project(name="Mēs darām kopā!", organiser="Gulbenes novada pašvaldība")
    event = factories.event(
        title="Iedzīvotāju forums",
        kind=EventKind.FORUM,
        timezone="Europe/Riga",
        hours=6,
        capacity=capacity,
        project=project,
        **kw,
    )
    start = event.starts_at
    opening = ProgrammeItem(
        event_id=event.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        title="Atklāšana",
        speakers="Novada mērs",
        room="Lielā zāle",
    )
    morning = ProgrammeItem(
        event_id=event.id,
        starts_at=start + timedelta(hours=1),
        ends_at=start + timedelta(hours=2),
        title="Diskusiju grupas I",
        parallel=True,
    )
    afternoon = ProgrammeItem(
        event_id=event.id,
        starts_at=start + timedelta(hours=3),
        ends_at=start + timedelta(hours=4),
        title="Diskusiju grupas II",
        parallel=True,
    )
    morning.groups = [
        DiscussionGroup(name="Kopienu centri", capacity=1, room="101"),
        DiscussionGroup(name="Jaunieši", capacity=10, room="102"),
    ]
    afternoon.groups = [DiscussionGroup(name="Iedzīvotāju padomes", capacity=5)]
    db.session.add_all([opening, morning, afternoon])
    db.session.flush()
    return event, opening, morning, afternoon


def fill_group(event, group, n=1):
    for i in range(n):
        reg = factories_registration(event, f"taken{group.id}-{i}@example.lv")
        db.session.add(
            GroupChoice(
                registration_id=reg.id, programme_item_id=group.programme_item_id, group_id=group.id
            )
        )
    db.session.flush()


def factories_registration(event, email, status=RegistrationStatus.CONFIRMED):
    from eventhub.core.models import Person
    from eventhub.core.services.tokens import new_token

    person = Person(name=email.split("@")[0], email=email, email_normalised=email)
    reg = Registration(event=event, person=person, status=status, manage_token_hash=new_token()[1])
    db.session.add(reg)
    db.session.flush()
    return reg


def field(item):
    return f"fmt_item_{item.id}"


def test_signup_form_offers_groups_with_places_left(client):
    event, _opening, morning, _afternoon = forum()
    fill_group(event, morning.groups[0])
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Discussion groups" in page
    assert f'name="{field(morning)}"' in page
    assert "Kopienu centri (101) – full" in page
    assert "Jaunieši (102) – 10 places left" in page


def test_full_group_is_refused_clearly_and_the_rest_is_kept(client, mailbox):
    event, _opening, morning, afternoon = forum()
    full, _free = morning.groups
    fill_group(event, full)
    db.session.commit()

    response = signup(
        client, event.id, **{field(morning): full.id, field(afternoon): afternoon.groups[0].id}
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have a place at" in page
    assert "“Kopienu centri” (Diskusiju grupas I) is full" in page

    reg = db.session.scalar(
        select(Registration).where(Registration.person.has(email="aino@example.fi"))
    )
    assert reg.status == RegistrationStatus.CONFIRMED
    assert forums.choices_of(reg) == {afternoon.id: afternoon.groups[0].id}
    assert len(mailbox.to("aino@example.fi")) == 1


def test_an_unknown_group_is_a_form_error_and_nothing_is_written(client, mailbox):
    event, _opening, morning, afternoon = forum()
    db.session.commit()
    response = signup(client, event.id, **{field(morning): afternoon.groups[0].id})
    assert response.status_code == 422
    assert "Aino Korhonen" in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 0
    assert mailbox.to("aino@example.fi") == []


def test_the_last_place_of_a_group_goes_to_exactly_one_of_two(app, mailbox):
    app.config["MAIL_DELIVERY"] = "worker"
    event, _opening, morning, _afternoon = forum()
    group = morning.groups[0]  # one place
    db.session.commit()
    event_id, item_id, group_id = event.id, morning.id, group.id

    clients = [app.test_client() for _ in range(6)]
    tokens = [csrf_token(c, f"/events/{event_id}") for c in clients]
    start = threading.Barrier(len(clients))
    statuses = []

    def register(i):
        start.wait()
        response = clients[i].post(
            f"/events/{event_id}/register",
            data={
                "csrf_token": tokens[i],
                "name": f"Person {i}",
                "email": f"p{i}@example.lv",
                "consent": "y",
                f"fmt_item_{item_id}": str(group_id),
            },
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert statuses == [303] * len(clients)
    db.session.expire_all()
    assert forums.groups_taken([group_id]) == {group_id: 1}
    assert db.session.scalar(select(db.func.count()).select_from(Registration)) == len(clients)


def test_groups_are_changed_from_the_manage_link_and_a_cancelled_place_is_freed(client, mailbox):
    event, _opening, morning, _afternoon = forum()
    small, large = morning.groups
    db.session.commit()
    signup(client, event.id, **{field(morning): large.id})
    link = manage_link(mailbox.to("aino@example.fi")[0])
    token = link.rsplit("/", 1)[1]
    manage = client.get(link).get_data(as_text=True)
    assert f"/forums/manage/{token}/groups" in manage

    url = f"/forums/manage/{token}/groups"
    assert post_form(client, url, {field(morning): str(small.id)}).status_code == 303
    reg = db.session.scalar(select(Registration))
    assert forums.choices_of(reg) == {morning.id: small.id}

    # Somebody else cannot get the one place of the small group now...
    signup(client, event.id, email="eero@example.lv", **{field(morning): small.id})
    eero = db.session.scalar(
        select(Registration).where(Registration.person.has(email="eero@example.lv"))
    )
    assert forums.choices_of(eero) == {}
    # ...until Aino cancels: then the place is free again.
    post_form(client, f"{link}/cancel")
    eero_link = manage_link(mailbox.to("eero@example.lv")[0])
    eero_token = eero_link.rsplit("/", 1)[1]
    response = post_form(
        client, f"/forums/manage/{eero_token}/groups", {field(morning): str(small.id)}
    )
    assert response.status_code == 303
    assert forums.choices_of(eero) == {morning.id: small.id}


def test_changing_to_a_full_group_keeps_the_earlier_choice(client, mailbox):
    event, _opening, morning, _afternoon = forum()
    small, large = morning.groups
    fill_group(event, small)
    db.session.commit()
    signup(client, event.id, **{field(morning): large.id})
    token = manage_link(mailbox.to("aino@example.fi")[0]).rsplit("/", 1)[1]
    response = post_form(client, f"/forums/manage/{token}/groups", {field(morning): str(small.id)})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is full" in page
    reg = db.session.scalar(
        select(Registration).where(Registration.person.has(email="aino@example.fi"))
    )
    assert forums.choices_of(reg) == {morning.id: large.id}


def test_programme_is_on_the_page_in_the_ics_and_in_the_api(client):
    event, _opening, morning, _afternoon = forum()
    fill_group(event, morning.groups[1], 3)
    db.session.commit()

    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'id="programme"' in page
    assert "Atklāšana" in page and "Novada mērs" in page
    assert "Jaunieši (102)" in page and "7 places left" in page

    ics = client.get(f"/calendar/events/{event.id}.ics")
    assert ics.status_code == 200
    vevent, *sessions = icalendar.Calendar.from_ical(ics.data).walk("VEVENT")
    assert str(vevent["UID"]) == event.uid
    # Each session is a VEVENT of its own too, a child of the forum, at its own time.
    assert len(sessions) == 3
    assert all(str(s["RELATED-TO"]) == event.uid for s in sessions)
    assert str(sessions[0]["SUMMARY"]).startswith("Atklāšana")
    assert sessions[0]["DTSTART"].dt == _opening.starts_at
    description = str(vevent["DESCRIPTION"])
    local = event.starts_at.astimezone(event.tz)
    assert f"{local:%H:%M}–" in description
    assert "Atklāšana (Novada mērs, Lielā zāle)" in description
    assert "– Kopienu centri (101)" in description
    assert description.index("Atklāšana") < description.index("Diskusiju grupas II")

    body = client.get(f"/api/v1/events/{event.id}").get_json()
    programme = body["programme"]
    assert [p["title"] for p in programme] == [
        "Atklāšana",
        "Diskusiju grupas I",
        "Diskusiju grupas II",
    ]
    assert programme[1]["parallel"] is True
    assert programme[1]["groups"][1] == {
        "id": morning.groups[1].id,
        "name": "Jaunieši",
        "room": "102",
        "capacity": 10,
        "seats_left": 7,
    }
    assert programme[0]["start"] == local.isoformat()
    document = client.get("/api/v1/openapi.json").get_json()
    validator = schema_validator(document, document["components"]["schemas"]["Event"])
    validator.validate(body)
    listing = client.get("/api/v1/events?kind=forum").get_json()
    assert listing["items"][0]["programme"] == programme
    schema_validator(document, document["components"]["schemas"]["EventList"]).validate(listing)
    assert openapi.SCHEMAS["Event"]["required"][-1] == "programme"


def test_other_events_have_an_empty_programme(client):
    event = factories.event()
    db.session.commit()
    assert client.get(f"/api/v1/events/{event.id}").get_json()["programme"] == []
    assert b"Programme" not in client.get(f"/calendar/events/{event.id}.ics").data


def test_organiser_builds_the_programme_counts_heads_and_makes_registration_optional(client):
    event, *_ = forum()
    manager = factories.user(projects=[event.project])
    factories.user("other@example.fi", projects=[factories.project()])
    db.session.commit()
    base = f"/organiser/events/{event.id}"
    url = f"/forums/organiser/{event.id}"

    sign_in(client, "other@example.fi")
    assert client.get(url).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/organiser/")})

    sign_in(client, manager.email)
    assert "Programme and groups" in client.get(base).get_data(as_text=True)
    bad = post_form(client, f"{url}/items", {"starts": "15:00", "ends": "14:00", "title": "X"},
                    token_from=url)  # fmt: skip
    assert bad.status_code == 422
    assert "must end after it starts" in bad.get_data(as_text=True)

    response = post_form(
        client,
        f"{url}/items",
        {"starts": "15:00", "ends": "16:00", "title": "Noslēgums", "room": "Lielā zāle",
         "parallel": ""},
        token_from=url,
    )  # fmt: skip
    assert response.status_code == 303
    item = db.session.scalar(select(ProgrammeItem).where(ProgrammeItem.title == "Noslēgums"))
    assert item.starts_at.astimezone(event.tz).strftime("%H:%M") == "15:00"
    assert item.starts_at.astimezone(event.tz).date() == event.local_start.date()

    response = post_form(
        client,
        f"{url}/groups",
        {"group_item": item.id, "group_name": "Secinājumi", "group_capacity": "12"},
        token_from=url,
    )
    assert response.status_code == 303
    db.session.refresh(item)
    assert item.parallel and item.groups[0].capacity == 12

    for count in ("80", "95"):
        response = post_form(
            client, f"{url}/headcount", {"count_item": item.id, "count": count}, token_from=url
        )
        assert response.status_code == 303
    assert (
        post_form(
            client, f"{url}/headcount", {"count_item": item.id, "count": "-3"}, token_from=url
        ).status_code
        == 422
    )
    figures = forums.forum_indicators(event.id)
    assert [s.headcount for s in figures.sessions if s.item.id == item.id] == [95]
    assert figures.peak_headcount == 95

    post_form(client, f"{url}/settings", {"registration_optional": "y"}, token_from=url)
    db.session.refresh(event)
    assert event.registration_optional
    assert 'id="registration-optional"' in client.get(f"/events/{event.id}").get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"programme_item_added", "discussion_group_added", "session_headcount"} <= actions


def test_forum_indicators(client):
    event, opening, morning, afternoon = forum()
    fill_group(event, morning.groups[1], 4)
    waiting = factories_registration(event, "w@example.lv", RegistrationStatus.WAITLISTED)
    db.session.add(
        GroupChoice(
            registration_id=waiting.id,
            programme_item_id=afternoon.id,
            group_id=afternoon.groups[0].id,
        )
    )
    cancelled = factories_registration(event, "c@example.lv", RegistrationStatus.CANCELLED)
    db.session.add(
        GroupChoice(
            registration_id=cancelled.id,
            programme_item_id=afternoon.id,
            group_id=afternoon.groups[0].id,
        )
    )
    first = db.session.scalars(select(Registration).order_by(Registration.id)).first()
    db.session.add(
        Attendance(event_id=event.id, registration_id=first.id, person_id=first.person_id)
    )
    db.session.add(Attendance(event_id=event.id, walk_in_name="Walk In"))
    user = factories.user(role=Role.ADMIN)
    forums.record_headcount(user, opening, 150)
    forums.record_headcount(user, morning, 60)
    db.session.commit()

    figures = forums.forum_indicators(event.id)
    assert figures.registrations == 4  # the waiting and the cancelled hold no place
    assert figures.participations == 2
    assert figures.peak_headcount == 150
    by_item = {s.item.id: s for s in figures.sessions}
    assert by_item[opening.id].headcount == 150 and by_item[afternoon.id].headcount is None
    assert by_item[morning.id].chosen == 4
    assert by_item[afternoon.id].chosen == 1  # the waiting person's choice holds a place
    assert {g.group.name: g.seats_left for g in figures.groups} == {
        "Kopienu centri": 1,
        "Jaunieši": 6,
        "Iedzīvotāju padomes": 4,
    }
