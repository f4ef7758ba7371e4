"""The one definition of places taken, seats left and whether registration is open."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from eventhub.core.db import utcnow
from eventhub.core.models import Event, EventStatus, Registration, RegistrationStatus
from eventhub.extensions import db

# Pending registrations hold their place while an organiser decides, so approving one can
# never overbook the event.
PLACE_HOLDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)


class Availability(enum.StrEnum):
    OPEN = "open"  # places left
    WAITLIST = "waitlist"  # full, new registrations go to the waiting list
    FULL = "full"  # full, no waiting list
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"  # registration window over, or the event has ended
    CANCELLED = "cancelled"
    UNAVAILABLE = "unavailable"  # draft or held


@dataclass(frozen=True)
class EventAvailability:
    state: Availability
    seats_left: int | None  # None: unlimited

    @property
    def accepts_registrations(self) -> bool:
        return self.state in (Availability.OPEN, Availability.WAITLIST)


def places_taken(event_ids: Sequence[int]) -> dict[int, int]:
    """Confirmed and pending registrations per event."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Registration.event_id, func.count())
        .where(Registration.event_id.in_(event_ids), Registration.status.in_(PLACE_HOLDING))
        .group_by(Registration.event_id)
    ).all()
    return dict(rows)


def count_taken(event_id: int) -> int:
    return places_taken([event_id]).get(event_id, 0)


def seats_left(event: Event, taken: int) -> int | None:
    if event.capacity is None:
        return None
    return max(event.capacity - taken, 0)


def availability(event: Event, taken: int, now: datetime | None = None) -> EventAvailability:
    """Whether and how the event takes registrations right now."""
    now = now or utcnow()
    left = seats_left(event, taken)
    if event.status == EventStatus.CANCELLED:
        state = Availability.CANCELLED
    elif event.status != EventStatus.PUBLISHED:
        state = Availability.UNAVAILABLE
    elif event.registration_opens_at and now < event.registration_opens_at:
        state = Availability.NOT_YET_OPEN
    elif (event.registration_closes_at and now >= event.registration_closes_at) or (
        now >= event.ends_at
    ):
        state = Availability.CLOSED
    elif left is None or left > 0:
        state = Availability.OPEN
    elif event.waitlist_enabled:
        state = Availability.WAITLIST
    else:
        state = Availability.FULL
    return EventAvailability(state, left)


def availability_many(events: Sequence[Event]) -> dict[int, EventAvailability]:
    taken = places_taken([e.id for e in events])
    now = utcnow()
    return {e.id: availability(e, taken.get(e.id, 0), now) for e in events}


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first person waiting; None when not on the waiting list."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.queue_no < registration.queue_no,
        )
    )
    return (ahead or 0) + 1
