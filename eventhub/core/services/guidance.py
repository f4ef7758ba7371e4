"""The guidance log: one-to-one guidance an organiser gives to an organisation.

Counting lives in core.services.indicators (sessions, sessions by topic, organisations
served); this module only records. The caller commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from eventhub.core.models import GuidanceSession, GuidanceTopic, Organisation, Project, User
from eventhub.core.services import audit
from eventhub.core.services.errors import Refused
from eventhub.core.services.organisations import organisation_named
from eventhub.extensions import db


class GuidanceError(Refused, ValueError):
    pass


def topics(project: Project) -> list[GuidanceTopic]:
    return list(
        db.session.scalars(
            select(GuidanceTopic)
            .where(GuidanceTopic.project_id == project.id)
            .order_by(GuidanceTopic.position, GuidanceTopic.name)
        )
    )


def add_topic(user: User, project: Project, name: str) -> GuidanceTopic:
    name = name.strip()
    if not name:
        raise GuidanceError("empty topic")
    existing = db.session.scalar(
        select(GuidanceTopic).where(
            GuidanceTopic.project_id == project.id,
            func.lower(GuidanceTopic.name) == name.lower(),
        )
    )
    if existing is not None:
        return existing
    position = db.session.scalar(
        select(func.coalesce(func.max(GuidanceTopic.position), 0)).where(
            GuidanceTopic.project_id == project.id
        )
    )
    topic = GuidanceTopic(project_id=project.id, name=name, position=(position or 0) + 1)
    db.session.add(topic)
    db.session.flush()
    audit.record("guidance_topic_added", obj=topic, user=user, project_id=project.id)
    return topic


def log_session(
    user: User,
    project: Project,
    *,
    organisation_name: str,
    held_on: date,
    topic_ids: list[int],
    duration_minutes: int | None = None,
    note: str = "",
    municipality_id: int | None = None,
) -> GuidanceSession:
    """Record a guidance session. Topics must be the project's own."""
    chosen = [t for t in topics(project) if t.id in set(topic_ids)]
    if len(chosen) != len(set(topic_ids)):
        raise GuidanceError("topic of another project")
    session = GuidanceSession(
        project_id=project.id,
        organisation=organisation_named(
            organisation_name, confirmed=True, municipality_id=municipality_id
        ),
        held_on=held_on,
        duration_minutes=duration_minutes,
        given_by_id=user.id,
        note=note.strip(),
        topics=chosen,
    )
    db.session.add(session)
    db.session.flush()
    audit.record("guidance_logged", obj=session, user=user, project_id=project.id)
    return session


def delete_session(user: User, session: GuidanceSession) -> None:
    audit.record("guidance_deleted", obj=session, user=user, project_id=session.project_id)
    db.session.delete(session)
    db.session.flush()


def recent_sessions(project: Project, limit: int = 50) -> list[GuidanceSession]:
    return list(
        db.session.scalars(
            select(GuidanceSession)
            .where(GuidanceSession.project_id == project.id)
            .order_by(GuidanceSession.held_on.desc(), GuidanceSession.id.desc())
            .limit(limit)
        )
    )


def known_organisations(limit: int = 500) -> list[str]:
    """Names to suggest while typing (confirmed organisations)."""
    return list(
        db.session.scalars(
            select(Organisation.name)
            .where(Organisation.confirmed.is_(True))
            .order_by(Organisation.name)
            .limit(limit)
        )
    )
