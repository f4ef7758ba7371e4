"""ESF+ Annex I pages of a project: the settings, the table of participants, its exports and
drill-down (counts only), for the project's managers.

Special-category counts reach these pages already suppressed (core.services.annex): a
template or an export cannot show what it never gets.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import Event, Project
from eventhub.core.services import access
from eventhub.core.services import annex as service
from eventhub.extensions import db
from eventhub.indicators import bp
from eventhub.indicators.forms import AnnexSettingsForm, PeriodForm
from eventhub.web import exports as spreadsheets
from eventhub.web.decorators import manager_required

GROUP_LABELS = {
    "gender": _l("Gender"),
    "labour": _l("Labour-market status"),
    "age": _l("Age"),
    "education": _l("Education (ISCED)"),
    "disability": _l("Participants with disabilities"),
    "third_country_national": _l("Third-country nationals"),
    "foreign_background": _l("Participants with a foreign background"),
    "minority": _l("Minorities (including marginalised communities such as the Roma)"),
    "homeless": _l("Homeless or affected by housing exclusion"),
    "rural": _l("Participants from rural areas"),
}

ROW_LABELS = {
    "woman": _l("Women"),
    "man": _l("Men"),
    "non_binary": _l("Non-binary"),
    "unemployed": _l("Unemployed, including long-term unemployed"),
    "long_term_unemployed": _l("Long-term unemployed"),
    "inactive": _l("Inactive"),
    "employed": _l("Employed, including self-employed"),
    "under_18": _l("Below 18 years of age"),
    "18_29": _l("Aged 18-29"),
    "55_plus": _l("Aged 55 and over"),
    "isced_0_2": _l("With lower secondary education or less (ISCED 0-2)"),
    "isced_3_4": _l("With upper secondary or post-secondary education (ISCED 3-4)"),
    "isced_5_8": _l("With tertiary education (ISCED 5-8)"),
    **{k: GROUP_LABELS[k] for k in (*service.SPECIAL_FIELDS, *service.OTHER_FIELDS)},
}


def fewer_than() -> str:
    return _("fewer than %(n)s", n=service.MIN_SPECIAL_COUNT)


def not_shown() -> str:
    return _("not shown")


def _project(project_id: int) -> Project:
    return access.project_to_manage(current_user, project_id)


def _period() -> tuple[PeriodForm, bool]:
    form = PeriodForm(request.args)
    return form, form.validate()


@bp.route(
    "/organiser/indicators/projects/<int:project_id>/annex-i/settings", methods=["GET", "POST"]
)
@manager_required
def annex_settings(project_id: int):
    project = _project(project_id)
    form = AnnexSettingsForm(
        data={
            "collects_annex_i": project.collects_annex_i,
            "followup_items": list(project.followup_items or []),
            "followup_after_days": project.followup_after_days,
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        service.update_settings(
            project,
            collects=form.collects_annex_i.data,
            followup_items=form.followup_items.data or [],
            followup_after_days=form.followup_after_days.data,
        )
        db.session.commit()
        flash(_("The settings have been saved."), "ok")
        return redirect(url_for("indicators.annex_i", project_id=project.id), 303)
    return render_template("indicators/annex_settings.html", project=project, form=form), (
        422 if form.errors else 200
    )


@bp.route("/organiser/indicators/projects/<int:project_id>/annex-i")
@manager_required
def annex_i(project_id: int):
    project = _project(project_id)
    form, valid = _period()
    table = (
        service.annex_table((project.id,), form.date_from.data, form.date_to.data)
        if valid
        else None
    )
    return render_template(
        "indicators/annex_i.html",
        project=project,
        form=form,
        table=table,
        group_labels=GROUP_LABELS,
        row_labels=ROW_LABELS,
        fewer_than=fewer_than(),
        not_shown=not_shown(),
        minimum=service.MIN_SPECIAL_COUNT,
        period=_period_args(),
    ), (200 if valid else 422)


def _period_args() -> dict[str, str]:
    return {k: v for k in ("date_from", "date_to") if (v := request.args.get(k))}


@bp.route("/organiser/indicators/projects/<int:project_id>/annex-i/rows/<key>")
@manager_required
def annex_row(project_id: int, key: str):
    project = _project(project_id)
    form, valid = _period()
    if not valid or key not in service.ROW_KEYS:
        abort(404)
    found = service.drill_down((project.id,), key, form.date_from.data, form.date_to.data)
    titles = {
        row.id: row.title
        for row in db.session.execute(
            select(Event.id, Event.title).where(Event.id.in_([e for e, _n in found.by_event]))
        )
    }
    return render_template(
        "indicators/annex_row.html",
        project=project,
        label=ROW_LABELS[key],
        found=found,
        titles=titles,
        fewer_than=fewer_than(),
        period=_period_args(),
    )


def annex_sheet(table: service.AnnexTable) -> spreadsheets.Sheet:
    """The Annex I table as one sheet: suppressed counts are written as text, never as the
    number."""
    sheet = spreadsheets.Sheet(
        "annex-i", _("Annex I"), [_("Indicator"), _("Participants"), _("Special category")]
    )
    sheet.rows.append([_("Participants"), table.participants, ""])
    for group in table.groups:
        for row in group.rows:
            sheet.rows.append(
                [
                    str(ROW_LABELS[row.key]),
                    row.count if row.count is not None else fewer_than(),
                    _("yes") if row.special else "",
                ]
            )
        sheet.rows.append(
            [
                _("%(group)s: data missing", group=GROUP_LABELS[group.key]),
                group.missing if group.missing is not None else not_shown(),
                _("yes") if group.special else "",
            ]
        )
    return sheet


def _annex_export(project_id: int) -> tuple[spreadsheets.Sheet, str]:
    project = _project(project_id)
    form, valid = _period()
    if not valid:
        abort(400)
    table = service.annex_table((project.id,), form.date_from.data, form.date_to.data)
    safe = spreadsheets.safe_name(project.code)
    return annex_sheet(table), f"annex-i-{safe}-{utcnow().date().isoformat()}"


@bp.route("/organiser/indicators/projects/<int:project_id>/annex-i/export.xlsx")
@manager_required
def annex_xlsx(project_id: int):
    sheet, filename = _annex_export(project_id)
    return spreadsheets.xlsx_download([sheet], filename)


@bp.route("/organiser/indicators/projects/<int:project_id>/annex-i/export.csv")
@manager_required
def annex_csv(project_id: int):
    sheet, filename = _annex_export(project_id)
    return spreadsheets.csv_download(sheet, filename)
