"""The report as tables, and those tables as CSV or XLSX.

:func:`report_tables` lays a :class:`~eventhub.core.services.indicators.Report` out as a
summary like a funder report plus one table per breakdown; the XLSX has one sheet per table,
the CSV export one table per file, both written by :mod:`eventhub.web.exports`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from eventhub.core import labels
from eventhub.core.models import AgeBand, EventKind, Gender, LabourStatus, RegistrationStatus
from eventhub.core.services.indicators import Dimension, Report
from eventhub.indicators.names import Names
from eventhub.web.exports import MONTH, PERCENT, Sheet

# The tables are written by the web toolkit's one CSV/XLSX writer (eventhub.web.exports).
Table = Sheet


def _ratio(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def summary_table(report: Report, names: Names, today: date) -> Table:
    """Laid out like the figures section of a closing report: what was realised, and what
    was planned where the projects set a target."""
    p, t, g = report.participation, report.targets, report.guidance
    scope = report.scope
    r = report.registrations
    rows: list[list[Any]] = [
        [_("Projects"), names.project_list(scope.project_ids), None],
        [_("Funders"), names.funder_list(scope.project_ids), None],
        [_("Period from"), scope.date_from, None],
        [_("Period to"), scope.date_to, None],
        [_("Kind of event"), labels.KIND_LABELS[scope.kind] if scope.kind else _("All"), None],
        [_("Area"), names.area(scope) or _("All"), None],
        [_("Compiled on"), today, None],
        [None, None, None],
        [_("Indicator"), _("Realised"), _("Planned")],
        [_("Events held"), p.events_held, t.planned_events or None],
    ]
    for item in t.events:
        if item.kind != EventKind.GUIDANCE:
            rows.append([f"  {labels.KIND_LABELS[item.kind]}", item.held, item.planned or None])
    rows += [
        [_("Participations (attendance records)"), p.participations, None],
        ["  " + _("of which registered participants"), p.registered_participations, None],
        ["  " + _("of which walk-ins"), p.walk_ins, None],
        [_("Organisation participations (event and organisation pairs)"),
         p.organisation_participations, None],
        [_("Unique persons"), p.unique_persons, t.planned_participants],
        [_("Unique organisations"), p.unique_organisations, None],
        [_("People counted without names (headcounts, not in the participations)"),
         p.headcount, None],
        ["  " + _("at events"), p.headcount_events, None],
        [_("Guidance sessions"), g.sessions, t.planned_guidance or None],
        [_("Organisations given guidance"), g.organisations, None],
    ]  # fmt: skip
    for _tid, name, n in g.by_topic:
        rows.append([f"  {name}", n, None])
    rows.append([_("Guidance sessions by the organisation's municipality"), None, None])
    for _mid, name, n in g.by_municipality:
        rows.append([f"  {name}", n, None])
    rows.append(["  " + _("No municipality recorded"), g.without_municipality, None])
    o, h = report.outreach, report.hackathons
    rows += [
        [_("Outreach: talks at other organisers' events (not in the events held)"), o.events,
         None],
        ["  " + _("people counted there"), o.headcount, None],
        [_("Hackathon teams"), h.teams, None],
        [_("Initiatives"), h.initiatives_total, None],
    ]  # fmt: skip
    for status, n in h.initiatives.items():
        rows.append([f"  {labels.INITIATIVE_STATUS_LABELS[status]}", n, None])
    rows += [
        [_("Mentoring sessions held"), h.mentoring_sessions, None],
    ]
    rows += [
        [_("Registrations at held events"), r.total, None],
    ]
    for status in RegistrationStatus:
        rows.append(
            [f"  {labels.REGISTRATION_STATUS_LABELS[status]}", r.by_status.get(status, 0), None]
        )
    rows += [
        [_("No-shows (confirmed, did not attend)"), r.no_shows, None],
    ]
    fill_rate_row = len(rows)
    rows.append(
        [_("Fill rate (confirmed and walk-ins of places offered)"), _ratio(r.fill_rate), None]
    )
    for result in report.surveys:
        if result.event_id is None and result.thl_score is not None:
            rows.append(
                [
                    _(
                        "THL participation score (0-100): %(name)s",
                        name=names.instrument(result.instrument_id).name,
                    ),
                    round(result.thl_score, 1),
                    None,
                ]
            )
    table = Table("summary", _("Summary"), [_("Indicator"), _("Value"), _("Planned")], rows)
    table.cell_formats[(fill_rate_row, 1)] = PERCENT
    return table


def breakdown_table(report: Report, names: Names, dim: Dimension) -> Table:
    titles = {
        Dimension.MONTH: (_("By month"), _("Month")),
        Dimension.KIND: (_("By kind"), _("Kind of event")),
        Dimension.MUNICIPALITY: (_("By municipality"), _("Municipality")),
        Dimension.REGION: (_("By region"), _("Region")),
        Dimension.COUNTRY: (_("By country"), _("Country")),
        Dimension.PROJECT: (_("By project"), _("Project")),
    }
    title, column = titles[dim]
    table = Table(
        f"by_{dim.value}",
        title,
        [
            column,
            _("Events held"),
            _("Participations"),
            _("Organisation participations"),
            _("Unique persons"),
            _("Headcount"),
        ],
    )
    for row in names.sort(dim, report.breakdowns.get(dim, [])):
        key: Any = names.key(dim, row.key)
        if dim == Dimension.MONTH and row.key:
            key = date.fromisoformat(f"{row.key}-01")  # a real date, shown as yyyy-mm
        table.rows.append(
            [
                key,
                row.events,
                row.participations,
                row.organisation_participations,
                row.unique_persons,
                row.headcount,
            ]
        )
    if dim == Dimension.MONTH:
        table.formats[0] = MONTH
    return table


def report_tables(report: Report, names: Names, today: date) -> list[Table]:
    tables = [summary_table(report, names, today)]
    planned = Table(
        "planned",
        _("Planned and held"),
        [_("Kind of event"), _("Planned"), _("Held"), _("Share of planned")],
    )
    for item in report.targets.events:
        planned.rows.append(
            [
                labels.KIND_LABELS[item.kind],
                item.planned,
                item.held,
                _ratio(item.held / item.planned) if item.planned else None,
            ]
        )
    planned.formats[3] = PERCENT
    tables.append(planned)
    tables += [breakdown_table(report, names, dim) for dim in Dimension]
    residence = Table(
        "by_residence",
        _("By home municipality"),
        [_("Home municipality"), _("Participations"), _("Unique persons")],
    )
    for row in report.by_residence:
        residence.rows.append(
            [names.municipality(row.municipality_id), row.participations, row.unique_persons]
        )
    tables.append(residence)
    esf_labels = {
        "gender": (_("ESF+ gender"), _("Gender"), labels.GENDER_LABELS, Gender),
        "age_band": (_("ESF+ age"), _("Age band"), labels.AGE_BAND_LABELS, AgeBand),
        "labour_status": (
            _("ESF+ labour market"),
            _("Labour-market status"),
            labels.LABOUR_STATUS_LABELS,
            LabourStatus,
        ),
    }
    for name, (title, column, mapping, enum_cls) in esf_labels.items():
        counts = report.esf.get(name, {})
        table = Table(f"esf_{name}", title, [column, _("Unique persons")])
        for member in enum_cls:
            table.rows.append([mapping[member], counts.get(member.value, 0)])
        table.rows.append([_("Not answered"), counts.get(None, 0)])
        tables.append(table)
    topics = Table("guidance", _("Guidance by topic"), [_("Topic"), _("Sessions")])
    for _tid, topic, n in report.guidance.by_topic:
        topics.rows.append([topic, n])
    if report.guidance.without_topic:
        topics.rows.append([_("No topic"), report.guidance.without_topic])
    topics.rows.append([_("Sessions in all"), report.guidance.sessions])
    topics.rows.append([_("Organisations given guidance"), report.guidance.organisations])
    tables.append(topics)
    places = Table(
        "guidance_by_municipality",
        _("Guidance by municipality"),
        [_("Municipality of the organisation"), _("Sessions")],
    )
    for _mid, name, n in report.guidance.by_municipality:
        places.rows.append([name, n])
    places.rows.append([_("No municipality recorded"), report.guidance.without_municipality])
    places.rows.append([_("Sessions in all"), report.guidance.sessions])
    tables.append(places)
    tables.append(survey_table(report, names))
    return tables


def survey_table(report: Report, names: Names) -> Table:
    width = max([0] + [len(names.instrument(r.instrument_id).statements) for r in report.surveys])
    table = Table(
        "surveys",
        _("Surveys"),
        [_("Survey"), _("Event"), _("Answers"), _("Mean (1-5)"), _("THL score (0-100)")]
        + [_("Statement %(n)s", n=n) for n in range(1, width + 1)],
    )
    for result in report.surveys:
        instrument = names.instrument(result.instrument_id)
        table.rows.append(
            [
                instrument.name,
                names.event_title(result.event_id) if result.event_id else _("All events"),
                result.answers,
                round(result.overall_mean, 2) if result.overall_mean is not None else None,
                round(result.thl_score, 1) if result.thl_score is not None else None,
                *[round(m, 2) if m is not None else None for m in (result.means or [])],
            ]
        )
    return table


# --- writers ----------------------------------------------------------------------------------
