"""Follow-up questionnaires: the ESF+ Annex I result items and the paired participation
survey, mailed to each participant of a project at three moments.

- **before**: a person registered for an event of a project with a *paired* survey, who has
  not yet taken part in a held event of it, is mailed the survey's statements (their
  "before" answers);
- **leaving**: ``Project.followup_after_days`` after the end of a person's last attended
  held event of the project, with no registration for an upcoming event of it, they are
  mailed the result items the project selected (``Project.followup_items``) and the paired
  survey's statements again (their "after" answers);
- **six months**: six months after that last event, the result items again.

Each person is mailed once per project and stage: the invitation row's unique key decides,
and it is written in the same transaction as the mail (outbox) row. Unanswered invitations
get one reminder. A link is signed (no token stored) and names the invitation; it answers
once. :func:`run` does all of it and is the periodic job ``followups``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import aliased

from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import (
    Attendance,
    Event,
    FollowupAnswer,
    FollowupInvitation,
    FollowupStage,
    ImportedRow,
    ImportKind,
    Person,
    Project,
    Registration,
    RegistrationStatus,
    ResultItem,
    SurveyInstrument,
    SurveyStage,
)
from eventhub.core.services import indicators as ind
from eventhub.core.services import surveys
from eventhub.core.services.errors import Refused
from eventhub.core.services.outbox import enqueue
from eventhub.extensions import db
from eventhub.urls import external_url

SIX_MONTHS = timedelta(days=183)
REMIND_AFTER = timedelta(days=7)
LINK_MAX_AGE = timedelta(days=60)
UPCOMING = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED)


class FollowupError(Refused):
    """Why a questionnaire cannot be answered, in words for the participant."""


# --- what each stage asks ------------------------------------------------------------------


def paired_instrument(project_id: int) -> SurveyInstrument | None:
    """The project's active survey asked before and after (the first, if several)."""
    return db.session.scalars(
        select(SurveyInstrument)
        .where(
            SurveyInstrument.project_id == project_id,
            SurveyInstrument.paired.is_(True),
            SurveyInstrument.active.is_(True),
        )
        .order_by(SurveyInstrument.id)
        .limit(1)
    ).first()


@dataclass(frozen=True)
class Questions:
    items: list[ResultItem]
    instrument: SurveyInstrument | None

    @property
    def any(self) -> bool:
        return bool(self.items) or self.instrument is not None


def questions(project: Project, stage: FollowupStage) -> Questions:
    items = (
        []
        if stage == FollowupStage.BEFORE
        else [ResultItem(v) for v in project.followup_items or []]
    )
    instrument = (
        paired_instrument(project.id)
        if stage in (FollowupStage.BEFORE, FollowupStage.LEAVING)
        else None
    )
    return Questions(items, instrument)


# --- links ---------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="eventhub-followup")


def token_for(invitation_id: int) -> str:
    return _serializer().dumps(invitation_id)


def url_for_invitation(invitation_id: int) -> str:
    return external_url("indicators.followup", token=token_for(invitation_id))


def open_link(token: str) -> FollowupInvitation:
    """The invitation a link opens; FollowupError when broken, expired or answered."""
    try:
        invitation_id = _serializer().loads(token, max_age=int(LINK_MAX_AGE.total_seconds()))
    except SignatureExpired as exc:
        raise FollowupError(_("This questionnaire link has expired.")) from exc
    except BadSignature as exc:
        raise FollowupError(_("This questionnaire link is not valid.")) from exc
    invitation = (
        db.session.get(FollowupInvitation, invitation_id)
        if isinstance(invitation_id, int)
        else None
    )
    if invitation is None:
        raise FollowupError(_("This questionnaire link is not valid."))
    if invitation.answered_at is not None:
        raise FollowupError(_("This questionnaire has been answered already. Thank you!"))
    return invitation


def submit(token: str, items: dict[ResultItem, bool], values: list[int] | None) -> None:
    """Save the answers of one questionnaire, once (the invitation row is locked). The
    caller commits."""
    begin_write(db.session)
    invitation = open_link(token)
    locked = db.session.scalar(
        select(FollowupInvitation)
        .where(FollowupInvitation.id == invitation.id, FollowupInvitation.answered_at.is_(None))
        .with_for_update()
    )
    if locked is None:
        raise FollowupError(_("This questionnaire has been answered already. Thank you!"))
    asked = questions(invitation.project, invitation.stage)
    if set(items) != set(asked.items):
        raise FollowupError(_("Please answer every question."))
    if asked.instrument is not None:
        stage = (
            SurveyStage.BEFORE if invitation.stage == FollowupStage.BEFORE else SurveyStage.AFTER
        )
        surveys.submit_pair(
            asked.instrument,
            person_id=invitation.person_id,
            event_id=invitation.event_id,
            stage=stage,
            values=values or [],
        )
    for item, value in items.items():
        db.session.add(FollowupAnswer(invitation_id=invitation.id, item=item, value=value))
    invitation.answered_at = utcnow()
    db.session.flush()


# --- queueing ------------------------------------------------------------------------------


def _not_imported() -> ColumnElement[bool]:
    """Attendance brought in by an import is never mailed about (as in surveys)."""
    return ~exists().where(
        ImportedRow.kind == ImportKind.ATTENDANCE, ImportedRow.object_id == Attendance.id
    )


def _not_invited(stage: FollowupStage) -> ColumnElement[bool]:
    return ~exists().where(
        FollowupInvitation.project_id == Event.project_id,
        FollowupInvitation.person_id == Person.id,
        FollowupInvitation.stage == stage,
    )


def _mailable() -> list[ColumnElement[bool]]:
    return [Person.anonymised_at.is_(None), Person.email.is_not(None)]


def _last_participations(project_ids: list[int]):
    """Per project and person: the end of their last attended held event, and that event."""
    numbered = (
        select(
            Event.project_id,
            Attendance.person_id,
            Event.id.label("event_id"),
            Event.ends_at,
            func.row_number()
            .over(
                partition_by=(Event.project_id, Attendance.person_id),
                order_by=(Event.ends_at.desc(), Event.id.desc()),
            )
            .label("rn"),
        )
        .join(Event, Event.id == Attendance.event_id)
        .where(
            Event.project_id.in_(project_ids),
            Event.is_outreach.is_(False),
            ind.held_condition(),
            Attendance.person_id.is_not(None),
            _not_imported(),
        )
        .subquery()
    )
    return select(numbered).where(numbered.c.rn == 1).subquery("last")


def _queue_after(now: datetime, stage: FollowupStage) -> int:
    projects = [
        p
        for p in db.session.scalars(select(Project).order_by(Project.id))
        if questions(p, stage).any
    ]
    if not projects:
        return 0
    last = _last_participations([p.id for p in projects])
    by_id = {p.id: p for p in projects}
    upcoming = exists().where(
        Registration.person_id == Person.id,
        Registration.status.in_(UPCOMING),
        Registration.event_id == Event.id,
        Event.project_id == last.c.project_id,
        Event.starts_at > now,
    )
    already = exists().where(
        FollowupInvitation.project_id == last.c.project_id,
        FollowupInvitation.person_id == Person.id,
        FollowupInvitation.stage == stage,
    )
    conds = [*_mailable(), ~upcoming, ~already]
    # Six months on: only those followed up at leaving (when that was), by the same time.
    leaving = select(FollowupInvitation.queued_at).where(
        FollowupInvitation.project_id == last.c.project_id,
        FollowupInvitation.person_id == Person.id,
        FollowupInvitation.stage == FollowupStage.LEAVING,
    )
    rows = db.session.execute(
        select(
            last.c.project_id,
            last.c.event_id,
            last.c.ends_at,
            leaving.scalar_subquery().label("left_at"),
            Person,
        )
        .join(Person, Person.id == last.c.person_id)
        .where(*conds)
        .order_by(last.c.project_id, Person.id)
    ).all()
    queued = 0
    for project_id, event_id, ends_at, left_at, person in rows:
        project = by_id[project_id]
        after_days = timedelta(days=project.followup_after_days)
        if stage == FollowupStage.SIX_MONTHS:
            # Six months after the last event, and as long after the leaving questionnaire
            # as the two are apart (never both in one run).
            if left_at is None or left_at + SIX_MONTHS - after_days > now:
                continue
            if ends_at + SIX_MONTHS > now:
                continue
        elif ends_at + after_days > now:
            continue
        _invite(project, person, stage, event_id, now)
        queued += 1
    return queued


def _queue_before(now: datetime) -> int:
    """Persons registered for an event of a project with a paired survey who have not yet
    taken part in a held event of it (their "before" answers)."""
    projects = [p for p in db.session.scalars(select(Project)) if paired_instrument(p.id)]
    if not projects:
        return 0
    held = aliased(Event)
    took_part = exists().where(
        Attendance.person_id == Person.id,
        Attendance.event_id == held.id,
        held.project_id == Event.project_id,
        held.closed_at.is_not(None),
    )
    rows = db.session.execute(
        select(Event.project_id, func.min(Registration.event_id), Person.id)
        .join(Registration, Registration.person_id == Person.id)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Event.project_id.in_([p.id for p in projects]),
            Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)),
            Event.closed_at.is_(None),
            *_mailable(),
            _not_invited(FollowupStage.BEFORE),
            ~took_part,
        )
        .group_by(Event.project_id, Person.id)
        .order_by(Event.project_id, Person.id)
    ).all()
    by_id: dict[int | None, Project] = {p.id: p for p in projects}
    for project_id, event_id, person_id in rows:
        person = db.session.get(Person, person_id)
        assert person is not None
        _invite(by_id[project_id], person, FollowupStage.BEFORE, event_id, now)
    return len(rows)


def _invite(
    project: Project, person: Person, stage: FollowupStage, event_id: int, now: datetime
) -> None:
    locale = (
        db.session.scalar(
            select(Registration.locale)
            .where(Registration.person_id == person.id)
            .order_by(Registration.id.desc())
            .limit(1)
        )
        or project.language
    )
    invitation = FollowupInvitation(
        project_id=project.id,
        person_id=person.id,
        stage=stage,
        event_id=event_id,
        locale=locale,
        queued_at=now,
    )
    db.session.add(invitation)
    db.session.flush()
    _mail(invitation, reminder=False)


def _mail(invitation: FollowupInvitation, *, reminder: bool) -> None:
    project, person, event = invitation.project, invitation.person, invitation.event
    assert person.email is not None  # only mailable people are invited
    with force_locale(invitation.locale):
        subject = (
            _("Reminder: a few questions from %(project)s", project=project.name)
            if reminder
            else _("A few questions from %(project)s", project=project.name)
        )
        context = {
            "person": person,
            "event": event,
            "project": project,
            "stage": invitation.stage.value,
            "event_url": external_url("events.detail", event_id=event.id) if event else "",
            "manage_url": None,
            "registration": None,
            "url": url_for_invitation(invitation.id),
            "reminder": reminder,
            "subject": subject,
        }
        text = render_template("mail/followup.txt", **context)
        html = render_template("mail/followup.html", **context)
    enqueue(
        kind="followup", recipient=person.email, subject=subject, body_text=text, body_html=html
    )


def _remind(now: datetime) -> int:
    due = db.session.scalars(
        select(FollowupInvitation)
        .join(Person, Person.id == FollowupInvitation.person_id)
        .where(
            FollowupInvitation.answered_at.is_(None),
            FollowupInvitation.reminded_at.is_(None),
            FollowupInvitation.queued_at <= now - REMIND_AFTER,
            FollowupInvitation.queued_at > now - LINK_MAX_AGE + REMIND_AFTER,
            *_mailable(),
        )
        .order_by(FollowupInvitation.id)
    ).all()
    for invitation in due:
        invitation.reminded_at = now
        _mail(invitation, reminder=True)
    db.session.flush()
    return len(due)


@dataclass(frozen=True)
class RunReport:
    before: int
    leaving: int
    six_months: int
    reminders: int

    def __str__(self) -> str:
        return (
            f"follow-ups queued: {self.before} before, {self.leaving} at leaving, "
            f"{self.six_months} at six months; {self.reminders} reminders"
        )


def queue(now: datetime | None = None) -> RunReport:
    """Queue every follow-up due now. The caller commits."""
    begin_write(db.session)
    now = now or utcnow()
    return RunReport(
        _queue_before(now),
        _queue_after(now, FollowupStage.LEAVING),
        _queue_after(now, FollowupStage.SIX_MONTHS),
        _remind(now),
    )


def run() -> str:
    """The periodic job: queue what is due and commit (the invitations with their mail)."""
    report = queue()
    db.session.commit()
    return str(report)
