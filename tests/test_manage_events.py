"""Organisers create, edit, publish, duplicate and cancel events within their projects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import AuditEntry, Event, EventKind, EventStatus, Registration, Role
from eventhub.core.services.event_admin import create_event
from eventhub.core.services.events import NonexistentLocalTime, update_event
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.dates import YEAR, last_sunday
from tests.helpers import post_form, sign_in, signup

# The day the clocks go forward, in a year ahead.
SPRING = last_sunday(YEAR + 1, 3).isoformat()
EVENT_FORM = {
    "title": "Budjettikoulutus",
    "kind": "training",
    "description": "Miten hankkeen budjetti tehdään.",
    "timezone": "Europe/Riga",
    "starts": f"{SPRING}T10:00",
    "ends": f"{SPRING}T12:30",
    "venue": "Gulbenes bibliotēka",
    "address": "",
    "online_url": "",
    "municipality": "",
    "language": "lv",
    "capacity": "12",
    "waitlist_enabled": "y",
}


def _manager(project, email="anne@example.fi"):
    return factories.user(email=email, role=Role.MANAGER, projects=[project])


def test_manager_creates_a_draft_then_publishes_it(client):
    project = factories.project(code="KANTO")
    _manager(project)
    sign_in(client, "anne@example.fi")

    response = post_form(client, "/organiser/events/new", {**EVENT_FORM, "project": project.id})
    assert response.status_code == 303
    event = db.session.scalars(select(Event)).one()
    assert event.status == EventStatus.DRAFT
    # 10:00 in Riga on the day the clocks go forward is summer time (UTC+3): 07:00 UTC.
    assert event.starts_at.isoformat() == f"{SPRING}T07:00:00+00:00"
    assert event.timezone == "Europe/Riga" and event.capacity == 12
    assert client.get(f"/events/{event.id}").status_code == 404  # drafts are not public

    post_form(
        client, f"/organiser/events/{event.id}/publish", token_from=f"/organiser/events/{event.id}"
    )
    assert client.get(f"/events/{event.id}").status_code == 200
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["event_created", "event_published"]


def test_bad_event_form_keeps_input_and_saves_nothing(client):
    project = factories.project()
    _manager(project)
    sign_in(client, "anne@example.fi")
    bad = {**EVENT_FORM, "project": project.id, "ends": f"{SPRING}T09:00", "title": ""}
    response = post_form(client, "/organiser/events/new", bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert (
        "The event must end after it starts." in html and "Please give the event a title." in html
    )
    assert "Gulbenes bibliotēka" in html
    assert db.session.scalars(select(Event)).all() == []


def test_moving_an_event_bumps_sequence_and_mails_everyone_registered(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=1, title="Työpaja")
    signup(client, event.id, email="going@example.fi")
    signup(client, event.id, email="waiting@example.fi")
    mailbox.clear()
    sequence = event.sequence

    sign_in(client, "anne@example.fi")
    edit_url = f"/organiser/events/{event.id}/edit"
    form = {
        **EVENT_FORM,
        "project": project.id,
        "title": "Työpaja",
        "capacity": "1",
        "timezone": "Europe/Helsinki",
        "starts": f"{YEAR + 1}-05-05T17:00",
        "ends": f"{YEAR + 1}-05-05T19:00",
    }
    assert post_form(client, edit_url, form).status_code == 303

    db.session.refresh(event)
    assert event.sequence == sequence + 1
    assert sorted(m["To"] for m in mailbox.messages) == ["going@example.fi", "waiting@example.fi"]
    changed = mailbox.to("going@example.fi")[0]
    assert "Changed: Työpaja" in changed["Subject"]
    ics = next(p for p in changed.iter_attachments() if p.get_filename() == "event.ics")
    vevent = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert int(vevent["SEQUENCE"]) == event.sequence
    assert vevent["DTSTART"].dt.hour == 17


def test_more_places_promote_the_waiting_list_at_once(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=1, title="Työpaja")
    signup(client, event.id, email="going@example.fi")
    signup(client, event.id, email="waiting@example.fi")
    sign_in(client, "anne@example.fi")
    form = {**EVENT_FORM, "project": project.id, "capacity": "2", "title": event.title,
            "timezone": event.timezone,
            "starts": event.local_start.strftime("%Y-%m-%dT%H:%M"),
            "ends": event.local_end.strftime("%Y-%m-%dT%H:%M")}  # fmt: skip
    post_form(client, f"/organiser/events/{event.id}/edit", form)
    statuses = db.session.scalars(select(Registration.status).order_by(Registration.id)).all()
    assert statuses == ["confirmed", "confirmed"]
    assert any("opened up" in m["Subject"] for m in mailbox.to("waiting@example.fi"))


def test_cancelling_an_event_tells_everyone(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=5)
    for i in range(3):
        signup(client, event.id, email=f"p{i}@example.fi")
    mailbox.clear()
    sign_in(client, "anne@example.fi")
    assert "3 people" in client.get(f"/organiser/events/{event.id}/cancel").get_data(True)
    post_form(client, f"/organiser/events/{event.id}/cancel")
    db.session.refresh(event)
    assert event.status == EventStatus.CANCELLED
    assert len([m for m in mailbox.messages if "Cancelled" in m["Subject"]]) == 3
    assert "has been cancelled" in client.get(f"/events/{event.id}").get_data(True)


def test_duplicate_copies_details_and_questions_as_a_draft(client):
    from eventhub.core.models import EventQuestion, QuestionType

    project = factories.project()
    _manager(project)
    event = factories.event(project=project, title="Kyläilta")
    db.session.add(EventQuestion(event=event, label="Tuotko pullaa?", type=QuestionType.YES_NO))
    db.session.commit()
    sign_in(client, "anne@example.fi")
    response = post_form(
        client,
        f"/organiser/events/{event.id}/duplicate",
        token_from=f"/organiser/events/{event.id}",
    )
    copy = db.session.scalars(select(Event).where(Event.id != event.id)).one()
    assert response.headers["Location"] == f"/organiser/events/{copy.id}/edit"
    assert copy.status == EventStatus.DRAFT and copy.title == "Kyläilta"
    assert copy.uid != event.uid and [q.label for q in copy.questions] == ["Tuotko pullaa?"]


def test_questions_are_added_and_appear_on_the_signup_form(client):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project)
    sign_in(client, "anne@example.fi")
    url = f"/organiser/events/{event.id}/questions"
    bad = post_form(
        client, url, {"label": "Teema?", "type": "single_choice", "choices": "Vain yksi"}
    )
    assert bad.status_code == 422 and "at least two choices" in bad.get_data(as_text=True)
    ok = post_form(
        client,
        url,
        {"label": "Teema?", "type": "single_choice", "choices": "A\nB\n", "required": "y"},
    )
    assert ok.status_code == 303
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Teema?" in page and 'value="B"' in page


def test_managers_of_another_project_get_404_everywhere(app, client):
    mine, theirs = factories.project(code="A"), factories.project(code="B")
    _manager(mine)
    other = factories.event(project=theirs)
    sign_in(client, "anne@example.fi")
    token = csrf_token(client, "/organiser/")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/organiser/events/<int:event_id>"):
            continue
        url = rule.rule.replace("<int:event_id>", str(other.id)).replace("<int:question_id>", "1")
        url = url.replace("<int:registration_id>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 404, (method, url, response.status_code)
    # Nor can an event be created in the other project.
    response = post_form(client, "/organiser/events/new", {**EVENT_FORM, "project": theirs.id})
    assert response.status_code == 422
    assert db.session.scalars(select(Event).where(Event.project_id == theirs.id)).all() == [other]


def test_check_in_staff_cannot_manage_events(client):
    project = factories.project()
    event = factories.event(project=project)
    factories.user(email="door@example.fi", role=Role.CHECKIN, events=[event])
    sign_in(client, "door@example.fi")
    assert client.get("/organiser/").status_code == 200
    assert client.get(f"/organiser/events/{event.id}").status_code == 404
    assert client.get("/organiser/events/new").status_code == 404


def test_places_cannot_be_lowered_below_the_places_people_hold(client):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=3, title="Työpaja")
    for i in range(2):
        signup(client, event.id, email=f"p{i}@example.fi")
    sign_in(client, "anne@example.fi")
    form = {
        **EVENT_FORM,
        "project": project.id,
        "title": event.title,
        "capacity": "1",
        "timezone": event.timezone,
        "starts": event.local_start.strftime("%Y-%m-%dT%H:%M"),
        "ends": event.local_end.strftime("%Y-%m-%dT%H:%M"),
    }
    response = post_form(client, f"/organiser/events/{event.id}/edit", form)
    assert response.status_code == 422
    assert "2 people already hold a place" in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.capacity == 3


def test_publishing_an_event_whose_start_has_passed_asks_first(client):
    project = factories.project(code="KANTO")
    _manager(project)
    event = factories.event(
        project=project, status=EventStatus.DRAFT, starts_at=utcnow() - timedelta(hours=1)
    )
    db.session.commit()
    sign_in(client, "anne@example.fi")
    page = client.get(f"/organiser/events/{event.id}").get_data(as_text=True)
    assert "The start of this event has passed." in page

    url = f"/organiser/events/{event.id}/publish"
    asked = post_form(client, url, token_from=f"/organiser/events/{event.id}")
    assert asked.status_code == 409
    assert "Publish an event that has started?" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.DRAFT

    confirmed = post_form(client, url, {"past": "1"}, token_from=f"/organiser/events/{event.id}")
    assert confirmed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.PUBLISHED


def _next_change(month: int) -> datetime:
    """The next EU daylight-saving change in ``month`` (the last Sunday), as a date."""
    today = utcnow().date()
    for year in (today.year, today.year + 1):
        day = datetime(year, month + 1, 1) - timedelta(days=1)
        while day.weekday() != 6:
            day -= timedelta(days=1)
        if day.date() > today:
            return day
    raise AssertionError("unreachable")


def test_a_start_in_the_spring_gap_is_refused_with_a_clear_message(client):
    project = factories.project()
    _manager(project)
    sign_in(client, "anne@example.fi")
    day = _next_change(3).strftime("%Y-%m-%d")
    for zone in ("Europe/Helsinki", "Europe/Riga", "Europe/Tallinn"):
        form = {
            **EVENT_FORM,
            "project": project.id,
            "timezone": zone,
            "starts": f"{day}T03:30",  # clocks go from 03:00 straight to 04:00
            "ends": f"{day}T04:15",
        }
        response = post_form(client, "/organiser/events/new", form)
        assert response.status_code == 422, zone
        html = response.get_data(as_text=True)
        assert f"03:30 does not exist in {zone}" in html
        assert f'value="{day}T03:30"' in html  # what was typed comes back
    assert db.session.scalars(select(Event)).all() == []

    # The service refuses it too, whoever calls it, before anything is written.
    event = factories.event(project=project)
    gap = datetime.fromisoformat(f"{day}T03:30").replace(tzinfo=ZoneInfo("Europe/Tallinn"))
    with pytest.raises(NonexistentLocalTime):
        update_event(event, starts_at=gap, ends_at=gap + timedelta(hours=2))
    with pytest.raises(NonexistentLocalTime):
        create_event(factories.user(email="b@example.fi"), **{**_fields(project), "starts_at": gap})


def _fields(project) -> dict:
    start = utcnow() + timedelta(days=3)
    return {
        "title": "x",
        "kind": EventKind.TRAINING,
        "project_id": project.id,
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
    }


def test_a_time_the_autumn_change_repeats_is_stored_unambiguously_and_kept(client):
    project = factories.project()
    _manager(project)
    sign_in(client, "anne@example.fi")
    day = _next_change(10)
    form = {
        **EVENT_FORM,
        "project": project.id,
        "timezone": "Europe/Helsinki",
        "starts": f"{day:%Y-%m-%d}T03:30",  # happens twice: 00:30 and 01:30 UTC
        "ends": f"{day:%Y-%m-%d}T05:00",
    }
    assert post_form(client, "/organiser/events/new", form).status_code == 303
    event = db.session.scalars(select(Event)).one()
    first = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)
    assert event.starts_at == first  # the first of the two, as RFC 5545 reads it

    # Stored as the second 03:30; an edit that leaves the time alone keeps it.
    update_event(event, starts_at=first + timedelta(hours=1), status=EventStatus.PUBLISHED)
    db.session.commit()
    edit = f"/organiser/events/{event.id}/edit"
    assert post_form(client, edit, {**form, "title": "Renamed"}).status_code == 303
    db.session.refresh(event)
    assert event.title == "Renamed" and event.starts_at == first + timedelta(hours=1)

    # Calendars get it as a UTC instant: a zone-local 03:30 could be either.
    body = client.get(f"/calendar/events/{event.id}.ics").data
    assert f"DTSTART:{first + timedelta(hours=1):%Y%m%dT%H%M%SZ}".encode() in body
