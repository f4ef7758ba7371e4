"""Organiser pages: the dashboard, the full report, the records behind each figure, exports.

A report covers the projects the signed-in organiser manages, or one of them
(``?project=<id>``; another's is a 404), narrowed by the filters of :class:`ScopeForm`.
"""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventhub.core import labels
from eventhub.core.db import utcnow
from eventhub.core.models import (
    AgeBand,
    Country,
    EventKind,
    Gender,
    LabourStatus,
    Municipality,
    Project,
    RegistrationStatus,
)
from eventhub.core.numbers import parse_id
from eventhub.core.services import access
from eventhub.core.services import indicators as ind
from eventhub.extensions import db
from eventhub.indicators import bp, charts, exports
from eventhub.indicators.forms import ScopeForm
from eventhub.indicators.names import Names
from eventhub.web import exports as spreadsheets
from eventhub.web.decorators import manager_required
from eventhub.web.forms import choices

PER_PAGE = 100
SCOPE_ARGS = ("project", "date_from", "date_to", "kind", "country", "region", "municipality")


def _scope() -> tuple[ScopeForm, ind.Scope | None, Project | None]:
    """The scope from the query string; None (and the form's errors) when it is not valid."""
    form = ScopeForm(request.args)
    projects = db.session.scalars(access.projects_query(current_user)).all()
    form.project.choices = choices(
        [("", _("All my projects"))] + [(p.id, p.name) for p in projects]
    )
    municipalities = db.session.execute(
        select(Municipality.id, Municipality.name, Municipality.region).order_by(
            Municipality.country, Municipality.name
        )
    ).all()
    form.municipality.choices = choices(
        [("", _("All municipalities"))] + [(m.id, m.name) for m in municipalities]
    )
    regions = sorted({m.region for m in municipalities})
    form.region.choices = choices([("", _("All regions"))] + [(r, r) for r in regions])
    project = None
    if request.args.get("project"):
        project_id = parse_id(request.args["project"])
        if project_id is None:
            abort(404)
        project = access.project_to_manage(current_user, project_id)
    if not form.validate():
        return form, None, project
    ids = (project.id,) if project else tuple(p.id for p in projects)
    scope = ind.Scope(
        project_ids=ids,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        kind=EventKind(form.kind.data) if form.kind.data else None,
        municipality_id=parse_id(form.municipality.data),
        region=form.region.data or None,
        country=Country(form.country.data) if form.country.data else None,
    )
    return form, scope, project


def scope_args() -> dict[str, str]:
    """The scope's query parameters, to carry over into links."""
    return {k: v for k in SCOPE_ARGS if (v := request.args.get(k))}


def _invalid(template: str, form: ScopeForm, project: Project | None):
    return render_template(template, form=form, project=project, data=None, args=scope_args()), 422


@bp.route("/organiser/indicators/")
@manager_required
def dashboard():
    form, scope, project = _scope()
    if scope is None:
        return _invalid("indicators/dashboard.html", form, project)
    data = ind.dashboard(scope)
    names = Names.load(scope)
    return render_template(
        "indicators/dashboard.html",
        form=form,
        project=project,
        data=data,
        names=names,
        args=scope_args(),
        charts=_dashboard_charts(data, names),
    )


def _dashboard_charts(data: ind.Dashboard, names: Names) -> dict:
    planned = [
        charts.Bar(str(labels.KIND_LABELS[row.kind]), row.held, row.planned or None)
        for row in data.targets.events
    ]
    if data.targets.planned_participants:
        planned.append(
            charts.Bar(
                _("Unique persons"),
                data.targets.unique_persons,
                data.targets.planned_participants,
            )
        )
    months = [
        charts.Bar(names.short_month(row.key), row.participations)
        for row in data.by_month
        if row.key
    ]
    places = sorted(data.by_municipality, key=lambda r: -r.participations)
    return {
        "planned": charts.horizontal_bars(
            _("Planned and realised"),
            _(
                "Held events of each kind against the number planned, and unique persons "
                "against the planned number of participants. The table below has the figures."
            ),
            planned,
        ),
        "months": charts.columns(
            _("Participations by month"),
            _(
                "Participations at held events by the month the event started, in its own "
                "timezone. The table below has the figures."
            ),  # fmt: skip
            months,
        ),
        "places": charts.horizontal_bars(
            _("Participations by municipality"),
            _(
                "Participations at held events by the municipality where the event took "
                "place. The table below has the figures."
            ),  # fmt: skip
            [
                charts.Bar(names.key(ind.Dimension.MUNICIPALITY, row.key), row.participations)
                for row in places[:15]
            ],
        ),
    }


@bp.route("/organiser/indicators/report")
@manager_required
def report():
    form, scope, project = _scope()
    if scope is None:
        return _invalid("indicators/report.html", form, project)
    data = ind.report(scope)
    names = Names.load(scope, {r.event_id for r in data.surveys if r.event_id})
    return render_template(
        "indicators/report.html",
        form=form,
        project=project,
        data=data,
        names=names,
        args=scope_args(),
        tables=exports.report_tables(data, names, utcnow().date()),
    )


@bp.route("/organiser/indicators/records/<figure>")
@manager_required
def records(figure: str):
    form, scope, project = _scope()
    if scope is None or figure not in ind.FIGURES:
        abort(404)
    filters = _record_filters(figure)
    try:
        stmt = ind.records(scope, figure, **filters)
    except ValueError:
        abort(404)
    page = max(request.args.get("page", 1, type=int), 1)
    total = ind.count(stmt)
    rows = db.session.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template(
        "indicators/records.html",
        form=form,
        project=project,
        figure=figure,
        filters=filters,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        args=scope_args(),
        names=Names.load(scope),
        title=_figure_title(figure, filters),
        extra={k: v for k, v in request.args.items() if k not in SCOPE_ARGS and k != "page"},
        esf_label=_esf_label,
    )


def _esf_label(question: str, value: str | None) -> str:
    if value is None:
        return _("Not answered")
    mapping, enum_cls = {
        "gender": (labels.GENDER_LABELS, Gender),
        "age_band": (labels.AGE_BAND_LABELS, AgeBand),
        "labour_status": (labels.LABOUR_STATUS_LABELS, LabourStatus),
    }[question]
    return str(mapping[enum_cls(value)])


def _record_filters(figure: str) -> dict:
    filters: dict = {}
    if month := request.args.get("month"):
        try:
            date.fromisoformat(f"{month}-01")
        except ValueError:
            abort(404)
        filters["month"] = month
    if figure == "registrations" and (status := request.args.get("status")):
        try:
            filters["status"] = RegistrationStatus(status)
        except ValueError:
            abort(404)
    if figure in ("guidance_sessions", "guidance_organisations") and request.args.get("topic"):
        filters["topic_id"] = request.args.get("topic", type=int)
    if figure == "esf":
        question, answer = request.args.get("question"), request.args.get("answer") or None
        if question not in ind.ESF_FIELDS:
            abort(404)
        if answer is not None and answer not in {m.value for m in ind.ESF_FIELDS[question][1]}:
            abort(404)
        filters["esf_field"], filters["esf_value"] = question, answer
    return filters


def _figure_title(figure: str, filters: dict) -> str:
    titles = {
        "events_held": _("Events held"),
        "participations": _("Participations"),
        "registered_participations": _("Participations of registered people"),
        "walk_ins": _("Walk-ins"),
        "unique_persons": _("Unique persons"),
        "unique_organisations": _("Unique organisations"),
        "organisation_participations": _("Organisation participations"),
        "headcount": _("Headcounts"),
        "registrations": _("Registrations at held events"),
        "no_shows": _("No-shows"),
        "guidance_sessions": _("Guidance sessions"),
        "guidance_organisations": _("Organisations given guidance"),
        "esf": _("ESF+ background of unique persons"),
    }
    title = titles[figure]
    if status := filters.get("status"):
        title += f": {labels.REGISTRATION_STATUS_LABELS[status]}"
    return title


@bp.route("/organiser/indicators/export.xlsx")
@manager_required
def export_xlsx():
    tables, filename = _export_tables()
    return spreadsheets.xlsx_download(tables, filename)


@bp.route("/organiser/indicators/export.csv")
@manager_required
def export_csv():
    tables, filename = _export_tables()
    wanted = request.args.get("sheet", "summary")
    table = next((t for t in tables if t.key == wanted), None)
    if table is None:
        abort(404)
    return spreadsheets.csv_download(table, f"{filename}-{table.key}")


def _export_tables() -> tuple[list[exports.Table], str]:
    _form, scope, project = _scope()
    if scope is None:
        abort(400)
    data = ind.report(scope)
    names = Names.load(scope, {r.event_id for r in data.surveys if r.event_id})
    today = utcnow().date()
    code = project.code if project else "all"
    safe = spreadsheets.safe_name(code)
    return exports.report_tables(data, names, today), f"indicators-{safe}-{today.isoformat()}"


@bp.app_context_processor
def _indicator_helpers():
    def scope_url(endpoint: str, **values) -> str:
        return url_for(endpoint, **{**scope_args(), **values})

    return {
        "scope_url": scope_url,
        "dimension_enum": ind.Dimension,
        "survey_minimum": ind.SURVEY_MIN_ANSWERS,
    }
