"""Finding public events by kind, project, municipality, time and text, a page at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from eventhub.core.db import utcnow
from eventhub.core.models import Event, EventKind, Project
from eventhub.core.numbers import parse_id
from eventhub.core.services import capacity
from eventhub.core.services.capacity import EventAvailability
from eventhub.core.services.listing import PUBLIC_STATUSES
from eventhub.extensions import db


@dataclass(frozen=True)
class EventFilters:
    """Which public events to find. ``ends_after`` defaults to now: without it only events
    that have not ended are found. ``starts_before`` is exclusive."""

    kind: EventKind | None = None
    project_id: int | None = None
    municipality_id: int | None = None
    ends_after: datetime | None = None
    starts_before: datetime | None = None
    text: str | None = None


@dataclass(frozen=True)
class EventPage:
    items: Sequence[Event]
    availability: dict[int, EventAvailability]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def search_events(filters: EventFilters, *, page: int = 1, per_page: int = 20) -> EventPage:
    """Public events matching ``filters``, soonest first, with their availability."""
    conditions = [
        Event.status.in_(PUBLIC_STATUSES),
        Event.ends_at >= (filters.ends_after or utcnow()),
    ]
    if filters.starts_before is not None:
        conditions.append(Event.starts_at < filters.starts_before)
    if filters.kind is not None:
        conditions.append(Event.kind == filters.kind)
    if filters.project_id is not None:
        conditions.append(Event.project_id == filters.project_id)
    if filters.municipality_id is not None:
        conditions.append(Event.municipality_id == filters.municipality_id)
    if filters.text:
        conditions.append(
            or_(
                Event.title.icontains(filters.text, autoescape=True),
                Event.description.icontains(filters.text, autoescape=True),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(Event).where(*conditions))
    items = (
        db.session.scalars(
            select(Event)
            .where(*conditions)
            .options(joinedload(Event.project), joinedload(Event.municipality))
            .order_by(Event.starts_at, Event.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        .unique()
        .all()
    )
    return EventPage(
        items=items,
        availability=capacity.availability_many(items),
        total=total or 0,
        page=page,
        per_page=per_page,
    )


def find_project(reference: str) -> Project | None:
    """A project by its code, or else by its numeric id."""
    project = db.session.scalar(select(Project).where(Project.code == reference))
    if project is None and (project_id := parse_id(reference)) is not None:
        project = db.session.get(Project, project_id)
    return project
