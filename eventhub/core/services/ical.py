"""Calendar files (RFC 5545) for events: single downloads, public feeds and personal feeds.

Each event's VEVENT is built once per revision and kept, serialised, in a small in-process
cache keyed by everything the bytes depend on (the event's id, ``updated_at`` and
``sequence``, its project's ``updated_at``, its municipality's name, and the site's address).
A feed then only reads those keys from the database and concatenates cached bytes, so a warm
feed of ten thousand events costs little more than the query. The same bytes are stored
in the database per revision (``EventCalendarEntry``), so a worker that has just started
reads them rather than building every VEVENT again. VTIMEZONE components are generated from
zoneinfo for the years the feed spans (services.vtimezone), also cached.

Public feeds hold public events only, and nothing about the people who registered. A
cancelled event stays in feeds, with ``STATUS:CANCELLED``, for 30 days after it was cancelled
so that subscribed calendars remove it; feeds cover a window of 90 days back (configurable
as ``CALENDAR_PAST_DAYS``) and all the future.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from eventhub.core import labels
from eventhub.core.db import utcnow
from eventhub.core.models import (
    CalendarFeedBody,
    Event,
    EventCalendarEntry,
    EventKind,
    EventStatus,
    Municipality,
    Organisation,
    Person,
    Project,
    Registration,
    RegistrationStatus,
)
from eventhub.core.models.project import project_organisation
from eventhub.core.services import formats, search, vtimezone
from eventhub.core.services.listing import PUBLIC_STATUSES
from eventhub.extensions import db
from eventhub.urls import external_url

PRODID = "-//eventhub//eventhub calendar 1.0//EN"
EMPTY_FEED_ZONE = "Europe/Helsinki"
DEFAULT_PAST_DAYS = 90
CANCELLED_KEPT = timedelta(days=30)
REFRESH = timedelta(hours=1)
DEFAULT_CACHE_SIZE = 50_000
# Built feeds kept for reuse while their fingerprint holds, and for at most this long, so
# that even a change the fingerprint cannot see (a municipality renamed to a name of the
# same length) reaches subscribers.
FEED_MEMO_SIZE = 64
FEED_REUSE = timedelta(minutes=10)
_FEED_SALT = "eventhub.calendar.personal-feed"  # separates these signatures from others
_CACHE_KEY = "eventhub.ical_cache"
_MEMO_KEY = "eventhub.ical_feeds"
_END = b"END:VCALENDAR\r\n"

# Registrations that appear in a personal feed, and how a not-yet-confirmed place is shown.
PERSONAL_STATUSES = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.PENDING,
    RegistrationStatus.WAITLISTED,
)
_PERSONAL_PREFIX = {
    RegistrationStatus.WAITLISTED: _l("[Waiting list] %(title)s"),
    RegistrationStatus.PENDING: _l("[Awaiting approval] %(title)s"),
}

# Control characters other than tab and newline are not allowed in iCalendar TEXT.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
_EMAIL = re.compile(r"[^@\s:;,\"'<>\\()\[\]]+@[^@\s:;,\"'<>\\()\[\]]+\.[^@\s:;,\"'<>\\()\[\]]+")


# --- one event --------------------------------------------------------------------------


def event_component(
    event: Event,
    *,
    url: str,
    registration_status: RegistrationStatus | None = None,
    stamp: datetime | None = None,
) -> icalendar.Event:
    """The VEVENT of one event.

    ``url`` is the absolute address of the event page (``URL``, and the last line of the
    description, because some calendar applications show only the description).
    ``registration_status``, for a personal feed, marks a waiting-list or pending place as
    ``TENTATIVE`` with a prefixed summary. ``stamp`` overrides ``DTSTAMP``/``LAST-MODIFIED``
    (a personal feed changes when the registration does).

    Times carry the event's own ``TZID``; the calendar must hold the matching VTIMEZONE (see
    :func:`vtimezones`). Every text value goes through :class:`icalendar.vText`, which escapes
    commas, semicolons, backslashes and newlines, so user text cannot start a new property.
    """
    revised = stamp or event.updated_at or utcnow()
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", revised.astimezone(UTC))
    if event.created_at:
        vevent.add("created", event.created_at.astimezone(UTC))
    vevent.add("last-modified", revised.astimezone(UTC))
    vevent.add("sequence", event.sequence or 0)
    vevent.add("dtstart", _zoned(event.starts_at, event.tz))
    vevent.add("dtend", _zoned(event.ends_at, event.tz))
    vevent.add("summary", icalendar.vText(_summary(event, registration_status)))
    vevent.add("description", icalendar.vText(_description(event, url)))
    location = _location(event)
    if location:
        vevent.add("location", icalendar.vText(location))
    vevent.add("url", url, parameters={"VALUE": "URI"})
    if event.online_url:
        # RFC 7986: clients that know it offer a "join" button; URL stays for the others.
        vevent.add(
            "conference",
            _line(event.online_url),
            parameters={"VALUE": "URI", "FEATURE": "AUDIO,VIDEO"},
        )
    vevent.add("categories", [event.kind.value])
    vevent.add("status", _status(event, registration_status))
    if event.project is not None:
        _add_organizer(vevent, event.project)
    return vevent


def programme_uid(event: Event, item_id: int) -> str:
    """The UID of a programme session: stable, and distinct from every event's."""
    local, _at, domain = event.uid.partition("@")
    return f"{local}-session-{item_id}@{domain or 'eventhub'}"


def session_components(event: Event, url: str) -> list[icalendar.Event]:
    """A forum's programme sessions as VEVENTs of their own, each ``RELATED-TO`` the forum
    (RFC 5545, 3.8.4.5, a child of it), so calendars show the day's sessions at their
    times. Their text is the forum's: calendar files are cached per event, not per reader."""
    sessions = []
    revised = event.updated_at or utcnow()
    for item in formats.calendar_sessions(event):
        vevent = icalendar.Event()
        vevent.add("uid", programme_uid(event, item.id))
        vevent.add("dtstamp", revised.astimezone(UTC))
        vevent.add("last-modified", revised.astimezone(UTC))
        vevent.add("sequence", event.sequence or 0)
        vevent.add("dtstart", _zoned(item.starts_at, event.tz))
        vevent.add("dtend", _zoned(item.ends_at, event.tz))
        vevent.add("summary", icalendar.vText(f"{_line(item.title)} – {_line(event.title)}"))
        details = [_CONTROL.sub("", item.description or "").strip(), _line(item.speakers)]
        details += [f"– {_line(name)}" for name in item.groups]
        details.append(url)
        vevent.add("description", icalendar.vText("\n".join(d for d in details if d)))
        place = ", ".join(p for p in (_line(item.room), _location(event)) if p)
        if place:
            vevent.add("location", icalendar.vText(place))
        vevent.add("url", url, parameters={"VALUE": "URI"})
        vevent.add("related-to", event.uid, parameters={"RELTYPE": "PARENT"})
        vevent.add("status", _status(event, None))
        sessions.append(vevent)
    return sessions


def _zoned(moment: datetime, tz: ZoneInfo) -> datetime:
    """The moment in the event's zone; in UTC when its local time falls in the hour the
    autumn change repeats. A TZID-local time cannot say which of the two it means, and
    clients disagree on which they pick, so such a moment is written unambiguously."""
    local = moment.astimezone(tz)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return moment.astimezone(UTC)
    return local


def _line(text: str | None) -> str:
    return _SPACE.sub(" ", _CONTROL.sub("", text or "")).strip()


def _summary(event: Event, registration_status: RegistrationStatus | None) -> str:
    title = _line(event.title)
    prefix = _PERSONAL_PREFIX.get(registration_status) if registration_status else None
    return str(prefix % {"title": title}) if prefix is not None else title


def _description(event: Event, url: str) -> str:
    """The description, then what the event's format adds (a forum's programme: editing it
    moves ``updated_at``, so the cached VEVENT is rebuilt), the online link and the page."""
    text = _CONTROL.sub("", (event.description or "").replace("\r\n", "\n").replace("\r", "\n"))
    parts = [text.strip(), _CONTROL.sub("", formats.calendar_text(event))]
    if event.online_url:
        parts.append(_line(event.online_url))
    parts.append(url)
    return "\n\n".join(p for p in parts if p)


def _location(event: Event) -> str:
    parts = [_line(event.venue), _line(event.address)]
    if not event.address and event.municipality is not None:
        parts.append(_line(event.municipality.name))
    place = ", ".join(p for p in parts if p)
    return place or _line(event.online_url)


def _status(event: Event, registration_status: RegistrationStatus | None) -> str:
    if event.status == EventStatus.CANCELLED:
        return "CANCELLED"
    if event.status == EventStatus.DRAFT or registration_status in _PERSONAL_PREFIX:
        return "TENTATIVE"
    return "CONFIRMED"


def _add_organizer(vevent: icalendar.Event, project: Project) -> None:
    """The project's organiser, never a participant. ORGANIZER needs an address, so without
    a contact email the organiser is named in CONTACT only."""
    name = _line(project.organiser) or _line(project.name)
    email = (project.contact_email or "").strip()
    if email and _EMAIL.fullmatch(email):
        organizer = icalendar.vCalAddress(f"mailto:{email}")
        if name:
            organizer.params["CN"] = name
        vevent.add("organizer", organizer)
    if name:
        vevent.add("contact", icalendar.vText(f"{name} <{email}>" if email else name))


def event_calendar(event: Event) -> bytes:
    """A whole calendar holding one event: the .ics download."""
    body = _assemble(
        _header(_line(event.title), source=None),
        [(event.timezone, event.starts_at, event.ends_at)],
        [_cached_vevent(event, _site_key())],
    )
    return body


def mail_calendar(event: Event, *, method: str, attendee: str | None = None) -> bytes:
    """One event as an iTIP message (RFC 5546) for a mail attachment: ``PUBLISH`` for a new
    or changed event, ``CANCEL`` for a cancelled one, with the same UID and the event's
    SEQUENCE (which grew with the change), so mail programs update or remove their copy.

    iTIP needs an ORGANIZER: the project's contact address, else the site's sender address.
    A CANCEL names the recipient as the ATTENDEE it removes; a PUBLISH names none.
    """
    vevent = event_component(event, url=external_url("events.detail", event_id=event.id))
    if "ORGANIZER" not in vevent:
        name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
        organizer = icalendar.vCalAddress(f"mailto:{address}")
        organizer.params["CN"] = (
            _line((event.project.organiser or event.project.name) if event.project else name)
            or current_app.config["SITE_NAME"]
        )
        vevent.add("organizer", organizer)
    if method == "CANCEL":
        vevent["STATUS"] = icalendar.vText("CANCELLED")
        if attendee:
            vevent.add("attendee", icalendar.vCalAddress(f"mailto:{attendee}"))
    header = _header(_line(event.title), source=None, method=method)
    return _assemble(header, [(event.timezone, event.starts_at, event.ends_at)], [vevent.to_ical()])


# --- feeds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """A calendar body and what HTTP needs to validate it."""

    body: bytes
    etag: str
    last_modified: datetime | None
    filename: str


@dataclass(frozen=True)
class FeedScope:
    """Which public events a feed holds, and what it is called."""

    label: Any  # a str, or a lazy string translated when the feed is built
    slug: str
    kind: EventKind | None = None
    project_id: int | None = None
    municipality_id: int | None = None
    # An organisation's feed: the projects it organises.
    project_ids: tuple[int, ...] | None = None

    def where(self) -> list:
        clauses = []
        if self.kind is not None:
            clauses.append(Event.kind == self.kind)
        if self.project_id is not None:
            clauses.append(Event.project_id == self.project_id)
        if self.municipality_id is not None:
            clauses.append(Event.municipality_id == self.municipality_id)
        if self.project_ids is not None:
            clauses.append(Event.project_id.in_(self.project_ids or (-1,)))
        return clauses


def has_public_events(scope: FeedScope) -> bool:
    """Whether anything public was ever in the scope. A project's or an organisation's feed
    answers only then, so counting through ids tells nobody which projects exist or which
    organisations the projects have worked with."""
    stmt = select(Event.id).where(Event.status.in_(PUBLIC_STATUSES), *scope.where()).limit(1)
    return db.session.scalar(stmt) is not None


def all_events_scope() -> FeedScope:
    return FeedScope(label=_l("All events"), slug="all")


def kind_scope(kind_value: str) -> FeedScope | None:
    try:
        kind = EventKind(kind_value)
    except ValueError:
        return None
    label = labels.KIND_PLURALS.get(kind, labels.KIND_LABELS[kind])
    return FeedScope(label=label, slug=kind.value, kind=kind)


def project_scope(project_id: int) -> FeedScope | None:
    """A project's feed, addressed by the project's id: codes may hold ``/``."""
    project = db.session.get(Project, project_id)
    if project is None:
        return None
    return FeedScope(label=project.name, slug=_slug(project.code), project_id=project.id)


def project_scope_by_reference(reference: str) -> FeedScope | None:
    """A project's feed by code or id, as old feed addresses named it."""
    project = search.find_project(reference)
    return project_scope(project.id) if project is not None else None


def municipality_scope(municipality_id: int) -> FeedScope | None:
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        return None
    return FeedScope(
        label=municipality.name,
        slug=f"municipality-{municipality.id}",
        municipality_id=municipality.id,
    )


def organisation_scope(organisation_id: int) -> FeedScope | None:
    """The events of the projects an organisation runs (``Project.organisations``).
    Unconfirmed organisations (typed into a signup form by a participant) have no feed."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not organisation.confirmed:
        return None
    project_ids = tuple(
        db.session.scalars(
            select(project_organisation.c.project_id).where(
                project_organisation.c.organisation_id == organisation.id
            )
        )
    )
    return FeedScope(
        label=organisation.name,
        slug=f"organisation-{organisation.id}",
        project_ids=project_ids,
    )


@dataclass
class _BuiltFeed:
    fingerprint: str  # the digest of _feed_state's fingerprint
    generation: int
    built_at: datetime
    checked_at: datetime
    body: bytes
    etag: str
    last_modified: datetime | None


def public_feed(scope: FeedScope, *, locale: str | None = None, source: str | None = None) -> Feed:
    """The feed of the public events in ``scope`` within the window, named in ``locale``.

    A built feed is kept and served again while nothing in it changed. Whether something
    did is asked of the database with one aggregate query (:func:`_feed_state`), at most
    every ``CALENDAR_RECHECK_SECONDS``, and at once after this process committed a change
    to an event, project or municipality; other processes' changes show within those
    seconds, well inside the five minutes feeds may be cached anyway. A changed feed is
    reassembled from cached VEVENTs, so only edited events are built again.
    """
    now = utcnow()
    with force_locale(_locale(locale)):
        name = f"{current_app.config['SITE_NAME']} – {scope.label}"
    site = _site_key()
    key: tuple = (
        scope.slug,
        scope.kind,
        scope.project_id,
        scope.municipality_id,
        scope.project_ids,
    )
    key += (name, source, site)
    memo = _memo()
    built: _BuiltFeed | None = memo.get(key)
    recheck = timedelta(seconds=current_app.config.get("CALENDAR_RECHECK_SECONDS", 5))
    generation = _generation[0]
    if built is None:  # a process that has just started, or has not served this feed lately
        built = _recently_checked(key, now, recheck, generation)
    if (
        built is None
        or built.generation != generation
        or now - built.checked_at >= recheck
        or now - built.built_at >= FEED_REUSE
    ):
        fingerprint, last_modified = _feed_state(scope, now)
        revision = _revision(fingerprint)
        if built is None or built.fingerprint != revision or now - built.built_at >= FEED_REUSE:
            built = _stored(key, revision, now, generation, last_modified) or _built(
                key, revision, now, generation, last_modified, scope, name, source, site
            )
        else:
            built.generation, built.checked_at, built.last_modified = generation, now, last_modified
        _checked(key, revision, now, last_modified)
        memo.put(key, built)
    return Feed(
        body=built.body,
        etag=built.etag,
        last_modified=built.last_modified,
        filename=f"{_slug(current_app.config['SITE_NAME'])}-{scope.slug}.ics",
    )


def _recently_checked(
    key: tuple, now: datetime, recheck: timedelta, generation: int
) -> _BuiltFeed | None:
    """The stored body, if some process found it current less than ``recheck`` ago (and
    after this process last committed a change to what feeds show): served as it is, with
    one primary-key read, as that process would serve it from its memory."""
    row = db.session.execute(
        select(CalendarFeedBody).where(
            CalendarFeedBody.feed_key == _revision(key),
            CalendarFeedBody.checked_at > max(now - recheck, _last_change[0]),
            CalendarFeedBody.built_at > now - FEED_REUSE,
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return _BuiltFeed(
        row.revision,
        generation,
        row.built_at,
        row.checked_at,
        zlib.decompress(row.body),
        row.etag,
        row.last_modified,
    )


def _stored(
    key: tuple, revision: str, now: datetime, generation: int, last_modified
) -> _BuiltFeed | None:
    """The feed's body as some process stored it, if it is current: built from the same
    fingerprint (``revision``), and not longer ago than :data:`FEED_REUSE`."""
    row = db.session.execute(
        select(CalendarFeedBody.body, CalendarFeedBody.etag, CalendarFeedBody.built_at).where(
            CalendarFeedBody.feed_key == _revision(key),
            CalendarFeedBody.revision == revision,
        )
    ).one_or_none()
    if row is None or now - row.built_at >= FEED_REUSE:
        return None
    body = zlib.decompress(row.body)
    return _BuiltFeed(revision, generation, row.built_at, now, body, row.etag, last_modified)


def _checked(key: tuple, revision: str, now: datetime, last_modified) -> None:
    """Record that the stored body was found current at ``now`` (taken before the query
    that found it so), for processes that start meanwhile (see :func:`_recently_checked`)."""
    db.session.execute(
        update(CalendarFeedBody)
        .where(
            CalendarFeedBody.feed_key == _revision(key),
            CalendarFeedBody.revision == revision,
            CalendarFeedBody.checked_at < now,
        )
        .values(checked_at=now, last_modified=last_modified)
    )


def _built(
    key: tuple,
    revision: str,
    now: datetime,
    generation: int,
    last_modified,
    scope: FeedScope,
    name: str,
    source: str | None,
    site: str,
) -> _BuiltFeed:
    """The feed built now, and stored for every process (the caller commits). Two processes
    building the same feed at once store the same bytes."""
    body = _public_body(scope, now, _header(name, source=source), site)
    etag = _etag(body)
    # Compressed (level 1: fast), a tenth of the bytes to write and to read back: reading
    # 4 MB of bytea took 30-45 ms, reading 0.4 MB and inflating it about 10.
    stored = zlib.compress(body, 1)
    values = {
        "revision": revision,
        "built_at": now,
        "checked_at": now,
        "last_modified": last_modified,
        "etag": etag,
        "body": stored,
    }
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(CalendarFeedBody)
        .values(feed_key=_revision(key), **values)
        .on_conflict_do_update(index_elements=[CalendarFeedBody.feed_key], set_=values)
    )
    return _BuiltFeed(revision, generation, now, now, body, etag, last_modified)


# Grows whenever this process commits a change to what feeds show; see _note_changes.
_generation = [0]
# When this process last committed such a change: a stored body checked before then may
# not hold it (see _recently_checked).
_last_change = [datetime.min.replace(tzinfo=UTC)]
_FEED_MODELS = (Event, Project, Municipality)


@sa_event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context) -> None:
    if any(
        isinstance(obj, _FEED_MODELS) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info["eventhub.feeds_changed"] = True


@sa_event.listens_for(Session, "after_commit")
def _note_changes(session: Session) -> None:
    if session.info.pop("eventhub.feeds_changed", False):
        _generation[0] += 1
        _last_change[0] = utcnow()


@sa_event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop("eventhub.feeds_changed", None)


def _public_body(scope: FeedScope, now: datetime, header: bytes, site: str) -> bytes:
    """The feed's bytes: VEVENTs from this process's cache, else from the database (stored
    per revision, so a freshly started worker need not build them), else built in batches
    and stored for the next worker."""
    rows = db.session.execute(
        select(
            Event.id,
            Event.updated_at,
            Event.sequence,
            Event.timezone,
            Event.starts_at,
            Event.ends_at,
            Project.updated_at,
            Municipality.name,
            EventCalendarEntry.revision,
        )
        .outerjoin(Project, Event.project_id == Project.id)
        .outerjoin(Municipality, Event.municipality_id == Municipality.id)
        .outerjoin(EventCalendarEntry, EventCalendarEntry.event_id == Event.id)
        .where(*_in_feed(now), *scope.where())
        .order_by(Event.starts_at, Event.id)
    ).all()
    cache = _cache()
    chunks: dict[int, bytes] = {}
    keys: dict[int, tuple] = {}
    stored: list[int] = []
    missing: list[int] = []
    for row in rows:
        key = (row[0], row[1], row[2], row[6], row[7], site)
        hit = cache.get(key)
        if hit is not None:
            chunks[row[0]] = hit
            continue
        keys[row[0]] = key
        (stored if row[8] == _revision(key) else missing).append(row[0])
    for start in range(0, len(stored), 500):
        for event_id, text in db.session.execute(
            select(EventCalendarEntry.event_id, EventCalendarEntry.vevent).where(
                EventCalendarEntry.event_id.in_(stored[start : start + 500])
            )
        ):
            chunks[event_id] = text.encode()
            cache.put(keys[event_id], chunks[event_id])
    built = {}
    for start in range(0, len(missing), 500):
        for event in db.session.scalars(
            select(Event)
            .where(Event.id.in_(missing[start : start + 500]))
            .options(joinedload(Event.project), joinedload(Event.municipality))
        ).unique():
            chunks[event.id] = _cached_vevent(event, site)
            built[event.id] = chunks[event.id]
    _store(built, keys)
    return _assemble(
        header,
        [(row[3], row[4], row[5]) for row in rows],
        [chunks[row[0]] for row in rows if row[0] in chunks],
    )


def _revision(key: tuple) -> str:
    """A stored entry's revision: a digest of what its bytes depend on."""
    return hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


def _store(built: dict[int, bytes], keys: dict[int, tuple]) -> None:
    """Keep built VEVENTs in the database for workers that start later (the caller
    commits). Two workers storing the same event at once both write the same bytes."""
    rows = [
        {"event_id": event_id, "revision": _revision(keys[event_id]), "vevent": chunk.decode()}
        for event_id, chunk in built.items()
    ]
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    for start in range(0, len(rows), 500):
        statement = insert(EventCalendarEntry).values(rows[start : start + 500])
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=[EventCalendarEntry.event_id],
                set_={
                    "revision": statement.excluded.revision,
                    "vevent": statement.excluded.vevent,
                },
            )
        )


def event_download(event: Event) -> Feed:
    """One event's calendar as a downloadable file."""
    body = event_calendar(event)
    revised = [event.updated_at, event.project.updated_at if event.project else None]
    return Feed(
        body=body,
        etag=_etag(body),
        last_modified=_latest(revised),
        filename=f"{_slug(event.title)[:60] or 'event'}-{event.id}.ics",
    )


def _in_feed(now: datetime) -> list:
    """Public, not ended before the window, and not cancelled more than 30 days ago."""
    cancelled_on = func.coalesce(Event.cancelled_at, Event.updated_at)
    return [
        Event.status.in_(PUBLIC_STATUSES),
        Event.ends_at >= now - timedelta(days=_past_days()),
        or_(Event.status != EventStatus.CANCELLED, cancelled_on >= now - CANCELLED_KEPT),
    ]


def _feed_state(scope: FeedScope, now: datetime) -> tuple[tuple, datetime | None]:
    """A fingerprint of what the feed holds, and when it last changed, in one query.

    Every edit moves an event's ``updated_at``, so the count and sums below change whenever
    a VEVENT or the set of events would; events leaving the window change the count; the sum
    of timestamps catches an edit that commits after a later one. Projects and
    municipalities are few and rarely edited: a change to any of them counts for every feed.
    Last-Modified is the latest edit of any event in scope, public or not (an event taken
    off the public is an edit too), or of a project, or the moment an event fell out of the
    window.
    """
    window_start = now - timedelta(days=_past_days())
    visible = and_(*_in_feed(now))
    cancelled_on = func.coalesce(Event.cancelled_at, Event.updated_at)
    cutoff = now - CANCELLED_KEPT

    def shown(expression):
        return case((visible, expression))

    row = db.session.execute(
        select(
            func.count(shown(Event.id)),
            func.sum(shown(Event.id)),
            func.sum(shown(Event.sequence)),
            func.sum(shown(_seconds(Event.updated_at))),
            select(func.sum(_seconds(Project.updated_at))).scalar_subquery(),
            select(func.sum(func.length(Municipality.name) * Municipality.id)).scalar_subquery(),
            select(func.max(Project.updated_at)).scalar_subquery(),
            func.max(Event.updated_at),
            func.max(case((Event.ends_at < window_start, Event.ends_at))),
            func.max(
                case(
                    (
                        and_(Event.status == EventStatus.CANCELLED, cancelled_on < cutoff),
                        cancelled_on,
                    )
                )
            ),
        )
        .select_from(Event)
        .where(*scope.where())
    ).one()
    project_edit, latest_edit, ended, dropped_cancelled = row[6:]
    past = timedelta(days=_past_days())
    return tuple(row[:6]), _latest(
        [
            latest_edit,
            project_edit,
            ended + past if ended else None,
            dropped_cancelled + CANCELLED_KEPT if dropped_cancelled else None,
        ]
    )


def _seconds(column):
    """A timestamp as a number, for summing. SQLite keeps UTC text; julianday() reads it."""
    if db.session.get_bind().dialect.name == "sqlite":
        return (func.julianday(column) - 2460000.0) * 86400.0
    return func.extract("epoch", column)


# --- personal feeds ---------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_FEED_SALT)


def personal_feed_token(person: Person) -> str:
    """The secret in a person's feed address. Signed with the app's secret key; whoever has
    it can read which events the person registered for, so it is shown only to them.

    The signed payload is the person's id and their :attr:`~Person.feed_secret`, so the
    address can be revoked: :func:`rotate_feed_secret` gives a new secret and every earlier
    address stops working. Until a person's secret is first rotated it is None and the
    payload is the bare id, as it always was, so addresses already subscribed keep working.
    """
    if person.feed_secret is None:
        return _serializer().dumps(person.id)
    return _serializer().dumps([person.id, person.feed_secret])


def rotate_feed_secret(person: Person) -> None:
    """Revoke a person's feed address: earlier ones stop working, and the manage page shows
    the new one. Done when somebody registers again with the person's address and is sent a
    fresh manage link (services.registration): an old link, and the feed address on the page
    it opened, may be in the wrong hands, which is why the person asked for a new one. The
    caller commits."""
    person.feed_secret = secrets.token_urlsafe(12)


def personal_feed_url(person: Person) -> str:
    """The absolute https address of a person's feed (``webcal:`` is the same minus scheme)."""
    return external_url("calendar.personal", token=personal_feed_token(person))


def person_for_token(token: str) -> Person | None:
    """The person a feed token belongs to; None for a forged or revoked token, or for an
    anonymised person."""
    if not token or len(token) > 200:
        return None
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if isinstance(payload, int) and not isinstance(payload, bool):
        person_id, secret = payload, None
    elif (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and isinstance(payload[1], str)
    ):
        person_id, secret = payload
    else:
        return None
    person = db.session.get(Person, person_id)
    if person is None or person.anonymised_at is not None:
        return None
    if secret is None or person.feed_secret is None:
        if secret is not None or person.feed_secret is not None:
            return None
    elif not hmac.compare_digest(secret, person.feed_secret):
        return None
    return person


def personal_feed(person: Person) -> Feed:
    """The events a person has a place at, is waiting for, or awaits approval for.

    Cancelled and rejected registrations are left out; events follow the same window and
    cancellation rule as public feeds. Named in the person's language.
    """
    now = utcnow()
    pairs = db.session.execute(
        select(Registration, Event)
        .join(Event, Registration.event_id == Event.id)
        .where(Registration.person_id == person.id)
        .options(joinedload(Event.project), joinedload(Event.municipality))
        .order_by(Event.starts_at, Event.id)
    ).all()
    shown_ids = set(
        db.session.scalars(
            select(Event.id).where(
                *_in_feed(now),
                Event.id.in_([event.id for _reg, event in pairs] or [-1]),
            )
        )
    )
    shown = [
        (reg, event)
        for reg, event in pairs
        if event.id in shown_ids and reg.status in PERSONAL_STATUSES
    ]
    site_name = current_app.config["SITE_NAME"]
    with force_locale(_locale(person.locale)):
        title = _("My events")
        name = f"{site_name} – {title}"
        vevents = [
            event_component(
                event,
                url=external_url("events.detail", event_id=event.id),
                registration_status=reg.status,
                stamp=_latest([event.updated_at, reg.updated_at]),
            ).to_ical()
            for reg, event in shown
        ]
    body = _assemble(
        _header(name, source=None),
        [(event.timezone, event.starts_at, event.ends_at) for _reg, event in shown],
        vevents,
    )
    # Anything about any of the person's registrations may have changed the feed.
    past = timedelta(days=_past_days())
    moments: list[datetime | None] = []
    for reg, event in pairs:
        moments += [reg.updated_at, event.updated_at]
        if event.ends_at + past <= now:
            moments.append(event.ends_at + past)
        if event.status == EventStatus.CANCELLED:
            dropped = (event.cancelled_at or event.updated_at) + CANCELLED_KEPT
            moments.append(dropped if dropped <= now else None)
    return Feed(
        body=body,
        etag=_etag(body),
        last_modified=_latest(moments),
        filename=f"{_slug(site_name)}-my-events.ics",
    )


# --- assembly ---------------------------------------------------------------------------


def _header(name: str, *, source: str | None, method: str | None = None) -> bytes:
    """VCALENDAR properties, serialised without its END line."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # No METHOD: a feed or a download is no iTIP message (RFC 5546), which would need an
    # ORGANIZER in every event; mail attachments carry one (see mail_calendar).
    if method:
        calendar.add("method", method)
    calendar.add("name", icalendar.vText(name))
    calendar.add("x-wr-calname", icalendar.vText(name))
    calendar.add("refresh-interval", icalendar.vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    if source:
        calendar.add("source", source, parameters={"VALUE": "URI"})
    return calendar.to_ical().removesuffix(_END)


def _assemble(
    header: bytes,
    spans: Iterable[tuple[str, datetime, datetime]],
    vevents: Sequence[bytes],
) -> bytes:
    years: dict[str, tuple[int, int]] = {}
    for tzid, starts_at, ends_at in spans:
        first, last = years.get(tzid, (starts_at.year, ends_at.year))
        years[tzid] = (min(first, starts_at.year), max(last, ends_at.year))
    if not years:
        # A calendar holds at least one component (RFC 5545, 3.6): an empty feed gets the
        # zone of the events it is waiting for.
        years[EMPTY_FEED_ZONE] = (utcnow().year, utcnow().year)
    return b"".join([header, *vtimezones(years), *vevents, _END])


def vtimezones(years: dict[str, tuple[int, int]]) -> list[bytes]:
    """VTIMEZONE components covering each zone's years (a year around them to spare)."""
    return [_vtimezone(tzid, first, last) for tzid, (first, last) in sorted(years.items())]


def _vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    return vtimezone.vtimezone(tzid, first_year - 1, last_year + 1)


class _LRU:
    """A bounded, thread-safe mapping; the least recently used entry goes first."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


def _cache() -> _LRU:
    cache = current_app.extensions.get(_CACHE_KEY)
    if cache is None:
        size = current_app.config.get("CALENDAR_CACHE_SIZE", DEFAULT_CACHE_SIZE)
        cache = current_app.extensions.setdefault(_CACHE_KEY, _LRU(size))
    return cache


def _memo() -> _LRU:
    memo = current_app.extensions.get(_MEMO_KEY)
    if memo is None:
        memo = current_app.extensions.setdefault(_MEMO_KEY, _LRU(FEED_MEMO_SIZE))
    return memo


def _cached_vevent(event: Event, site: str) -> bytes:
    project_updated = event.project.updated_at if event.project is not None else None
    municipality = event.municipality.name if event.municipality is not None else None
    key = (event.id, event.updated_at, event.sequence, project_updated, municipality, site)
    # Unflushed edits have not moved updated_at yet: build those afresh and keep nothing.
    stable = event.updated_at is not None and not db.session.is_modified(event)
    cache = _cache()
    chunk = cache.get(key) if stable else None
    if chunk is None:
        url = external_url("events.detail", event_id=event.id)
        chunk = b"".join(
            c.to_ical() for c in [event_component(event, url=url), *session_components(event, url)]
        )
        if stable:
            cache.put(key, chunk)
    return chunk


def _site_key() -> str:
    """The site address event URLs are built on: part of every cache key."""
    return external_url("events.index")


def _past_days() -> int:
    return int(current_app.config.get("CALENDAR_PAST_DAYS", DEFAULT_PAST_DAYS))


def _locale(wanted: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    if wanted is not None and wanted in languages:
        return wanted
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _latest(moments: Iterable[datetime | None]) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
