"""Follow-up questionnaires (Annex I result items at leaving and six months on) and the
paired participation survey (before and after, per person), read off a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    FollowupInvitation,
    FollowupStage,
    OutboxMessage,
    RegistrationStatus,
    ResultItem,
    Role,
    SurveyResponse,
)
from eventhub.core.services import followups, outbox, surveys
from eventhub.core.services import indicators as ind
from eventhub.extensions import db
from tests import factories
from tests.helpers import post_form, sign_in
from tests.test_indicators import attend, close, person, register

LINK = re.compile(r"https?://[^\s\"<>]+/followup/[A-Za-z0-9_.-]+")
STATEMENTS = [f"Väittämä {n}, projektin omin sanoin" for n in range(1, 11)]


def _project(**kw):
    return factories.project(
        code="FU", name="Seuranta", followup_items=["employed", "in_education"],
        followup_after_days=30, **kw,
    )  # fmt: skip


def _held(project, days_ago: int, title="E"):
    event = factories.event(
        title=title, project=project, starts_at=utcnow().replace(microsecond=0)
        - timedelta(days=days_ago),
    )  # fmt: skip
    close(event)
    return event


def _send(now=None):
    report = followups.queue(now)
    db.session.commit()
    outbox.deliver_committed()
    return report


def _link(mailbox, address: str) -> str:
    message = mailbox.to(address)[-1]
    match = LINK.search(message.get_body(("plain",)).get_content())
    assert match, message
    return "/" + match.group(0).split("/", 3)[3]


def test_leaving_and_six_months_are_queued_once_per_person_and_stage(app, mailbox):
    project = _project()
    long_ago = _held(project, 60)
    recent = _held(project, 10)
    upcoming = factories.event(title="Next", project=project)
    left = person("Aino")
    attend(register(long_ago, left, locale="fi"))
    staying = person("Eero")  # took part long ago, but is registered for an upcoming event
    attend(register(long_ago, staying))
    register(upcoming, staying)
    too_soon = person("Helmi")
    attend(register(recent, too_soon))
    gone_before_returning = person("Juha")  # left, but came back to the recent event
    attend(register(long_ago, gone_before_returning))
    attend(register(recent, gone_before_returning))
    db.session.commit()

    first = _send()
    assert (first.leaving, first.six_months, first.reminders) == (1, 0, 0)
    again = _send()
    assert (again.leaving, again.six_months) == (0, 0)
    [message] = mailbox.to("aino@example.fi")
    assert message["Subject"] == "Muutama kysymys hankkeelta Seuranta"  # in her language
    assert mailbox.to("eero@example.fi") == [] and mailbox.to("helmi@example.fi") == []

    # A week on: one reminder, once.
    week = _send(utcnow() + timedelta(days=8))
    assert week.reminders == 1 and _send(utcnow() + timedelta(days=9)).reminders == 0
    # Half a year on: the six-month questionnaire for Aino. Helmi and Juha leave now, and
    # so does Eero, whose upcoming event passed without him.
    later = _send(utcnow() + timedelta(days=200))
    assert (later.leaving, later.six_months) == (3, 1)
    stages = db.session.execute(
        select(FollowupInvitation.person_id, FollowupInvitation.stage).order_by(
            FollowupInvitation.id
        )
    ).all()
    assert stages.count((left.id, FollowupStage.LEAVING)) == 1
    assert stages.count((left.id, FollowupStage.SIX_MONTHS)) == 1


def test_the_questionnaire_opens_without_an_account_and_answers_once(client, mailbox):
    project = _project()
    event = _held(project, 40)
    aino = person("Aino")
    attend(register(event, aino))
    db.session.commit()
    _send()
    link = _link(mailbox, "aino@example.fi")
    from eventhub.core.privacy import redact_path

    assert redact_path(link) == "/followup/***"  # never in the logs
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Are you now employed, including self-employed?" in html
    assert "Are you now in education or training?" in html
    assert "searching for a job" not in html  # not selected by the project
    missing = post_form(client, link, {"r_employed": "yes"})
    assert missing.status_code == 422 and "Please answer yes or no." in missing.get_data(
        as_text=True
    )
    done = post_form(client, link, {"r_employed": "yes", "r_in_education": "no"})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    assert client.get(link).status_code == 410
    assert client.get("/followup/forged-token").status_code == 410
    results = ind.followup_results((project.id,))
    assert (results[0].invited, results[0].answered) == (1, 1)


def test_response_rates_and_results_are_shown_only_from_five_answers(client, mailbox):
    project = _project()
    event = _held(project, 40)
    people = [person(f"P{n}") for n in range(7)]
    for p in people:
        attend(register(event, p))
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[project])
    db.session.commit()
    _send()
    for n in range(4):
        invitation = db.session.scalars(
            select(FollowupInvitation).where(FollowupInvitation.person_id == people[n].id)
        ).one()
        followups.submit(
            followups.token_for(invitation.id),
            {ResultItem.EMPLOYED: n < 3, ResultItem.IN_EDUCATION: False},
            None,
        )
    db.session.commit()
    sign_in(client, "anne@example.fi")
    url = f"/organiser/indicators/projects/{project.id}/followups"
    page = client.get(url).get_data(as_text=True)
    assert "Shown from 5 answers" in page and "57.1" not in page
    [leaving, _six] = ind.followup_results((project.id,))
    assert leaving.invited == 7 and leaving.response_rate is None and leaving.items == []
    invitation = db.session.scalars(
        select(FollowupInvitation).where(FollowupInvitation.person_id == people[4].id)
    ).one()
    followups.submit(
        followups.token_for(invitation.id),
        {ResultItem.EMPLOYED: True, ResultItem.IN_EDUCATION: True},
        None,
    )
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "71.4" in page  # 5 of 7
    [leaving, _six] = ind.followup_results((project.id,))
    assert {i.item: i.yes for i in leaving.items} == {"in_education": 1, "employed": 4}


def test_paired_survey_before_and_after_shows_the_change_only_from_five_pairs(client, mailbox):
    project = _project()
    instrument = surveys.create_instrument(
        project, name="Osallisuus", statements=STATEMENTS, is_thl=True, paired=True
    )
    upcoming = factories.event(title="Alku", project=project)
    people = [person(f"Q{n}") for n in range(6)]
    for p in people:
        register(upcoming, p)
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[project])
    db.session.commit()
    report = _send()
    assert report.before == 6 and _send().before == 0
    link = _link(mailbox, "q0@example.fi")
    page = client.get(link).get_data(as_text=True)
    for statement in STATEMENTS:  # the project's wording, as it was entered
        assert statement in page
    assert "employed" not in page  # result items are asked at leaving, not before
    answers = {f"s{n}": "2" for n in range(1, 11)}
    assert post_form(client, link, answers).status_code == 200
    for p in people[1:]:
        invitation = db.session.scalars(
            select(FollowupInvitation).where(FollowupInvitation.person_id == p.id)
        ).one()
        followups.submit(followups.token_for(invitation.id), {}, [2] * 10)
    # They take part, the event is held and long gone: the after questionnaire.
    upcoming.starts_at = utcnow() - timedelta(days=40)
    upcoming.ends_at = upcoming.starts_at + timedelta(hours=2)
    for registration in upcoming_registrations(upcoming):
        attend(registration)
    close(upcoming)
    db.session.commit()
    assert _send().leaving == 6
    after = _link(mailbox, "q0@example.fi")
    page = client.get(after).get_data(as_text=True)
    assert "employed" in page and STATEMENTS[0] in page
    data = {f"s{n}": "4" for n in range(1, 11)} | {"r_employed": "yes", "r_in_education": "no"}
    assert post_form(client, after, data).status_code == 200
    for p in people[1:4]:
        _answer_after(p, [4] * 10)
    # Four pairs: only the number.
    [pairs] = ind.survey_pairs((project.id,))
    assert pairs.pairs == 4 and not pairs.shown
    sign_in(client, "anne@example.fi")
    url = f"/organiser/indicators/projects/{project.id}/followups"
    assert "Shown from 5 people" in client.get(url).get_data(as_text=True)
    _answer_after(people[4], [5] * 10)
    [pairs] = ind.survey_pairs((project.id,))
    # Before: all 2 (score 25); after: four people all 4 (75), one all 5 (100).
    assert pairs.pairs == 5 and pairs.before == 25 and pairs.after == 80
    assert round(pairs.change, 6) == 55
    assert "+55.0" in client.get(url).get_data(as_text=True)
    # The pairs never enter the anonymous after-event results, and the after-event mail
    # never carries a paired survey.
    assert ind.survey_results(ind.Scope((project.id,))) == []
    assert surveys.queue_invitations() == 0
    assert (
        db.session.scalar(
            select(func.count()).select_from(SurveyResponse).where(SurveyResponse.stage.is_(None))
        )
        == 0
    )
    assert instrument.paired


def upcoming_registrations(event):
    from eventhub.core.models import Registration

    return db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED
        )
    ).all()


def _answer_after(p, values):
    invitation = db.session.scalars(
        select(FollowupInvitation).where(
            FollowupInvitation.person_id == p.id,
            FollowupInvitation.stage == FollowupStage.LEAVING,
        )
    ).one()
    followups.submit(
        followups.token_for(invitation.id),
        {ResultItem.EMPLOYED: True, ResultItem.IN_EDUCATION: False},
        values,
    )
    db.session.commit()


def test_the_worker_runs_it_as_a_periodic_job(app):
    from eventhub.core.services import jobs

    [job] = [j for j in jobs.periodic_jobs() if j.name == "followups"]
    project = _project()
    attend(register(_held(project, 60), person("Aino")))
    db.session.commit()
    assert "1 at leaving" in job.run()
    assert "0 at leaving" in job.run()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
