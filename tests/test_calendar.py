"""Calendar feeds as a calendar application reads them: every feed is parsed back with
icalendar and checked property by property."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import icalendar
import pytest

from eventhub.core.db import utcnow
from eventhub.core.models import (
    EventKind,
    EventStatus,
    Person,
    Registration,
    RegistrationStatus,
)
from eventhub.core.services import ical, tokens
from eventhub.core.services.events import cancel_event, update_event
from eventhub.extensions import db
from tests import factories
from tests.dates import YEAR, last_sunday

SITE = "http://eventhub.test"
HELSINKI, RIGA, TALLINN = (
    ZoneInfo(z) for z in ("Europe/Helsinki", "Europe/Riga", "Europe/Tallinn")
)


def feed(client, url: str, **kw) -> icalendar.Calendar:
    response = client.get(url, **kw)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/calendar"
    assert response.mimetype_params["charset"] == "utf-8"
    return icalendar.Calendar.from_ical(response.data)


def by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def vtimezone(calendar: icalendar.Calendar, tzid: str) -> icalendar.Timezone:
    (zone,) = [tz for tz in calendar.walk("VTIMEZONE") if str(tz["TZID"]) == tzid]
    return zone


def person_with(event_statuses, name="Ilona Participant", email="ilona@example.fi", locale="en"):
    person = Person(name=name, email=email, email_normalised=email, locale=locale)
    db.session.add(person)
    db.session.flush()
    for event, status in event_statuses:
        _token, token_hash = tokens.new_token()
        db.session.add(
            Registration(event=event, person=person, status=status, manage_token_hash=token_hash)
        )
    db.session.flush()
    return person


# --- properties of one event, in three timezones ------------------------------------------


def test_feed_events_carry_their_own_timezone_and_every_property(client):
    project = factories.project(
        code="KANTO",
        organiser="Pohjois-Karjalan Sosiaaliturvayhdistys ry",
        contact_email="info@pks.fi",
    )
    joensuu = factories.municipality()
    summer = datetime(YEAR, 6, 12, 15, 0, tzinfo=UTC)
    events = {
        "Europe/Helsinki": factories.event(
            title="Joensuu workshop",
            kind=EventKind.WORKSHOP,
            starts_at=summer,
            timezone="Europe/Helsinki",
            venue="Carelicum",
            address="Koskikatu 5, Joensuu",
            project=project,
            municipality=joensuu,
            description="Bring ideas.",
        ),
        "Europe/Riga": factories.event(
            title="Gulbene hackathon",
            kind=EventKind.HACKATHON,
            starts_at=summer,
            timezone="Europe/Riga",
        ),
        "Europe/Tallinn": factories.event(
            title="Võru forum",
            kind=EventKind.FORUM,
            starts_at=summer,
            timezone="Europe/Tallinn",
            online_url="https://meet.example.ee/voru",
        ),
    }
    db.session.commit()

    calendar = feed(client, "/calendar/all.ics")

    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == "eventhub – All events"
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    found = by_uid(calendar)
    assert set(found) == {e.uid for e in events.values()}
    for tzid, event in events.items():
        vevent = found[event.uid]
        start, end = vevent["DTSTART"], vevent["DTEND"]
        assert start.params["TZID"] == end.params["TZID"] == tzid
        assert start.dt == summer and end.dt == summer + timedelta(hours=2)
        # 15:00 UTC is 18:00 on the wall clock in all three capitals in summer.
        assert start.dt.astimezone(ZoneInfo(tzid)).hour == 18
        assert "T180000" in start.to_ical().decode()
        # The calendar explains the zone itself, and agrees with zoneinfo.
        zone = vtimezone(calendar, tzid).to_tz()
        assert summer.astimezone(zone).utcoffset() == timedelta(hours=3)
        assert vevent["DTSTAMP"].dt.tzinfo is not None and vevent[
            "DTSTAMP"
        ].dt.utcoffset() == timedelta(0)
        assert vevent["LAST-MODIFIED"].dt == event.updated_at.replace(microsecond=0)
        assert vevent["SEQUENCE"] == 0
        assert str(vevent["STATUS"]) == "CONFIRMED"
        assert str(vevent["SUMMARY"]) == event.title
        assert str(vevent["URL"]) == f"{SITE}/events/{event.id}"
        assert str(vevent["DESCRIPTION"]).endswith(f"{SITE}/events/{event.id}")
        assert vevent["CATEGORIES"].cats == [event.kind.value]

    helsinki = found[events["Europe/Helsinki"].uid]
    assert str(helsinki["LOCATION"]) == "Carelicum, Koskikatu 5, Joensuu"
    assert str(helsinki["DESCRIPTION"]).startswith("Bring ideas.")
    assert str(helsinki["ORGANIZER"]) == "mailto:info@pks.fi"
    assert helsinki["ORGANIZER"].params["CN"] == "Pohjois-Karjalan Sosiaaliturvayhdistys ry"
    tallinn = found[events["Europe/Tallinn"].uid]
    assert str(tallinn["LOCATION"]) == "https://meet.example.ee/voru"
    assert "https://meet.example.ee/voru" in str(tallinn["DESCRIPTION"])
    assert "ORGANIZER" not in found[events["Europe/Riga"].uid]


def test_times_across_both_daylight_saving_changes(client):
    # Clocks go forward on the last Sunday of March and back on the last Sunday of October.
    spring, autumn = last_sunday(YEAR, 3), last_sunday(YEAR, 10)
    saturday = timedelta(days=1)

    def local(day, h, tz=HELSINKI):
        # In UTC: Python adds hours to a zoned datetime on the wall clock, not in real time.
        return datetime.combine(day, time(h), tzinfo=tz).astimezone(UTC)

    before_spring = factories.event(title="Saturday", starts_at=local(spring - saturday, 10))
    after_spring = factories.event(title="Sunday", starts_at=local(spring, 10))
    overnight = factories.event(
        title="Night hackathon",
        starts_at=local(autumn - saturday, 22, RIGA),
        hours=10,
        timezone="Europe/Riga",
    )
    after_autumn = factories.event(
        title="Sunday in October",
        starts_at=local(autumn, 10, TALLINN),
        timezone="Europe/Tallinn",
    )
    db.session.commit()

    calendar = feed(client, "/calendar/all.ics")
    found = by_uid(calendar)

    def wall_and_offset(event, key="DTSTART"):
        prop = found[event.uid][key]
        zone = vtimezone(calendar, prop.params["TZID"]).to_tz()
        naive = prop.dt.replace(tzinfo=None)
        return naive.hour, naive.replace(tzinfo=zone).utcoffset()

    assert wall_and_offset(before_spring) == (10, timedelta(hours=2))
    assert wall_and_offset(after_spring) == (10, timedelta(hours=3))
    assert wall_and_offset(after_autumn) == (10, timedelta(hours=2))
    # 22:00 summer time to 07:00 winter time: ten hours, not nine, as the calendar computes it.
    assert wall_and_offset(overnight) == (22, timedelta(hours=3))
    assert wall_and_offset(overnight, "DTEND") == (7, timedelta(hours=2))
    vevent = found[overnight.uid]
    real = vevent["DTEND"].dt.astimezone(UTC) - vevent["DTSTART"].dt.astimezone(UTC)
    assert real == timedelta(hours=10)


# --- changes: moved, retitled, cancelled, gone --------------------------------------------


def test_moving_an_event_grows_its_sequence_and_keeps_its_uid(client):
    event = factories.event(title="Info session", venue="Kylätalo")
    db.session.commit()
    first = by_uid(feed(client, "/calendar/all.ics"))[event.uid]

    assert update_event(event, title="Info session (new title)") is False
    db.session.commit()
    retitled = by_uid(feed(client, "/calendar/all.ics"))[event.uid]
    assert retitled["SEQUENCE"] == 0
    assert str(retitled["SUMMARY"]) == "Info session (new title)"
    assert retitled["LAST-MODIFIED"].dt >= first["LAST-MODIFIED"].dt

    later = event.starts_at + timedelta(days=7)
    assert update_event(event, starts_at=later, ends_at=later + timedelta(hours=2)) is True
    db.session.commit()
    moved = by_uid(feed(client, "/calendar/all.ics"))[event.uid]
    assert moved["SEQUENCE"] == 1
    assert moved["DTSTART"].dt == later

    assert update_event(event, venue="Seurantalo") is True
    assert update_event(event, venue="Seurantalo") is False  # the same place again
    db.session.commit()
    relocated = by_uid(feed(client, "/calendar/all.ics"))[event.uid]
    assert relocated["SEQUENCE"] == 2
    assert str(relocated["LOCATION"]) == "Seurantalo"


def test_update_event_refuses_what_would_break_a_calendar(app):
    event = factories.event()
    with pytest.raises(ValueError, match="end after"):
        update_event(event, ends_at=event.starts_at - timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        update_event(event, starts_at=datetime(YEAR, 1, 1, 10, 0))
    with pytest.raises(ValueError, match="not an editable"):
        update_event(event, uid="something-else")
    assert event.sequence == 0


def test_cancelled_events_stay_thirty_days_then_leave(client):
    now = utcnow()
    cancelled = factories.event(title="Cancelled now")
    long_ago = factories.event(
        title="Cancelled 31 days ago",
        status=EventStatus.CANCELLED,
        cancelled_at=now - timedelta(days=31),
    )
    db.session.commit()

    assert cancel_event(cancelled) is True
    assert cancel_event(cancelled) is False
    db.session.commit()
    assert cancelled.cancelled_at is not None

    found = by_uid(feed(client, "/calendar/all.ics"))
    assert long_ago.uid not in found
    assert str(found[cancelled.uid]["STATUS"]) == "CANCELLED"
    assert found[cancelled.uid]["SEQUENCE"] == 1
    single = icalendar.Calendar.from_ical(client.get(f"/calendar/events/{cancelled.id}.ics").data)
    assert str(single.events[0]["STATUS"]) == "CANCELLED"


def test_feed_window_is_ninety_days_back_and_all_future(client):
    now = utcnow().replace(microsecond=0)
    recent = factories.event(title="Ended 89 days ago", starts_at=now - timedelta(days=89, hours=3))
    old = factories.event(title="Ended 91 days ago", starts_at=now - timedelta(days=91, hours=3))
    far = factories.event(title="In five years", starts_at=now + timedelta(days=5 * 365))
    draft = factories.event(title="Draft", status=EventStatus.DRAFT)
    db.session.commit()

    found = by_uid(feed(client, "/calendar/all.ics"))
    assert recent.uid in found and far.uid in found
    assert old.uid not in found and draft.uid not in found


# --- text from users -----------------------------------------------------------------------

NASTY_TITLE = 'Семинар, Gulbene; "ā" õ\\ \r\nEND:VEVENT\nBEGIN:VEVENT\nSUMMARY:injected'
NASTY_DESCRIPTION = (
    "Rīga, Tartu; Joensuu\\Outokumpu.\n"
    "Line two: DTSTART:19700101T000000Z\r\n"
    "END:VCALENDAR\n"
    "Пожалуйста, приходите; Võru vald, Rõuge. ā ē ī ū õ ä ö ü"
)


def test_text_with_commas_semicolons_newlines_and_other_scripts_round_trips(client):
    project = factories.project(
        organiser='Kyläyhdistys "Rõuge", ry; x:y\nORGANIZER:mailto:evil@x',
        contact_email="info@rouge.ee",
    )
    # An address that would break the line is never written into ORGANIZER.
    bad_address = factories.project(organiser="Bad ry", contact_email="a@b.ee\r\nX-EVIL:1")
    event = factories.event(
        title=NASTY_TITLE,
        description=NASTY_DESCRIPTION,
        venue="Tautas nams, Stāmeriena; zāle\n2",
        address="Ülikooli 18, Tartu",
        project=project,
    )
    factories.event(title="Other", project=bad_address)
    db.session.commit()

    response = client.get("/calendar/all.ics")
    raw = response.data
    calendar = icalendar.Calendar.from_ical(raw)

    assert len(calendar.events) == 2
    vevent = by_uid(calendar)[event.uid]
    # Single-line values keep every character but line breaks, which become spaces.
    assert (
        str(vevent["SUMMARY"])
        == 'Семинар, Gulbene; "ā" õ\\ END:VEVENT BEGIN:VEVENT SUMMARY:injected'
    )
    assert str(vevent["LOCATION"]) == "Tautas nams, Stāmeriena; zāle 2, Ülikooli 18, Tartu"
    description = str(vevent["DESCRIPTION"])
    assert description.startswith(NASTY_DESCRIPTION.replace("\r\n", "\n"))
    assert description.endswith(f"{SITE}/events/{event.id}")
    organiser = 'Kyläyhdistys "Rõuge", ry; x:y ORGANIZER:mailto:evil@x'
    assert str(vevent["ORGANIZER"]) == "mailto:info@rouge.ee"
    assert vevent["ORGANIZER"].params["CN"] == organiser
    assert vevent["CONTACT"] == f"{organiser} <info@rouge.ee>"
    other = next(e for e in calendar.events if str(e["SUMMARY"]) == "Other")
    assert "ORGANIZER" not in other
    assert "DTSTART" in vevent and vevent["DTSTART"].dt == event.starts_at
    # Nothing leaked into a property of its own, and the file is well formed.
    assert raw.count(b"\r\nBEGIN:VEVENT\r\n") == 2 and raw.count(b"\r\nEND:VCALENDAR\r\n") == 1
    assert b"\r\nSUMMARY:injected" not in raw and b"\r\nX-EVIL" not in raw
    lines = raw.split(b"\r\n")
    assert lines[-1] == b""
    assert all(len(line) <= 75 for line in lines), "lines must be folded at 75 octets"
    assert not any(b"\n" in line or b"\r" in line for line in lines)


# --- scopes -------------------------------------------------------------------------------


def test_feeds_per_kind_project_municipality_and_organisation(client):
    kanto = factories.project(code="KANTO", organiser="Pohjois-Karjalan Sosiaaliturvayhdistys ry")
    both = factories.project(code="SAVO", organiser="Pohjois-Savon Latu ry ja Kuopion Martat ry")
    joensuu = factories.municipality("Joensuu")
    kuopio = factories.municipality("Kuopio", region="Pohjois-Savo")
    latu = factories.organisation("Pohjois-Savon Latu ry")
    martat = factories.organisation("Kuopion Martat ry")
    pks = factories.organisation("Pohjois-Karjalan Sosiaaliturvayhdistys ry")
    only_partly = factories.organisation("Latu ry")  # a substring of another's name
    unconfirmed = factories.organisation("Typed by a participant", confirmed=False)
    kanto.organisations = [pks]
    both.organisations = [latu, martat]
    workshop = factories.event(
        title="KANTO workshop", kind=EventKind.WORKSHOP, project=kanto, municipality=joensuu
    )
    forum = factories.event(
        title="SAVO forum", kind=EventKind.FORUM, project=both, municipality=kuopio
    )
    loose = factories.event(title="No project", kind=EventKind.WORKSHOP)
    factories.event(title="Draft workshop", kind=EventKind.WORKSHOP, status=EventStatus.DRAFT)
    db.session.commit()

    def uids(url):
        return set(by_uid(feed(client, url)))

    assert uids("/calendar/kind/workshop.ics") == {workshop.uid, loose.uid}
    assert uids("/calendar/kind/forum.ics") == {forum.uid}
    assert uids("/calendar/kind/study_trip.ics") == set()
    assert uids(f"/calendar/projects/{kanto.id}.ics") == {workshop.uid}
    assert uids(f"/calendar/projects/{both.id}.ics") == {forum.uid}
    # The old addresses, by code or id, send calendars on to the new one.
    for old in ("/calendar/project/KANTO.ics?lang=fi", f"/calendar/project/{both.id}.ics"):
        moved = client.get(old)
        assert moved.status_code == 301, old
        assert moved.location.endswith(("?lang=fi", f"/projects/{both.id}.ics"))
    assert uids(f"/calendar/municipality/{kuopio.id}.ics") == {forum.uid}
    assert uids(f"/calendar/organisation/{pks.id}.ics") == {workshop.uid}
    assert uids(f"/calendar/organisation/{latu.id}.ics") == {forum.uid}
    assert uids(f"/calendar/organisation/{martat.id}.ics") == {forum.uid}
    # An organisation with no public events has no feed: ids cannot be probed for names.
    assert client.get(f"/calendar/organisation/{only_partly.id}.ics").status_code == 404
    named = feed(client, f"/calendar/projects/{kanto.id}.ics")
    assert str(named["X-WR-CALNAME"]) == "eventhub – Test project"
    assert str(feed(client, "/calendar/kind/workshop.ics")["NAME"]) == "eventhub – Workshops"

    for missing in (
        "/calendar/kind/party.ics",
        "/calendar/project/NOPE.ics",
        "/calendar/projects/999.ics",
        "/calendar/municipality/999.ics",
        "/calendar/organisation/999.ics",
        f"/calendar/organisation/{unconfirmed.id}.ics",
        "/calendar/events/999.ics",
    ):
        assert client.get(missing).status_code == 404, missing


def test_single_event_download_and_draft_is_not_found(client):
    event = factories.event(title="Study trip to Võru", kind=EventKind.STUDY_TRIP)
    draft = factories.event(title="Draft", status=EventStatus.DRAFT)
    db.session.commit()

    response = client.get(f"/calendar/events/{event.id}.ics")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"-{event.id}.ics" in response.headers["Content-Disposition"]
    calendar = icalendar.Calendar.from_ical(response.data)
    assert [str(e["UID"]) for e in calendar.events] == [event.uid]
    assert vtimezone(calendar, "Europe/Helsinki")
    assert client.get(f"/calendar/events/{draft.id}.ics").status_code == 404


def test_a_renamed_organiser_reaches_the_feed(client):
    project = factories.project(organiser="Old name ry", contact_email="info@example.fi")
    event = factories.event(project=project)
    db.session.commit()
    assert (
        by_uid(feed(client, "/calendar/all.ics"))[event.uid]["ORGANIZER"].params["CN"]
        == "Old name ry"
    )

    project.organiser = "New name ry"
    db.session.commit()
    assert (
        by_uid(feed(client, "/calendar/all.ics"))[event.uid]["ORGANIZER"].params["CN"]
        == "New name ry"
    )


# --- HTTP ---------------------------------------------------------------------------------


def test_http_caching_etag_last_modified_304_and_head(client):
    event = factories.event(title="Cached")
    db.session.commit()

    first = client.get("/calendar/all.ics")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert first.headers["Content-Disposition"].startswith("inline;")
    assert "public" in first.cache_control and first.cache_control.max_age == 300
    assert first.headers["Access-Control-Allow-Origin"] == "*"

    again = client.get("/calendar/all.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get(
        "/calendar/all.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 304

    head = client.head("/calendar/all.ics")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == etag
    assert int(head.headers["Content-Length"]) == len(first.data)

    update_event(event, title="Cached, then changed")
    db.session.commit()
    changed = client.get("/calendar/all.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert b"then changed" in changed.data


def test_an_event_leaving_the_feed_is_a_change_too(client):
    stays = factories.event(title="Stays")
    leaves = factories.event(title="Leaves")
    db.session.commit()
    first = client.get("/calendar/all.ics")

    update_event(leaves, status=EventStatus.DRAFT)  # taken off the public
    db.session.commit()
    answer = client.get("/calendar/all.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert answer.status_code == 200
    assert set(by_uid(icalendar.Calendar.from_ical(answer.data))) == {stays.uid}
    assert answer.last_modified >= first.last_modified


# --- personal feed ------------------------------------------------------------------------


def test_personal_feed_marks_waiting_and_pending_and_leaves_out_cancelled(client):
    confirmed = factories.event(title="Confirmed place")
    waiting = factories.event(title="Full workshop")
    pending = factories.event(title="Needs approval")
    cancelled = factories.event(title="I cancelled")
    rejected = factories.event(title="Not accepted")
    other = factories.event(title="Not registered")
    person = person_with(
        [
            (confirmed, RegistrationStatus.CONFIRMED),
            (waiting, RegistrationStatus.WAITLISTED),
            (pending, RegistrationStatus.PENDING),
            (cancelled, RegistrationStatus.CANCELLED),
            (rejected, RegistrationStatus.REJECTED),
        ]
    )
    db.session.commit()
    url = ical.personal_feed_url(person)
    assert url.startswith(f"{SITE}/calendar/me/") and url.endswith(".ics")

    response = client.get(url)
    assert response.status_code == 200
    assert "private" in response.cache_control and "public" not in response.cache_control
    assert "Access-Control-Allow-Origin" not in response.headers
    calendar = icalendar.Calendar.from_ical(response.data)
    found = by_uid(calendar)
    assert set(found) == {confirmed.uid, waiting.uid, pending.uid}
    assert str(found[confirmed.uid]["STATUS"]) == "CONFIRMED"
    assert str(found[confirmed.uid]["SUMMARY"]) == "Confirmed place"
    assert str(found[waiting.uid]["STATUS"]) == "TENTATIVE"
    assert str(found[waiting.uid]["SUMMARY"]) == "[Waiting list] Full workshop"
    assert str(found[pending.uid]["STATUS"]) == "TENTATIVE"
    assert str(found[pending.uid]["SUMMARY"]) == "[Awaiting approval] Needs approval"
    assert str(calendar["X-WR-CALNAME"]) == "eventhub – My events"
    assert other.uid not in found
    assert b"Ilona" not in response.data and b"ilona@example.fi" not in response.data

    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304

    # Promoted from the waiting list: the feed says so.
    registration = db.session.scalar(
        db.select(Registration).where(Registration.event_id == waiting.id)
    )
    registration.status = RegistrationStatus.CONFIRMED
    db.session.commit()
    promoted = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert promoted.status_code == 200
    vevent = by_uid(icalendar.Calendar.from_ical(promoted.data))[waiting.uid]
    assert str(vevent["STATUS"]) == "CONFIRMED" and str(vevent["SUMMARY"]) == "Full workshop"


def test_personal_feed_token_cannot_be_forged_and_ends_with_anonymisation(client):
    person = person_with([(factories.event(), RegistrationStatus.CONFIRMED)])
    db.session.commit()
    token = ical.personal_feed_token(person)

    assert client.get(f"/calendar/me/{token}.ics").status_code == 200
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/calendar/me/{forged}.ics").status_code == 404
    other_id = token.replace(token.split(".")[0], "Mg")  # "2" with the signature of 1
    assert client.get(f"/calendar/me/{other_id}.ics").status_code == 404

    person.anonymised_at = utcnow()
    db.session.commit()
    assert client.get(f"/calendar/me/{token}.ics").status_code == 404


def test_personal_feed_token_is_revoked_by_rotating_the_secret(client):
    person = person_with([(factories.event(), RegistrationStatus.CONFIRMED)])
    db.session.commit()
    legacy = ical.personal_feed_token(person)  # no secret yet: the bare id, as before
    assert client.get(f"/calendar/me/{legacy}.ics").status_code == 200

    ical.rotate_feed_secret(person)
    db.session.commit()
    current = ical.personal_feed_token(person)
    assert current != legacy
    assert client.get(f"/calendar/me/{legacy}.ics").status_code == 404
    assert client.get(f"/calendar/me/{current}.ics").status_code == 200
    assert ical.person_for_token(current) == person

    ical.rotate_feed_secret(person)
    db.session.commit()
    assert ical.person_for_token(current) is None
    assert ical.person_for_token(ical.personal_feed_token(person)) == person
    # A signed payload of another shape is no token.
    signer = ical._serializer()
    for payload in ([person.id], [person.id, 1], [str(person.id), person.feed_secret], True):
        assert ical.person_for_token(signer.dumps(payload)) is None


def test_public_feeds_hold_nothing_about_participants(client):
    event = factories.event(title="Popular")
    person_with([(event, RegistrationStatus.CONFIRMED)], name="Zinaida Secret", email="z@secret.lv")
    db.session.commit()
    for url in (
        "/calendar/all.ics",
        f"/calendar/events/{event.id}.ics",
        "/calendar/kind/training.ics",
    ):
        body = client.get(url).data
        assert b"Zinaida" not in body and b"secret.lv" not in body


# --- discovery from pages -----------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.alternates: list[str] = []
        self.anchors: list[str] = []
        self.jsonld: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "alternate" and a.get("type") == "text/calendar":
            self.alternates.append(a["href"])
        if tag == "a" and a.get("href"):
            self.anchors.append(a["href"])
        self._in_jsonld = tag == "script" and a.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_jsonld:
            self.jsonld.append(data)

    def handle_endtag(self, tag):
        self._in_jsonld = False


def page_links(client, url: str) -> _Links:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Links()
    parser.feed(response.get_data(as_text=True))
    return parser


def test_feeds_discovered_through_alternate_links_work(client):
    project = factories.project(code="GULBENE")
    workshop = factories.event(title="Apkaimju darbnīca", kind=EventKind.WORKSHOP, project=project)
    forum = factories.event(title="Residents' forum", kind=EventKind.FORUM)
    db.session.commit()

    expected = {
        "/": {workshop.uid, forum.uid},
        "/workshops/": {workshop.uid},
        "/forums/": {forum.uid},
        f"/events/{workshop.id}": {workshop.uid},
    }
    for page, uids in expected.items():
        links = page_links(client, page)
        assert links.alternates, f"no calendar link on {page}"
        seen = set()
        for href in links.alternates:
            assert href.startswith(f"{SITE}/calendar/")
            seen |= set(by_uid(feed(client, href)))
        assert uids <= seen, page
        # The visible links: subscribe by webcal to the same feed, and add to web calendars.
        webcals = [h for h in links.anchors if h.startswith("webcal://")]
        assert webcals, page
        for href in webcals:
            assert by_uid(feed(client, "http://" + href.removeprefix("webcal://")))
        assert any(h.startswith("https://calendar.google.com/") for h in links.anchors)
        assert any(h.startswith("https://outlook.live.com/") for h in links.anchors)


def test_event_page_offers_download_and_add_links_in_its_timezone(client):
    event = factories.event(
        title="Riga info session",
        starts_at=datetime(YEAR, 1, 15, 10, 0, tzinfo=UTC),
        timezone="Europe/Riga",
        venue="Rīgas nams",
    )
    db.session.commit()
    links = page_links(client, f"/events/{event.id}")

    assert f"{SITE}/calendar/events/{event.id}.ics" in links.anchors
    google = next(h for h in links.anchors if h.startswith("https://calendar.google.com/"))
    assert f"dates={YEAR}0115T100000Z%2F{YEAR}0115T120000Z" in google
    assert "ctz=Europe%2FRiga" in google
    outlook = next(h for h in links.anchors if h.startswith("https://outlook.live.com/"))
    assert f"startdt={YEAR}-01-15T12%3A00%3A00%2B02%3A00" in outlook


def test_finnish_pages_link_feeds_named_in_finnish(client):
    factories.event()
    db.session.commit()
    links = page_links(client, "/")
    english = [h for h in links.alternates if "lang=en" in h]
    assert english
    response = client.get("/", headers={"Accept-Language": "fi"})
    finnish = re.findall(r'href="([^"]+lang=fi[^"]*)"', response.get_data(as_text=True))
    assert finnish
    calendar = feed(client, finnish[0].replace("&amp;", "&"))
    assert str(calendar["X-WR-CALNAME"]) == "eventhub – Kaikki tapahtumat"


def test_a_fresh_worker_serves_the_feed_from_stored_calendar_entries(app, client, monkeypatch):
    from sqlalchemy import func, select

    from eventhub.core.models import EventCalendarEntry

    events = [factories.event(title=f"Talk {i}") for i in range(5)]
    db.session.commit()
    warm = client.get("/calendar/all.ics").data
    stored = db.session.scalar(select(func.count()).select_from(EventCalendarEntry))
    assert stored == 5

    def fresh_worker():
        app.extensions.pop(ical._CACHE_KEY, None)
        app.extensions.pop(ical._MEMO_KEY, None)

    def never(*_args, **_kwargs):
        raise AssertionError("a stored VEVENT was built again")

    fresh_worker()
    monkeypatch.setattr(ical, "event_component", never)
    assert client.get("/calendar/all.ics").data == warm

    # An edit makes the stored entry stale: it is built again, once, and stored.
    monkeypatch.undo()
    update_event(events[0], title="Talk renamed")
    db.session.commit()
    assert b"Talk renamed" in client.get("/calendar/all.ics").data
    fresh_worker()
    monkeypatch.setattr(ical, "event_component", never)
    assert b"Talk renamed" in client.get("/calendar/all.ics").data


def test_a_fresh_worker_serves_the_stored_feed_body_until_an_event_in_it_changes(
    app, client, monkeypatch
):
    """The assembled feed is stored per feed and revision: a worker that has just started
    answers with it after one query, assembling nothing; an edit of an event in the feed
    makes it stale for every worker."""
    events = [factories.event(title=f"Talk {i}", kind=EventKind.TRAINING) for i in range(4)]
    other = factories.event(title="Forum", kind=EventKind.FORUM)
    db.session.commit()
    first = client.get("/calendar/all.ics")
    training = client.get("/calendar/kind/training.ics").data

    def fresh_worker():
        app.extensions.pop(ical._CACHE_KEY, None)
        app.extensions.pop(ical._MEMO_KEY, None)

    def never(*_args, **_kwargs):
        raise AssertionError("the stored feed was assembled again")

    fresh_worker()
    monkeypatch.setattr(ical, "_public_body", never)
    again = client.get("/calendar/all.ics")
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]

    # An event outside a feed leaves its stored body current; one inside makes it stale.
    update_event(other, title="Forum renamed")
    db.session.commit()
    fresh_worker()
    assert client.get("/calendar/kind/training.ics").data == training
    monkeypatch.undo()
    assert b"Forum renamed" in client.get("/calendar/all.ics").data
    update_event(events[0], title="Talk renamed")
    db.session.commit()
    fresh_worker()
    assert b"Talk renamed" in client.get("/calendar/kind/training.ics").data
    fresh_worker()
    monkeypatch.setattr(ical, "_public_body", never)
    assert b"Talk renamed" in client.get("/calendar/kind/training.ics").data
