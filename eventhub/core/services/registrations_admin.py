"""What organisers do with an event's registrations: find, decide, move, cancel, add, message
and export them.

Every change of places runs under the event's lock (:func:`registration.lock_event`) and
reuses the rules of :mod:`eventhub.core.services.registration`; places and waiting-list
positions come from :mod:`eventhub.core.services.capacity`. Each action is audited with ids
only. The caller commits once; mail is queued in the outbox in the same transaction.

Moving a particular person up from the waiting list (:func:`promote`) is allowed only into a
free place: an organiser cannot exceed the event's capacity this way. Because cancellations,
rejections and added places fill the waiting list at once, first come first served, a free
place beside a waiting list is rare; when the event is full the organiser is told to add
places or cancel a registration instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from eventhub.core import labels
from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import (
    Event,
    EventQuestion,
    EventStatus,
    Organisation,
    Person,
    QuestionType,
    Registration,
    RegistrationStatus,
    User,
)
from eventhub.core.services import (
    attendance,
    audit,
    capacity,
    messages,
    registration,
    webhooks,
)
from eventhub.core.services import questions as question_rules
from eventhub.core.services.errors import Refused
from eventhub.core.services.registration import Placement, SignupData, SignupResult
from eventhub.core.services.signup import group_fit
from eventhub.extensions import db


class ActionRefused(Refused):
    """The action does not apply to this registration now; the message says why, in words an
    organiser understands."""

    def __init__(self, message: str):
        super().__init__(message)


# --- finding registrations -------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationFilters:
    status: RegistrationStatus | None = None
    text: str = ""


@dataclass(frozen=True)
class RegistrationPage:
    items: Sequence[Registration]
    total: int
    page: int
    per_page: int
    attended: set[int]  # ids of the registrations on this page marked present
    positions: dict[int, int]  # waiting-list positions of the waiting ones on this page

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def registration_of(event: Event, registration_id: int) -> Registration | None:
    """The registration, if it belongs to this event."""
    found = db.session.get(Registration, registration_id)
    return found if found is not None and found.event_id == event.id else None


def status_counts(event_id: int) -> dict[RegistrationStatus, int]:
    rows = db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
    ).all()
    return {RegistrationStatus(status): count for status, count in rows}


def _filtered(event: Event, filters: RegistrationFilters) -> Select:
    """Registrations of the event by status and by a piece of the name, email address or
    organisation name, in any letter case (SQLite's lower() is made Unicode-aware in
    core.db, so "ä" finds "Ä" there as on PostgreSQL)."""
    stmt = (
        select(Registration)
        .join(Registration.person)
        .outerjoin(Registration.organisation)
        .where(Registration.event_id == event.id)
    )
    if filters.status is not None:
        stmt = stmt.where(Registration.status == filters.status)
    text = filters.text.strip()
    if text:
        needle = text.lower()
        stmt = stmt.where(
            or_(
                func.lower(Person.name).contains(needle, autoescape=True),
                Person.email_normalised.contains(text.casefold(), autoescape=True),
                func.lower(Organisation.name).contains(needle, autoescape=True),
            )
        )
    return stmt


def list_registrations(
    event: Event, filters: RegistrationFilters, *, page: int = 1, per_page: int = 100
) -> RegistrationPage:
    """One page of the event's registrations in order of arrival."""
    stmt = _filtered(event, filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = db.session.scalars(
        stmt.options(joinedload(Registration.person), joinedload(Registration.organisation))
        .order_by(Registration.queue_no, Registration.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return RegistrationPage(
        items=items,
        total=total,
        page=page,
        per_page=per_page,
        attended=attendance.attended_registration_ids(event.id) & {r.id for r in items},
        positions=_positions(items),
    )


def _positions(items: Sequence[Registration]) -> dict[int, int]:
    return {
        r.id: position
        for r in items
        if (position := capacity.waitlist_position(r)) is not None  # the one definition
    }


# --- decisions -------------------------------------------------------------------------


def _locked(reg: Registration) -> Event:
    """Take the event's lock and read the registration again under it: a participant or
    another organiser may have changed it since the page was shown."""
    event = registration.lock_event(reg.event_id)
    assert event is not None  # the registration holds it (a foreign key)
    db.session.refresh(reg)
    return event


def _refuse_if_cancelled(event: Event) -> None:
    if event.status == EventStatus.CANCELLED:
        raise ActionRefused(_("The event is cancelled."))


def approve(user: User, reg: Registration) -> None:
    """A pending registration gets its place. Pending registrations already hold a place, so
    approving never overbooks. The person is mailed.

    Approving the person who signed a group up approves the group as one entry: each of
    their companions pending (holding a place) too. A companion still waiting (a group
    split, see :func:`signup.group_fit`) keeps waiting for a place; companions without an
    address are told through the mail to the person who signed up, which names them."""
    event = _locked(reg)
    _refuse_if_cancelled(event)
    if reg.status != RegistrationStatus.PENDING:
        raise ActionRefused(_("Only registrations waiting for approval can be approved."))
    group = [reg] + [c for c in reg.companions if c.status == RegistrationStatus.PENDING]
    for member in group:
        member.status = RegistrationStatus.CONFIRMED
        member.confirmed_at = utcnow()
    db.session.flush()
    for member in group:
        if member is reg or member.person.email:
            messages.decided(member)
    for member in group:
        webhooks.emit(webhooks.Action.REGISTRATION_CHANGED, event, registration_id=member.id)
    audit.record(
        "registration_approved",
        event=event,
        obj=reg,
        user=user,
        companions=[c.id for c in group[1:]],
    )


def reject(user: User, reg: Registration) -> list[Registration]:
    """A pending registration is not accepted; its place goes to the waiting list at once.
    Returns the registrations promoted. Rejecting the person who signed a group up rejects
    the group (their companions still active), as approving approves it."""
    event = _locked(reg)
    if reg.status != RegistrationStatus.PENDING:
        raise ActionRefused(_("Only registrations waiting for approval can be rejected."))
    group = [reg] + [c for c in reg.companions if c.status in registration.ACTIVE]
    for member in group:
        member.status = RegistrationStatus.REJECTED
    db.session.flush()
    for member in group:
        if member is reg or member.person.email:
            messages.decided(member)
    for member in group:
        webhooks.emit(webhooks.Action.REGISTRATION_CHANGED, event, registration_id=member.id)
    promoted = registration.fill_from_waitlist(event)
    audit.record(
        "registration_rejected", event=event, obj=reg, user=user, promoted=[r.id for r in promoted]
    )
    return promoted


def promote(user: User, reg: Registration) -> None:
    """Give a particular waiting person a free place, ahead of those before them.

    Only into a free place: when the event is full this is refused, never overbooked (see the
    module docstring). The organiser decides, so the place is confirmed without approval.

    The person who signed a group up moves up with the companions waiting with them, as one
    entry: the whole group, or, when the organiser lets groups be split, as many as the
    places left take (:func:`signup.group_fit`); a group that does not fit is refused.
    """
    event = _locked(reg)
    _refuse_if_cancelled(event)
    if reg.status != RegistrationStatus.WAITLISTED:
        raise ActionRefused(_("This person is not on the waiting list."))
    left = capacity.seats_left(event, capacity.count_taken(event.id))
    if left == 0:
        raise ActionRefused(
            _(
                "The event is full, so nobody can move up from the waiting list. Add places "
                "in the event's settings or cancel a registration: the first person waiting "
                "then gets the place."
            )
        )
    group = [reg] + [c for c in reg.companions if c.status == RegistrationStatus.WAITLISTED]
    fit = group_fit(left, len(group), event.groups_may_split)
    if fit == 0:
        raise ActionRefused(
            ngettext(
                "This group of %(num)d waits as one entry and does not fit in the places "
                "left. Add places or allow groups to be split in the event's settings.",
                "This group of %(num)d waits as one entry and does not fit in the places "
                "left. Add places or allow groups to be split in the event's settings.",
                len(group),
            )
        )
    for member in group[:fit]:
        member.status = RegistrationStatus.CONFIRMED
        member.confirmed_at = utcnow()
    db.session.flush()
    for member in group[:fit]:
        if member is reg or member.person.email:
            messages.promoted(member)
    for member in group[:fit]:
        webhooks.emit(webhooks.Action.REGISTRATION_PROMOTED, event, registration_id=member.id)
    audit.record(
        "registration_promoted",
        event=event,
        obj=reg,
        user=user,
        companions=[c.id for c in group[1:fit]],
    )


def cancel_on_behalf(user: User, reg: Registration, *, notify: bool = True) -> list[Registration]:
    """Cancel someone's registration for them (they phoned, or will not come). They get the
    usual cancellation receipt and the place goes to the waiting list. Returns the
    registrations promoted."""
    _locked(reg)
    if reg.status not in registration.ACTIVE:
        raise ActionRefused(_("This registration is not active, so there is nothing to cancel."))
    promoted = registration.cancel(reg, notify=notify)
    audit.record(
        "registration_cancelled_by_organiser",
        event=reg.event,
        obj=reg,
        user=user,
        promoted=[r.id for r in promoted],
    )
    return promoted


def add_by_hand(
    user: User, event: Event, data: SignupData, placement: Placement, *, notify: bool = True
) -> SignupResult:
    """Register someone on their behalf: the registration window does not apply, capacity
    does (see :func:`registration.register_by_organiser`). With ``notify`` the person is
    mailed their confirmation or waiting-list place with their own manage link; without it
    nothing is sent (the organiser's choice, see :func:`mail_by_default`). Raises
    :class:`registration.RegistrationRefused`."""
    result = registration.register_by_organiser(event.id, data, placement, notify=notify)
    if result.outcome == registration.Outcome.CREATED:
        audit.record(
            "registration_added",
            event=event,
            obj=result.registration,
            user=user,
            placement=placement.value,
            status=result.registration.status.value,
            mailed=notify,
        )
    return result


def mail_by_default(event: Event) -> bool:
    """Whether a person added by hand is mailed unless the organiser says otherwise: yes
    for an event still to come, no for one that is over (entered afterwards from paper)."""
    return event.ends_at > utcnow()


# --- messages --------------------------------------------------------------------------


def confirmed_registrations(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .options(joinedload(Registration.person))
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .order_by(Registration.queue_no, Registration.id)
        )
    )


def message_confirmed(user: User, event: Event, subject: str, body: str) -> int:
    """Queue the organiser's message, in their own words, to every confirmed participant:
    one outbox message each, plain text and simple HTML, with the event's details around it
    in the participant's language. Returns how many were queued."""
    body = body.replace("\r\n", "\n")
    recipients = [r for r in confirmed_registrations(event) if r.person.email]
    if not recipients:
        raise ActionRefused(_("Nobody has a confirmed place yet, so there is nobody to message."))
    body_html = _paragraphs(body)
    reply_to = _reply_address(user, event)
    for reg in recipients:
        messages.organiser_message(reg, subject, body, body_html, reply_to)
    audit.record("registrations_messaged", event=event, user=user, recipients=len(recipients))
    return len(recipients)


def _reply_address(user: User, event: Event) -> str | None:
    """Where participants' replies to an organiser's message go: the project's contact
    address, else the organiser's own."""
    contact = (event.project.contact_email or "").strip() if event.project else ""
    return contact or user.email or None


def _paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs, every character escaped."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(p.split("\n"))) for p in paragraphs
    )


# --- export ----------------------------------------------------------------------------


Cell = str | int | datetime | None


@dataclass(frozen=True)
class ExportTable:
    """The export as headers and rows; ``datetime`` cells are in the event's timezone."""

    headers: list[str]
    rows: list[list[Cell]]


def export_table(user: User, event: Event, filters: RegistrationFilters) -> ExportTable:
    """One row per registration for the organiser's own lists (name tags, catering, calls):
    contact details, status, waiting-list position, registration time in the event's
    timezone, attendance, needs, and one column per question of the event.

    The voluntary ESF+ background answers (gender, age band, labour market status) are
    deliberately left out: they are given for anonymous statistics only and must never be
    exported person by person. The export is audited (ids and counts only).
    """
    begin_write(db.session)  # the audit row is written in this (GET) request
    questions = list(event.questions)
    items = db.session.scalars(
        _filtered(event, filters)
        .options(
            joinedload(Registration.person),
            joinedload(Registration.organisation),
            joinedload(Registration.municipality),
        )
        .order_by(Registration.queue_no, Registration.id)
    ).all()
    attended = attendance.attended_registration_ids(event.id)
    positions = _positions(items)
    headers = [
        _("Name"),
        _("Email"),
        _("Phone"),
        _("Organisation"),
        _("Municipality"),
        _("Status"),
        _("Waiting list position"),
        _("Registered at (%(timezone)s)", timezone=event.timezone),
        _("Attended"),
        _("Accessibility needs"),
        _("Dietary needs"),
        *(q.label for q in questions),
    ]
    rows = [
        [
            r.person.name,
            r.person.email,
            r.person.phone,
            r.organisation.name if r.organisation else None,
            r.municipality.name if r.municipality else None,
            str(labels.REGISTRATION_STATUS_LABELS[r.status]),
            positions.get(r.id),
            r.consent_at.astimezone(event.tz),
            _("Yes") if r.id in attended else _("No"),
            r.accessibility_needs,
            r.dietary_needs,
            *_readable_answers(questions, r),
        ]
        for r in items
    ]
    audit.record(
        "registrations_exported",
        event=event,
        user=user,
        rows=len(rows),
        status=filters.status.value if filters.status else None,
    )
    return ExportTable(headers, rows)


def answers_and_needs(
    questions: Sequence[EventQuestion], registration: Registration
) -> list[tuple[str, str]]:
    """What the organiser's table shows of a registration beside the person: the answers
    to the event's own questions and the accessibility and dietary needs, as (label, text),
    leaving out what was not answered. Read the same way as in the export."""
    readable = _readable_answers(questions, registration)
    shown = list(zip((q.label for q in questions), readable, strict=True))
    shown += [
        (_("Accessibility needs"), registration.accessibility_needs or ""),
        (_("Dietary needs"), registration.dietary_needs or ""),
    ]
    return [(label, text) for label, text in shown if text]


def _readable_answers(questions: Sequence[EventQuestion], registration: Registration) -> list[str]:
    """The answers in the order of the questions; empty for a question that the answers
    hid (see :func:`questions.keep_shown`), whatever was stored before."""
    answers = question_rules.keep_shown(questions, registration.answers)
    return [_readable_answer(q, answers.get(str(q.id))) for q in questions]


def _readable_answer(question: EventQuestion, answer: object) -> str:
    if answer is None or answer == "" or answer == []:
        return ""
    if question.type == QuestionType.YES_NO:
        return {"yes": _("Yes"), "no": _("No")}.get(str(answer), str(answer))
    if isinstance(answer, list):
        return ", ".join(str(a) for a in answer)
    return str(answer)
