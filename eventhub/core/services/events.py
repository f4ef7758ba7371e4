"""Changing an event: the one place that decides when calendars must replace their copy.

Calendar applications keep a subscribed event until they see a higher ``SEQUENCE`` (RFC 5545,
3.8.7.4). It grows here, and only here, whenever the time, the place or the status changes;
a new title or description is picked up through ``LAST-MODIFIED`` without a new sequence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from eventhub.core.db import utcnow
from eventhub.core.models import Event, EventStatus
from eventhub.core.services.errors import Refused
from eventhub.extensions import db

# Changes to these fields are "significant revisions" in RFC 5545 terms.
SEQUENCE_FIELDS = frozenset(
    (
        "starts_at",
        "ends_at",
        "timezone",
        "venue",
        "address",
        "online_url",
        "municipality_id",
        "status",
    )
)
EDITABLE_FIELDS = SEQUENCE_FIELDS | {
    "title",
    "description",
    "kind",
    "language",
    "capacity",
    "waitlist_enabled",
    "requires_approval",
    "max_companions",
    "groups_may_split",
    "registration_opens_at",
    "registration_closes_at",
    "project_id",
}


TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


class NonexistentLocalTime(Refused, ValueError):
    """A wall time the zone skips: the hour the clocks are put forward in spring."""


def skipped(value: datetime) -> bool:
    """Whether an aware datetime names a wall time its zone skips (the spring gap): such a
    value has no instant of its own, and Python quietly gives it the offset before the gap."""
    if value.tzinfo is None:
        return False
    back = value.astimezone(UTC).astimezone(value.tzinfo)
    return back.replace(tzinfo=None, fold=0) != value.replace(tzinfo=None, fold=0)


def repeated(value: datetime) -> bool:
    """Whether an aware datetime names a wall time its zone has twice (the autumn change)."""
    return value.replace(fold=1 - value.fold).utcoffset() != value.utcoffset()


def local_time(wall: datetime, zone: str, keep: datetime | None = None) -> datetime:
    """A wall time typed in ``zone`` as an unambiguous instant (UTC).

    Raises :class:`NonexistentLocalTime` for a time in the spring gap. A time the autumn
    change repeats is the first of the two (as RFC 5545, 3.3.5, reads such a time), unless
    ``keep`` (the value stored so far) is the other one on the same wall clock: an edit that
    leaves the time as it was keeps it.
    """
    value = wall.replace(tzinfo=ZoneInfo(zone), fold=0)
    if skipped(value):
        raise NonexistentLocalTime(wall.isoformat(timespec="minutes"))
    if repeated(value) and keep is not None:
        kept = keep.astimezone(value.tzinfo)
        if kept.replace(tzinfo=None, fold=0) == wall.replace(fold=0):
            return keep.astimezone(UTC)
    return value.astimezone(UTC)


def check_times(values: dict[str, Any], current: Event | None = None) -> None:
    """Refuse times that would break the event or a calendar, before anything is written:
    naive ones, ones in the spring gap, and an end that is not after the start."""
    for name in TIME_FIELDS:
        value = values.get(name)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
            if skipped(value):
                raise NonexistentLocalTime(f"{name} is in the spring gap of its timezone")
    starts_at = values.get("starts_at", current.starts_at if current else None)
    ends_at = values.get("ends_at", current.ends_at if current else None)
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("an event must end after it starts")


def update_event(event: Event, **changes: Any) -> bool:
    """Apply ``changes`` to ``event`` and flush; return whether ``sequence`` grew.

    Values equal to the current ones are no change. Moving into ``cancelled`` records
    ``cancelled_at``; moving out of it clears it. Raises ``ValueError`` for an unknown field,
    a naive datetime, a time in the spring gap (:class:`NonexistentLocalTime`) or an end that
    is not after the start, before anything is changed.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not an editable event field: {', '.join(sorted(unknown))}")
    check_times(changes, event)
    if "status" in changes:
        changes["status"] = EventStatus(changes["status"])

    changed = {name for name, value in changes.items() if getattr(event, name) != value}
    for name in changed:
        setattr(event, name, changes[name])
    if "status" in changed:
        event.cancelled_at = utcnow() if event.status == EventStatus.CANCELLED else None
    significant = bool(changed & SEQUENCE_FIELDS)
    if significant:
        event.sequence = (event.sequence or 0) + 1
    db.session.flush()
    return significant


def cancel_event(event: Event) -> bool:
    """Cancel the event. It stays public, marked cancelled, so subscribed calendars remove it.

    Returns False when it was cancelled already (nothing changes then).
    """
    return update_event(event, status=EventStatus.CANCELLED)
