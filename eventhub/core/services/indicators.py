"""Every participation indicator, defined once. docs/indicators.md explains each in words.

Every figure is a SQL aggregate over a :class:`Scope` (projects, a period, a kind, a place);
nothing here loops over attendance rows in Python. For each figure :func:`records` returns
the query listing the records behind it, so any number on a report can be opened and checked.

The rules, in one place:

- An event counts as *held* once an organiser has closed it (``Event.closed_at`` is set).
  Events not closed yet count for nothing but registrations planned ahead.
- A *participation* is one attendance record at a held event: a registered person marked
  present, or a walk-in. Headcounts (people counted without names) are reported beside
  participations and never added to them.
- *Unique persons* are distinct ``person_id`` among those participations; a walk-in recorded
  without a person cannot be recognised again, so each such walk-in counts as one person.
- *Organisation participations* are distinct (event, organisation) pairs: one association
  sending three people to one training counts once for that training.
- The *month* of an event is the month of its start in the event's own timezone (on
  PostgreSQL ``AT TIME ZONE``; SQLite has no timezone data, so a SQL function backed by
  Python's zoneinfo is registered on every SQLite connection, and called once per event,
  never per attendance row). The *period* of a scope is compared with the same local start
  date.
- *ESF+ background* (gender, age band, labour-market status) is counted per unique person, from
  the registrations behind their participations in scope. Each question is taken from the
  person's latest registration (highest id) that answered it; a person who never answered is
  counted as "not answered", never guessed. A walk-in's background is what the organiser
  recorded for them (at the door or from an imported sheet), else "not answered".
- *Guidance sessions* are counted by the day they were held; the place filters use the
  organisation's municipality. A session with two topics counts once under each topic.
- *Survey* results are withheld (only the number of answers is given) below
  :data:`SURVEY_MIN_ANSWERS` answers, so that nobody's answers can be picked out.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from eventhub.core.models import (
    AgeBand,
    Attendance,
    Country,
    Event,
    EventKind,
    FollowupAnswer,
    FollowupInvitation,
    FollowupStage,
    Gender,
    GuidanceSession,
    GuidanceTopic,
    Headcount,
    Initiative,
    InitiativeStatus,
    LabourStatus,
    MentoringSession,
    Municipality,
    Organisation,
    Person,
    Place,
    Project,
    ProjectTarget,
    Registration,
    RegistrationStatus,
    ResultItem,
    SurveyAnswer,
    SurveyInstrument,
    SurveyResponse,
    Team,
)
from eventhub.core.models.indicators import guidance_session_topic
from eventhub.extensions import db

SURVEY_MIN_ANSWERS = 5
THL_STATEMENTS = 10

# --- scope -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a report covers. ``project_ids`` is required (the projects a user may see);
    the rest narrows it down. Dates are inclusive and compared with the event's local start
    date (guidance: the day it was held)."""

    project_ids: tuple[int, ...]
    date_from: date | None = None
    date_to: date | None = None
    kind: EventKind | None = None
    municipality_id: int | None = None
    region: str | None = None
    country: Country | None = None

    def narrowed(self, **changes: Any) -> Scope:
        return replace(self, **changes)

    @property
    def includes_guidance(self) -> bool:
        return self.kind in (None, EventKind.GUIDANCE)


# --- local time in SQL -------------------------------------------------------------------


class _local_format(FunctionElement):  # noqa: N801 - a SQL function, named like one
    """``starts_at`` in the IANA zone ``tz``, formatted ('YYYY-MM' or 'YYYY-MM-DD')."""

    type = String()
    inherit_cache = True


_PG_FORMATS = {"%Y-%m": "YYYY-MM", "%Y-%m-%d": "YYYY-MM-DD"}


@compiles(_local_format, "postgresql")
def _local_format_pg(element, compiler, **kw):
    moment, tz, fmt = (compiler.process(c, **kw) for c in element.clauses)
    pattern = _PG_FORMATS[list(element.clauses)[2].value]
    return f"to_char(({moment}) AT TIME ZONE ({tz}), '{pattern}')"


@compiles(_local_format)
def _local_format_sqlite(element, compiler, **kw):
    moment, tz = (compiler.process(c, **kw) for c in list(element.clauses)[:2])
    pattern = list(element.clauses)[2].value
    return f"eventhub_local_format({moment}, {tz}, '{pattern}')"


def local_month(moment, tz):
    return _local_format(moment, tz, literal("%Y-%m", literal_execute=True))


def local_day(moment, tz):
    return _local_format(moment, tz, literal("%Y-%m-%d", literal_execute=True))


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _sqlite_local_format(moment: str | None, tz: str | None, fmt: str) -> str | None:
    if moment is None:
        return None
    utc = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return utc.astimezone(_zone(tz or "UTC")).strftime(fmt)


@sa_event.listens_for(Engine, "connect")
def _register_sqlite_functions(dbapi_connection, _record) -> None:
    """Every new SQLite connection learns the local-time function (see the module doc)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            "eventhub_local_format", 3, _sqlite_local_format, deterministic=True
        )


def _prepare() -> None:
    """PostgreSQL gets enough memory for this transaction's sorts and hashes: the default
    4 MB spills a million-row DISTINCT to disk. SET LOCAL ends with the transaction."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL work_mem = '64MB'"))


# --- the scope as SQL ----------------------------------------------------------------------


def _place_conditions(municipality_col, scope: Scope) -> list:
    conds = []
    if scope.municipality_id is not None:
        conds.append(municipality_col == scope.municipality_id)
    if scope.region or scope.country:
        places = select(Municipality.id)
        if scope.region:
            places = places.where(Municipality.region == scope.region)
        if scope.country:
            places = places.where(Municipality.country == scope.country)
        conds.append(municipality_col.in_(places))
    return conds


def held_condition() -> ColumnElement[bool]:
    """The one rule of *held*: an organiser has closed the event (see the module docstring).
    Every figure, a series' and a hackathon's too, asks this."""
    return Event.closed_at.is_not(None)


def held_ids(event_ids) -> Select:
    """The held events among ``event_ids`` (ids, or a SELECT of ids)."""
    return select(Event.id).where(Event.id.in_(event_ids), held_condition())


@dataclass(frozen=True)
class HeldParticipation:
    """Held events, participations and unique persons among some events (a workshop
    series' sessions, a hackathon's mentoring sessions), by this module's rules."""

    held: int
    participations: int
    unique_persons: int


def participation_at(event_ids) -> HeldParticipation:
    """Participations and unique persons at the held events among ``event_ids``."""
    held = held_ids(event_ids)
    participations, persons = db.session.execute(
        select(func.count(), _unique_persons_expr()).where(Attendance.event_id.in_(held))
    ).one()
    return HeldParticipation(
        held=db.session.scalar(select(func.count()).select_from(held.subquery())) or 0,
        participations=participations or 0,
        unique_persons=persons or 0,
    )


def event_conditions(
    scope: Scope, *, held: bool = True, outreach: bool = False
) -> list[ColumnElement[bool]]:
    """WHERE conditions on Event for the scope; ``held`` keeps closed events only.

    The project's own events, unless ``outreach``: then its talks at other organisers'
    events, which are reported apart and never counted among the events held."""
    conds: list[ColumnElement[bool]] = [
        Event.project_id.in_(scope.project_ids),
        Event.is_outreach.is_(outreach),
    ]
    if held:
        conds.append(held_condition())
    if scope.kind is not None:
        conds.append(Event.kind == scope.kind)
    conds += _place_conditions(Event.municipality_id, scope)
    if scope.date_from or scope.date_to:
        day = local_day(Event.starts_at, Event.timezone)
        if scope.date_from:
            conds.append(day >= scope.date_from.isoformat())
        if scope.date_to:
            conds.append(day <= scope.date_to.isoformat())
    return conds


def held_event_ids(scope: Scope) -> Select:
    return select(Event.id).where(*event_conditions(scope))


def _guidance_conditions(scope: Scope) -> list:
    if not scope.includes_guidance:
        return [false()]
    conds: list[ColumnElement[bool]] = [GuidanceSession.project_id.in_(scope.project_ids)]
    if scope.date_from:
        conds.append(GuidanceSession.held_on >= scope.date_from)
    if scope.date_to:
        conds.append(GuidanceSession.held_on <= scope.date_to)
    place = _place_conditions(Organisation.municipality_id, scope)
    if place:
        conds.append(GuidanceSession.organisation_id.in_(select(Organisation.id).where(*place)))
    return conds


# --- figures -----------------------------------------------------------------------------


@dataclass
class Participation:
    """The headline figures about who took part."""

    events_held: int = 0
    participations: int = 0
    registered_participations: int = 0
    walk_ins: int = 0
    unique_persons: int = 0
    unique_organisations: int = 0
    organisation_participations: int = 0
    headcount: int = 0
    headcount_events: int = 0


def participation(scope: Scope) -> Participation:
    """Participations, unique persons and organisations, organisation participations and
    headcounts at the held events of the scope."""
    return _figures(scope, [])[0]


@dataclass
class Registrations:
    """Registrations at the held events of the scope."""

    by_status: dict[RegistrationStatus, int] = field(default_factory=dict)
    no_shows: int = 0
    places: int = 0  # the capacity of held events that had a limit
    confirmed_in_limited: int = 0  # confirmed registrations at those events
    walk_ins_in_limited: int = 0  # people who came without registering to those events

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def fill_rate(self) -> float | None:
        """Confirmed registrations and walk-ins as a share of the places offered (events with
        a limit): a walk-in takes a seat as surely as a registered participant."""
        taken = self.confirmed_in_limited + self.walk_ins_in_limited
        return taken / self.places if self.places else None

    @property
    def no_show_rate(self) -> float | None:
        confirmed = self.by_status.get(RegistrationStatus.CONFIRMED, 0)
        return self.no_shows / confirmed if confirmed else None


def registrations(scope: Scope) -> Registrations:
    """Registrations by status, no-shows (confirmed but not attended) and the fill rate."""
    _prepare()
    held = held_event_ids(scope)
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    rows = db.session.execute(
        select(
            Registration.status,
            func.count(),
            func.sum(case((and_(confirmed, Attendance.id.is_(None)), 1), else_=0)),
        )
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.event_id.in_(held))
        .group_by(Registration.status)
    ).all()
    result = Registrations(by_status=dict.fromkeys(RegistrationStatus, 0))
    for status, count, not_attended in rows:
        result.by_status[RegistrationStatus(status)] = int(count)
        if status == RegistrationStatus.CONFIRMED:
            result.no_shows = int(not_attended or 0)
    limited = select(Event.id).where(*event_conditions(scope), Event.capacity.is_not(None))
    places, booked, walk_ins = db.session.execute(
        select(
            select(func.coalesce(func.sum(Event.capacity), 0))
            .where(Event.id.in_(limited))
            .scalar_subquery(),
            select(func.count())
            .where(Registration.event_id.in_(limited), confirmed)
            .scalar_subquery(),
            select(func.count())
            .where(Attendance.event_id.in_(limited), Attendance.registration_id.is_(None))
            .scalar_subquery(),
        )
    ).one()
    result.places, result.confirmed_in_limited = int(places), int(booked)
    result.walk_ins_in_limited = int(walk_ins)
    return result


# --- breakdowns ----------------------------------------------------------------------------


class Dimension(enum.StrEnum):
    MONTH = "month"
    KIND = "kind"
    MUNICIPALITY = "municipality"
    REGION = "region"
    COUNTRY = "country"
    PROJECT = "project"


@dataclass
class BreakdownRow:
    key: str | None  # month 'YYYY-MM', kind value, municipality id, region, country, project id
    events: int
    participations: int
    organisation_participations: int
    headcount: int
    unique_persons: int | None = None


def _figures(
    scope: Scope, dims: list[Dimension]
) -> tuple[Participation, dict[Dimension, list[BreakdownRow]]]:
    """The headline figures and the breakdowns by ``dims`` in one statement.

    Attendance is read twice, each time from one index: grouped by event (participations,
    and distinct organisations per event = organisation participations), and for distinct
    persons, registered participants and walk-ins without a person. Unique organisations
    probe the index (organisation_id, event_id) once per organisation. Every breakdown is
    regrouped from the one row per held event, so it costs nothing more.
    """
    _prepare()
    held = (
        select(
            Event.id.label("id"),
            Event.project_id.label("project_id"),
            cast(Event.kind, String).label("kind"),
            Event.municipality_id.label("municipality_id"),
            local_month(Event.starts_at, Event.timezone).label("month"),
        )
        .where(*event_conditions(scope))
        .cte("held")
    )
    held_ids = select(held.c.id)
    in_scope = Attendance.event_id.in_(held_ids)
    # Each read of attendance below touches only the columns of one index, so PostgreSQL
    # answers it from the index alone: (event_id, organisation_id) for the per-event figures
    # and distinct organisations, (event_id, person_id, registration_id) for persons.
    att = (
        select(
            Attendance.event_id.label("event_id"),
            func.count().label("participations"),
            func.count(Attendance.organisation_id.distinct()).label("org_participations"),
        )
        .where(in_scope)
        .group_by(Attendance.event_id)
        .subquery("att")
    )
    people = (
        select(
            func.count(Attendance.person_id.distinct()).label("persons"),
            (func.count() - func.count(Attendance.person_id)).label("anonymous"),
            func.count(Attendance.registration_id).label("registered"),
        )
        .where(in_scope)
        .cte("people")
    )  # one read, three figures
    # Organisations are few: asking each whether it attended (one probe of the index
    # (organisation_id, event_id)) is far cheaper than a DISTINCT over every attendance.
    organisations = (
        select(func.count())
        .select_from(Organisation)
        .where(exists().where(Attendance.organisation_id == Organisation.id, in_scope))
    )
    heads = (
        select(Headcount.event_id.label("event_id"), func.sum(Headcount.count).label("people"))
        .where(Headcount.event_id.in_(held_ids))
        .group_by(Headcount.event_id)
        .subquery("heads")
    )
    places = select(Municipality.id, Municipality.region, Municipality.country).subquery("places")
    ev = (
        select(
            held,
            places.c.region,
            cast(places.c.country, String).label("country"),
            func.coalesce(att.c.participations, 0).label("participations"),
            func.coalesce(att.c.org_participations, 0).label("org_participations"),
            func.coalesce(heads.c.people, 0).label("headcount"),
            case((heads.c.event_id.is_not(None), 1), else_=0).label("counted"),
        )
        .outerjoin(att, att.c.event_id == held.c.id)
        .outerjoin(heads, heads.c.event_id == held.c.id)
        .outerjoin(places, places.c.id == held.c.municipality_id)
        .cte("per_event")
    )

    def figures(dim: str, key, *extra):
        return select(
            literal(dim, String).label("dim"),
            key.label("key"),
            func.count().label("events"),
            func.coalesce(func.sum(ev.c.participations), 0).label("participations"),
            func.coalesce(func.sum(ev.c.org_participations), 0).label("org_participations"),
            func.coalesce(func.sum(ev.c.headcount), 0).label("headcount"),
            *extra,
        )

    zero = literal(0)
    parts = [
        figures(
            "total",
            literal(None, String),
            func.coalesce(func.sum(ev.c.counted), 0).label("counted"),
            select(people.c.persons).scalar_subquery().label("persons"),
            select(people.c.anonymous).scalar_subquery().label("anonymous"),
            select(people.c.registered).scalar_subquery().label("registered"),
            organisations.scalar_subquery().label("orgs"),
        )
    ]
    keys = {
        Dimension.MONTH: ev.c.month,
        Dimension.KIND: ev.c.kind,
        Dimension.MUNICIPALITY: cast(ev.c.municipality_id, String),
        Dimension.REGION: ev.c.region,
        Dimension.COUNTRY: ev.c.country,
        Dimension.PROJECT: cast(ev.c.project_id, String),
    }
    for dim in dims:
        key = keys[dim]
        parts.append(figures(dim.value, key, zero, zero, zero, zero, zero).group_by(key))
    total = Participation()
    result: dict[Dimension, list[BreakdownRow]] = {dim: [] for dim in dims}
    for row in db.session.execute(union_all(*parts)):
        if row.dim == "total":
            total = Participation(
                events_held=int(row.events),
                participations=int(row.participations),
                registered_participations=int(row.registered),
                walk_ins=int(row.participations) - int(row.registered),
                unique_persons=int(row.persons) + int(row.anonymous),
                unique_organisations=int(row.orgs),
                organisation_participations=int(row.org_participations),
                headcount=int(row.headcount),
                headcount_events=int(row.counted),
            )
            continue
        result[Dimension(row.dim)].append(
            BreakdownRow(
                key=row.key,
                events=int(row.events),
                participations=int(row.participations),
                organisation_participations=int(row.org_participations),
                headcount=int(row.headcount),
            )
        )
    for rows in result.values():
        rows.sort(key=lambda r: (r.key is None, r.key or ""))
    return total, result


def breakdowns(
    scope: Scope, dims: Iterable[Dimension], *, with_persons: bool = False
) -> dict[Dimension, list[BreakdownRow]]:
    """Held events, participations, organisation participations and headcounts by each of
    ``dims`` (computed per event once and regrouped).

    ``with_persons`` adds unique persons per group (one more pass over attendance per
    dimension; a person attending in two months counts in both, so these do not add up).
    """
    dims = list(dims)
    result = _figures(scope, dims)[1]
    if with_persons:
        _add_persons(scope, result)
    return result


def _add_persons(scope: Scope, result: dict[Dimension, list[BreakdownRow]]) -> None:
    """Unique persons per group of each breakdown, in one statement. Each held event's keys
    are computed once (a materialised CTE), never once per attendance row."""
    if not result:
        return
    _prepare()
    keyed = (
        select(
            Event.id.label("id"),
            local_month(Event.starts_at, Event.timezone).label("month"),
            cast(Event.kind, String).label("kind"),
            cast(Event.municipality_id, String).label("municipality"),
            Municipality.region.label("region"),
            cast(Municipality.country, String).label("country"),
            cast(Event.project_id, String).label("project"),
        )
        .outerjoin(Municipality, Municipality.id == Event.municipality_id)
        .where(*event_conditions(scope))
        .cte("keyed")
        .prefix_with("MATERIALIZED")
    )
    parts = [
        select(
            literal(dim.value, String).label("dim"),
            keyed.c[dim.value].label("key"),
            _unique_persons_expr().label("persons"),
        )
        .select_from(Attendance)
        .join(keyed, keyed.c.id == Attendance.event_id)
        .group_by(keyed.c[dim.value])
        for dim in result
    ]
    persons = {
        (row.dim, row.key): int(row.persons) for row in db.session.execute(union_all(*parts))
    }
    for dim, rows in result.items():
        for item in rows:
            item.unique_persons = persons.get((dim.value, item.key), 0)


def _unique_persons_expr():
    return func.count(Attendance.person_id.distinct()) + func.coalesce(
        func.sum(case((Attendance.person_id.is_(None), 1), else_=0)), 0
    )


@dataclass
class ResidenceRow:
    municipality_id: int | None
    participations: int
    unique_persons: int


def by_residence(scope: Scope) -> list[ResidenceRow]:
    """Participations and unique persons by the participant's own municipality (as recorded
    at check-in), as opposed to where the event took place."""
    _prepare()
    rows = db.session.execute(
        select(Attendance.municipality_id, func.count(), _unique_persons_expr())
        .where(Attendance.event_id.in_(held_event_ids(scope)))
        .group_by(Attendance.municipality_id)
    ).all()
    out = [ResidenceRow(m, int(n), int(p)) for m, n, p in rows]
    out.sort(key=lambda r: (r.municipality_id is None, -r.participations))
    return out


@dataclass
class PlaceRow:
    place: str
    municipality: str
    participations: int
    unique_persons: int


@dataclass
class ByPlace:
    """Participations by the participant's place below a municipality (a parish, a village),
    for projects that report by them; ``without_place`` is what was recorded with none, so the
    rows and it add up to the participations."""

    rows: list[PlaceRow] = field(default_factory=list)
    without_place: int = 0


def by_place(scope: Scope) -> ByPlace:
    """Empty (no rows) where nobody's place was recorded: most projects have no places."""
    _prepare()
    held = Attendance.event_id.in_(held_event_ids(scope))
    rows = db.session.execute(
        select(Place.name, Municipality.name, func.count(), _unique_persons_expr())
        .join(Place, Place.id == Attendance.place_id)
        .join(Municipality, Municipality.id == Place.municipality_id)
        .where(held)
        .group_by(Place.id, Place.name, Municipality.name)
    ).all()
    if not rows:
        return ByPlace()
    without = db.session.scalar(
        select(func.count()).select_from(Attendance).where(held, Attendance.place_id.is_(None))
    )
    out = [PlaceRow(p, m, int(n), int(u)) for p, m, n, u in rows]
    out.sort(key=lambda r: (-r.participations, r.municipality, r.place))
    return ByPlace(out, int(without or 0))


# --- planned vs realised -------------------------------------------------------------------


@dataclass
class PlannedRealised:
    kind: EventKind
    planned: int
    held: int


@dataclass
class Targets:
    events: list[PlannedRealised]
    planned_participants: int | None
    unique_persons: int
    planned_organisations: int | None = None
    unique_organisations: int = 0

    @property
    def planned_events(self) -> int:
        """Events planned, guidance aside (guidance is planned as sessions)."""
        return sum(t.planned for t in self.events if t.kind != EventKind.GUIDANCE)

    @property
    def planned_guidance(self) -> int:
        return sum(t.planned for t in self.events if t.kind == EventKind.GUIDANCE)


def planned_vs_realised(
    scope: Scope, unique_persons: int | None = None, unique_organisations: int | None = None
) -> Targets:
    """Events planned (the projects' targets) and held, by kind; persons and organisations
    planned and reached.

    Targets are whole-project promises: with a period or place filter the held figures
    shrink and the planned ones do not. For the kind Guidance, logged guidance sessions
    count as held beside closed events of that kind.
    """
    _prepare()
    planned = (
        select(ProjectTarget.kind.label("kind"), func.sum(ProjectTarget.planned_events).label("n"))
        .where(ProjectTarget.project_id.in_(scope.project_ids))
        .group_by(ProjectTarget.kind)
    )
    if scope.kind is not None:
        planned = planned.where(ProjectTarget.kind == scope.kind)
    held = (
        select(Event.kind.label("kind"), func.count().label("n"))
        .where(*event_conditions(scope))
        .group_by(Event.kind)
    )
    guidance = select(
        literal(EventKind.GUIDANCE.value, String).label("kind"), func.count().label("n")
    ).where(*_guidance_conditions(scope))
    planned_q, held_q, guidance_q = planned.subquery(), held.subquery(), guidance.subquery()
    union = union_all(
        select(cast(planned_q.c.kind, String).label("kind"), planned_q.c.n, literal(0).label("h")),
        select(cast(held_q.c.kind, String), literal(0), held_q.c.n),
        select(guidance_q.c.kind, literal(0), guidance_q.c.n),
    ).subquery()
    rows = db.session.execute(
        select(union.c.kind, func.sum(union.c.n), func.sum(union.c.h))
        .group_by(union.c.kind)
        .having(or_(func.sum(union.c.n) > 0, func.sum(union.c.h) > 0))
    ).all()
    order = {k: i for i, k in enumerate(EventKind)}
    events = sorted(
        (PlannedRealised(EventKind(k), int(p or 0), int(h or 0)) for k, p, h in rows),
        key=lambda r: order[r.kind],
    )
    people, organisations = db.session.execute(
        select(
            func.sum(Project.planned_participants), func.sum(Project.planned_organisations)
        ).where(Project.id.in_(scope.project_ids))
    ).one()
    if unique_persons is None or unique_organisations is None:
        reached = participation(scope)
        unique_persons, unique_organisations = reached.unique_persons, reached.unique_organisations
    return Targets(
        events,
        int(people) if people is not None else None,
        unique_persons,
        int(organisations) if organisations is not None else None,
        unique_organisations,
    )


# --- ESF+ background -----------------------------------------------------------------------

ESF_FIELDS: dict[str, tuple[Any, type[enum.Enum]]] = {
    "gender": (Registration.gender, Gender),
    "age_band": (Registration.age_band, AgeBand),
    "labour_status": (Registration.labour_status, LabourStatus),
}


def _person_key() -> tuple:
    """Who a participation belongs to, as two grouping columns: the person, or for a walk-in
    with no person the attendance itself (each such walk-in counts once). No bound values,
    so PostgreSQL sees the same expression in SELECT and GROUP BY."""
    return (
        Attendance.person_id,
        case((Attendance.person_id.is_(None), Attendance.id)),
    )


def _latest_answers(scope: Scope):
    """One row per unique person in scope with the registration id of their latest answer to
    each background question (NULL: never answered), and for walk-ins the attendance id of
    their latest recorded answer."""
    latest = {
        name: func.max(case((column.is_not(None), Registration.id))).label(f"{name}_rid")
        for name, (column, _enum) in ESF_FIELDS.items()
    }
    walk_in = {
        name: func.max(case((Attendance.__table__.c[name].is_not(None), Attendance.id))).label(
            f"{name}_aid"
        )
        for name in ESF_FIELDS
    }
    person_id, walk_in_id = _person_key()
    return (
        select(
            person_id.label("person_id"),
            walk_in_id.label("walk_in_id"),
            *latest.values(),
            *walk_in.values(),
        )
        .select_from(Attendance)
        .outerjoin(Registration, Registration.id == Attendance.registration_id)
        .where(Attendance.event_id.in_(held_event_ids(scope)))
        .group_by(person_id, walk_in_id)
        .cte("latest_answers")
    )


def esf_background(scope: Scope) -> dict[str, dict[str | None, int]]:
    """Unique persons by gender, age band and labour-market status; ``None`` is "not
    answered". Each breakdown adds up to the unique persons of the scope."""
    _prepare()
    latest = _latest_answers(scope)
    parts = []
    for name, (column, _enum) in ESF_FIELDS.items():
        answer = Registration.__table__.alias(f"r_{name}")
        recorded = Attendance.__table__.alias(f"a_{name}")
        # A registration's answer first; a walk-in's recorded background otherwise.
        value = func.coalesce(cast(answer.c[column.key], String), cast(recorded.c[name], String))
        parts.append(
            select(literal(name, String).label("field"), value.label("value"), func.count())
            .select_from(
                latest.outerjoin(answer, answer.c.id == latest.c[f"{name}_rid"]).outerjoin(
                    recorded, recorded.c.id == latest.c[f"{name}_aid"]
                )
            )
            .group_by(value)
        )
    result: dict[str, dict[str | None, int]] = {
        name: {m.value: 0 for m in enum_cls} | {None: 0}
        for name, (_c, enum_cls) in ESF_FIELDS.items()
    }
    for name, answer_value, count in db.session.execute(union_all(*parts)):
        result[name][answer_value] = int(count)
    return result


# --- guidance ------------------------------------------------------------------------------


@dataclass
class Guidance:
    sessions: int = 0
    organisations: int = 0
    minutes: int = 0
    by_topic: list[tuple[int, str, int]] = field(default_factory=list)  # id, name, sessions
    without_topic: int = 0
    # Sessions by the municipality of the organisation guided (id, name, sessions), and the
    # sessions whose organisation has none recorded: together they add up to ``sessions``.
    by_municipality: list[tuple[int, str, int]] = field(default_factory=list)
    without_municipality: int = 0


def guidance(scope: Scope) -> Guidance:
    """Guidance sessions, distinct organisations served and sessions per topic."""
    conds = _guidance_conditions(scope)
    sessions, orgs, minutes = db.session.execute(
        select(
            func.count(),
            func.count(GuidanceSession.organisation_id.distinct()),
            func.coalesce(func.sum(GuidanceSession.duration_minutes), 0),
        ).where(*conds)
    ).one()
    in_scope = select(GuidanceSession.id).where(*conds)
    topics = db.session.execute(
        select(
            GuidanceTopic.id, GuidanceTopic.name, func.count(guidance_session_topic.c.session_id)
        )
        .outerjoin(
            guidance_session_topic,
            and_(
                guidance_session_topic.c.topic_id == GuidanceTopic.id,
                guidance_session_topic.c.session_id.in_(in_scope),
            ),
        )
        .where(GuidanceTopic.project_id.in_(scope.project_ids if scope.includes_guidance else ()))
        .group_by(GuidanceTopic.id, GuidanceTopic.name, GuidanceTopic.position)
        .order_by(GuidanceTopic.position, GuidanceTopic.name)
    ).all()
    without = db.session.scalar(
        select(func.count()).where(
            *conds,
            ~GuidanceSession.id.in_(select(guidance_session_topic.c.session_id)),
        )
    )
    places = db.session.execute(
        select(Municipality.id, Municipality.name, func.count())
        .select_from(GuidanceSession)
        .join(Organisation, Organisation.id == GuidanceSession.organisation_id)
        .outerjoin(Municipality, Municipality.id == Organisation.municipality_id)
        .where(*conds)
        .group_by(Municipality.id, Municipality.name)
    ).all()
    by_municipality = sorted(
        ((mid, name, int(n)) for mid, name, n in places if mid is not None),
        key=lambda r: (-r[2], r[1]),
    )
    return Guidance(
        sessions=int(sessions),
        organisations=int(orgs),
        minutes=int(minutes or 0),
        by_topic=[(tid, name, int(n)) for tid, name, n in topics],
        without_topic=int(without or 0),
        by_municipality=by_municipality,
        without_municipality=sum(int(n) for mid, _name, n in places if mid is None),
    )


# --- outreach and hackathons ------------------------------------------------------------------


@dataclass
class Outreach:
    """Talks and stands at other organisers' events: how many, and the people counted there.
    Never part of the project's own events held or participations."""

    events: int = 0
    headcount: int = 0
    participations: int = 0


def outreach(scope: Scope) -> Outreach:
    _prepare()
    ids = select(Event.id).where(*event_conditions(scope, outreach=True))
    events, heads, part = db.session.execute(
        select(
            select(func.count()).where(Event.id.in_(ids)).scalar_subquery(),
            select(func.coalesce(func.sum(Headcount.count), 0))
            .where(Headcount.event_id.in_(ids))
            .scalar_subquery(),
            select(func.count()).where(Attendance.event_id.in_(ids)).scalar_subquery(),
        )
    ).one()
    return Outreach(int(events), int(heads), int(part))


@dataclass
class HackathonTotals:
    """Teams at the held hackathons of the scope, their initiatives by status, and the
    mentoring sessions held (mentoring events linked to a team)."""

    teams: int = 0
    initiatives: dict[InitiativeStatus, int] = field(default_factory=dict)
    mentoring_sessions: int = 0

    @property
    def initiatives_total(self) -> int:
        return sum(self.initiatives.values())

    @property
    def any(self) -> bool:
        return bool(self.teams or self.mentoring_sessions)


def hackathon_totals(scope: Scope) -> HackathonTotals:
    _prepare()
    held = held_event_ids(scope)
    teams = db.session.scalar(select(func.count()).where(Team.event_id.in_(held)))
    result = HackathonTotals(teams=int(teams or 0))
    result.initiatives = dict.fromkeys(InitiativeStatus, 0)
    for status, n in db.session.execute(
        select(Initiative.status, func.count())
        .join(Team, Team.id == Initiative.team_id)
        .where(Team.event_id.in_(held))
        .group_by(Initiative.status)
    ):
        result.initiatives[InitiativeStatus(status)] = int(n)
    result.mentoring_sessions = int(
        db.session.scalar(select(func.count()).where(MentoringSession.event_id.in_(held))) or 0
    )
    return result


# --- surveys -------------------------------------------------------------------------------


@dataclass
class SurveyResult:
    instrument_id: int
    event_id: int | None  # None: all events of the scope
    answers: int
    means: list[float | None] | None = None  # per statement; None below the minimum
    overall_mean: float | None = None
    thl_score: float | None = None

    @property
    def shown(self) -> bool:
        return self.means is not None


def survey_results(scope: Scope) -> list[SurveyResult]:
    """Per instrument: the results over all held events of the scope (``event_id`` None) and
    per event. Means are given only from :data:`SURVEY_MIN_ANSWERS` answers up; the THL
    score is the mean of all answers rescaled from 1-5 to 0-100."""
    _prepare()
    held = held_event_ids(scope)
    instruments = {
        i.id: i
        for i in db.session.scalars(
            select(SurveyInstrument).where(SurveyInstrument.project_id.in_(scope.project_ids))
        )
    }
    results: list[SurveyResult] = []
    for per_event in (False, True):
        group = [SurveyResponse.instrument_id] + ([SurveyResponse.event_id] if per_event else [])
        counts = db.session.execute(
            select(*group, func.count())
            .where(SurveyResponse.event_id.in_(held), SurveyResponse.stage.is_(None))
            .group_by(*group)
            .order_by(*group)
        ).all()
        means = db.session.execute(
            select(*group, SurveyAnswer.statement_no, func.avg(cast(SurveyAnswer.value, Float)))
            .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
            .where(SurveyResponse.event_id.in_(held), SurveyResponse.stage.is_(None))
            .group_by(*group, SurveyAnswer.statement_no)
        ).all()
        overall = db.session.execute(
            select(*group, func.avg(cast(SurveyAnswer.value, Float)))
            .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
            .where(SurveyResponse.event_id.in_(held), SurveyResponse.stage.is_(None))
            .group_by(*group)
        ).all()
        statement_means: dict[tuple, dict[int, float]] = {}
        for *group_key, no, mean in means:
            statement_means.setdefault(tuple(group_key), {})[int(no)] = float(mean)
        overall_means = {tuple(group_key): float(mean) for *group_key, mean in overall}
        for *key_parts, count in counts:
            key = tuple(key_parts)
            instrument = instruments.get(key[0])
            if instrument is None:
                continue
            result = SurveyResult(key[0], key[1] if per_event else None, int(count))
            if count >= SURVEY_MIN_ANSWERS:
                by_no = statement_means.get(key, {})
                result.means = [by_no.get(n) for n in range(1, len(instrument.statements) + 1)]
                result.overall_mean = overall_means.get(key)
                if instrument.is_thl_participation and result.overall_mean is not None:
                    result.thl_score = thl_score(result.overall_mean)
            results.append(result)
    return results


def thl_score(mean: float) -> float:
    """A mean answer on the 1-5 scale as a score from 0 to 100."""
    return (mean - 1) / 4 * 100


@dataclass
class SurveyPairs:
    """A paired instrument's before/after answers: ``pairs`` people answered both."""

    instrument_id: int
    pairs: int
    before: float | None = None  # mean score (0-100 for THL, else the 1-5 mean); None: < 5
    after: float | None = None
    change: float | None = None  # the mean of each person's change

    @property
    def shown(self) -> bool:
        return self.change is not None


def survey_pairs(project_ids: tuple[int, ...]) -> list[SurveyPairs]:
    """Per paired instrument of the projects: the people who answered both before and
    after, and the change in their score (each person's after minus before, averaged).
    Nothing but the number of pairs is given below :data:`SURVEY_MIN_ANSWERS`."""
    per_response = (
        select(
            SurveyResponse.instrument_id,
            SurveyResponse.person_id,
            SurveyResponse.stage,
            func.avg(cast(SurveyAnswer.value, Float)).label("mean"),
        )
        .join(SurveyAnswer, SurveyAnswer.response_id == SurveyResponse.id)
        .join(SurveyInstrument, SurveyInstrument.id == SurveyResponse.instrument_id)
        .where(
            SurveyInstrument.project_id.in_(project_ids),
            SurveyInstrument.paired.is_(True),
            SurveyResponse.person_id.is_not(None),
        )
        .group_by(SurveyResponse.instrument_id, SurveyResponse.person_id, SurveyResponse.stage)
        .subquery()
    )
    before = per_response.alias("before")
    after = per_response.alias("after")
    rows = db.session.execute(
        select(
            SurveyInstrument.id,
            SurveyInstrument.is_thl_participation,
            func.count(after.c.person_id),
            func.avg(before.c.mean),
            func.avg(after.c.mean),
            func.avg(after.c.mean - before.c.mean),
        )
        .select_from(SurveyInstrument)
        .outerjoin(
            before,
            (before.c.instrument_id == SurveyInstrument.id) & (before.c.stage == "before"),
        )
        .outerjoin(
            after,
            (after.c.instrument_id == SurveyInstrument.id)
            & (after.c.person_id == before.c.person_id)
            & (after.c.stage == "after"),
        )
        .where(SurveyInstrument.project_id.in_(project_ids), SurveyInstrument.paired.is_(True))
        .group_by(SurveyInstrument.id, SurveyInstrument.is_thl_participation)
        .order_by(SurveyInstrument.id)
    ).all()
    results = []
    for instrument_id, is_thl, pairs, mean_before, mean_after, mean_change in rows:
        result = SurveyPairs(instrument_id, int(pairs))
        if pairs >= SURVEY_MIN_ANSWERS:
            # A change of the mean on the 1-5 scale is 25 points per step on the 0-100 one.
            scale = (lambda m: thl_score(m)) if is_thl else (lambda m: m)
            result.before = scale(float(mean_before))
            result.after = scale(float(mean_after))
            result.change = float(mean_change) * (25 if is_thl else 1)
        results.append(result)
    return results


@dataclass
class FollowupItemResult:
    item: str
    yes: int
    share: float | None  # of the answers


@dataclass
class FollowupResult:
    """One follow-up stage: questionnaires sent and answered, and the result items; the
    rate and the items only from :data:`SURVEY_MIN_ANSWERS` answers."""

    stage: str
    invited: int
    answered: int
    response_rate: float | None = None
    items: list[FollowupItemResult] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.response_rate is not None


def followup_results(
    project_ids: tuple[int, ...], date_from: date | None = None, date_to: date | None = None
) -> list[FollowupResult]:
    """Per follow-up stage (at leaving, six months later) over the questionnaires sent in
    the period: how many were sent and answered, and how many answered yes to each result
    item."""
    conds = [
        FollowupInvitation.project_id.in_(project_ids),
        FollowupInvitation.stage != FollowupStage.BEFORE,
    ]
    if date_from:
        conds.append(FollowupInvitation.queued_at >= datetime.combine(date_from, time(), UTC))
    if date_to:
        conds.append(
            FollowupInvitation.queued_at
            < datetime.combine(date_to + timedelta(days=1), time(), UTC)
        )
    counts = {
        stage: (int(invited), int(answered or 0))
        for stage, invited, answered in db.session.execute(
            select(
                FollowupInvitation.stage,
                func.count(),
                func.count(FollowupInvitation.answered_at),
            )
            .where(*conds)
            .group_by(FollowupInvitation.stage)
        )
    }
    yes = {
        (stage, item): int(n)
        for stage, item, n in db.session.execute(
            select(FollowupInvitation.stage, FollowupAnswer.item, func.count())
            .join(FollowupAnswer, FollowupAnswer.invitation_id == FollowupInvitation.id)
            .where(*conds, FollowupAnswer.value.is_(True))
            .group_by(FollowupInvitation.stage, FollowupAnswer.item)
        )
    }
    items = sorted(
        {i for ids in db.session.scalars(select(Project.followup_items).where(
            Project.id.in_(project_ids))) for i in ids or []},
        key=[r.value for r in ResultItem].index,
    )  # fmt: skip
    results = []
    for stage in (FollowupStage.LEAVING, FollowupStage.SIX_MONTHS):
        invited, answered = counts.get(stage, (0, 0))
        result = FollowupResult(stage.value, invited, answered)
        if answered >= SURVEY_MIN_ANSWERS:
            result.response_rate = answered / invited
            result.items = [
                FollowupItemResult(
                    item, yes.get((stage, ResultItem(item)), 0),
                    yes.get((stage, ResultItem(item)), 0) / answered,
                )
                for item in items
            ]  # fmt: skip
        results.append(result)
    return results


# --- dashboard and report ------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: Scope
    participation: Participation
    targets: Targets
    by_month: list[BreakdownRow]
    by_municipality: list[BreakdownRow]
    guidance: Guidance
    outreach: Outreach = field(default_factory=Outreach)
    hackathons: HackathonTotals = field(default_factory=HackathonTotals)


def dashboard(scope: Scope) -> Dashboard:
    """Everything the organiser dashboard shows: the headline figures, planned vs realised,
    participations by month and by municipality, guidance. The benchmark times this."""
    part, dims = _figures(scope, [Dimension.MONTH, Dimension.MUNICIPALITY])
    return Dashboard(
        scope=scope,
        participation=part,
        targets=planned_vs_realised(
            scope,
            unique_persons=part.unique_persons,
            unique_organisations=part.unique_organisations,
        ),
        by_month=dims[Dimension.MONTH],
        by_municipality=dims[Dimension.MUNICIPALITY],
        guidance=guidance(scope),
        outreach=outreach(scope),
        hackathons=hackathon_totals(scope),
    )


@dataclass
class Report(Dashboard):
    registrations: Registrations = field(default_factory=Registrations)
    breakdowns: dict[Dimension, list[BreakdownRow]] = field(default_factory=dict)
    by_residence: list[ResidenceRow] = field(default_factory=list)
    by_place: ByPlace = field(default_factory=ByPlace)
    esf: dict[str, dict[str | None, int]] = field(default_factory=dict)
    surveys: list[SurveyResult] = field(default_factory=list)


def report(scope: Scope) -> Report:
    """The dashboard plus every breakdown (with unique persons), ESF+ background and survey
    results: what the exports contain."""
    part, dims = _figures(scope, list(Dimension))
    _add_persons(scope, dims)
    return Report(
        scope=scope,
        participation=part,
        targets=planned_vs_realised(
            scope,
            unique_persons=part.unique_persons,
            unique_organisations=part.unique_organisations,
        ),
        by_month=dims[Dimension.MONTH],
        by_municipality=dims[Dimension.MUNICIPALITY],
        guidance=guidance(scope),
        outreach=outreach(scope),
        hackathons=hackathon_totals(scope),
        registrations=registrations(scope),
        breakdowns=dims,
        by_residence=by_residence(scope),
        by_place=by_place(scope),
        esf=esf_background(scope),
        surveys=survey_results(scope),
    )


# --- the records behind each figure ----------------------------------------------------------

FIGURES = (
    "events_held",
    "participations",
    "registered_participations",
    "walk_ins",
    "unique_persons",
    "unique_organisations",
    "organisation_participations",
    "headcount",
    "registrations",
    "no_shows",
    "guidance_sessions",
    "guidance_organisations",
    "esf",
)


def records(
    scope: Scope,
    figure: str,
    *,
    month: str | None = None,
    status: RegistrationStatus | None = None,
    topic_id: int | None = None,
    esf_field: str | None = None,
    esf_value: str | None = None,
) -> Select:
    """The query listing the records behind ``figure``; its row count is the figure.

    ``month`` ('YYYY-MM') narrows event-based figures to events starting in that local
    month; the other filters belong to one figure each (registration status, guidance topic,
    ESF+ question and answer, where ``esf_value`` None means "not answered").
    """
    if figure not in FIGURES:
        raise ValueError(f"unknown figure {figure!r}")
    conds = event_conditions(scope)
    if month:
        conds.append(local_month(Event.starts_at, Event.timezone) == month)
    held = select(Event.id).where(*conds)
    if figure == "events_held":
        return select(Event).where(*conds).order_by(Event.starts_at, Event.id)
    if figure in ("participations", "registered_participations", "walk_ins"):
        stmt = _attendance_rows().where(Attendance.event_id.in_(held))
        if figure == "registered_participations":
            stmt = stmt.where(Attendance.registration_id.is_not(None))
        elif figure == "walk_ins":
            stmt = stmt.where(Attendance.registration_id.is_(None))
        return stmt.order_by(Event.starts_at, Attendance.id)
    if figure == "unique_persons":
        key = _person_key()
        name = func.max(func.coalesce(Person.name, Attendance.walk_in_name))
        return (
            select(
                key[0].label("person_id"),
                key[1].label("walk_in_id"),
                name.label("name"),
                func.count().label("participations"),
            )
            .select_from(Attendance)
            .outerjoin(Person, Person.id == Attendance.person_id)
            .where(Attendance.event_id.in_(held))
            .group_by(*key)
            .order_by(name, *key)
        )
    if figure in ("unique_organisations", "organisation_participations"):
        group = [Attendance.organisation_id] + (
            [Attendance.event_id] if figure == "organisation_participations" else []
        )
        return (
            select(
                Organisation.id.label("organisation_id"),
                Organisation.name.label("organisation"),
                (func.min(Event.title) if len(group) == 2 else literal(None, String)).label(
                    "event_title"
                ),
                func.min(Event.starts_at).label("starts_at"),
                func.count().label("people"),
                func.count(Attendance.event_id.distinct()).label("events"),
            )
            .select_from(Attendance)
            .join(Event, Event.id == Attendance.event_id)
            .join(Organisation, Organisation.id == Attendance.organisation_id)
            .where(Attendance.event_id.in_(held))
            .group_by(Organisation.id, Organisation.name, *group[1:])
            .order_by(Organisation.name, func.min(Event.starts_at))
        )
    if figure == "headcount":
        return (
            select(Headcount, Event)
            .join(Event, Event.id == Headcount.event_id)
            .where(Headcount.event_id.in_(held))
            .order_by(Event.starts_at, Headcount.id)
        )
    if figure in ("registrations", "no_shows"):
        stmt = (
            select(Registration, Event, Person, Organisation)
            .join(Event, Event.id == Registration.event_id)
            .join(Person, Person.id == Registration.person_id)
            .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
            .where(Registration.event_id.in_(held))
            .order_by(Event.starts_at, Registration.id)
        )
        if figure == "no_shows":
            stmt = stmt.where(
                Registration.status == RegistrationStatus.CONFIRMED,
                ~Registration.id.in_(
                    select(Attendance.registration_id).where(
                        Attendance.registration_id.is_not(None), Attendance.event_id.in_(held)
                    )
                ),
            )
        elif status is not None:
            stmt = stmt.where(Registration.status == status)
        return stmt
    if figure in ("guidance_sessions", "guidance_organisations"):
        gconds = _guidance_conditions(scope)
        if topic_id is not None:
            gconds.append(
                GuidanceSession.id.in_(
                    select(guidance_session_topic.c.session_id).where(
                        guidance_session_topic.c.topic_id == topic_id
                    )
                )
            )
        if figure == "guidance_sessions":
            return (
                select(GuidanceSession)
                .where(*gconds)
                .order_by(GuidanceSession.held_on.desc(), GuidanceSession.id.desc())
            )
        return (
            select(
                Organisation.id.label("organisation_id"),
                Organisation.name.label("organisation"),
                func.count().label("sessions"),
                func.min(GuidanceSession.held_on).label("first_on"),
                func.max(GuidanceSession.held_on).label("last_on"),
            )
            .join(Organisation, Organisation.id == GuidanceSession.organisation_id)
            .where(*gconds)
            .group_by(Organisation.id, Organisation.name)
            .order_by(Organisation.name)
        )
    # figure == "esf": listed for the whole scope, like the breakdown it explains
    if esf_field not in ESF_FIELDS or month:
        raise ValueError(f"ESF+ records need a question and no month, not {esf_field!r}")
    latest = _latest_answers(scope)
    column, _enum = ESF_FIELDS[esf_field]
    answer = Registration.__table__.alias("answer")
    value = answer.c[column.key]
    stmt = (
        select(latest.c.person_id, latest.c.walk_in_id, cast(value, String).label("answer"))
        .select_from(latest)
        .outerjoin(answer, answer.c.id == latest.c[f"{esf_field}_rid"])
        .order_by(latest.c.person_id, latest.c.walk_in_id)
    )
    return stmt.where(value.is_(None) if esf_value is None else value == esf_value)


def _attendance_rows() -> Select:
    return (
        select(
            Attendance.id.label("attendance_id"),
            Event.id.label("event_id"),
            Event.title.label("event_title"),
            Event.starts_at.label("starts_at"),
            Event.timezone.label("timezone"),
            func.coalesce(Person.name, Attendance.walk_in_name).label("name"),
            Attendance.registration_id.label("registration_id"),
            Organisation.name.label("organisation"),
            Municipality.name.label("municipality"),
        )
        .select_from(Attendance)
        .join(Event, Event.id == Attendance.event_id)
        .outerjoin(Person, Person.id == Attendance.person_id)
        .outerjoin(Organisation, Organisation.id == Attendance.organisation_id)
        .outerjoin(Municipality, Municipality.id == Attendance.municipality_id)
    )


def count(stmt: Select) -> int:
    """How many rows a records query lists."""
    return int(
        db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    )


__all__ = [
    "SURVEY_MIN_ANSWERS",
    "BreakdownRow",
    "Dashboard",
    "Dimension",
    "Guidance",
    "Participation",
    "Registrations",
    "Report",
    "Scope",
    "SurveyResult",
    "Targets",
    "breakdowns",
    "by_residence",
    "count",
    "dashboard",
    "esf_background",
    "guidance",
    "participation",
    "planned_vs_realised",
    "records",
    "registrations",
    "report",
    "survey_results",
    "thl_score",
]
