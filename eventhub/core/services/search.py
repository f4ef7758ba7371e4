"""Finding public events by kind, project, municipality, time and text, a page at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import joinedload

from eventhub.core.db import utcnow
from eventhub.core.models import Event, EventKind, Project, Registration
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
    # Only events changed at or after this: incremental sync.
    updated_since: datetime | None = None
    # One event (the API's single-event answer shares the ETag machinery).
    event_id: int | None = None


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
    conditions = _conditions(filters)
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


def result_state(filters: EventFilters) -> tuple:
    """What an answer about the events matching ``filters`` depends on, in one query and
    without loading them: which events match, their latest edit, and the latest change to
    their registrations (seats left) or to any project. An API answer's ETag is made from
    it, so a 304 costs this query, not the answer."""
    matching = select(Event.id).where(*_conditions(filters)).scalar_subquery()
    row = db.session.execute(
        select(
            select(func.count(Event.id)).where(Event.id.in_(matching)).scalar_subquery(),
            select(func.sum(Event.id)).where(Event.id.in_(matching)).scalar_subquery(),
            select(func.max(Event.updated_at)).where(Event.id.in_(matching)).scalar_subquery(),
            select(func.count(Registration.id))
            .where(Registration.event_id.in_(matching))
            .scalar_subquery(),
            select(func.max(Registration.updated_at))
            .where(Registration.event_id.in_(matching))
            .scalar_subquery(),
            select(func.max(Project.updated_at)).scalar_subquery(),
        )
    ).one()
    return tuple(str(value) for value in row)


def _conditions(filters: EventFilters) -> list:
    conditions: list[ColumnElement[bool]] = [Event.status.in_(PUBLIC_STATUSES)]
    if filters.event_id is not None:
        conditions.append(Event.id == filters.event_id)  # past or not
    else:
        conditions.append(Event.ends_at >= (filters.ends_after or utcnow()))
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
    if filters.updated_since is not None:
        conditions.append(Event.updated_at >= filters.updated_since)
    return conditions


def find_project(reference: str) -> Project | None:
    """A project by its code, or else by its numeric id."""
    project = db.session.scalar(select(Project).where(Project.code == reference))
    if project is None and reference.isdigit():
        project = db.session.get(Project, int(reference))
    return project
