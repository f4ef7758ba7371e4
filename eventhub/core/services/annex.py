"""ESF+ Annex I participant data (Regulation (EU) 2021/1057, Annex I): the answers, and the
common output indicators for participants counted from them.

The counting rule lives here and nowhere else (docs/indicators.md explains it):

- a *participant* of a project is a person with at least one participation (attendance) at a
  held event of the project; a walk-in without a person is a participant of their own;
- each participant is counted **once per project**, with the data of their **first
  participation** (the earliest held event they attended, by start; the attendance's
  registration), never per event and never with later answers;
- a report for a period counts the participants whose first participation falls in it (the
  event's local start day), so adding up periods gives the project's total;
- age is the year of the first participation minus the birth year, or else the age band;
- special-category data (disability, minority, foreign background) is read only as counts,
  and a count from 1 to 4 is never given (:data:`MIN_SPECIAL_COUNT`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)

from eventhub.core.models import (
    AgeBand,
    AnnexAnswer,
    Attendance,
    Education,
    Event,
    Gender,
    LabourStatus,
    Project,
    Registration,
    ResultItem,
    SpecialCategoryAnswer,
)
from eventhub.core.services import audit
from eventhub.core.services import indicators as ind
from eventhub.extensions import db

# Counts of special-category data below this are suppressed wherever they are shown.
MIN_SPECIAL_COUNT = 5
SPECIAL_FIELDS = ("disability", "foreign_background", "minority")
OTHER_FIELDS = ("third_country_national", "homeless", "rural")


# --- the answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnexData:
    """The Annex I answers of a signup beside gender, age band and labour-market status."""

    birth_year: int | None = None
    education: Education | None = None
    third_country_national: bool | None = None
    homeless: bool | None = None
    rural: bool | None = None

    def given(self) -> bool:
        return any(v is not None for v in vars(self).values())


@dataclass(frozen=True)
class SpecialData:
    """Special-category answers. Exists only when the participant gave the separate consent
    (the form never builds one otherwise)."""

    disability: bool | None = None
    foreign_background: bool | None = None
    minority: bool | None = None

    def given(self) -> bool:
        return any(v is not None for v in vars(self).values())


def collects(registration: Registration) -> bool:
    project = registration.event.project
    return project is not None and project.collects_annex_i


def apply(registration: Registration, annex: AnnexData | None, special: SpecialData | None) -> None:
    """Keep the Annex I answers of a registration (signup or the participant's own edit).

    Nothing is kept for a project that does not collect Annex I data, whatever was posted.
    Special-category answers are kept only with ``special`` (the consent was given) and at
    least one answer; without it any earlier answers are deleted (consent withdrawn). The
    registration must be flushed; the caller commits."""
    if not collects(registration):
        return
    _upsert(AnnexAnswer, registration, annex if annex and annex.given() else None)
    _upsert(SpecialCategoryAnswer, registration, special if special and special.given() else None)
    db.session.flush()


def _upsert(model, registration: Registration, data) -> None:
    row = db.session.get(model, registration.id)
    if data is None:
        if row is not None:
            db.session.delete(row)
        return
    if row is None:
        row = model(registration_id=registration.id)
        db.session.add(row)
    for name, value in vars(data).items():
        setattr(row, name, value)


def answers_of(registration: Registration) -> tuple[AnnexData, SpecialData | None]:
    """What a registration answered, for the participant's own form (never for organisers:
    special categories are shown to nobody but the person)."""
    row = db.session.get(AnnexAnswer, registration.id)
    special = db.session.get(SpecialCategoryAnswer, registration.id)
    annex = AnnexData(**{k: getattr(row, k) for k in vars(AnnexData())}) if row else AnnexData()
    return annex, (
        SpecialData(**{k: getattr(special, k) for k in vars(SpecialData())}) if special else None
    )


def update_settings(
    project: Project, *, collects: bool, followup_items: list[str], followup_after_days: int
) -> None:
    """Switch Annex I on or off and choose what the follow-ups ask. Switching off keeps the
    answers given (reports still count them); no new ones are asked. The caller commits."""
    items = [ResultItem(v).value for v in followup_items]  # ValueError on anything else
    project.collects_annex_i = collects
    project.followup_items = [i.value for i in ResultItem if i.value in items]
    project.followup_after_days = followup_after_days
    audit.record("annex_settings", obj=project)
    db.session.flush()


# --- the indicators ------------------------------------------------------------------------


@dataclass
class AnnexRow:
    key: str
    count: int | None  # None: suppressed (fewer than MIN_SPECIAL_COUNT)
    special: bool = False


@dataclass
class AnnexGroup:
    key: str
    rows: list[AnnexRow]
    missing: int | None  # participants without this data; None: hidden with a hidden count
    special: bool = False


@dataclass
class AnnexTable:
    participants: int = 0
    groups: list[AnnexGroup] = field(default_factory=list)

    def count(self, key: str) -> int | None:
        for group in self.groups:
            for row in group.rows:
                if row.key == key:
                    return row.count
        raise KeyError(key)

    def missing(self, group_key: str) -> int | None:
        return next(g.missing for g in self.groups if g.key == group_key)


def suppress(count: int) -> int | None:
    """A special-category count as it may be shown: None from 1 to 4."""
    return None if 0 < count < MIN_SPECIAL_COUNT else count


def _first_participations(project_ids: tuple[int, ...], date_from, date_to):
    """One row per participant and project: their first participation's data."""
    person_key = (
        Event.project_id,
        Attendance.person_id,
        case((Attendance.person_id.is_(None), Attendance.id)),
    )
    numbered = (
        select(
            Attendance.registration_id,
            Attendance.gender.label("a_gender"),
            Attendance.age_band.label("a_age_band"),
            Attendance.labour_status.label("a_labour_status"),
            Event.id.label("event_id"),
            Event.starts_at,
            Event.timezone,
            func.row_number()
            .over(partition_by=person_key, order_by=(Event.starts_at, Attendance.id))
            .label("rn"),
        )
        .join(Event, Event.id == Attendance.event_id)
        .where(
            Event.project_id.in_(project_ids),
            Event.is_outreach.is_(False),
            ind.held_condition(),
        )
        .subquery("numbered")
    )
    day = ind.local_day(numbered.c.starts_at, numbered.c.timezone)
    year = cast(func.substr(day, 1, 4), Integer)
    reg = Registration.__table__
    annex = AnnexAnswer.__table__
    special = SpecialCategoryAnswer.__table__
    age = year - annex.c.birth_year
    age_group = case(
        (annex.c.birth_year.is_(None), cast(reg.c.age_band, String)),
        (age < 18, literal(AgeBand.UNDER_18.value)),
        (age <= 29, literal(AgeBand.AGE_18_29.value)),
        (age >= 55, literal(AgeBand.AGE_55_PLUS.value)),
        else_=literal(AgeBand.AGE_30_54.value),
    )
    conds = [numbered.c.rn == 1]
    if date_from:
        conds.append(day >= date_from.isoformat())
    if date_to:
        conds.append(day <= date_to.isoformat())
    return (
        select(
            numbered.c.event_id,
            func.coalesce(cast(reg.c.gender, String), cast(numbered.c.a_gender, String)).label(
                "gender"
            ),
            func.coalesce(
                cast(reg.c.labour_status, String), cast(numbered.c.a_labour_status, String)
            ).label("labour"),
            func.coalesce(age_group, cast(numbered.c.a_age_band, String)).label("age"),
            cast(annex.c.education, String).label("education"),
            *(annex.c[name] for name in OTHER_FIELDS),
            *(special.c[name] for name in SPECIAL_FIELDS),
        )
        .select_from(numbered)
        .outerjoin(reg, reg.c.id == numbered.c.registration_id)
        .outerjoin(annex, annex.c.registration_id == numbered.c.registration_id)
        .outerjoin(special, special.c.registration_id == numbered.c.registration_id)
        .where(*conds)
        .subquery("firsts")
    )


# (group, special, [(row key, condition on the firsts)], condition of "data missing")
def _definitions(f) -> list[tuple[str, bool, list[tuple[str, Any]], Any]]:
    def is_(column, *values):
        return column.in_([v.value for v in values])

    defs: list[tuple[str, bool, list[tuple[str, Any]], Any]] = [
        (
            "gender",
            False,
            [
                ("woman", is_(f.c.gender, Gender.WOMAN)),
                ("man", is_(f.c.gender, Gender.MAN)),
                ("non_binary", is_(f.c.gender, Gender.NON_BINARY)),
            ],
            or_(f.c.gender.is_(None), is_(f.c.gender, Gender.UNDISCLOSED)),
        ),
        (
            "labour",
            False,
            [
                (
                    "unemployed",
                    is_(f.c.labour, LabourStatus.UNEMPLOYED, LabourStatus.LONG_TERM_UNEMPLOYED),
                ),
                ("long_term_unemployed", is_(f.c.labour, LabourStatus.LONG_TERM_UNEMPLOYED)),
                ("inactive", is_(f.c.labour, LabourStatus.INACTIVE, LabourStatus.IN_EDUCATION)),
                ("employed", is_(f.c.labour, LabourStatus.EMPLOYED)),
            ],
            f.c.labour.is_(None),
        ),
        (
            "age",
            False,
            [
                ("under_18", is_(f.c.age, AgeBand.UNDER_18)),
                ("18_29", is_(f.c.age, AgeBand.AGE_18_29)),
                ("55_plus", is_(f.c.age, AgeBand.AGE_55_PLUS)),
            ],
            f.c.age.is_(None),
        ),
        (
            "education",
            False,
            [(e.value, is_(f.c.education, e)) for e in Education],
            f.c.education.is_(None),
        ),
    ]
    for name in ("disability", "third_country_national", "foreign_background", "minority",
                 "homeless", "rural"):  # fmt: skip
        column = f.c[name]
        defs.append((name, name in SPECIAL_FIELDS, [(name, column.is_(True))], column.is_(None)))
    return defs


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def annex_table(
    project_ids: tuple[int, ...], date_from: date | None = None, date_to: date | None = None
) -> AnnexTable:
    """The Annex I common output indicators of the participants who first took part in the
    projects in the period, special-category counts suppressed below 5."""
    if not project_ids:
        return AnnexTable()
    firsts = _first_participations(project_ids, date_from, date_to)
    defs = _definitions(firsts)
    columns = [func.count().label("participants")]
    for group, _special, rows, missing_condition in defs:
        columns += [_count(cond).label(key) for key, cond in rows]
        columns.append(_count(missing_condition).label(f"{group}__missing"))
    result = db.session.execute(select(*columns).select_from(firsts)).one()._mapping
    table = AnnexTable(participants=int(result["participants"]))
    for group, special, rows, _missing in defs:
        shown = [
            AnnexRow(key, suppress(int(result[key])) if special else int(result[key]), special)
            for key, _cond in rows
        ]
        missing: int | None = int(result[f"{group}__missing"])
        if special and any(r.count is None for r in shown):
            # With the total shown, the number without an answer would give the number who
            # answered; when that is small it tells too much about a hidden count.
            missing = None
        table.groups.append(AnnexGroup(group, shown, missing, special))
    return table


ROW_KEYS = frozenset(
    {"woman", "man", "non_binary", "unemployed", "long_term_unemployed", "inactive",
     "employed", "under_18", "18_29", "55_plus", *(e.value for e in Education),
     *SPECIAL_FIELDS, *OTHER_FIELDS}
)  # fmt: skip


@dataclass
class DrillDown:
    special: bool
    by_event: list[tuple[int, int | None]]  # event id, count (None: suppressed)
    total: int | None


def drill_down(
    project_ids: tuple[int, ...], key: str, date_from: date | None, date_to: date | None
) -> DrillDown:
    """How the participants of one Annex I row divide by the event of their first
    participation: counts only. For special categories each count from 1 to 4 is
    suppressed, and so is the next smallest while a single suppressed count could be worked
    out from the total (secondary suppression)."""
    if key not in ROW_KEYS:
        raise KeyError(key)
    firsts = _first_participations(project_ids, date_from, date_to)
    found = next(
        (special, cond)
        for _g, special, rows, _m in _definitions(firsts)
        for k, cond in rows
        if k == key
    )
    special, condition = found
    rows = db.session.execute(
        select(firsts.c.event_id, func.count())
        .where(condition)
        .group_by(firsts.c.event_id)
        .order_by(firsts.c.event_id)
    ).all()
    counts = [(int(event_id), int(n)) for event_id, n in rows]
    total = sum(n for _e, n in counts)
    if not special:
        return DrillDown(False, [(e, n) for e, n in counts], total)
    hidden = {e for e, n in counts if 0 < n < MIN_SPECIAL_COUNT}
    shown = sorted((n, e) for e, n in counts if e not in hidden and n > 0)
    # One hidden cell and a shown total would give it away: hide the next smallest too.
    while len(hidden) == 1 and shown:
        hidden.add(shown.pop(0)[1])
    return DrillDown(True, [(e, None if e in hidden else n) for e, n in counts], suppress(total))
