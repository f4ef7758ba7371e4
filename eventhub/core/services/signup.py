"""The low-level pieces of a signup that every format and service shares: the event's lock,
the statuses that hold or wait for a place, the seat decision, the person and organisation
a signup names, and the validated signup data.

These used to live in :mod:`eventhub.core.services.registration`, which also orchestrates a
registration and calls the formats' hooks; formats and the attendance service import this
module instead, so core has no import cycle (import-linter checks it, see
docs/architecture.md).

Every change of places happens under the event's lock: ``SELECT ... FOR UPDATE`` of the
event row on PostgreSQL, an IMMEDIATE write transaction on SQLite (:func:`lock_event`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

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


def places_and_queue(event_id: int) -> tuple[int, int]:
    """Places held and the highest queue number so far, in one query."""
    taken, last, _ = places_queue_and_existing(event_id, None)
    return taken, last


def places_queue_and_existing(event_id: int, person_id: int | None) -> tuple[int, int, int | None]:
    """Places held, the highest queue number so far and the id of this person's registration
    (if any), in one query: a signup asks all three under the lock."""
    taken, last, existing = db.session.execute(
        select(
            func.count().filter(Registration.status.in_(PLACE_HOLDING)),
            func.coalesce(func.max(Registration.queue_no), 0),
            func.max(Registration.id).filter(Registration.person_id == person_id),
        ).where(Registration.event_id == event_id)
    ).one()
    return taken, last, existing


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
