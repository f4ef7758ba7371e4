"""Every calendar eventhub writes, read by four parsers it does not share code with.

Events across each daylight-saving change of the next three years in Europe/Helsinki, Riga
and Tallinn (the day before, the day itself, a night that spans the change, and both
occurrences of the hour the autumn change repeats) are published from an empty database.
Every feed kind, every event's .ics, a participant's personal feed and the calendar file of
every mail they receive are then read with

* ical.js (node), the parser in Thunderbird and most web calendar widgets, which resolves
  TZIDs through the calendar's own VTIMEZONE,
* vobject, which does the same through dateutil,
* icalendar, and
* ``ical``, a strict RFC 5545 parser,

and every DTSTART/DTEND instant each of them reads is compared with the database.
"""

from __future__ import annotations

import calendar as monthcal
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Event,
    EventKind,
    Municipality,
    Person,
    ProgrammeItem,
    Project,
)
from eventhub.core.services import ical, outbox
from eventhub.core.services.event_admin import cancel, save_event
from eventhub.extensions import db
from tests import factories
from tests.helpers import manage_link, signup

ICALJS = Path(__file__).parent / "icaljs"
ZONES = {
    "Europe/Helsinki": ("FI", "Joensuu"),
    "Europe/Riga": ("LV", "Gulbene"),
    "Europe/Tallinn": ("EE", "Võru"),
}
# Kinds people can register for without the format's own fields.
SIGNUP_KINDS = (EventKind.TRAINING, EventKind.INFO_SESSION, EventKind.NETWORK_MEETING)


def _last_sunday(year: int, month: int) -> int:
    last = monthcal.monthrange(year, month)[1]
    return last - (datetime(year, month, last).weekday() + 1) % 7


def dst_changes(now: datetime, years: int = 3) -> list[tuple[int, int, int]]:
    """(year, month, day) of the EU daylight-saving changes from tomorrow for ``years``."""
    changes = []
    for year in range(now.year, now.year + years + 1):
        for month in (3, 10):
            day = datetime(year, month, _last_sunday(year, month), tzinfo=UTC)
            if now + timedelta(days=1) < day <= now + timedelta(days=365 * years):
                changes.append((year, month, day.day))
    return changes


def local(tz: str, y: int, m: int, d: int, h: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=ZoneInfo(tz), fold=fold).astimezone(UTC)


def around_changes(now: datetime) -> list[dict]:
    """Event values for every change in every zone; kinds rotate so every kind feed has some."""
    kinds = list(EventKind)
    specs = []
    for tz in ZONES:
        for y, m, d in dst_changes(now):
            eve = datetime(y, m, d) - timedelta(days=1)
            spans = [
                ("the day before", local(tz, eve.year, eve.month, eve.day, 10), 2),
                ("the day of the change", local(tz, y, m, d, 10), 3),
                ("a night across the change", local(tz, eve.year, eve.month, eve.day, 22), 8),
            ]
            if m == 10:  # 03:30 happens twice: first in summer time, then in winter time
                spans.append(("03:30 summer time", local(tz, y, m, d, 3, 30, fold=0), 0.5))
                spans.append(("03:30 winter time", local(tz, y, m, d, 3, 30, fold=1), 0.5))
            for label, starts_at, hours in spans:
                specs.append(
                    {
                        "title": f"{tz} {y}-{m:02} {label}",
                        "starts_at": starts_at,
                        "hours": hours,
                        "timezone": tz,
                        "kind": kinds[len(specs) % len(kinds)],
                    }
                )
    return specs


def build_events(now: datetime) -> list[Event]:
    """Three projects (one code with slashes, as the Latvian funder writes them), a
    municipality each, and the events around every change."""
    places = {}
    for tz, (country, town) in ZONES.items():
        code = "2024.LV/NVOF/MAC/003" if country == "LV" else f"DST-{country}"
        project = factories.project(
            code=code, organiser=f"{town} ry", contact_email=f"info@{country.lower()}.example"
        )
        places[tz] = (project, factories.municipality(town, region=town, country=country))
    events = []
    for i, spec in enumerate(around_changes(now)):
        project, municipality = places[spec["timezone"]]
        online = f"https://meet.example.ee/{i}" if i % 4 == 0 else None
        events.append(
            factories.event(project=project, municipality=municipality, online_url=online, **spec)
        )
    # A forum in each zone has a programme: each session is a VEVENT of its own.
    for tz in ZONES:
        forum = next(e for e in events if e.kind == EventKind.FORUM and e.timezone == tz)
        middle = forum.starts_at + (forum.ends_at - forum.starts_at) / 2
        for title, start, end in (
            ("Opening", forum.starts_at, middle),
            ("Groups", middle, forum.ends_at),
        ):
            db.session.add(ProgrammeItem(event=forum, title=title, starts_at=start, ends_at=end))
    db.session.commit()
    return events


# --- the four parsers ------------------------------------------------------------------


def read_icaljs(calendars: dict[str, bytes]) -> dict[str, list]:
    node = shutil.which("node")
    if node is None or not (ICALJS / "node_modules" / "ical.js").is_dir():
        if os.environ.get("CI"):
            pytest.fail("ical.js is not installed: make test installs it with npm")
        pytest.skip("node or ical.js missing: run `npm ci` in tests/icaljs")
    payload = json.dumps({name: body.decode() for name, body in calendars.items()})
    done = subprocess.run(
        [node, "read.mjs"], cwd=ICALJS, input=payload, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def _instant(value) -> int:
    assert isinstance(value, datetime) and value.tzinfo is not None, value
    return int(value.timestamp())


def read_vobject(body: bytes) -> list:
    parsed = vobject.readOne(body.decode())
    return [
        [e.uid.value, _instant(e.dtstart.value), _instant(e.dtend.value)]
        for e in parsed.contents.get("vevent", [])
    ]


def read_icalendar(body: bytes) -> list:
    parsed = icalendar.Calendar.from_ical(body)
    return [
        [str(e["UID"]), _instant(e["DTSTART"].dt), _instant(e["DTEND"].dt)]
        for e in parsed.walk("VEVENT")
    ]


def read_strict(body: bytes) -> list:
    parsed = IcsCalendarStream.calendar_from_ics(body.decode())
    return [[e.uid, _instant(e.dtstart), _instant(e.dtend)] for e in parsed.events]


def database_instants() -> dict[str, tuple[int, int]]:
    """Every event's and programme session's UID, with its start and end."""
    found = {
        uid: (int(start.timestamp()), int(end.timestamp()))
        for uid, start, end in db.session.execute(select(Event.uid, Event.starts_at, Event.ends_at))
    }
    for item in db.session.scalars(select(ProgrammeItem)):
        uid = ical.programme_uid(item.event, item.id)
        found[uid] = (int(item.starts_at.timestamp()), int(item.ends_at.timestamp()))
    return found


def check_instants(calendars: dict[str, tuple[bytes, dict]]) -> int:
    """Read every calendar with every parser; each instant must be the database's (as it
    was when the calendar was written). Returns how many VEVENTs were compared."""
    by_node = read_icaljs({name: body for name, (body, _truth) in calendars.items()})
    compared = 0
    wrong = []
    for name, (body, truth) in calendars.items():
        readings = {
            "ical.js": by_node[name],
            "vobject": read_vobject(body),
            "icalendar": read_icalendar(body),
            "ical (strict)": read_strict(body),
        }
        counts = {parser: len(found) for parser, found in readings.items()}
        assert "error" not in readings["ical.js"], (name, readings["ical.js"])
        assert len(set(counts.values())) == 1, (name, counts)
        for parser, found in readings.items():
            for uid, start, end in found:
                compared += 1
                if (start, end) != truth[uid]:
                    wrong.append((parser, name, uid, (start, end), truth[uid]))
    assert not wrong, f"{len(wrong)} wrong instants, e.g. {wrong[:5]}"
    return compared


def calendar_parts(messages, start: int = 0) -> dict[str, bytes]:
    found = {}
    for i, message in enumerate(messages, start):
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                found[f"mail {i} {message['Subject']}"] = part.get_payload(decode=True)
    return found


def test_every_calendar_reads_right_in_every_client(app, client, mailbox):
    now = utcnow()
    events = build_events(now)
    assert len(events) >= 3 * 6 * 3  # three zones, six changes in three years
    projects = db.session.scalars(select(Project)).all()
    municipalities = db.session.scalars(select(Municipality)).all()

    urls = ["/calendar/all.ics", *(f"/calendar/kind/{kind.value}.ics" for kind in EventKind)]
    urls += [f"/calendar/events/{event.id}.ics" for event in events]
    urls += [f"/calendar/municipality/{m.id}.ics" for m in municipalities]
    urls += [f"/calendar/projects/{p.id}.ics" for p in projects]

    # A participant signs up for an event in each zone on both sides of a change, one of
    # them is moved and one cancelled: every mail carries a calendar file.
    chosen = [
        event
        for tz in ZONES
        for event in [e for e in events if e.kind in SIGNUP_KINDS and e.timezone == tz][:2]
    ]
    for event in chosen:
        assert signup(client, event.id, email="liis@example.ee").status_code == 303
    before_changes = database_instants()
    confirmations = len(mailbox.messages)
    organiser = factories.user(projects=projects)
    moved, dropped = chosen[0], chosen[1]
    save_event(organiser, moved, starts_at=moved.starts_at + timedelta(days=1),
               ends_at=moved.ends_at + timedelta(days=1))  # fmt: skip
    cancel(organiser, dropped)
    db.session.commit()
    outbox.deliver()  # what the organiser's changes queued, as the mail worker would

    person = db.session.scalar(select(Person).where(Person.email == "liis@example.ee"))
    manage = client.get(manage_link(mailbox.messages[0])).get_data(as_text=True)
    personal = ical.personal_feed_url(person)
    assert personal in manage.replace("&amp;", "&")
    urls.append(personal.split("/", 3)[3])

    now_true = database_instants()
    calendars = {}
    for url in urls:
        response = client.get("/" + url.lstrip("/"))
        assert response.status_code == 200, url
        calendars[url] = (response.data, now_true)
    first = calendar_parts(mailbox.messages[:confirmations])
    later = calendar_parts(mailbox.messages[confirmations:], start=confirmations)
    assert len(first) == len(chosen) and len(later) >= 2, (sorted(first), sorted(later))
    calendars |= {name: (body, before_changes) for name, body in first.items()}
    calendars |= {name: (body, now_true) for name, body in later.items()}

    in_feed = by_uid(calendars["/calendar/all.ics"][0])
    sessions = db.session.scalars(select(ProgrammeItem)).all()
    assert set(in_feed) == {e.uid for e in events} | {
        ical.programme_uid(s.event, s.id) for s in sessions
    }
    for session in sessions:
        vevent = in_feed[ical.programme_uid(session.event, session.id)]
        assert str(vevent["RELATED-TO"]) == session.event.uid
        assert vevent["RELATED-TO"].params["RELTYPE"] == "PARENT"
    online = next(e for e in events if e.online_url)
    assert str(in_feed[online.uid]["CONFERENCE"]) == online.online_url
    assert str(in_feed[online.uid]["URL"]).endswith(f"/events/{online.id}")
    compared = check_instants(calendars)
    assert compared >= 4 * 2 * len(events)


def test_an_empty_feed_is_a_valid_calendar_and_source_keeps_the_query(client):
    project = factories.project(code="EMPTY")
    factories.event(project=project, starts_at=utcnow() - timedelta(days=400))  # long gone
    db.session.commit()
    empty = {
        "/calendar/all.ics?lang=lv": None,
        "/calendar/kind/study_trip.ics": None,
        f"/calendar/projects/{project.id}.ics": None,
    }
    for url in empty:
        response = client.get(url)
        assert response.status_code == 200, url
        empty[url] = (response.data, {})
        assert b"BEGIN:VEVENT" not in response.data
        assert b"METHOD" not in response.data  # a feed is no iTIP message
        # RFC 5545, 3.6: at least one component; the strict parser insists too.
        assert IcsCalendarStream.calendar_from_ics(response.data.decode()).timezones
    assert check_instants(empty) == 0
    latvian = icalendar.Calendar.from_ical(empty["/calendar/all.ics?lang=lv"][0])
    assert str(latvian["SOURCE"]) == "http://eventhub.test/calendar/all.ics?lang=lv"
    assert str(latvian["NAME"]).endswith("Visi pasākumi")


def by_uid(body: bytes) -> dict:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_each_zone_has_a_yearly_rule_with_onsets_in_the_time_before_the_change(client):
    now = utcnow()
    build_events(now)
    body = client.get("/calendar/all.ics").data
    zones = {str(z["TZID"]): z for z in icalendar.Calendar.from_ical(body).walk("VTIMEZONE")}
    assert set(zones) == set(ZONES)
    for zone in zones.values():
        daylight, standard = zone.walk("DAYLIGHT"), zone.walk("STANDARD")
        assert len(daylight) == len(standard) == 1
        # Spring: 03:00 in winter time (+02:00); autumn: 04:00 in summer time (+03:00).
        assert daylight[0]["DTSTART"].dt.time().hour == 3
        assert daylight[0]["TZOFFSETFROM"].td == timedelta(hours=2)
        assert standard[0]["DTSTART"].dt.time().hour == 4
        assert standard[0]["TZOFFSETFROM"].td == timedelta(hours=3)
        assert daylight[0]["RRULE"]["BYDAY"] == ["-1SU"]
    assert b"RDATE" not in body


def test_a_zone_without_a_yearly_rule_has_one_rdate_per_line():
    from eventhub.core.services.vtimezone import vtimezone

    # Morocco leaves summer time for Ramadan, on dates no yearly rule gives.
    text = vtimezone("Africa/Casablanca", 2026, 2028).decode()
    rdates = [line for line in text.splitlines() if line.startswith("RDATE")]
    assert len(rdates) >= 4
    assert all("," not in line for line in rdates)
