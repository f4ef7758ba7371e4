"""The one definition of places taken, seats left and whether registration is open.

Places taken are a counter on the event row (``Event.places_taken``), kept equal to its
confirmed and pending registrations by the transaction that changes them, in one place: the
session's flush hook :func:`_keep_places_taken` adds the difference of every registration
written (new, deleted, status changed), whichever service or script wrote it. A signup
takes its places with :func:`claim`, one conditional ``UPDATE ... RETURNING`` that is the
seat decision itself; the flush hook then does not count that registration a second time.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, inspect, or_, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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
    """Places held (confirmed and pending registrations) per event: the events' counters."""
    if not event_ids:
        return {}
    rows = db.session.execute(select(Event.id, Event.places_taken).where(Event.id.in_(event_ids)))
    return {row.id: row.places_taken for row in rows}


def counted_places(event_id: int) -> int:
    """Places held, counted from the registration rows: what the counter must always equal
    (the tests and the migration's backfill use it)."""
    return (
        db.session.scalar(
            select(func.count()).where(
                Registration.event_id == event_id, Registration.status.in_(PLACE_HOLDING)
            )
        )
        or 0
    )


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


# --- the counter -------------------------------------------------------------------------

# Places claimed by this transaction (event id -> places) whose registrations have not been
# flushed yet: the flush hook counts a registration's places only beyond what was claimed.
_CLAIMED = "places_claimed"
# What the registrations of the flush under way change: (registration, places, is new).
_CHANGES = "places_changes"


def _set_counters(event_id: int, *where, **values) -> Event | None:
    """Update the counters of the event row and read it afresh (its lock then held until the
    transaction ends). Never its ``updated_at``: the counters make no new revision of the
    event, whose form and calendar entry are cached per revision."""
    return db.session.scalars(
        update(Event)
        .where(Event.id == event_id, *where)
        .values(updated_at=Event.updated_at, **values)
        .returning(Event)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).one_or_none()


def claim(event_id: int, places: int = 1) -> Event | None:
    """Take ``places`` for a new registration if the event has them, and its queue number
    (``Event.queue_last``): one ``UPDATE ... WHERE places_taken + n <= capacity RETURNING``.

    Returns the event read afresh (its lock held until the transaction ends), or None when
    too few places are left: then nothing is taken and the caller decides under
    :func:`queue_up`'s lock. The registration written next holds those places; the flush
    hook does not add them again."""
    event = _set_counters(
        event_id,
        or_(Event.capacity.is_(None), Event.places_taken + places <= Event.capacity),
        places_taken=Event.places_taken + places,
        queue_last=Event.queue_last + 1,
    )
    if event is not None:
        db.session.info.setdefault(_CLAIMED, Counter())[event_id] += places
    return event


def release(event_id: int, places: int = 1) -> None:
    """Give back places claimed by this transaction for a registration that is not made."""
    _set_counters(event_id, places_taken=Event.places_taken - places)
    db.session.info.setdefault(_CLAIMED, Counter())[event_id] -= places


def queue_up(event_id: int) -> Event | None:
    """The event read afresh under its lock with the next queue number, for a registration
    whose places :func:`claim` could not take (a full event: the waiting list, or a refusal)."""
    return _set_counters(event_id, queue_last=Event.queue_last + 1)


def _status_before(obj: Registration) -> RegistrationStatus | None:
    """The status the row has in the database, before the flush under way."""
    deleted: Sequence[RegistrationStatus] = inspect(obj).attrs.status.history.deleted or ()
    return deleted[0] if deleted else None


def _held(status: RegistrationStatus | None) -> int:
    """The places a registration of this status holds."""
    return 1 if status in PLACE_HOLDING else 0


@sa_event.listens_for(Session, "before_flush")
def _note_place_changes(session: Session, _context, _instances) -> None:
    """Before the flush, while old statuses can still be read: what each registration
    written takes (+) or gives back (-)."""
    changes: list[tuple[Registration, int, bool]] = session.info.setdefault(_CHANGES, [])
    for obj in session.new:
        if isinstance(obj, Registration):
            changes.append((obj, _held(obj.status), True))
    for obj in session.dirty:
        changed = isinstance(obj, Registration) and obj not in session.deleted
        if changed and inspect(obj).attrs.status.history.has_changes():
            changes.append((obj, _held(obj.status) - _held(_status_before(obj)), False))
    for obj in session.deleted:
        if isinstance(obj, Registration):
            changes.append((obj, -_held(_status_before(obj) or obj.status), False))


@sa_event.listens_for(Session, "after_flush")
def _keep_places_taken(session: Session, _context) -> None:
    """Add to each event's counter what its registrations written in this flush took or gave
    back, less the places :func:`claim` took for them already."""
    change: Counter[int] = Counter()
    queued: dict[int, int] = {}
    for obj, places, new in session.info.pop(_CHANGES, []):
        change[obj.event_id] += places
        if new:
            queued[obj.event_id] = max(queued.get(obj.event_id, 0), obj.queue_no or 0)
    claimed = session.info.get(_CLAIMED, Counter())
    for event_id, places in claimed.items():
        used = min(places, max(change[event_id], 0))
        change[event_id] -= used
        claimed[event_id] -= used
    for event_id in change.keys() | queued.keys():
        key = inspect(Event).identity_key_from_primary_key((event_id,))
        known = session.identity_map.get(key)
        values: dict = {}
        if change[event_id]:
            values["places_taken"] = Event.places_taken + change[event_id]
        # Registrations written without a claim (the demo, a hackathon team's hand-added
        # member) keep the queue numbers given after theirs larger.
        last = inspect(known).dict.get("queue_last", -1) if known is not None else -1
        if queued.get(event_id, 0) > max(last, 0):
            values["queue_last"] = case(
                (Event.queue_last < queued[event_id], queued[event_id]), else_=Event.queue_last
            )
        if not values:
            continue
        row = (
            session.connection()
            .execute(
                update(Event)
                .where(Event.id == event_id)
                .values(updated_at=Event.updated_at, **values)
                .returning(Event.places_taken, Event.queue_last)
            )
            .one_or_none()
        )
        if row is not None and known is not None:
            set_committed_value(known, "places_taken", row.places_taken)
            set_committed_value(known, "queue_last", row.queue_last)


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_args) -> None:
    session.info.pop(_CLAIMED, None)
    session.info.pop(_CHANGES, None)
