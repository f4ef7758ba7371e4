"""Who came: attendance at the door, walk-ins, headcounts, and closing an event.

This module is the one definition of a participation. A participation is one
:class:`~eventhub.core.models.Attendance` row, either

- a registered person marked present (at the door, by QR code, or ticked on the printed
  sign-in sheet afterwards), or
- a walk-in: somebody who came without registering.

A person has at most one attendance row per event (a partial unique index on event and
person holds it): a registration checked in after its person was recorded as a walk-in takes
over that walk-in's row, and a walk-in added for somebody already present finds their row.

Headcounts (people counted without names: a forum audience, a talk at a fair) are kept
beside participations and never added to them. Only closed events count as held.

Who can be marked present: any registration that is not cancelled or rejected, so confirmed,
pending and waitlisted ones. At a village hall door the organiser lets in the person on the
waiting list who turns up when there is a chair for them, and the one whose approval nobody
got round to; the list shows their status so that staff can decide. Marking them present
leaves the registration's status as it is. A cancelled or rejected registration is refused:
that person is added as a walk-in instead (add_walk_in does so when given their email).

Every change takes the event's lock (:func:`registration.lock_event`, the lock that
registrations, cancellations and closing take too), checks under it, and is audited with
ids only. So a double tap records one attendance, and nothing is recorded in an event that
another request has just closed. Closed events refuse changes until a manager reopens them.
The caller commits.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    Event,
    EventStatus,
    Headcount,
    Municipality,
    Person,
    Registration,
    RegistrationStatus,
    User,
)
from eventhub.core.services import access, audit, outbox, webhooks
from eventhub.core.services.errors import Refused
from eventhub.core.services.events import update_event
from eventhub.core.services.signup import (
    ACTIVE,
    SignupData,
    lock_event,
    organisation_for,
    person_for,
)
from eventhub.core.text import fold
from eventhub.extensions import db
from eventhub.urls import external_url

# Registrations that can be marked present (see the module docstring).
CHECKABLE = ACTIVE

CHECKIN_SALT = "eventhub.checkin"

# The same walk-in sent twice within this time by the same person is one walk-in: a double
# tap on a slow connection, not a second visitor of the same name.
WALK_IN_REPEAT_WINDOW = timedelta(minutes=2)


class Refusal(enum.StrEnum):
    CLOSED = "closed"
    EVENT_CANCELLED = "event_cancelled"
    REGISTRATION_INACTIVE = "registration_inactive"
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    NOT_ALLOWED = "not_allowed"


class AttendanceRefused(Refused):
    """The change cannot be made now; :attr:`message` says why, in the reader's language."""

    def __init__(self, reason: Refusal):
        super().__init__(reason.value)
        self.reason = reason

    @property
    def message(self) -> str:
        messages = {
            Refusal.CLOSED: _(
                "Attendance of this event has been closed. A manager can reopen it to make changes."
            ),
            Refusal.EVENT_CANCELLED: _("The event is cancelled, so no attendance is recorded."),
            Refusal.REGISTRATION_INACTIVE: _(
                "This registration is cancelled or was not accepted. Add the person as a "
                "walk-in instead."
            ),
            Refusal.NOT_STARTED: _("The event has not started yet. Close it once it has begun."),
            Refusal.DRAFT: _("The event is still a draft. Publish it before closing it."),
            Refusal.NOT_ALLOWED: _("Only the event's managers can close or reopen it."),
        }
        return messages[self.reason]


# --- at the door -------------------------------------------------------------------------


def check_in(
    user: User, registration: Registration, *, via: str = "list", at: datetime | None = None
) -> bool:
    """Mark a registered person present; returns False when they were already.

    ``via`` (list, qr, walk_in, door) is recorded in the audit log. ``at`` is when the person
    was seen, when that was earlier than now (a tap made offline and uploaded later).
    """
    _lock_open(registration.event_id)
    db.session.refresh(registration)  # its status may have changed before the lock
    return check_in_locked(user, registration, via=via, at=at)[1]


def check_in_locked(
    user: User, registration: Registration, *, via: str, at: datetime | None = None, **audited
) -> tuple[Attendance, bool]:
    """:func:`check_in` for a caller that already holds the open event's lock
    (:func:`lock_open_event`) and loaded ``registration`` under it: many taps of one upload
    take the lock once. Returns the attendance and whether it is new."""
    existing = _attendance_of(registration.id)
    if existing is not None:
        return existing, False
    if registration.status not in CHECKABLE:
        raise AttendanceRefused(Refusal.REGISTRATION_INACTIVE)
    attendance = _record_registered(user, registration)
    if at is not None:
        attendance.recorded_at = at
    audit.record(
        "checked_in", event=registration.event, obj=registration, user=user, via=via,
        attendance_id=attendance.id, **audited,
    )  # fmt: skip
    return attendance, True


def undo_check_in(user: User, registration: Registration) -> bool:
    """Take back a check-in; returns False when the person was not marked present."""
    _lock_open(registration.event_id)
    return undo_check_in_locked(user, registration)


def undo_check_in_locked(user: User, registration: Registration, **audited) -> bool:
    """:func:`undo_check_in` for a caller holding the open event's lock."""
    attendance = _attendance_of(registration.id)
    if attendance is None:
        return False
    db.session.delete(attendance)
    db.session.flush()
    audit.record(
        "check_in_undone", event=registration.event, obj=registration, user=user, **audited
    )
    return True


def lock_open_event(event_id: int) -> Event:
    """The event, locked until the transaction ends, if its attendance may still change;
    raises :class:`AttendanceRefused` otherwise."""
    return _lock_open(event_id)


@dataclass(frozen=True)
class WalkInResult:
    attendance: Attendance
    # The person turned out to be registered: their registration was checked in instead.
    was_registered: bool
    # Nothing new was recorded: the same person had been recorded already.
    repeated: bool


def add_walk_in(
    user: User,
    event: Event,
    name: str,
    email: str | None = None,
    organisation_name: str | None = None,
    municipality_id: int | None = None,
    *,
    at: datetime | None = None,
    once: bool = False,
) -> WalkInResult:
    """Record somebody who came without registering, as present.

    With an email the person is the one with that address (created if new). If they hold an
    active registration for this event after all, that registration is checked in; if they
    are already recorded, nothing new is added. Without an email the person is new (there is
    no way to tell two people of the same name apart), except that the same name sent again
    by the same organiser within :data:`WALK_IN_REPEAT_WINDOW` is taken as a double tap. A
    typed organisation is an existing one of that name or a new unconfirmed one.

    ``once``: the caller already knows this walk-in is not a repeat (the check-in app gives
    every tap an id and applies it once), so two visitors of the same name typed within the
    window are two walk-ins. ``at`` is when they came, when that was before now.
    """
    name = " ".join(name.split())
    email = (email or "").strip() or None
    if municipality_id is not None and db.session.get(Municipality, municipality_id) is None:
        municipality_id = None
    person = None
    if email is not None:
        person = person_for(
            SignupData(
                name=name, email=email, locale=event.language, municipality_id=municipality_id
            )
        )
    event = _lock_open(event.id)

    if person is not None:
        registration = db.session.scalar(
            select(Registration).where(
                Registration.event_id == event.id, Registration.person_id == person.id
            )
        )
        if registration is not None and registration.status in CHECKABLE:
            existing = _attendance_of(registration.id)
            if existing is not None:
                return WalkInResult(existing, was_registered=True, repeated=True)
            attendance = _record_registered(user, registration)
            audit.record(
                "checked_in", event=event, obj=registration, user=user, via="walk_in",
                attendance_id=attendance.id,
            )  # fmt: skip
            return WalkInResult(attendance, was_registered=True, repeated=False)
        existing = db.session.scalar(
            select(Attendance).where(
                Attendance.event_id == event.id, Attendance.person_id == person.id
            )
        )
        if existing is not None:
            return WalkInResult(existing, was_registered=False, repeated=True)
    else:
        repeated = None if once else _recent_walk_in(user, event, name)
        if repeated is not None:
            return WalkInResult(repeated, was_registered=False, repeated=True)
        person = Person(name=name, municipality_id=municipality_id, locale=event.language)
        db.session.add(person)

    attendance = Attendance(
        event_id=event.id,
        person=person,
        organisation=organisation_for(organisation_name),
        municipality_id=municipality_id or person.municipality_id,
        walk_in_name=name,
        recorded_by_id=user.id,
        recorded_at=at or utcnow(),
    )
    db.session.add(attendance)
    db.session.flush()
    audit.record("walk_in_added", event=event, obj=attendance, user=user, with_email=bool(email))
    webhooks.emit(webhooks.Action.ATTENDANCE_RECORDED, event, attendance_id=attendance.id)
    return WalkInResult(attendance, was_registered=False, repeated=False)


def remove_walk_in(user: User, attendance: Attendance) -> None:
    """Take back a walk-in recorded by mistake (the person row stays: it may be shared)."""
    if attendance.registration_id is not None:
        raise ValueError("not a walk-in")
    event = _lock_open(attendance.event_id)
    audit.record("walk_in_removed", event=event, obj=attendance, user=user)
    db.session.delete(attendance)
    db.session.flush()


def add_headcount(
    user: User, event: Event, count: int, note: str = "", *, at: datetime | None = None
) -> Headcount:
    """Record people counted without names; several counts of one event add up."""
    if count < 0:
        raise ValueError("a headcount cannot be negative")
    event = _lock_open(event.id)
    headcount = Headcount(
        event_id=event.id, count=count, note=note.strip(), recorded_by_id=user.id,
        recorded_at=at or utcnow(),
    )  # fmt: skip
    db.session.add(headcount)
    db.session.flush()
    audit.record("headcount_added", event=event, obj=headcount, user=user, count=count)
    webhooks.emit(webhooks.Action.ATTENDANCE_RECORDED, event, headcount_id=headcount.id)
    return headcount


def set_headcount(user: User, headcount: Headcount, count: int, note: str | None = None) -> None:
    """Correct a headcount."""
    if count < 0:
        raise ValueError("a headcount cannot be negative")
    event = _lock_open(headcount.event_id)
    before = headcount.count
    headcount.count = count
    if note is not None:
        headcount.note = note.strip()
    headcount.recorded_by_id = user.id
    headcount.recorded_at = utcnow()
    db.session.flush()
    audit.record(
        "headcount_changed", event=event, obj=headcount, user=user, before=before, count=count
    )


def remove_headcount(user: User, headcount: Headcount) -> None:
    event = _lock_open(headcount.event_id)
    audit.record("headcount_removed", event=event, obj=headcount, user=user, count=headcount.count)
    db.session.delete(headcount)
    db.session.flush()


@dataclass(frozen=True)
class SheetResult:
    added: int
    removed: int


def record_sheet(user: User, event: Event, attended_registration_ids: Iterable[int]) -> SheetResult:
    """Enter the ticks of a printed sign-in sheet afterwards.

    The ticked registrations of the event are present and the unticked ones are not, exactly
    like the checkbox list the organiser submits. Ids of other events, and unticked
    registrations that cannot be checked in, are left alone.
    """
    event = _lock_open(event.id)
    wanted = set(attended_registration_ids)
    registrations = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.status.in_(CHECKABLE)
        )
    ).all()
    present = {
        a.registration_id: a
        for a in db.session.scalars(
            select(Attendance).where(
                Attendance.event_id == event.id, Attendance.registration_id.is_not(None)
            )
        )
    }
    added = removed = 0
    for registration in registrations:
        if registration.id in wanted and registration.id not in present:
            _record_registered(user, registration)
            added += 1
        elif registration.id not in wanted and registration.id in present:
            db.session.delete(present[registration.id])
            removed += 1
    db.session.flush()
    if added or removed:
        audit.record("sheet_recorded", event=event, obj=event, user=user, added=added,
                     removed=removed)  # fmt: skip
    return SheetResult(added, removed)


# --- closing -----------------------------------------------------------------------------


def close_event(user: User, event: Event, report: str = "") -> bool:
    """The organiser confirms the attendance is complete: the event counts as held.

    Only the event's managers (and admins) may close it, only once it has started. Closing a
    closed event again changes nothing (returns False). The caller commits.
    """
    if not access.may_manage_event(user, event):
        raise AttendanceRefused(Refusal.NOT_ALLOWED)
    event = _lock(event.id)
    if event.closed_at is not None:
        return False
    if event.status == EventStatus.CANCELLED:
        raise AttendanceRefused(Refusal.EVENT_CANCELLED)
    if event.status == EventStatus.DRAFT:
        raise AttendanceRefused(Refusal.DRAFT)
    if utcnow() < event.starts_at:
        raise AttendanceRefused(Refusal.NOT_STARTED)
    event.closed_at = utcnow()
    event.closing_report = report.strip()
    update_event(event, status=EventStatus.HELD)
    summary = attendance_summary(event.id)
    audit.record(
        "event_closed", event=event, obj=event, user=user,
        participations=summary.participations, headcount=summary.headcount,
    )  # fmt: skip
    return True


def reopen_event(user: User, event: Event) -> bool:
    """Reopen a closed event so that its attendance can be corrected. It no longer counts as
    held until it is closed again. Returns False when it was not closed."""
    if not access.may_manage_event(user, event):
        raise AttendanceRefused(Refusal.NOT_ALLOWED)
    event = _lock(event.id)
    if event.closed_at is None:
        return False
    event.closed_at = None
    update_event(event, status=EventStatus.PUBLISHED)
    audit.record("event_reopened", event=event, obj=event, user=user)
    return True


# --- reading: for the door list, the registration list, exports and indicators ------------


@dataclass(frozen=True)
class AttendanceSummary:
    """How an event went. ``participations`` is what indicators count; ``headcount`` is
    reported beside it, never added."""

    confirmed: int = 0  # registrations holding a confirmed place
    present: int = 0  # registered people marked present (of any checkable status)
    walk_ins: int = 0
    headcount: int = 0

    @property
    def participations(self) -> int:
        return self.present + self.walk_ins


def attended_registration_ids(event_id: int) -> set[int]:
    """The registrations of an event marked present: for registration lists and exports."""
    return set(
        db.session.scalars(
            select(Attendance.registration_id).where(
                Attendance.event_id == event_id, Attendance.registration_id.is_not(None)
            )
        )
    )


def attendance_summaries(event_ids: Sequence[int]) -> dict[int, AttendanceSummary]:
    """Summaries of many events in three queries; events without any data get zeros."""
    ids = list(event_ids)
    if not ids:
        return {}
    confirmed = dict(
        db.session.execute(
            select(Registration.event_id, func.count())
            .where(
                Registration.event_id.in_(ids),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .group_by(Registration.event_id)
        ).all()
    )
    attended = {
        event_id: (present, walk_ins)
        for event_id, present, walk_ins in db.session.execute(
            select(
                Attendance.event_id,
                func.count(Attendance.registration_id),
                func.count().filter(Attendance.registration_id.is_(None)),
            )
            .where(Attendance.event_id.in_(ids))
            .group_by(Attendance.event_id)
        ).all()
    }
    counted = dict(
        db.session.execute(
            select(Headcount.event_id, func.sum(Headcount.count))
            .where(Headcount.event_id.in_(ids))
            .group_by(Headcount.event_id)
        ).all()
    )
    return {
        event_id: AttendanceSummary(
            confirmed=confirmed.get(event_id, 0),
            present=attended.get(event_id, (0, 0))[0],
            walk_ins=attended.get(event_id, (0, 0))[1],
            headcount=int(counted.get(event_id) or 0),
        )
        for event_id in ids
    }


def attendance_summary(event_id: int) -> AttendanceSummary:
    return attendance_summaries([event_id])[event_id]


@dataclass(frozen=True)
class DoorRow:
    """One line of the check-in list: a registration, or a walk-in."""

    name: str
    organisation: str
    registration: Registration | None
    attendance: Attendance | None
    # A companion: the name of the person who signed them up ("with ..."); "" otherwise.
    lead: str = ""

    @property
    def present(self) -> bool:
        return self.attendance is not None

    @property
    def key(self) -> str:
        if self.registration is not None:
            return f"r{self.registration.id}"
        assert self.attendance is not None  # a row is a registration or a walk-in
        return f"w{self.attendance.id}"


def door_list(event: Event, query: str = "") -> list[DoorRow]:
    """The people expected or recorded at an event, by name, matching ``query``.

    Matching ignores case and accents (``aijala`` finds Äijälä: phone keyboards make accents
    slow to type) and looks at the name and the organisation; every word must match.
    """
    attendances = db.session.scalars(
        select(Attendance)
        .where(Attendance.event_id == event.id)
        .options(joinedload(Attendance.organisation))
    ).all()
    by_registration = {a.registration_id: a for a in attendances if a.registration_id}
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(joinedload(Registration.person), joinedload(Registration.organisation))
    ).all()
    # A companion's lead is a registration of the same event: already read here.
    names = {r.id: r.person.name for r in registrations}
    rows = [
        DoorRow(
            name=r.person.name,
            organisation=r.organisation.name if r.organisation else "",
            registration=r,
            attendance=by_registration.get(r.id),
            lead=names.get(r.lead_id, "") if r.lead_id else "",
        )
        for r in registrations
        if r.status in CHECKABLE or r.id in by_registration
    ]
    rows += [
        DoorRow(
            name=a.walk_in_name or "",
            organisation=a.organisation.name if a.organisation else "",
            registration=None,
            attendance=a,
        )
        for a in attendances
        if a.registration_id is None
    ]
    words = fold(query).split()
    if words:
        rows = [
            r for r in rows if all(w in fold(f"{r.name} {r.organisation} {r.lead}") for w in words)
        ]
    return sorted(rows, key=lambda r: (fold(r.name), r.key))


def door_row(event: Event, registration: Registration) -> DoorRow:
    """The check-in list line of one registration, as it is now."""
    return DoorRow(
        name=registration.person.name,
        organisation=registration.organisation.name if registration.organisation else "",
        registration=registration,
        attendance=_attendance_of(registration.id),
        lead=registration.lead.person.name if registration.lead is not None else "",
    )


def sheet_registrations(event: Event) -> list[Registration]:
    """Who goes on the printed sign-in sheet and the ticks page: everyone checkable, by name."""
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_(CHECKABLE))
        .options(joinedload(Registration.person), joinedload(Registration.organisation))
    ).all()
    return sorted(registrations, key=lambda r: (fold(r.person.name), r.id))


def is_on_today(event: Event) -> bool:
    """Whether today, in the event's own zone, is one of the event's days: the door list
    says so plainly when it is not (a check-in two weeks early is usually a mistake)."""
    today = utcnow().astimezone(event.tz).date()
    return event.local_start.date() <= today <= event.local_end.date()


# --- QR check-in -------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CHECKIN_SALT)


def checkin_token(registration: Registration) -> str:
    """A signed, unguessable reference to a registration for its check-in link.

    It grants nothing by itself: the link opens only for signed-in staff of the event.
    """
    return _serializer().dumps(registration.id)


def registration_for_token(token: str) -> Registration | None:
    if not token or len(token) > 200:
        return None
    try:
        registration_id = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(registration_id, int):
        return None
    return db.session.get(Registration, registration_id)


def checkin_url(registration: Registration) -> str:
    return external_url("manage.qr_checkin", token=checkin_token(registration))


def offers_checkin_qr(registration: Registration) -> bool:
    """Whether the participant is given a check-in QR code: a confirmed place at an event
    with a door (online-only events have none)."""
    event = registration.event
    return (
        registration.status == RegistrationStatus.CONFIRMED
        and event.status != EventStatus.CANCELLED
        and bool(event.venue or event.address or not event.online_url)
    )


def checkin_qr(registration: Registration) -> segno.QRCode:
    return segno.make(checkin_url(registration), error="m")


def checkin_qr_png(registration: Registration) -> bytes:
    """The check-in QR code as a PNG, as mailed (the outbox draws it when sending)."""
    return outbox.qr_png(checkin_url(registration))


def checkin_qr_data_uri(registration: Registration) -> str:
    return qr_data_uri(checkin_url(registration))


def qr_data_uri(content: str) -> str:
    """A QR code of ``content`` as an SVG data URI, for an <img>."""
    return segno.make(content, error="m").svg_data_uri(scale=5, border=4)


# --- inside -------------------------------------------------------------------------------


def _lock(event_id: int) -> Event:
    event = lock_event(event_id)
    if event is None:
        raise LookupError(event_id)
    db.session.refresh(event)  # an earlier read in this transaction may be stale
    return event


def _lock_open(event_id: int) -> Event:
    """The event, locked, if its attendance may still change."""
    event = _lock(event_id)
    if event.closed_at is not None:
        raise AttendanceRefused(Refusal.CLOSED)
    if event.status == EventStatus.CANCELLED:
        raise AttendanceRefused(Refusal.EVENT_CANCELLED)
    return event


def _attendance_of(registration_id: int) -> Attendance | None:
    return db.session.scalar(
        select(Attendance).where(Attendance.registration_id == registration_id)
    )


def _walk_in_of(event_id: int, person_id: int) -> Attendance | None:
    """The walk-in row of a person at an event (one without a registration), if any."""
    return db.session.scalar(
        select(Attendance).where(
            Attendance.event_id == event_id,
            Attendance.person_id == person_id,
            Attendance.registration_id.is_(None),
        )
    )


def _record_registered(user: User, registration: Registration) -> Attendance:
    """Mark a registration present.

    A person has at most one attendance row per event (a partial unique index holds it too):
    when they were recorded as a walk-in first (came with their email and registered
    afterwards, or were typed in before the organiser found their registration) that row
    takes the registration instead of a second row being added. It is then an ordinary
    check-in: the walk-in name goes (the person's name is the name, and anonymisation treats
    it as registered), and undoing the check-in removes it like any other.
    """
    attendance = db.session.scalar(
        select(Attendance).where(
            Attendance.event_id == registration.event_id,
            Attendance.person_id == registration.person_id,
            Attendance.registration_id.is_(None),
        )
    )
    if attendance is None:
        attendance = Attendance(event_id=registration.event_id, person_id=registration.person_id)
        db.session.add(attendance)
    attendance.registration_id = registration.id
    attendance.walk_in_name = None
    attendance.organisation_id = registration.organisation_id or attendance.organisation_id
    attendance.municipality_id = (
        registration.municipality_id
        or registration.person.municipality_id
        or attendance.municipality_id
    )
    attendance.place_id = registration.place_id or attendance.place_id
    attendance.recorded_by_id = user.id
    db.session.flush()
    webhooks.emit(
        webhooks.Action.ATTENDANCE_RECORDED,
        registration.event,
        registration_id=registration.id,
        attendance_id=attendance.id,
    )
    return attendance


def _recent_walk_in(user: User, event: Event, name: str) -> Attendance | None:
    since = utcnow() - WALK_IN_REPEAT_WINDOW
    candidates = db.session.scalars(
        select(Attendance).where(
            Attendance.event_id == event.id,
            Attendance.registration_id.is_(None),
            Attendance.recorded_by_id == user.id,
            Attendance.recorded_at >= since,
        )
    ).all()
    key = fold(name)
    for attendance in candidates:
        person = attendance.person
        if fold(attendance.walk_in_name or "") == key and (person is None or not person.email):
            return attendance
    return None
