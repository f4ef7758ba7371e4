"""The low-level pieces of a signup that every format and service shares: the event's lock,
the statuses that hold or wait for a place, the seat decision, the person and organisation
a signup names, and the validated signup data.

These used to live in :mod:`eventhub.core.services.registration`, which also orchestrates a
registration and calls the formats' hooks; formats and the attendance service import this
module instead, so core has no import cycle (import-linter checks it, see
docs/architecture.md).

Every change of places happens under the event's lock: the row lock of the ``UPDATE`` that
claims the places (:func:`take_seat`) or of ``SELECT ... FOR UPDATE`` (:func:`lock_event`)
on PostgreSQL, an IMMEDIATE write transaction on SQLite.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, select
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
    Registration,
    RegistrationStatus,
    normalise_email,
)
from eventhub.core.services import capacity
from eventhub.core.services.annex import AnnexData, SpecialData
from eventhub.core.services.capacity import PLACE_HOLDING, Availability
from eventhub.core.services.errors import Refused
from eventhub.core.services.organisations import organisation_named
from eventhub.extensions import db

ACTIVE = (*PLACE_HOLDING, RegistrationStatus.WAITLISTED)


class RegistrationRefused(Refused):
    """The event does not take this registration now; ``reason`` says why."""

    def __init__(self, reason: Availability):
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Companion:
    """Somebody the person signing up brings along (a child, a colleague). Without an email
    they are reached through the person who signed up."""

    name: str
    email: str | None = None
    age_band: AgeBand | None = None
    # Answers to the event's questions asked of each companion too, by question id (text).
    answers: dict[str, object] = field(default_factory=dict)


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
    # ESF+ Annex I answers (projects that collect them); ``special`` only with the separate
    # consent to special-category questions (see core.services.annex).
    annex: AnnexData | None = None
    special: SpecialData | None = None
    # What the event's format asks on top of the common fields (a forum's discussion groups,
    # a hackathon's team), by field name; see eventhub.core.services.formats.
    format_data: dict[str, object] = field(default_factory=dict)
    # The people this signup brings along, each of whom needs a place of their own.
    companions: list[Companion] = field(default_factory=list)


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


class Placement(enum.StrEnum):
    """What an organiser adding someone by hand asks for."""

    PLACE = "place"  # a confirmed place, refused when the event is full
    PLACE_OR_WAITLIST = "place_or_waitlist"  # a place if one is free, else the waiting list


def public_status(event: Event, taken: int) -> RegistrationStatus:
    available = capacity.availability(event, taken)
    if not available.accepts_registrations:
        raise RegistrationRefused(available.state)
    if available.state == Availability.OPEN:
        return (
            RegistrationStatus.PENDING if event.requires_approval else RegistrationStatus.CONFIRMED
        )
    return RegistrationStatus.WAITLISTED


def organiser_status(event: Event, taken: int, placement: Placement) -> RegistrationStatus:
    if event.status == EventStatus.CANCELLED:
        raise RegistrationRefused(Availability.CANCELLED)
    if event.status == EventStatus.DRAFT:
        raise RegistrationRefused(Availability.UNAVAILABLE)
    if capacity.seats_left(event, taken) != 0:
        return RegistrationStatus.CONFIRMED
    if placement == Placement.PLACE_OR_WAITLIST:
        return RegistrationStatus.WAITLISTED
    raise RegistrationRefused(Availability.FULL)


def group_fit(left: int | None, size: int, may_split: bool) -> int:
    """How many of a group of ``size`` get a place when ``left`` are free (None: no limit).

    The one rule of groups, for new signups and the waiting list alike: the whole group, or,
    when it does not fit, nobody (it waits as one entry), unless the organiser lets groups be
    split, when the places left are taken and the rest wait.
    """
    if left is None or left >= size:
        return size
    return left if may_split else 0


def group_statuses(
    event: Event,
    taken: int,
    size: int,
    decide: Callable[[Event, int], RegistrationStatus],
    *,
    queue_waiting: bool = False,
) -> list[RegistrationStatus]:
    """The statuses of a group of ``size`` (the person signing up first) given ``taken``
    places held, decided by ``decide`` (one person's rule: public or organiser).

    A group that does not fit is decided as one person meeting a full event: the waiting
    list, or the refusal ``decide`` gives. With ``queue_waiting`` (somebody is already
    waiting) a newcomer never takes places ahead of them: first come, first served.
    """
    if queue_waiting and event.capacity is not None:
        taken = max(taken, event.capacity)
    left = capacity.seats_left(event, taken)
    fit = group_fit(left, size, event.groups_may_split)
    placed = [decide(event, taken)] * fit
    if fit == size:
        return placed
    full = event.capacity if event.capacity is not None else taken
    return placed + [decide(event, max(taken, full))] * (size - fit)


def take_seat(
    event_id: int, decide: Callable[[Event, int], RegistrationStatus], places: int = 1
) -> tuple[Event, RegistrationStatus]:
    """The seat decision, the only part of a signup done under the event's lock (held from
    here until the caller's commit): one ``UPDATE`` claims ``places`` if the event has them
    (:func:`capacity.claim`); else the event is locked as it stands (:func:`capacity.queue_up`)
    and ``decide`` says whether the person waits or is refused. Either way ``decide`` is
    given the event read afresh under the lock and its places taken before this signup;
    ``event.queue_last`` is the new registration's queue number."""
    event = capacity.claim(event_id, places)
    if event is not None:
        try:
            status = decide(event, event.places_taken - places)
        except RegistrationRefused:  # not a matter of places: closed, cancelled, a draft
            capacity.release(event_id, places)
            raise
        assert status in PLACE_HOLDING  # the places were free, so decide gave them
        return event, status
    event = capacity.queue_up(event_id)
    if event is None:
        raise LookupError(event_id)
    return event, decide(event, event.places_taken)


def someone_waiting(event_id: int) -> bool:
    return (
        db.session.scalar(
            select(Registration.id)
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .limit(1)
        )
        is not None
    )


def person_for(data: SignupData) -> Person:
    """The person with this email address, created if new. Safe under concurrency: the
    insert does nothing when another request created the same person first."""
    return person_and_registration(data, None)[0]


def person_and_registration(
    data: SignupData, event_id: int | None
) -> tuple[Person, Registration | None]:
    """:func:`person_for`, with the person's registration for the event if they have one
    (one query for both: a signup asks the two)."""
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
    person, registration = db.session.execute(
        select(Person, Registration)
        .outerjoin(
            Registration,
            and_(Registration.person_id == Person.id, Registration.event_id == event_id),
        )
        .where(Person.email_normalised == key)
    ).one()
    return person, registration


def organisation_for(name: str | None) -> Organisation | None:
    """The organisation a participant typed: an existing one, or a new one for an organiser
    to confirm."""
    return organisation_named(name, confirmed=False)
