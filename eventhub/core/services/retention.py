"""Anonymising personal data once a project's retention period has passed.

A registration is *expired* when its event's project ended more than the project's
``retention_days`` ago. For expired registrations:

- the answers to the event's own questions and the accessibility and dietary needs are
  emptied, and the manage link stops working;
- walk-ins at those events lose their names;
- a person whose every registration and attendance is expired loses name, email and phone
  (``anonymised_at`` is set). A person still taking part in a live project keeps them: that
  project still needs them.

What the indicators count is kept on purpose: who is the same person (``person_id``), the
organisation, the municipality, registration statuses, attendance, and the voluntary ESF+
answers (gender, age band, labour-market status), which without a name or an address are
only categories. So every indicator gives exactly the same figures after anonymising as
before (tests/test_indicators.py proves it).

Everything is done with a handful of UPDATE statements, safe to run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import String, cast, literal, or_, select, update

from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import Attendance, Event, Person, Project, Registration
from eventhub.extensions import db

# Kept where a column may not be empty: a name nobody can mistake for a person's.
ANONYMOUS_NAME = ""


@dataclass
class RetentionReport:
    projects: int = 0
    registrations: int = 0
    walk_ins: int = 0
    persons: int = 0


def expired_project_ids(today: date | None = None) -> list[int]:
    """Projects whose retention period has passed (few rows: compared in Python, which keeps
    the date arithmetic the same on every database)."""
    today = today or utcnow().date()
    return [
        pid
        for pid, ends_on, days in db.session.execute(
            select(Project.id, Project.ends_on, Project.retention_days)
        )
        if ends_on + timedelta(days=days) < today
    ]


def anonymise_expired(today: date | None = None) -> RetentionReport:
    """Anonymise what has passed its retention period. The caller commits."""
    begin_write(db.session)
    expired = expired_project_ids(today)
    report = RetentionReport(projects=len(expired))
    if not expired:
        return report
    now = utcnow()
    expired_events = select(Event.id).where(Event.project_id.in_(expired))
    live_events = select(Event.id).where(
        or_(Event.project_id.is_(None), Event.project_id.not_in(expired))
    )
    # The persons to anonymise: taking part in expired projects and in nothing else.
    persons = (
        select(Registration.person_id)
        .where(Registration.event_id.in_(expired_events))
        .union(
            select(Attendance.person_id).where(
                Attendance.event_id.in_(expired_events), Attendance.person_id.is_not(None)
            )
        )
        .subquery()
    )
    still_needed = select(Registration.person_id).where(Registration.event_id.in_(live_events))
    still_attending = select(Attendance.person_id).where(
        Attendance.event_id.in_(live_events), Attendance.person_id.is_not(None)
    )
    report.registrations = anonymise_registrations(Registration.event_id.in_(expired_events))
    report.walk_ins = anonymise_walk_ins(Attendance.event_id.in_(expired_events))
    report.persons = anonymise_persons(
        Person.id.in_(select(persons.c.person_id)),
        Person.id.not_in(still_needed),
        Person.id.not_in(still_attending),
        now=now,
    )
    db.session.expire_all()
    return report


# The anonymisation of one person's rows, shared with an erasure on request
# (services.personal_data): each takes WHERE clauses on its table and returns the rows changed.


def anonymise_registrations(*where) -> int:
    """Empty the answers and needs of registrations and end their manage links."""
    return db.session.execute(
        update(Registration)
        .where(*where, Registration.manage_token_hash.not_like("anonymised-%"))
        .values(
            answers={},
            accessibility_needs="",
            dietary_needs="",
            # Unique and never the SHA-256 of any token: the manage link stops working.
            manage_token_hash=literal("anonymised-") + cast(Registration.id, String),
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult


def anonymise_walk_ins(*where) -> int:
    """Take the names off walk-ins (attendance without a registration)."""
    return db.session.execute(
        update(Attendance)
        .where(
            *where,
            Attendance.registration_id.is_(None),
            Attendance.walk_in_name != ANONYMOUS_NAME,
        )
        .values(walk_in_name=ANONYMOUS_NAME)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult


def anonymise_persons(*where, now=None) -> int:
    """Take name, address, phone and calendar-feed secret off persons; their id stays, so
    the indicators still count them once."""
    return db.session.execute(
        update(Person)
        .where(*where, Person.anonymised_at.is_(None))
        .values(
            name=ANONYMOUS_NAME,
            email=None,
            email_normalised=None,
            phone=None,
            feed_secret=None,
            anonymised_at=now or utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult
