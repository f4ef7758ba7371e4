"""Organiser pages for the guidance log of a project."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import GuidanceSession, Municipality
from eventhub.core.numbers import parse_id
from eventhub.core.services import access
from eventhub.core.services import guidance as service
from eventhub.extensions import db
from eventhub.indicators import bp
from eventhub.indicators.forms import GuidanceForm, TopicForm
from eventhub.web.decorators import manager_required
from eventhub.web.forms import choices


def _forms(project):
    form = GuidanceForm()
    form.topics.choices = choices((t.id, t.name) for t in service.topics(project))
    form.municipality.choices = choices(
        [("", _("Not known"))]
        + [
            (m.id, m.name)
            for m in db.session.scalars(
                select(Municipality).order_by(Municipality.country, Municipality.name)
            )
        ]
    )
    if form.held_on.data is None and not form.is_submitted():
        form.held_on.data = utcnow().date()
    return form, TopicForm()


def _page(project, form, topic_form, status: int = 200):
    return (
        render_template(
            "indicators/guidance.html",
            project=project,
            form=form,
            topic_form=topic_form,
            sessions=service.recent_sessions(project),
            organisations=service.known_organisations(),
            topics=service.topics(project),
        ),
        status,
    )


@bp.route("/organiser/indicators/projects/<int:project_id>/guidance", methods=["GET", "POST"])
@manager_required
def guidance(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form, topic_form = _forms(project)
    if form.validate_on_submit():
        service.log_session(
            current_user,
            project,
            organisation_name=form.organisation.data,
            held_on=form.held_on.data,
            topic_ids=[int(t) for t in form.topics.data],
            duration_minutes=form.duration_minutes.data,
            note=form.note.data or "",
            municipality_id=parse_id(form.municipality.data),
        )
        db.session.commit()
        flash(_("The guidance session has been logged."), "ok")
        return redirect(url_for("indicators.guidance", project_id=project.id), 303)
    return _page(project, form, topic_form, 422 if form.errors else 200)


@bp.route("/organiser/indicators/projects/<int:project_id>/guidance/topics", methods=["POST"])
@manager_required
def add_topic(project_id: int):
    project = access.project_to_manage(current_user, project_id)
    form, topic_form = _forms(project)
    if topic_form.validate_on_submit():
        service.add_topic(current_user, project, topic_form.name.data)
        db.session.commit()
        flash(_("The topic has been added."), "ok")
        return redirect(url_for("indicators.guidance", project_id=project.id), 303)
    return _page(project, form, topic_form, 422)


@bp.route(
    "/organiser/indicators/projects/<int:project_id>/guidance/<int:session_id>/delete",
    methods=["POST"],
)
@manager_required
def delete_guidance(project_id: int, session_id: int):
    project = access.project_to_manage(current_user, project_id)
    session = db.session.get(GuidanceSession, session_id)
    if session is None or session.project_id != project.id:
        abort(404)
    service.delete_session(current_user, session)
    db.session.commit()
    flash(_("The guidance session has been removed."), "ok")
    return redirect(url_for("indicators.guidance", project_id=project.id), 303)
