"""Who may see and change what. Every organiser route asks here; nothing else decides.

- admin: everything;
- manager: the events, registrations and people of the projects they are assigned to;
- check-in staff: attendance of the events they are assigned to, nothing else.

A refusal looks like absence (404), so nobody learns what exists outside their scope.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, select, true

from eventhub.core.models import Event, Project, Role, User, WorkshopSeries
from eventhub.core.models.user import user_event, user_project
from eventhub.extensions import db


def is_admin(user: User) -> bool:
    return user.is_authenticated and user.role == Role.ADMIN


def can_manage(user: User) -> bool:
    """May use the organiser workspace beyond check-in."""
    return user.is_authenticated and user.role in (Role.ADMIN, Role.MANAGER)


def project_ids(user: User) -> set[int]:
    return set(
        db.session.scalars(
            select(user_project.c.project_id).where(user_project.c.user_id == user.id)
        )
    )


def projects_query(user: User) -> Select:
    """The projects a user manages."""
    stmt = select(Project).order_by(Project.name)
    if is_admin(user):
        return stmt
    if user.role != Role.MANAGER:
        return stmt.where(false())
    return stmt.where(
        Project.id.in_(select(user_project.c.project_id).where(user_project.c.user_id == user.id))
    )


def manageable_events_filter(user: User):
    """A WHERE clause for the events a user manages."""
    if is_admin(user):
        return true()
    if user.role != Role.MANAGER:
        return false()
    return Event.project_id.in_(
        select(user_project.c.project_id).where(user_project.c.user_id == user.id)
    )


def checkin_events_filter(user: User):
    """A WHERE clause for the events a user may take attendance at."""
    assigned = Event.id.in_(select(user_event.c.event_id).where(user_event.c.user_id == user.id))
    if user.role == Role.CHECKIN:
        return assigned
    return manageable_events_filter(user)


def may_manage_event(user: User, event: Event) -> bool:
    if is_admin(user):
        return True
    return user.role == Role.MANAGER and event.project_id in project_ids(user)


def may_check_in(user: User, event: Event) -> bool:
    if may_manage_event(user, event):
        return True
    return user.role == Role.CHECKIN and event in user.events


def event_to_manage(user: User, event_id: int) -> Event:
    """The event, if the user manages it; 404 otherwise."""
    event = db.session.get(Event, event_id)
    if event is None or not may_manage_event(user, event):
        abort(404)
    return event


def event_to_check_in(user: User, event_id: int) -> Event:
    """The event, if the user may take its attendance; 404 otherwise."""
    event = db.session.get(Event, event_id)
    if event is None or not may_check_in(user, event):
        abort(404)
    return event


def project_to_manage(user: User, project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not (is_admin(user) or project.id in project_ids(user)):
        abort(404)
    return project


def manageable_series_filter(user: User):
    """WHERE clause on WorkshopSeries: the series the user manages (a series without a
    project is the admins')."""
    if is_admin(user):
        return true()
    return WorkshopSeries.project_id.in_(project_ids(user) or {-1})


def series_to_manage(user: User, series_id: int) -> WorkshopSeries:
    """The workshop series, if the user manages it; 404 otherwise."""
    series = db.session.get(WorkshopSeries, series_id)
    if series is None:
        abort(404)
    if series.project_id is None:
        if not is_admin(user):
            abort(404)
    else:
        project_to_manage(user, series.project_id)
    return series
