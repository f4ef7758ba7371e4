"""Workshop series: registering for several sessions in one go, participation
certificates, and the figures of a series.

Each session is an ordinary event, so each registration is made by
:func:`eventhub.core.services.registration.register` under that session's lock. A request
that registers for several sessions locks them in ascending id order, which every such
request does, so two of them can never wait for each other.

What a participant gets when some sessions cannot take them: the sessions that can are
registered (a full one with a waiting list puts them on it), and the ones that cannot
(full without a waiting list, closed) are named on the answer page. Only when no chosen
session takes them is nothing registered and the form shown again with the reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from eventhub.core.models import Attendance, Event, Person, Registration, WorkshopSeries
from eventhub.core.services import audit, capacity, indicators
from eventhub.core.services.capacity import Availability, EventAvailability
from eventhub.core.services.errors import Refused
from eventhub.core.services.registration import (
    RegistrationRefused,
    SignupData,
    SignupResult,
    register,
)
from eventhub.extensions import db


def public_sessions(series: WorkshopSeries) -> list[Event]:
    return [e for e in series.sessions if e.is_public]


def sessions_with_places(series: WorkshopSeries) -> list[tuple[Event, EventAvailability]]:
    sessions = public_sessions(series)
    places = capacity.availability_many(sessions)
    return [(e, places[e.id]) for e in sessions]


@dataclass(frozen=True)
class SessionOutcome:
    event: Event
    result: SignupResult | None = None  # None when refused
    refused: Availability | None = None


@dataclass(frozen=True)
class SeriesSignup:
    outcomes: list[SessionOutcome]

    @property
    def registered(self) -> list[SessionOutcome]:
        return [o for o in self.outcomes if o.result is not None]

    @property
    def refused(self) -> list[SessionOutcome]:
        return [o for o in self.outcomes if o.result is None]


class NoSessionTaken(Refused):
    """None of the chosen sessions takes registrations; nothing was registered."""

    def __init__(self, outcomes: list[SessionOutcome]):
        super().__init__("no session takes registrations")
        self.outcomes = outcomes


def register_for_sessions(
    series: WorkshopSeries,
    event_ids: Iterable[int],
    data_for: Callable[[Event], SignupData],
) -> SeriesSignup:
    """Register one person for the chosen sessions of a series, in one transaction.

    ``data_for`` gives the signup data for each session (its own questions' answers).
    Raises :class:`LookupError` for a session not in the series and :class:`NoSessionTaken`
    when no session takes the registration. The caller commits (or rolls back).
    """
    sessions = {e.id: e for e in public_sessions(series)}
    chosen = sorted(set(event_ids))  # the lock order
    if not chosen or any(event_id not in sessions for event_id in chosen):
        raise LookupError(chosen)
    outcomes = []
    for event_id in chosen:
        event = sessions[event_id]
        try:
            outcomes.append(SessionOutcome(event, result=register(event_id, data_for(event))))
        except RegistrationRefused as refused:
            outcomes.append(SessionOutcome(event, refused=refused.reason))
    signup = SeriesSignup(outcomes)
    if not signup.registered:
        raise NoSessionTaken(outcomes)
    return signup


# --- certificates -----------------------------------------------------------------------


def attended_sessions(series: WorkshopSeries, person_id: int) -> list[Event]:
    """The sessions of the series the person was marked present at, in time order."""
    return list(
        db.session.scalars(
            select(Event)
            .where(
                Event.series_id == series.id,
                Event.id.in_(select(Attendance.event_id).where(Attendance.person_id == person_id)),
            )
            .order_by(Event.starts_at, Event.id)
        )
    )


def _attendance_per_person(series_id: int):
    return (
        select(Attendance.person_id, func.count(func.distinct(Attendance.event_id)).label("n"))
        .join(Event, Event.id == Attendance.event_id)
        .where(Event.series_id == series_id, Attendance.person_id.is_not(None))
        .group_by(Attendance.person_id)
    )


def certificate_holders(series: WorkshopSeries) -> list[tuple[Person, int]]:
    """People who attended at least the threshold of sessions, with how many they did."""
    counts = _attendance_per_person(series.id).subquery()
    rows = db.session.execute(
        select(Person, counts.c.n)
        .join(counts, counts.c.person_id == Person.id)
        .where(counts.c.n >= series.certificate_threshold, Person.anonymised_at.is_(None))
        .order_by(Person.name, Person.id)
    ).all()
    return [(person, n) for person, n in rows]


@dataclass(frozen=True)
class Certificate:
    series: WorkshopSeries
    person: Person
    sessions: list[Event]
    issued_on: datetime | None = None


def certificate(series: WorkshopSeries, person: Person) -> Certificate | None:
    """The person's certificate, or None below the threshold."""
    if person.anonymised_at is not None:
        return None
    sessions = attended_sessions(series, person.id)
    if len(sessions) < series.certificate_threshold:
        return None
    return Certificate(series, person, sessions, issued_on=sessions[-1].ends_at)


def registrant_locale(series: WorkshopSeries, person: Person) -> str:
    """The language the person registered for the series in: that of their latest
    registration to one of its sessions, else the person's own."""
    latest = db.session.scalar(
        select(Registration.locale)
        .join(Event, Event.id == Registration.event_id)
        .where(Event.series_id == series.id, Registration.person_id == person.id)
        .order_by(Registration.id.desc())
        .limit(1)
    )
    return latest or person.locale


# --- organiser --------------------------------------------------------------------------


def create_series(user, *, name: str, project_id: int | None, description: str = "",
                  certificate_threshold: int = 1) -> WorkshopSeries:  # fmt: skip
    series = WorkshopSeries(
        name=name,
        project_id=project_id,
        description=description,
        certificate_threshold=certificate_threshold,
    )
    db.session.add(series)
    db.session.flush()
    audit.record("series_created", obj=series, user=user)
    return series


def set_sessions(user, series: WorkshopSeries, events: Iterable[Event]) -> None:
    """Make exactly these events the sessions of the series."""
    wanted = {e.id for e in events}
    for event in db.session.scalars(select(Event).where(Event.series_id == series.id)):
        if event.id not in wanted:
            event.series_id = None
    for event in events:
        event.series_id = series.id
    db.session.flush()
    db.session.expire(series, ["sessions"])
    audit.record("series_sessions", obj=series, user=user, events=sorted(wanted))


# --- figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesFigures:
    """A series' figures, by the indicators' rules: a session is *held* once an organiser
    has closed it; a *participation* is an attendance record at a held session; *unique
    persons* are distinct people among them, each walk-in without a person counting as one.
    Each session also counts as an event in the project-wide indicators."""

    sessions: int
    sessions_held: int
    participations: int
    unique_persons: int
    certificates: int


def series_indicators(series: WorkshopSeries) -> SeriesFigures:
    """Held sessions, participations and unique persons are the indicators module's."""
    session_ids = select(Event.id).where(Event.series_id == series.id)
    sessions = db.session.scalar(select(func.count()).select_from(session_ids.subquery()))
    figures = indicators.participation_at(session_ids)
    return SeriesFigures(
        sessions=sessions or 0,
        sessions_held=figures.held,
        participations=figures.participations,
        unique_persons=figures.unique_persons,
        certificates=certificates_earned(series),
    )


def certificates_earned(series: WorkshopSeries) -> int:
    """People who reached the threshold, counted whether or not their personal data has
    since been anonymised: a certificate earned stays earned after retention."""
    counts = _attendance_per_person(series.id).subquery()
    return int(
        db.session.scalar(select(func.count()).where(counts.c.n >= series.certificate_threshold))
        or 0
    )


def attendance_counts(event_ids: list[int]) -> dict[int, int]:
    """Attendance records per session (walk-ins included)."""
    if not event_ids:
        return {}
    return dict(
        db.session.execute(
            select(Attendance.event_id, func.count())
            .where(Attendance.event_id.in_(event_ids))
            .group_by(Attendance.event_id)
        ).all()
    )


_CERTIFICATE_SALT = "eventhub.certificate"


def _certificate_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_CERTIFICATE_SALT)


def certificate_token(registration: Registration) -> str:
    """The secret of a certificate's address. Certificates are shared (a CV, an employer), so
    the address is read-only: it is not the manage link, which would let whoever holds it
    change or cancel the registration."""
    return _certificate_serializer().dumps(registration.id)


def registration_for_certificate_token(token: str) -> Registration | None:
    if len(token) > 200:
        return None
    try:
        registration_id = _certificate_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(registration_id, int):
        return None
    return db.session.get(Registration, registration_id)
