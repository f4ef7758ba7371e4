"""Who may see and change what. Every organiser route asks here; nothing else decides.

- admin: everything;
- manager: the events, registrations and people of the projects they are assigned to;
- check-in staff: attendance of the events they are assigned to and of the events of the
  projects they are given, nothing else.

A refusal looks like absence (404), so nobody learns what exists outside their scope.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, or_, select, true
from sqlalchemy import exists as exists_

from eventhub.core.models import Event, Organisation, Project, Role, User, WorkshopSeries
from eventhub.core.models.user import user_event, user_project
from eventhub.core.services import organisations, places
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
    """A WHERE clause for the events a user may take attendance at: check-in staff at the
    events they are assigned to and at every event of the projects they are given."""
    assigned = Event.id.in_(select(user_event.c.event_id).where(user_event.c.user_id == user.id))
    if user.role == Role.CHECKIN:
        return or_(
            assigned,
            Event.project_id.in_(
                select(user_project.c.project_id).where(user_project.c.user_id == user.id)
            ),
        )
    return manageable_events_filter(user)


def may_manage_event(user: User, event: Event) -> bool:
    if is_admin(user):
        return True
    return user.role == Role.MANAGER and event.project_id in project_ids(user)


def may_check_in(user: User, event: Event) -> bool:
    if may_manage_event(user, event):
        return True
    if user.role != Role.CHECKIN:
        return False
    return event in user.events or (
        event.project_id is not None and event.project_id in project_ids(user)
    )


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


def may_manage_project(user: User, project: Project) -> bool:
    if is_admin(user):
        return True
    return user.role == Role.MANAGER and project.id in project_ids(user)


def project_to_manage(user: User, project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or not may_manage_project(user, project):
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


# --- set-up: projects, organisations, accounts ---------------------------------------------


def may_create_projects(user: User) -> bool:
    """Only an admin starts a project; a manager edits the set-up of their own."""
    return is_admin(user)


def organisations_filter(user: User):
    """A WHERE clause for the organisations a user may see and curate on the set-up pages.

    An admin sees all. A manager sees the organisations their projects' records name (every
    table that refers to an organisation and to an event or a project counts) and those no
    record names yet (just added, shared by every project); nobody else sees any.
    """
    if is_admin(user):
        return true()
    if user.role != Role.MANAGER:
        return false()
    mine = select(user_project.c.project_id).where(user_project.c.user_id == user.id)
    return or_(organisations.named_by_projects(mine), organisations.named_nowhere())


def organisation_to_manage(user: User, organisation_id: int) -> Organisation:
    """The organisation, if the user may curate it; 404 otherwise."""
    found = db.session.scalar(
        select(Organisation).where(Organisation.id == organisation_id, organisations_filter(user))
    )
    if found is None:
        abort(404)
    return found


def users_query(user: User) -> Select:
    """The accounts a user may see on the users page: all for an admin; for a manager, the
    managers and check-in staff of their own projects (never an admin, never anybody outside
    them); nothing for check-in staff."""
    stmt = select(User).order_by(User.name, User.id)
    if is_admin(user):
        return stmt
    if user.role != Role.MANAGER:
        return stmt.where(false())
    mine = select(user_project.c.project_id).where(user_project.c.user_id == user.id)
    return stmt.where(
        User.role != Role.ADMIN,
        User.id.in_(select(user_project.c.user_id).where(user_project.c.project_id.in_(mine))),
        # Someone also working for a project the manager does not manage is not theirs to change.
        User.id.not_in(
            select(user_project.c.user_id).where(user_project.c.project_id.not_in(mine))
        ),
    )


def user_to_manage(user: User, user_id: int) -> User:
    """The account, if the user may change it; 404 otherwise (nobody changes themselves here:
    an admin cannot lock the last admin out by accident)."""
    found = db.session.scalar(users_query(user).where(User.id == user_id))
    if found is None or found.id == user.id:
        abort(404)
    return found


def roles_to_give(user: User) -> list[Role]:
    """The roles a user may give when inviting or editing: an admin any, a manager the
    roles below admin."""
    if is_admin(user):
        return list(Role)
    if user.role == Role.MANAGER:
        return [Role.MANAGER, Role.CHECKIN]
    return []


def may_remove_place(user: User, target) -> bool:
    """May delete a municipality or place, or merge it into another: an admin always; a
    manager when no record of another project refers to it (records of no project, a person
    or an organisation, are shared, as the municipalities and places are)."""
    if is_admin(user):
        return True
    if user.role != Role.MANAGER:
        return False
    mine = select(user_project.c.project_id).where(user_project.c.user_id == user.id)
    others = select(Project.id).where(places.project_uses(target), Project.id.not_in(mine))
    return db.session.scalar(select(exists_(others))) is False
