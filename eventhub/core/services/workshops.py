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
from dataclasses import dataclass, field
from datetime import date, datetime, time

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    Event,
    EventKind,
    EventStatus,
    Person,
    Registration,
    SeriesEnrolment,
    WorkshopSeries,
)
from eventhub.core.services import audit, capacity, indicators
from eventhub.core.services.capacity import Availability, EventAvailability
from eventhub.core.services.errors import Refused
from eventhub.core.services.events import local_time
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


# --- the whole series ----------------------------------------------------------------


def upcoming_sessions(series: WorkshopSeries) -> list[Event]:
    """The public sessions still to come: what "the whole series" means at any moment."""
    now = utcnow()
    return [e for e in public_sessions(series) if e.starts_at > now]


def register_for_whole_series(
    series: WorkshopSeries, data_for: Callable[[Event], SignupData]
) -> SeriesSignup:
    """Register one person for every session still to come and remember the wish, so that
    each session added to the series later takes them too (:func:`enrol_in_new_sessions`).

    Raises :class:`NoSessionTaken` when no session takes them (nothing is remembered then).
    The caller commits.
    """
    upcoming = upcoming_sessions(series)
    if not upcoming:
        raise NoSessionTaken([])
    signup = register_for_sessions(series, [e.id for e in upcoming], data_for)
    first = signup.registered[0].result
    assert first is not None  # registered outcomes have a result
    person = first.registration.person
    enrolment = db.session.scalar(
        select(SeriesEnrolment).where(
            SeriesEnrolment.series_id == series.id, SeriesEnrolment.person_id == person.id
        )
    ) or SeriesEnrolment(series_id=series.id, person_id=person.id)
    enrolment.source_registration_id = first.registration.id
    enrolment.locale = first.registration.locale
    enrolment.cancelled_at = None
    db.session.add(enrolment)
    db.session.flush()
    return signup


def enrol_in_new_sessions(series: WorkshopSeries, events: Iterable[Event]) -> int:
    """Register everyone enrolled in the whole series for the given sessions that are
    public and still to come (each under its own lock, ascending ids). A session that
    cannot take them (full without a waiting list) is skipped for them. Returns how many
    registrations were made. The caller commits."""
    now = utcnow()
    sessions = sorted((e for e in events if e.is_public and e.starts_at > now), key=lambda e: e.id)
    enrolments = db.session.scalars(
        select(SeriesEnrolment).where(
            SeriesEnrolment.series_id == series.id, SeriesEnrolment.cancelled_at.is_(None)
        )
    ).all()
    made = 0
    for enrolment in enrolments:
        source = (
            db.session.get(Registration, enrolment.source_registration_id)
            if enrolment.source_registration_id
            else None
        )
        person = enrolment.person
        if source is None or not person.email:
            continue  # anonymised since: nobody to register
        data = SignupData(
            name=person.name,
            email=person.email,
            locale=enrolment.locale,
            phone=person.phone,
            organisation_name=source.organisation.name if source.organisation else None,
            municipality_id=source.municipality_id,
            place_id=source.place_id,
            accessibility_needs=source.accessibility_needs,
            dietary_needs=source.dietary_needs,
            gender=source.gender,
            age_band=source.age_band,
            labour_status=source.labour_status,
        )
        for event in sessions:
            try:
                made += register(event.id, data).outcome.value == "created"
            except RegistrationRefused:
                continue
    return made


def enrolled_in_whole_series(series: WorkshopSeries) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                SeriesEnrolment.series_id == series.id, SeriesEnrolment.cancelled_at.is_(None)
            )
        )
        or 0
    )


# --- dates by pattern -------------------------------------------------------------------


class PatternRefused(Refused):
    """The pattern gives no dates, too many, or times that cannot be."""


# The most dates one pattern may create: two years of weekly sessions.
MAX_PATTERN_DATES = 104


@dataclass(frozen=True)
class DatePattern:
    """Dates for a series' sessions: every ``every`` weeks on ``weekdays`` (0 is Monday), or
    with ``monthly_nth`` set, monthly on the n-th (1-4, or -1 for the last) ``weekdays[0]``;
    from ``first`` to ``last`` inclusive, without the ``skip`` dates (holidays)."""

    first: date
    last: date
    weekdays: tuple[int, ...]
    starts: time
    ends: time
    every: int = 1
    monthly_nth: int | None = None
    skip: frozenset[date] = field(default_factory=frozenset)

    def dates(self) -> list[date]:
        """The dates, in order (python-dateutil's rrule: RFC 5545 recurrence rules rather
        than a calendar walk of our own)."""
        if self.last < self.first or not self.weekdays:
            return []
        if self.monthly_nth is not None:
            rule = rrule(
                MONTHLY,
                dtstart=self.first,
                until=self.last,
                byweekday=weekday(self.weekdays[0], self.monthly_nth),
            )
        else:
            rule = rrule(
                WEEKLY,
                dtstart=self.first,
                until=self.last,
                interval=self.every,
                byweekday=sorted(set(self.weekdays)),
                wkst=0,
            )
        return [d.date() for d in rule if d.date() not in self.skip]


@dataclass(frozen=True)
class SessionTemplate:
    """What each created session has: the series' name unless a title is given."""

    title: str
    capacity: int | None
    timezone: str
    venue: str = ""
    address: str = ""
    language: str = "fi"
    publish: bool = False


def preview_dates(
    pattern: DatePattern, template: SessionTemplate
) -> list[tuple[datetime, datetime]]:
    """The sessions a pattern would create, as (start, end) instants; refused when there
    are none, too many, or a time falls in a clock change's gap."""
    if pattern.ends <= pattern.starts:
        raise PatternRefused(_("A session must end after it starts."))
    days = pattern.dates()
    if not days:
        raise PatternRefused(_("The pattern gives no dates between the first and last day."))
    if len(days) > MAX_PATTERN_DATES:
        raise PatternRefused(
            _("The pattern gives %(count)d dates; at most %(most)d can be created at once.",
              count=len(days), most=MAX_PATTERN_DATES)
        )  # fmt: skip
    try:
        return [
            (
                local_time(datetime.combine(d, pattern.starts), template.timezone),
                local_time(datetime.combine(d, pattern.ends), template.timezone),
            )
            for d in days
        ]
    except ValueError as gap:
        raise PatternRefused(
            _("%(time)s does not exist on that day: the clocks go forward.", time=str(gap))
        ) from None


def create_dated_sessions(
    user, series: WorkshopSeries, pattern: DatePattern, template: SessionTemplate
) -> list[Event]:
    """Create one session per date of the pattern, each an event of the series with its own
    capacity, all in the caller's one transaction; published ones take everyone enrolled in
    the whole series. The caller commits (or rolls back: nothing half made)."""
    times = preview_dates(pattern, template)
    events = []
    for starts_at, ends_at in times:
        event = Event(
            kind=EventKind.WORKSHOP,
            status=EventStatus.PUBLISHED if template.publish else EventStatus.DRAFT,
            title=template.title or series.name,
            description=series.description,
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=template.timezone,
            venue=template.venue,
            address=template.address,
            language=template.language,
            capacity=template.capacity,
            project_id=series.project_id,
            series_id=series.id,
        )
        db.session.add(event)
        events.append(event)
    db.session.flush()
    db.session.expire(series, ["sessions"])
    audit.record(
        "series_dates_created", obj=series, user=user, events=[e.id for e in events],
        published=template.publish,
    )  # fmt: skip
    enrol_in_new_sessions(series, events)
    return events


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
    added = [e for e in events if e.series_id != series.id]
    for event in events:
        event.series_id = series.id
    db.session.flush()
    db.session.expire(series, ["sessions"])
    audit.record("series_sessions", obj=series, user=user, events=sorted(wanted))
    enrol_in_new_sessions(series, added)


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
