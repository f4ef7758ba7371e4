"""Dates by pattern for a workshop series, and registering for the whole series."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from eventhub.core.db import utcnow
from eventhub.core.models import Event, Registration, RegistrationStatus, Role, WorkshopSeries
from eventhub.core.services import outbox, workshops
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import sign_in

MANAGER = "anne@example.fi"


def a_series():
    project = factories.project()
    factories.user(email=MANAGER, role=Role.MANAGER, projects=[project])
    series = WorkshopSeries(name="Kylätyöpajat", project=project)
    db.session.add(series)
    db.session.commit()
    return series


def next_monday() -> date:
    today = utcnow().date() + timedelta(days=7)
    return today + timedelta(days=-today.weekday())


def pattern_form(first: date, **fields) -> dict:
    data = {
        "first_day": first.isoformat(),
        "last_day": (first + timedelta(weeks=15, days=6)).isoformat(),
        "starts": "17:00",
        "ends": "19:00",
        "repeat": "weekly",
        "every": "1",
        "weekdays": ["1"],  # Tuesdays
        "nth": "1",
        "capacity": "12",
        "venue": "Kylätalo",
        "publish": "y",
    }
    data.update(fields)
    return data


def sessions_of(series_id: int) -> list[Event]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Event).where(Event.series_id == series_id).order_by(Event.starts_at)
        )
    )


def test_fourteen_weekly_dates_skipping_two_holidays_are_previewed_then_created_in_one_step(
    client,
):
    series = a_series()
    sign_in(client, MANAGER)
    url = f"/workshops/organiser/series/{series.id}/dates"
    first = next_monday()
    tuesdays = [first + timedelta(weeks=w, days=1) for w in range(16)]
    holidays = [tuesdays[3], tuesdays[9]]
    data = pattern_form(first, skip=f"{holidays[0]}\n{holidays[1]}")

    preview = client.post(
        url, data={"csrf_token": csrf_token(client, url), "action": "preview", **data}
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "14 sessions will be created" in page
    assert sessions_of(series.id) == []  # a preview writes nothing

    made = client.post(
        url, data={"csrf_token": csrf_token(client, url), "action": "create", **data}
    )
    assert made.status_code == 303
    sessions = sessions_of(series.id)
    assert len(sessions) == 14
    days = [s.local_start.date() for s in sessions]
    assert days == [d for d in tuesdays if d not in holidays]
    assert all(s.local_start.hour == 17 and s.capacity == 12 and s.is_public for s in sessions)

    public = f"/workshops/series/{series.id}"
    whole = client.post(
        f"{public}/register",
        data={
            "csrf_token": csrf_token(client, public),
            "name": "Aino Korhonen",
            "email": "aino@example.fi",
            "consent": "y",
            "whole_series": "y",
        },
    )
    assert whole.status_code == 303
    assert _places_of("aino@example.fi", series.id) == 14


def test_monthly_on_the_nth_weekday_and_every_other_week():
    pattern = workshops.DatePattern(
        first=date(2027, 1, 1), last=date(2027, 6, 30), weekdays=(1,), starts=_t(17),
        ends=_t(19), monthly_nth=2,
    )  # fmt: skip
    assert [d.isoformat() for d in pattern.dates()] == [
        "2027-01-12", "2027-02-09", "2027-03-09", "2027-04-13", "2027-05-11", "2027-06-08",
    ]  # fmt: skip
    last_friday = workshops.DatePattern(
        first=date(2027, 1, 1), last=date(2027, 3, 31), weekdays=(4,), starts=_t(9), ends=_t(10),
        monthly_nth=-1,
    )  # fmt: skip
    assert [d.day for d in last_friday.dates()] == [29, 26, 26]
    fortnightly = workshops.DatePattern(
        first=date(2027, 1, 4), last=date(2027, 2, 28), weekdays=(0, 3), starts=_t(9),
        ends=_t(10), every=2,
    )  # fmt: skip
    assert [d.isoformat() for d in fortnightly.dates()] == [
        "2027-01-04", "2027-01-07", "2027-01-18", "2027-01-21", "2027-02-01", "2027-02-04",
        "2027-02-15", "2027-02-18",
    ]  # fmt: skip


def test_a_bad_pattern_is_refused_with_a_reason_and_creates_nothing(client):
    series = a_series()
    sign_in(client, MANAGER)
    url = f"/workshops/organiser/series/{series.id}/dates"
    first = next_monday()
    for fields, reason in (
        ({"ends": "16:00"}, "must end after it starts"),
        ({"last_day": (first - timedelta(days=3)).isoformat()}, "gives no dates"),
        ({"skip": "next tuesday"}, "is not a date like"),
        ({"weekdays": []}, "at least one weekday"),
    ):
        data = pattern_form(first, **fields)
        answer = client.post(
            url, data={"csrf_token": csrf_token(client, url), "action": "create", **data}
        )
        assert answer.status_code == 422, fields
        assert reason in answer.get_data(as_text=True)
    assert sessions_of(series.id) == []


def test_the_whole_series_holds_a_place_in_each_date_and_in_a_date_added_later(client, mailbox):
    series = a_series()
    first = next_monday()
    pattern = workshops.DatePattern(
        first=first,
        last=first + timedelta(weeks=3, days=6),
        weekdays=(2,),
        starts=_t(17),
        ends=_t(19),
    )
    template = workshops.SessionTemplate(
        title="", capacity=5, timezone="Europe/Helsinki", publish=True
    )
    workshops.create_dated_sessions(None, series, pattern, template)
    db.session.commit()
    assert len(sessions_of(series.id)) == 4

    url = f"/workshops/series/{series.id}"
    answer = client.post(
        f"{url}/register",
        data={
            "csrf_token": csrf_token(client, url),
            "name": "Aino Korhonen",
            "email": "aino@example.fi",
            "consent": "y",
            "whole_series": "y",
        },
    )
    assert answer.status_code == 303
    assert _places_of("aino@example.fi", series.id) == 4

    # Dates added afterwards (by pattern, or by choosing an event) take her too.
    later = workshops.DatePattern(
        first=first + timedelta(weeks=5), last=first + timedelta(weeks=5, days=6),
        weekdays=(2,), starts=_t(17), ends=_t(19),
    )  # fmt: skip
    workshops.create_dated_sessions(None, series, later, template)
    db.session.commit()
    assert _places_of("aino@example.fi", series.id) == 5
    chosen = factories.event(kind=factories.EventKind.WORKSHOP, capacity=3)
    db.session.commit()
    workshops.set_sessions(None, series, [*sessions_of(series.id), chosen])
    db.session.commit()
    assert _places_of("aino@example.fi", series.id) == 6
    while outbox.deliver().sent:  # what was queued outside a request
        pass
    subjects = [m["Subject"] for m in mailbox.to("aino@example.fi")]
    assert sum("confirmed" in s for s in subjects) == 6


def _places_of(email: str, series_id: int) -> int:
    from eventhub.core.models import Person

    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .join(Event, Event.id == Registration.event_id)
        .join(Person, Person.id == Registration.person_id)
        .where(
            Event.series_id == series_id,
            Person.email_normalised == email,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )


def _t(hour: int):
    from datetime import time

    return time(hour, 0)
