"""Setting up a project: its particulars, its targets, and the first-run checklist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from eventhub.core.models import Event, EventKind, Municipality, Project, ProjectTarget, User
from eventhub.core.services import access, audit
from eventhub.core.services.errors import Refused
from eventhub.extensions import db

# What the project form edits, besides the targets by kind.
FIELDS = (
    "code",
    "name",
    "organiser",
    "funder",
    "programme",
    "description",
    "starts_on",
    "ends_on",
    "region",
    "country",
    "timezone",
    "language",
    "contact_email",
    "planned_participants",
    "planned_organisations",
    "collects_background",
    "retention_days",
)


class CodeTaken(Refused):
    """Another project has this code already, or eventhub's own addresses use it."""


# Codes that name a page of eventhub's own where a project code goes in an address
# (the embeddable widget's /embed/all/ lists events across projects).
RESERVED_CODES = frozenset({"all"})


def _check_code(code: str, project: Project | None) -> None:
    if code.lower() in RESERVED_CODES:
        raise CodeTaken(_("This code is used by eventhub's own addresses; please choose another."))
    stmt = select(Project.id).where(func.lower(Project.code) == code.lower())
    if project is not None and project.id is not None:
        stmt = stmt.where(Project.id != project.id)
    if db.session.scalar(stmt) is not None:
        raise CodeTaken(_("Another project has this code already."))


def create(user: User, values: dict[str, Any], targets: dict[EventKind, int | None]) -> Project:
    """A new project (an admin's decision: the view checks access.may_create_projects)."""
    _check_code(values["code"], None)
    project = Project(**{k: values[k] for k in FIELDS if k in values})
    db.session.add(project)
    db.session.flush()
    _set_targets(project, targets)
    db.session.flush()
    audit.record("project_created", obj=project, user=user)
    return project


def update(
    user: User, project: Project, values: dict[str, Any], targets: dict[EventKind, int | None]
) -> list[str]:
    """Change a project's particulars and targets; returns the names of what changed."""
    _check_code(values["code"], project)
    changed = [k for k in FIELDS if k in values and getattr(project, k) != values[k]]
    for key in changed:
        setattr(project, key, values[key])
    if _set_targets(project, targets):
        changed.append("targets")
    db.session.flush()
    if changed:
        audit.record("project_edited", obj=project, user=user, fields=sorted(changed))
    return changed


def _set_targets(project: Project, targets: dict[EventKind, int | None]) -> bool:
    """Planned events by kind: an empty or zero target removes the kind's row."""
    have = {t.kind: t for t in project.targets}
    changed = False
    for kind, planned in targets.items():
        row = have.get(kind)
        if not planned:
            if row is not None:
                project.targets.remove(row)
                changed = True
        elif row is None:
            project.targets.append(ProjectTarget(kind=kind, planned_events=planned))
            changed = True
        elif row.planned_events != planned:
            row.planned_events = planned
            changed = True
    return changed


@dataclass
class Step:
    key: str  # project, places, colleague, event
    done: bool


def first_run_checklist(user: User) -> list[Step] | None:
    """What a new installation still needs, for the organiser home; None once all is done
    (or for check-in staff, who set nothing up).

    Each step is read from the data, not remembered: it is done when what it asks for exists.
    """
    if not access.can_manage(user):
        return None
    has_project = db.session.scalar(select(exists(access.projects_query(user).subquery())))
    has_places = db.session.scalar(select(exists().where(Municipality.id.is_not(None))))
    has_colleague = db.session.scalar(select(exists().where(User.id != user.id)))
    has_event = db.session.scalar(
        select(exists().where(access.manageable_events_filter(user), Event.id.is_not(None)))
    )
    steps = [
        Step("project", bool(has_project)),
        Step("places", bool(has_places)),
        Step("colleague", bool(has_colleague)),
        Step("event", bool(has_event)),
    ]
    return None if all(s.done for s in steps) else steps
