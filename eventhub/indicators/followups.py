"""The follow-up questionnaire a participant opens from the mail (no account), and the
project's follow-up results and before/after survey pairs for its managers."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventhub.core import labels
from eventhub.core.models import SurveyInstrument
from eventhub.core.services import access, followups
from eventhub.core.services import indicators as ind
from eventhub.core.services.surveys import SurveyError
from eventhub.extensions import db
from eventhub.indicators import bp
from eventhub.indicators.forms import PeriodForm, followup_form
from eventhub.web.decorators import manager_required


@bp.route("/followup/<token>", methods=["GET", "POST"])
def followup(token: str):
    try:
        invitation = followups.open_link(token)
    except followups.FollowupError as exc:
        return render_template("indicators/survey_closed.html", message=str(exc)), 410
    asked = followups.questions(invitation.project, invitation.stage)
    statements = asked.instrument.statements if asked.instrument else []
    form = followup_form(asked.items, statements)
    if form.validate_on_submit():
        try:
            followups.submit(token, form.item_answers(), form.values() if statements else None)
        except (followups.FollowupError, SurveyError) as exc:
            db.session.rollback()
            return render_template("indicators/survey_closed.html", message=str(exc)), 410
        db.session.commit()
        return render_template(
            "indicators/survey_closed.html",
            message=_("Thank you! Your answers have been saved."),
            thanks=True,
        )
    return render_template(
        "indicators/followup.html",
        invitation=invitation,
        instrument=asked.instrument,
        form=form,
        token=token,
    ), (422 if form.errors else 200)


@bp.route("/organiser/indicators/projects/<int:project_id>/followups", endpoint="followups")
@manager_required
def followups_page(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form = PeriodForm(request.args)
    valid = form.validate()
    instruments = {
        i.id: i
        for i in db.session.scalars(
            select(SurveyInstrument).where(SurveyInstrument.project_id == project.id)
        )
    }
    return render_template(
        "indicators/followups.html",
        project=project,
        form=form,
        results=ind.followup_results((project.id,), form.date_from.data, form.date_to.data)
        if valid
        else None,
        pairs=ind.survey_pairs((project.id,)),
        instruments=instruments,
        minimum=ind.SURVEY_MIN_ANSWERS,
        result_item_labels={k.value: v for k, v in labels.RESULT_ITEM_LABELS.items()},
    ), (200 if valid else 422)
