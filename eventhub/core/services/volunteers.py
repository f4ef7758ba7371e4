"""Voluntary (talkoo) work at events: hours by a participant or an organisation, and the
list a LEADER payment claim needs (date, person or organisation, task, hours, total)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select

from eventhub.core.models import (
    Event,
    Organisation,
    Person,
    Registration,
    User,
    VolunteerWork,
)
from eventhub.core.services import audit
from eventhub.core.services.errors import Refused
from eventhub.core.services.organisations import organisation_named
from eventhub.extensions import db

MAX_HOURS = Decimal(24)
TASK_MAX = 200


class VolunteerRefused(Refused):
    """Why volunteer hours cannot be recorded, in words for the organiser."""


def parse_hours(text: str) -> Decimal:
    """Hours as typed ("3", "2,5", "1.25"), to the quarter hour; VolunteerRefused else."""
    try:
        hours = Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, AttributeError) as exc:
        raise VolunteerRefused(_("Please give the hours as a number, like 2.5.")) from exc
    if not hours.is_finite() or not Decimal(0) < hours <= MAX_HOURS:
        raise VolunteerRefused(_("Please give between 0.25 and 24 hours for one day."))
    return hours.quantize(Decimal("0.01"))


def record(
    user: User,
    event: Event,
    *,
    registration_id: int | None,
    organisation_name: str | None,
    task: str,
    hours: Decimal,
    worked_on: date,
) -> VolunteerWork:
    """Record hours of work by a registered participant of ``event`` or by an organisation
    (a known one, or a new name). The caller commits."""
    task = task.strip()
    if not task or len(task) > TASK_MAX:
        raise VolunteerRefused(_("Please say what the work was (at most 200 characters)."))
    if not Decimal(0) < hours <= MAX_HOURS:
        raise VolunteerRefused(_("Please give between 0.25 and 24 hours for one day."))
    registration = None
    if registration_id is not None:
        registration = db.session.get(Registration, registration_id)
        if registration is None or registration.event_id != event.id:
            raise VolunteerRefused(_("Choose a participant of this event."))
    organisation = None
    if organisation_name and organisation_name.strip():
        organisation = organisation_named(organisation_name, confirmed=True)
        db.session.flush()  # a new organisation gets its id
    if registration is None and organisation is None:
        raise VolunteerRefused(_("Choose the participant or name the organisation."))
    work = VolunteerWork(
        event_id=event.id,
        worked_on=worked_on,
        person_id=registration.person_id if registration else None,
        registration_id=registration.id if registration else None,
        organisation_id=organisation.id if organisation else None,
        task=task,
        hours=hours,
        recorded_by_id=user.id,
    )
    db.session.add(work)
    db.session.flush()
    audit.record("volunteer_work_added", event=event, obj=work, user=user)
    return work


def remove(user: User, event: Event, work_id: int) -> None:
    work = db.session.get(VolunteerWork, work_id)
    if work is None or work.event_id != event.id:
        raise VolunteerRefused(_("These hours have been removed already."))
    db.session.delete(work)
    audit.record("volunteer_work_removed", event=event, user=user)
    db.session.flush()


def of_event(event: Event) -> list[VolunteerWork]:
    return list(
        db.session.scalars(
            select(VolunteerWork)
            .where(VolunteerWork.event_id == event.id)
            .order_by(VolunteerWork.worked_on, VolunteerWork.id)
        )
    )


@dataclass(frozen=True)
class ClaimRow:
    worked_on: date
    event_title: str
    person: str | None  # the participant's name ("" once anonymised)
    person_id: int | None
    organisation: str | None
    task: str
    hours: Decimal


@dataclass
class Claim:
    rows: list[ClaimRow]
    total: Decimal


def claim(project_ids: tuple[int, ...], date_from: date | None, date_to: date | None) -> Claim:
    """Every hour of voluntary work at the projects' events in the period (by the day the
    work was done), oldest first, and their total."""
    conds: list[ColumnElement[bool]] = [Event.project_id.in_(project_ids)]
    if date_from:
        conds.append(VolunteerWork.worked_on >= date_from)
    if date_to:
        conds.append(VolunteerWork.worked_on <= date_to)
    rows = db.session.execute(
        select(
            VolunteerWork.worked_on,
            Event.title,
            Person.name,
            VolunteerWork.person_id,
            Organisation.name,
            VolunteerWork.task,
            VolunteerWork.hours,
        )
        .join(Event, Event.id == VolunteerWork.event_id)
        .outerjoin(Person, Person.id == VolunteerWork.person_id)
        .outerjoin(Organisation, Organisation.id == VolunteerWork.organisation_id)
        .where(*conds)
        .order_by(VolunteerWork.worked_on, VolunteerWork.id)
    ).all()
    total = db.session.scalar(
        select(func.coalesce(func.sum(VolunteerWork.hours), 0))
        .join(Event, Event.id == VolunteerWork.event_id)
        .where(*conds)
    )
    return Claim([ClaimRow(*r) for r in rows], Decimal(total or 0).quantize(Decimal("0.01")))
