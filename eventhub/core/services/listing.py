"""Which events the public sees, and in what order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from eventhub.core.db import utcnow
from eventhub.core.models import PUBLIC_STATUSES, Event, EventKind
from eventhub.extensions import db

__all__ = ["PUBLIC_STATUSES", "get_public_event", "public_events_query"]


def public_events_query(kind: EventKind | None = None, *, after: datetime | None = None):
    """Upcoming (not yet ended) public events, soonest first."""
    stmt = (
        select(Event)
        .where(Event.status.in_(PUBLIC_STATUSES), Event.ends_at >= (after or utcnow()))
        .options(joinedload(Event.municipality), joinedload(Event.project))
        .order_by(Event.starts_at, Event.id)
    )
    if kind is not None:
        stmt = stmt.where(Event.kind == kind)
    return stmt


PAGE_SIZE = 40
MAX_PAGE = 1000


def get_public_event(event_id: int) -> Event | None:
    # The project and the municipality come in the same query: the signup form asks whether
    # the project collects background data and which country's places to offer (a lazy
    # load would be a statement of its own).
    event = db.session.get(
        Event, event_id, options=[joinedload(Event.project), joinedload(Event.municipality)]
    )
    if event is None or event.status not in PUBLIC_STATUSES:
        return None
    return event
