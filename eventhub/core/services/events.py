"""Changing an event: the one place that decides when calendars must replace their copy.

Calendar applications keep a subscribed event until they see a higher ``SEQUENCE`` (RFC 5545,
3.8.7.4). It grows here, and only here, whenever the time, the place or the status changes;
a new title or description is picked up through ``LAST-MODIFIED`` without a new sequence.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventhub.core.db import utcnow
from eventhub.core.models import Event, EventStatus
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
    "registration_opens_at",
    "registration_closes_at",
    "project_id",
}


def update_event(event: Event, **changes: Any) -> bool:
    """Apply ``changes`` to ``event`` and flush; return whether ``sequence`` grew.

    Values equal to the current ones are no change. Moving into ``cancelled`` records
    ``cancelled_at``; moving out of it clears it. Raises ``ValueError`` for an unknown field,
    a naive datetime or an end that is not after the start, before anything is changed.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not an editable event field: {', '.join(sorted(unknown))}")
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        value = changes.get(name)
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")
    if "status" in changes:
        changes["status"] = EventStatus(changes["status"])
    starts_at = changes.get("starts_at", event.starts_at)
    ends_at = changes.get("ends_at", event.ends_at)
    if ends_at <= starts_at:
        raise ValueError("an event must end after it starts")

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
