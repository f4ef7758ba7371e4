"""Volunteer (talkoo) hours: recorded per event at the door or afterwards, by the event's
managers and check-in staff; listed per project and period for a payment claim."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import Person, Registration, RegistrationStatus
from eventhub.core.services import access, organisations
from eventhub.core.services import volunteers as service
from eventhub.extensions import db
from eventhub.indicators import bp
from eventhub.indicators.forms import PeriodForm, VolunteerWorkForm
from eventhub.web import exports as spreadsheets
from eventhub.web.actions import act
from eventhub.web.decorators import manager_required, staff_required
from eventhub.web.forms import choices

EVENT_PAGE = "/organiser/events/<int:event_id>/volunteer-hours"


def _participants(event_id: int) -> list[tuple[int, str]]:
    return [
        (rid, name)
        for rid, name in db.session.execute(
            select(Registration.id, Person.name)
            .join(Person, Person.id == Registration.person_id)
            .where(
                Registration.event_id == event_id,
                Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)),
            )
            .order_by(Person.name)
        )
    ]


@bp.route(EVENT_PAGE, methods=["GET", "POST"])
@staff_required
def volunteer_work(event_id: int):
    event = access.event_to_check_in(current_user, event_id)
    form = VolunteerWorkForm()
    form.registration.choices = choices(
        [("", _("Choose…"))]
        + [(str(rid), name or f"#{rid}") for rid, name in _participants(event.id)]
    )
    if request.method == "GET":
        form.worked_on.data = event.starts_at.astimezone(ZoneInfo(event.timezone)).date()
    refusal = None
    if form.validate_on_submit():
        try:
            service.record(
                current_user,
                event,
                registration_id=int(form.registration.data) if form.registration.data else None,
                organisation_name=form.organisation.data,
                task=form.task.data,
                hours=service.parse_hours(form.hours.data),
                worked_on=form.worked_on.data,
            )
        except service.VolunteerRefused as refused:
            db.session.rollback()
            refusal = refused.message
        else:
            db.session.commit()
            flash(_("The hours have been recorded."), "ok")
            return redirect(url_for("indicators.volunteer_work", event_id=event.id), 303)
    return render_template(
        "indicators/volunteer_work.html",
        event=event,
        form=form,
        refusal=refusal,
        works=service.of_event(event),
        organisation_names=organisations.confirmed_names(),
    ), (422 if form.errors or refusal else 200)


@bp.route(f"{EVENT_PAGE}/<int:work_id>/remove", methods=["POST"])
@staff_required
def remove_volunteer_work(event_id: int, work_id: int):
    event = access.event_to_check_in(current_user, event_id)
    return act(
        lambda: service.remove(current_user, event, work_id),
        done=_("The hours have been removed."),
        to=url_for("indicators.volunteer_work", event_id=event.id),
    )


# --- the claim -----------------------------------------------------------------------------


def _claim(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form = PeriodForm(request.args)
    valid = form.validate()
    found = service.claim((project.id,), form.date_from.data, form.date_to.data) if valid else None
    return project, form, found


@bp.route("/organiser/indicators/projects/<int:project_id>/volunteer-hours")
@manager_required
def volunteer_hours(project_id: int):
    project, form, found = _claim(project_id)
    return render_template(
        "indicators/volunteer_hours.html",
        project=project,
        form=form,
        claim=found,
        period={k: v for k in ("date_from", "date_to") if (v := request.args.get(k))},
    ), (200 if found is not None else 422)


def claim_sheet(found: service.Claim) -> spreadsheets.Sheet:
    sheet = spreadsheets.Sheet(
        "volunteer-hours",
        _("Volunteer hours"),
        [_("Date"), _("Event"), _("Person"), _("Organisation"), _("Task"), _("Hours")],
        formats={5: "0.00"},
    )
    for row in found.rows:
        person = row.person or (_("Participant #%(id)s", id=row.person_id) if row.person_id else "")
        sheet.rows.append(
            [row.worked_on, row.event_title, person, row.organisation or "", row.task,
             float(row.hours)]
        )  # fmt: skip
    sheet.rows.append([None, "", "", "", _("Total"), float(found.total)])
    return sheet


def _export(project_id: int) -> tuple[spreadsheets.Sheet, str]:
    project, _form, found = _claim(project_id)
    if found is None:
        abort(400)
    safe = spreadsheets.safe_name(project.code)
    return claim_sheet(found), f"volunteer-hours-{safe}-{utcnow().date().isoformat()}"


@bp.route("/organiser/indicators/projects/<int:project_id>/volunteer-hours.xlsx")
@manager_required
def volunteer_hours_xlsx(project_id: int):
    sheet, filename = _export(project_id)
    return spreadsheets.xlsx_download([sheet], filename)


@bp.route("/organiser/indicators/projects/<int:project_id>/volunteer-hours.csv")
@manager_required
def volunteer_hours_csv(project_id: int):
    sheet, filename = _export(project_id)
    return spreadsheets.csv_download(sheet, filename)
