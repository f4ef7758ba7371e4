"""Participation experience surveys: instruments, the link mailed after an event, answers.

Answers are anonymous. A survey link is signed (no token is stored) and names the
registration and the instrument; the answer is saved with the event and instrument only. So
that a link answers once, a receipt keyed by an HMAC of (registration, instrument) is kept in
a table of its own, with no time and no link to the answer it came with.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import (
    Attendance,
    Event,
    ImportedRow,
    ImportKind,
    Person,
    Project,
    Registration,
    SurveyAnswer,
    SurveyInstrument,
    SurveyInvitation,
    SurveyReceipt,
    SurveyResponse,
    SurveyStage,
)
from eventhub.core.services.errors import Refused
from eventhub.core.services.indicators import THL_STATEMENTS
from eventhub.core.services.outbox import enqueue
from eventhub.extensions import db
from eventhub.urls import external_url

log = logging.getLogger("eventhub.surveys")

# A link works this long after the mail; a survey answered months later says little.
LINK_MAX_AGE = timedelta(days=60)
MAX_STATEMENTS = 20


class SurveyError(Refused):
    """Why a survey cannot be answered, in words for the participant."""


# --- instruments ---------------------------------------------------------------------------


def validate_statements(statements: list[str], is_thl: bool) -> list[str]:
    """The statements as the project typed them, one per line, blank lines dropped. The THL
    participation indicator has exactly ten; other instruments one to twenty."""
    cleaned = [s.strip() for s in statements if s.strip()]
    if is_thl and len(cleaned) != THL_STATEMENTS:
        raise SurveyError(
            _(
                "The THL participation indicator has exactly %(n)s statements; you entered "
                "%(got)s.",
                n=THL_STATEMENTS,
                got=len(cleaned),
            )
        )
    if not 1 <= len(cleaned) <= MAX_STATEMENTS:
        raise SurveyError(_("Enter between 1 and %(n)s statements.", n=MAX_STATEMENTS))
    return cleaned


def create_instrument(
    project: Project,
    *,
    name: str,
    statements: list[str],
    is_thl: bool,
    introduction: str = "",
    paired: bool = False,
) -> SurveyInstrument:
    """A new instrument. A *paired* one is not sent after each event: it is asked before a
    person's first event and again when they leave (core.services.followups), and the two
    answers are matched by person."""
    instrument = SurveyInstrument(
        project_id=project.id,
        name=name.strip(),
        introduction=introduction.strip(),
        is_thl_participation=is_thl,
        statements=validate_statements(statements, is_thl),
        active=True,
        paired=paired,
    )
    db.session.add(instrument)
    db.session.flush()
    return instrument


def update_instrument(
    instrument: SurveyInstrument,
    *,
    name: str,
    statements: list[str],
    introduction: str,
    active: bool,
) -> None:
    """Change an instrument. Once it has answers its statements are fixed: means computed
    over different wordings would mean nothing."""
    cleaned = validate_statements(statements, instrument.is_thl_participation)
    if cleaned != instrument.statements and has_answers(instrument):
        raise SurveyError(
            _("This survey has answers already, so its statements cannot change any more.")
        )
    instrument.name = name.strip()
    instrument.introduction = introduction.strip()
    instrument.statements = cleaned
    instrument.active = active
    db.session.flush()


def has_answers(instrument: SurveyInstrument) -> bool:
    return bool(
        db.session.scalar(select(exists().where(SurveyResponse.instrument_id == instrument.id)))
    )


# --- links -----------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="eventhub-survey")


def survey_token(registration_id: int, instrument_id: int) -> str:
    return _serializer().dumps([registration_id, instrument_id])


def survey_url(registration_id: int, instrument_id: int) -> str:
    return external_url("indicators.survey", token=survey_token(registration_id, instrument_id))


@dataclass(frozen=True)
class SurveyLink:
    registration_id: int
    instrument: SurveyInstrument
    event: Event


def open_link(token: str) -> SurveyLink:
    """The survey a link opens; SurveyError when it is broken, expired, or answered."""
    try:
        registration_id, instrument_id = _serializer().loads(
            token, max_age=int(LINK_MAX_AGE.total_seconds())
        )
    except SignatureExpired as exc:
        raise SurveyError(_("This survey link has expired.")) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise SurveyError(_("This survey link is not valid.")) from exc
    registration = db.session.get(Registration, registration_id)
    instrument = db.session.get(SurveyInstrument, instrument_id)
    if (
        registration is None
        or instrument is None
        or not instrument.active
        or registration.event.project_id != instrument.project_id
    ):
        raise SurveyError(_("This survey link is not valid."))
    if db.session.get(SurveyReceipt, _receipt_key(registration_id, instrument_id)):
        raise SurveyError(_("This survey has been answered with this link already. Thank you!"))
    return SurveyLink(registration_id, instrument, registration.event)


def _receipt_key(registration_id: int, instrument_id: int) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    message = f"survey-receipt:{registration_id}:{instrument_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def submit(token: str, values: list[int]) -> SurveyResponse:
    """Save one anonymous answer set; a link answers once (the receipt's primary key decides
    between two simultaneous submissions). The caller commits."""
    begin_write(db.session)
    link = open_link(token)
    if len(values) != len(link.instrument.statements) or not all(1 <= v <= 5 for v in values):
        raise SurveyError(_("Please answer every statement on the scale from 1 to 5."))
    try:
        with db.session.begin_nested():
            db.session.add(
                SurveyReceipt(token_hash=_receipt_key(link.registration_id, link.instrument.id))
            )
    except IntegrityError as exc:
        raise SurveyError(
            _("This survey has been answered with this link already. Thank you!")
        ) from exc
    response = SurveyResponse(
        instrument_id=link.instrument.id,
        event_id=link.event.id,
        # The day only: a precise time could be matched against the mail log.
        created_at=utcnow().replace(hour=12, minute=0, second=0, microsecond=0),
        answers=[SurveyAnswer(statement_no=n, value=v) for n, v in enumerate(values, 1)],
    )
    db.session.add(response)
    db.session.flush()
    return response


def submit_pair(
    instrument: SurveyInstrument,
    *,
    person_id: int,
    event_id: int | None,
    stage: SurveyStage,
    values: list[int],
) -> SurveyResponse:
    """Save one half of a person's before/after pair of a paired instrument: the same
    statements, kept with the person and the stage (once each), so that
    indicators.survey_pairs can measure the change. The caller commits."""
    if len(values) != len(instrument.statements) or not all(1 <= v <= 5 for v in values):
        raise SurveyError(_("Please answer every statement on the scale from 1 to 5."))
    if event_id is None:
        raise SurveyError(_("This survey link is not valid."))
    answered = select(SurveyResponse.id).where(
        SurveyResponse.instrument_id == instrument.id,
        SurveyResponse.person_id == person_id,
        SurveyResponse.stage == stage,
    )
    if db.session.scalar(answered) is not None:
        raise SurveyError(_("This survey has been answered with this link already. Thank you!"))
    response = SurveyResponse(
        instrument_id=instrument.id,
        event_id=event_id,
        person_id=person_id,
        stage=stage,
        created_at=utcnow().replace(hour=12, minute=0, second=0, microsecond=0),
        answers=[SurveyAnswer(statement_no=n, value=v) for n, v in enumerate(values, 1)],
    )
    db.session.add(response)
    db.session.flush()
    return response


# --- sending ---------------------------------------------------------------------------------


def queue_invitations(max_age_days: int = 14) -> int:
    """Queue the survey mail for every attended registration of events closed in the last
    ``max_age_days`` days whose project has an active instrument, except attendance brought
    in by an import. Each registration is sent
    one mail, however often this runs (the invitation row's primary key). The caller commits.
    """
    begin_write(db.session)
    since = utcnow() - timedelta(days=max_age_days)
    # Paired instruments go out as follow-ups (core.services.followups), not after events.
    active = select(SurveyInstrument.id).where(
        SurveyInstrument.project_id == Event.project_id,
        SurveyInstrument.active.is_(True),
        SurveyInstrument.paired.is_(False),
    )
    rows = db.session.execute(
        select(Registration, Event)
        .join(Attendance, Attendance.registration_id == Registration.id)
        .join(Event, Event.id == Registration.event_id)
        .join(Person, Person.id == Registration.person_id)
        .where(
            Event.closed_at.is_not(None),
            Event.closed_at >= since,
            Person.anonymised_at.is_(None),
            Person.email.is_not(None),
            exists(active),
            ~exists().where(SurveyInvitation.registration_id == Registration.id),
            # Imported people are never mailed, not even a registered one checked in by an
            # imported sign-in sheet.
            ~exists().where(
                ImportedRow.kind == ImportKind.ATTENDANCE, ImportedRow.object_id == Attendance.id
            ),
        )
        .order_by(Registration.id)
    ).all()
    instruments: dict[int | None, list[SurveyInstrument]] = {}
    for registration, event in rows:
        if event.project_id not in instruments:
            instruments[event.project_id] = list(
                db.session.scalars(
                    select(SurveyInstrument)
                    .where(
                        SurveyInstrument.project_id == event.project_id,
                        SurveyInstrument.active.is_(True),
                        SurveyInstrument.paired.is_(False),
                    )
                    .order_by(SurveyInstrument.id)
                )
            )
        _mail(registration, event, instruments[event.project_id])
        db.session.add(SurveyInvitation(registration_id=registration.id))
    db.session.flush()
    return len(rows)


def _mail(registration: Registration, event: Event, instruments: list[SurveyInstrument]) -> None:
    links = [(i.name, survey_url(registration.id, i.id)) for i in instruments]
    with force_locale(registration.locale):
        subject = _("How was it? %(title)s", title=event.title)
        context = {
            "registration": registration,
            "event": event,
            "person": registration.person,
            "event_url": external_url("events.detail", event_id=event.id),
            "manage_url": None,
            "links": links,
            "subject": subject,
        }
        text = render_template("mail/survey.txt", **context)
        html = render_template("mail/survey.html", **context)
    # A registered person always has an address (walk-ins are not registrations).
    assert registration.person.email is not None
    enqueue(
        kind="survey",
        recipient=registration.person.email,
        subject=subject,
        body_text=text,
        body_html=html,
    )
