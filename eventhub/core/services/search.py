"""Finding public events by kind, project, place, country, language, time and text, a page
at a time; the visitor's own country and language first when asked."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import joinedload

from eventhub.core.db import utcnow
from eventhub.core.models import Country, Event, EventKind, Municipality, Project, Registration
from eventhub.core.numbers import parse_id
from eventhub.core.services import capacity
from eventhub.core.services.capacity import EventAvailability
from eventhub.core.services.listing import PUBLIC_STATUSES
from eventhub.core.text import fold
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
    country: Country | None = None
    language: str | None = None
    # Listed first, never filtered: the visitor's own country and language (public pages).
    prefer_country: Country | None = None
    prefer_language: str | None = None
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
    order = []
    if filters.prefer_country is not None:
        home = Event.municipality_id.in_(_municipalities_of(filters.prefer_country))
        order.append(case((home, 0), else_=1))
    if filters.prefer_language:
        order.append(case((Event.language == filters.prefer_language, 0), else_=1))
    total = db.session.scalar(select(func.count()).select_from(Event).where(*conditions))
    items = (
        db.session.scalars(
            select(Event)
            .where(*conditions)
            .options(joinedload(Event.project), joinedload(Event.municipality))
            .order_by(*order, Event.starts_at, Event.id)
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


def _municipalities_of(country: Country):
    return select(Municipality.id).where(Municipality.country == country)


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
    if filters.country is not None:
        conditions.append(Event.municipality_id.in_(_municipalities_of(filters.country)))
    if filters.language:
        conditions.append(Event.language == filters.language)
    # Accent-free on every database: both sides folded the same way (core.text.fold), the
    # event's side kept in its search column. Every word must occur, in any order.
    for word in fold(filters.text or "").split()[:10]:
        conditions.append(Event.search_text.contains(word, autoescape=True))
    if filters.updated_since is not None:
        conditions.append(Event.updated_at >= filters.updated_since)
    return conditions


def find_project(reference: str) -> Project | None:
    """A project by its code, or else by its numeric id."""
    project = db.session.scalar(select(Project).where(Project.code == reference))
    if project is None and (project_id := parse_id(reference)) is not None:
        project = db.session.get(Project, project_id)
    return project


@dataclass(frozen=True)
class FilterChoices:
    """What the public filters offer: only places, projects and languages that have
    upcoming public events, so no choice leads to an empty page."""

    municipalities: Sequence[Municipality]
    projects: Sequence[Project]
    languages: Sequence[str]


def filter_choices(kind: EventKind | None = None) -> FilterChoices:
    upcoming = [Event.status.in_(PUBLIC_STATUSES), Event.ends_at >= utcnow()]
    if kind is not None:
        upcoming.append(Event.kind == kind)
    municipalities = db.session.scalars(
        select(Municipality)
        .where(Municipality.id.in_(select(Event.municipality_id).where(*upcoming)))
        .order_by(Municipality.country, Municipality.name)
    ).all()
    projects = db.session.scalars(
        select(Project)
        .where(Project.id.in_(select(Event.project_id).where(*upcoming)))
        .order_by(Project.name)
    ).all()
    languages = db.session.scalars(
        select(Event.language).where(*upcoming).distinct().order_by(Event.language)
    ).all()
    return FilterChoices(municipalities, projects, languages)
