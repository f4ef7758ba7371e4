"""Survey instruments (organisers) and the survey form a participant opens from the mail."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventhub.core.models import SurveyInstrument
from eventhub.core.services import access
from eventhub.core.services import indicators as ind
from eventhub.core.services import surveys as service
from eventhub.extensions import db
from eventhub.indicators import bp
from eventhub.indicators.forms import InstrumentForm, survey_form
from eventhub.indicators.names import Names
from eventhub.web.decorators import manager_required


def _instruments(project_id: int) -> list[SurveyInstrument]:
    return list(
        db.session.scalars(
            select(SurveyInstrument)
            .where(SurveyInstrument.project_id == project_id)
            .order_by(SurveyInstrument.id)
        )
    )


@bp.route("/organiser/indicators/projects/<int:project_id>/surveys", methods=["GET", "POST"])
@manager_required
def surveys(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form = InstrumentForm()
    error = None
    if form.validate_on_submit():
        try:
            service.create_instrument(
                project,
                name=form.name.data,
                statements=form.statement_list(),
                is_thl=form.is_thl.data,
                introduction=form.introduction.data or "",
                paired=form.paired.data,
            )
        except service.SurveyError as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(_("The survey has been created. It is sent after each closed event."), "ok")
            return redirect(url_for("indicators.surveys", project_id=project.id), 303)
    scope = ind.Scope((project.id,))
    results = ind.survey_results(scope)
    return render_template(
        "indicators/surveys.html",
        project=project,
        form=form,
        error=error,
        instruments=_instruments(project.id),
        results=results,
        names=Names.load(scope, {r.event_id for r in results if r.event_id}),
        minimum=ind.SURVEY_MIN_ANSWERS,
    ), (422 if form.errors or error else 200)


@bp.route(
    "/organiser/indicators/projects/<int:project_id>/surveys/<int:instrument_id>",
    methods=["GET", "POST"],
)
@manager_required
def edit_survey(project_id: int, instrument_id: int):
    project = access.project_to_manage(current_user, project_id)
    instrument = db.session.get(SurveyInstrument, instrument_id)
    if instrument is None or instrument.project_id != project.id:
        abort(404)
    form = InstrumentForm(
        data={
            "name": instrument.name,
            "introduction": instrument.introduction,
            "statements": "\n".join(instrument.statements),
            "is_thl": instrument.is_thl_participation,
            "active": instrument.active,
        }
    )
    error = None
    if form.validate_on_submit():
        try:
            service.update_instrument(
                instrument,
                name=form.name.data,
                statements=form.statement_list(),
                introduction=form.introduction.data or "",
                active=form.active.data,
            )
        except service.SurveyError as exc:
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("indicators.surveys", project_id=project.id), 303)
    return render_template(
        "indicators/survey_edit.html",
        project=project,
        instrument=instrument,
        form=form,
        error=error,
        answered=service.has_answers(instrument),
    ), (422 if form.errors or error else 200)


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey(token: str):
    """The participant's survey: anonymous, one answer per link."""
    try:
        link = service.open_link(token)
    except service.SurveyError as exc:
        return render_template("indicators/survey_closed.html", message=str(exc)), 410
    form = survey_form(link.instrument.statements)
    if form.validate_on_submit():
        try:
            service.submit(token, form.values())
        except service.SurveyError as exc:
            db.session.rollback()
            return render_template("indicators/survey_closed.html", message=str(exc)), 410
        db.session.commit()
        return render_template(
            "indicators/survey_closed.html",
            message=_("Thank you! Your answers have been saved anonymously."),
            thanks=True,
        )
    return render_template("indicators/survey.html", link=link, form=form, token=token), (
        422 if form.errors else 200
    )
