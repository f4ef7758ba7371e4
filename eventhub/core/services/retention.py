"""Anonymising personal data once a project's retention period has passed.

A registration is *expired* when its event's project ended more than the project's
``retention_days`` ago. What anonymising clears is declared in one place,
``services.personal_data.COLUMNS``, and applied by ``personal_data.anonymise``, the same
rule as an erasure on request. Retention anonymises:

- the expired projects' registrations (companions too: their registrations are at the same
  events as their lead's) and attendance (walk-ins lose their names), any other row of a
  person's tables that names an expired event or project itself, and every row reached from
  those through foreign keys (door taps, team-search notes, discussion-group choices,
  whatever a later table adds): answers, needs and notes are emptied, manage links end;
- a person whose every registration and attendance is expired, and every row reached from
  them: name, email, phone and calendar-feed secret go (``anonymised_at`` is set). A person
  still taking part in a live project keeps them: that project still needs them. A companion
  signed up by name only has no other rows, so goes with the lead's project. The mail to
  their address is deleted, as on erasure.

What the indicators count is kept on purpose: who is the same person (``person_id``), the
organisation, the municipality, registration statuses, attendance, and the voluntary ESF+
answers (gender, age band, labour-market status), which without a name or an address are
only categories. So every indicator gives exactly the same figures after anonymising as
before (tests/test_indicators.py and tests/test_retention.py prove it).

Everything is done with one UPDATE per table (the rows chosen by subqueries), safe to run
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_, select

from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import Attendance, Event, Person, Project, Registration
from eventhub.core.services import personal_data
from eventhub.extensions import db


@dataclass
class RetentionReport:
    projects: int = 0
    registrations: int = 0
    walk_ins: int = 0
    persons: int = 0
    other_rows: int = 0  # rows of other tables reached from those (notes, choices...)
    mail: int = 0  # messages to the anonymised persons' addresses, deleted


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
    roots = _rows_of(expired_events, expired)
    roots["person"] = and_(
        Person.id.in_(select(persons.c.person_id)),
        Person.id.not_in(still_needed),
        Person.id.not_in(still_attending),
    )
    rows = personal_data.reached(roots)
    # Mail to them goes too (matched by address, so before the addresses go).
    report.mail = personal_data.delete_mail_to(rows["person"])
    for name, where in rows.items():
        changed = personal_data.anonymise(name, where, now=now)
        if name == "registration":
            report.registrations = changed
        elif name == "attendance":
            report.walk_ins = changed
        elif name == "person":
            report.persons = changed
        else:
            report.other_rows += changed
    db.session.expire_all()
    return report


def _rows_of(events, projects: list[int]) -> dict:
    """The rows of a person's tables (``personal_data.linked_tables``) that belong to these
    events or projects by a foreign key of their own: registrations and attendance, and any
    later table of a person's data per event or per project (so such a table is cleared when
    its project expires even while the person takes part elsewhere)."""
    tables = db.metadata.tables
    roots = {}
    for name in personal_data.linked_tables():
        by = [
            fk.parent.in_(events if fk.column.table.name == "event" else projects)
            for fk in tables[name].foreign_keys
            if fk.column.table.name in ("event", "project")
        ]
        if by:
            roots[name] = or_(*by)
    return roots
