"""Signing up, cancelling and the waiting list: the rules of who gets a place.

Every change of places happens under the event's lock: ``SELECT ... FOR UPDATE`` of the event
row on PostgreSQL, an IMMEDIATE write transaction on SQLite. The lock is taken late (the
person and organisation are resolved first) and held until the caller's commit, so seats
left is checked and the registration inserted with no other registration in between. Queue
numbers record arrival order; the waiting list is served strictly first come, first served.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import (
    AgeBand,
    Event,
    EventStatus,
    Gender,
    LabourStatus,
    Organisation,
    Person,
    Place,
    Registration,
    RegistrationStatus,
    normalise_email,
)
from eventhub.core.services import capacity, formats, ical, messages
from eventhub.core.services.capacity import PLACE_HOLDING, Availability
from eventhub.core.services.organisations import organisation_named
from eventhub.core.services.tokens import hash_token, new_token
from eventhub.extensions import db

ACTIVE = (*PLACE_HOLDING, RegistrationStatus.WAITLISTED)


class RegistrationRefused(Exception):
    """The event does not take this registration now; ``reason`` says why."""

    def __init__(self, reason: Availability):
        super().__init__(reason.value)
        self.reason = reason


class Outcome(enum.StrEnum):
    CREATED = "created"
    ALREADY_REGISTERED = "already_registered"


@dataclass
class SignupData:
    """What a participant gave on the form, already validated."""

    name: str
    email: str
    locale: str
    phone: str | None = None
    organisation_name: str | None = None
    municipality_id: int | None = None
    # A place below a municipality (where the event's country has them); its municipality is
    # taken when none was chosen.
    place_id: int | None = None
    accessibility_needs: str = ""
    dietary_needs: str = ""
    answers: dict[str, object] = field(default_factory=dict)
    gender: Gender | None = None
    age_band: AgeBand | None = None
    labour_status: LabourStatus | None = None
    # What the event's format asks on top of the common fields (a forum's discussion groups,
    # a hackathon's team), by field name; see eventhub.core.services.formats.
    format_data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SignupResult:
    outcome: Outcome
    registration: Registration
    # What the participant should be told beside the registration itself, e.g. that a chosen
    # discussion group was full (the rest of the choice was kept).
    notes: tuple[str, ...] = ()


def lock_event(event_id: int) -> Event | None:
    """Load the event holding its lock until the transaction ends.

    The row is read afresh under the lock (``populate_existing``): an Event loaded earlier in
    the request may hold values another transaction has changed since, such as its capacity.
    """
    begin_write(db.session)
    return db.session.scalars(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def register(event_id: int, data: SignupData) -> SignupResult:
    """Register a person for an event, or re-send the link of their existing registration.

    The caller commits. Raises :class:`RegistrationRefused` when the event takes no
    registrations (closed, cancelled, full without a waiting list).
    """
    return _register(
        event_id, data, _public_status, blocking=(*ACTIVE, RegistrationStatus.REJECTED)
    )


class Placement(enum.StrEnum):
    """What an organiser adding someone by hand asks for."""

    PLACE = "place"  # a confirmed place, refused when the event is full
    PLACE_OR_WAITLIST = "place_or_waitlist"  # a place if one is free, else the waiting list


def register_by_organiser(event_id: int, data: SignupData, placement: Placement) -> SignupResult:
    """An organiser registers someone by hand (a phone call, a paper form).

    The same rules as :func:`register` except: the registration window does not apply and no
    approval is needed (the organiser is the one who approves). Capacity does apply: the
    person is confirmed only into a free place; when the event is full they go to the waiting
    list only if the organiser chose :attr:`Placement.PLACE_OR_WAITLIST` (even when the event
    has no public waiting list), otherwise :class:`RegistrationRefused` (``FULL``). Drafts and
    cancelled events are refused. A cancelled or rejected registration of the same person is
    taken up again; an active one is returned as ``ALREADY_REGISTERED``, with no mail. The
    caller commits.
    """
    decide = partial(_organiser_status, placement=placement)
    return _register(event_id, data, decide, blocking=ACTIVE, resend_link=False)


def _public_status(event: Event, taken: int) -> RegistrationStatus:
    available = capacity.availability(event, taken)
    if not available.accepts_registrations:
        raise RegistrationRefused(available.state)
    if available.state == Availability.OPEN:
        return (
            RegistrationStatus.PENDING if event.requires_approval else RegistrationStatus.CONFIRMED
        )
    return RegistrationStatus.WAITLISTED


def _organiser_status(event: Event, taken: int, placement: Placement) -> RegistrationStatus:
    if event.status == EventStatus.CANCELLED:
        raise RegistrationRefused(Availability.CANCELLED)
    if event.status == EventStatus.DRAFT:
        raise RegistrationRefused(Availability.UNAVAILABLE)
    if capacity.seats_left(event, taken) != 0:
        return RegistrationStatus.CONFIRMED
    if placement == Placement.PLACE_OR_WAITLIST:
        return RegistrationStatus.WAITLISTED
    raise RegistrationRefused(Availability.FULL)


def _register(
    event_id: int,
    data: SignupData,
    decide: Callable[[Event, int], RegistrationStatus],
    *,
    blocking: tuple[RegistrationStatus, ...],
    resend_link: bool = True,
) -> SignupResult:
    """The one way a registration is made: ``decide`` gives its status from the event and
    its places taken, under the event's lock, or raises :class:`RegistrationRefused`."""
    begin_write(db.session)
    person = person_for(data)
    organisation = organisation_for(data.organisation_name)

    event = lock_event(event_id)
    if event is None:
        raise LookupError(event_id)
    existing = db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.person_id == person.id
        )
    )
    if existing is not None and existing.status in blocking:
        if resend_link:
            # A fresh manage link, and a fresh calendar feed address on the page it opens:
            # the old ones stop working (see ical.rotate_feed_secret for why now).
            token = _rotate_token(existing)
            ical.rotate_feed_secret(person)
            messages.manage_link(existing, token)
        notes = formats.after_register(existing, data, created=False)
        return SignupResult(Outcome.ALREADY_REGISTERED, existing, notes)

    taken, last_queue_no = _places_and_queue(event.id)
    status = decide(event, taken)

    registration = existing or Registration(event=event, person=person)
    token, token_hash = new_token()
    registration.status = status
    registration.queue_no = last_queue_no + 1
    registration.manage_token_hash = token_hash
    _apply_details(registration, data, organisation)
    registration.locale = data.locale
    registration.consent_at = utcnow()
    registration.cancelled_at = None
    registration.confirmed_at = utcnow() if status == RegistrationStatus.CONFIRMED else None
    db.session.add(registration)
    db.session.flush()
    # The format's part (groups, team) in the same transaction, still under the event's lock.
    notes = formats.after_register(registration, data, created=True)
    messages.registration_received(registration, token)
    return SignupResult(Outcome.CREATED, registration, notes)


def cancel(registration: Registration) -> list[Registration]:
    """Cancel a registration and give its place to the waiting list at once.

    Returns the registrations promoted. The caller commits.
    """
    lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status not in ACTIVE:
        return []
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = utcnow()
    db.session.flush()
    messages.cancellation_receipt(registration)
    return fill_from_waitlist(registration.event)


def fill_from_waitlist(event: Event) -> list[Registration]:
    """Promote waiting people, first come first served, while the event has places.

    Must be called with the event locked (see :func:`lock_event`). Nobody is promoted into
    an event that is cancelled, closed or over: a place given then would help nobody and would
    change the figures of an event already reported.
    """
    if event.status != EventStatus.PUBLISHED or event.closed_at or utcnow() >= event.ends_at:
        return []
    taken, _ = _places_and_queue(event.id)
    left = capacity.seats_left(event, taken)
    if left == 0:
        return []
    stmt = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.queue_no, Registration.id)
    )
    if left is not None:
        stmt = stmt.limit(left)
    promoted = list(db.session.scalars(stmt))
    for registration in promoted:
        if event.requires_approval:
            registration.status = RegistrationStatus.PENDING
        else:
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = utcnow()
    db.session.flush()
    for registration in promoted:
        messages.promoted(registration)
    return promoted


def by_token(token: str) -> Registration | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(Registration).where(Registration.manage_token_hash == hash_token(token))
    )


def update_details(registration: Registration, data: SignupData) -> None:
    """A participant edits their own registration from the manage link. The caller commits."""
    registration.person.name = data.name
    registration.person.phone = data.phone
    _apply_details(registration, data, organisation_for(data.organisation_name))
    db.session.flush()


def _apply_details(
    registration: Registration, data: SignupData, organisation: Organisation | None
) -> None:
    """What the participant tells about this registration, from the signup or manage form."""
    registration.organisation = organisation
    registration.municipality_id = data.municipality_id
    registration.place_id = data.place_id
    if data.place_id is not None and data.municipality_id is None:
        place = db.session.get(Place, data.place_id)
        registration.municipality_id = place.municipality_id if place else None
    registration.answers = data.answers
    registration.accessibility_needs = data.accessibility_needs
    registration.dietary_needs = data.dietary_needs
    registration.gender = data.gender
    registration.age_band = data.age_band
    registration.labour_status = data.labour_status


def _places_and_queue(event_id: int) -> tuple[int, int]:
    """Places held and the highest queue number so far, in one query."""
    taken, last = db.session.execute(
        select(
            func.count().filter(Registration.status.in_(PLACE_HOLDING)),
            func.coalesce(func.max(Registration.queue_no), 0),
        ).where(Registration.event_id == event_id)
    ).one()
    return taken, last


def _rotate_token(registration: Registration) -> str:
    """A fresh manage link; the old one stops working (only hashes are kept)."""
    token, token_hash = new_token()
    registration.manage_token_hash = token_hash
    return token


def person_for(data: SignupData) -> Person:
    """The person with this email address, created if new. Safe under concurrency: the
    insert does nothing when another request created the same person first."""
    key = normalise_email(data.email)
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    db.session.execute(
        insert(Person)
        .values(
            email_normalised=key,
            email=data.email.strip(),
            name=data.name,
            phone=data.phone,
            municipality_id=data.municipality_id,
            locale=data.locale,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["email_normalised"])
    )
    person = db.session.scalars(select(Person).where(Person.email_normalised == key)).one()
    return person


def organisation_for(name: str | None) -> Organisation | None:
    """The organisation a participant typed: an existing one, or a new one for an organiser
    to confirm."""
    return organisation_named(name, confirmed=False)
