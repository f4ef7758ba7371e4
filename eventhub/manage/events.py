"""Organiser routes for events: list, create, edit, duplicate, publish, cancel (their
questions: eventhub.manage.questions)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from eventhub.core import audit_text
from eventhub.core.db import utcnow
from eventhub.core.models import (
    AuditEntry,
    Event,
    EventStatus,
    Municipality,
    Project,
    Registration,
)
from eventhub.core.services import access, capacity, event_admin, projects
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.manage.forms import EventForm
from eventhub.web.decorators import admin_required, manager_required, staff_required
from eventhub.web.forms import choices


@bp.route("/")
@staff_required
def index():
    show = request.args.get("show", "upcoming")
    stmt = _filter_by_time(select(Event).where(access.checkin_events_filter(current_user)), show)
    events = db.session.scalars(stmt.limit(500)).all()
    return render_template(
        "manage/index.html",
        events=events,
        show=show,
        taken=capacity.places_taken([e.id for e in events]),
        can_manage=access.can_manage(current_user),
        checklist=projects.first_run_checklist(current_user),
    )


def _filter_by_time(stmt, show: str):
    if show == "past":
        return stmt.where(Event.ends_at < utcnow()).order_by(Event.starts_at.desc())
    if show == "drafts":
        return stmt.where(Event.status == EventStatus.DRAFT).order_by(Event.starts_at)
    return stmt.where(Event.ends_at >= utcnow()).order_by(Event.starts_at)


def _event_form(**kwargs) -> EventForm:
    form = EventForm(**kwargs)
    form.project.choices = choices(
        (str(p.id), p.name) for p in db.session.scalars(access.projects_query(current_user))
    )
    form.municipality.choices = choices(
        [("", _("None"))]
        + [
            (str(m.id), m.name)
            for m in db.session.scalars(select(Municipality).order_by(Municipality.name))
        ]
    )
    return form


@bp.route("/events/new", methods=["GET", "POST"])
@manager_required
def new_event():
    form = _event_form()
    if request.method == "GET":
        _project_defaults(form)
    if form.validate_on_submit():
        access.project_to_manage(current_user, int(form.project.data))
        event = event_admin.create_event(current_user, **form.changes())
        db.session.commit()
        flash(_("The event has been saved as a draft. Publish it when it is ready."), "ok")
        return redirect(url_for("manage.event", event_id=event.id), 303)
    return render_template("manage/event_form.html", form=form, event=None), _status(form)


def _project_defaults(form: EventForm) -> None:
    """A new event starts in its project's timezone and language: the project asked for in
    the address, or the user's only project."""
    scope = db.session.scalars(access.projects_query(current_user).limit(2)).all()
    wanted = request.args.get("project", type=int)
    project = next((p for p in scope if p.id == wanted), None)
    if wanted is not None and project is None:
        project = db.session.get(Project, wanted)
        if project is not None and not access.may_manage_project(current_user, project):
            project = None
    if project is None and len(scope) == 1:
        project = scope[0]
    if project is not None:
        form.project.data = str(project.id)
        form.timezone.data = project.timezone
        form.language.data = project.language


@bp.route("/events/<int:event_id>")
@manager_required
def event(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    taken = capacity.count_taken(event.id)
    return render_template(
        "manage/event.html",
        event=event,
        availability=capacity.availability(event, taken),
        counts=_status_counts(event.id),
        started=event.starts_at <= utcnow(),
    )


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@manager_required
def edit_event(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    form = _event_form(obj=_FormValues(event))
    form.stored = {
        name: getattr(event, name)
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
    }
    if form.validate_on_submit():
        access.project_to_manage(current_user, int(form.project.data))
        try:
            told = event_admin.save_event(current_user, event, **form.changes())
        except event_admin.CapacityBelowTaken as below:
            db.session.rollback()
            form.capacity.errors.append(
                _(
                    "%(taken)s people already hold a place: cancel or reject registrations "
                    "before lowering the number of places below that.",
                    taken=below.taken,
                )
            )
            return render_template("manage/event_form.html", form=form, event=event), 422
        db.session.commit()
        flash(
            _("Saved. Everyone registered has been sent the new details.") if told else _("Saved."),
            "ok",
        )
        return redirect(url_for("manage.event", event_id=event.id), 303)
    return render_template("manage/event_form.html", form=form, event=event), _status(form)


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@manager_required
def publish_event(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    try:
        event_admin.publish(current_user, event, past_confirmed=bool(request.form.get("past")))
    except event_admin.PublishingPastEvent:
        return render_template("manage/publish_past.html", event=event), 409
    db.session.commit()
    flash(_("The event is published: people can find it and register."), "ok")
    return redirect(url_for("manage.event", event_id=event.id), 303)


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@manager_required
def cancel_event(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    if request.method == "POST":
        told = event_admin.cancel(current_user, event)
        db.session.commit()
        flash(_("The event is cancelled. %(count)s registered people were told.", count=told), "ok")
        return redirect(url_for("manage.event", event_id=event.id), 303)
    return render_template("manage/cancel_event.html", event=event, counts=_status_counts(event.id))


@bp.route("/events/<int:event_id>/duplicate", methods=["POST"])
@manager_required
def duplicate_event(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    copy = event_admin.duplicate(current_user, event)
    db.session.commit()
    flash(_("This is a draft copy. Change the dates and publish it."), "ok")
    return redirect(url_for("manage.edit_event", event_id=copy.id), 303)


@bp.route("/audit")
@admin_required
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    entries = db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.user), joinedload(AuditEntry.event))
        .order_by(AuditEntry.id.desc())
        .limit(100)
        .offset((page - 1) * 100)
    ).all()
    return render_template(
        "manage/audit.html", entries=entries, page=page, sentences=audit_text.sentences(entries)
    )


def _status(form) -> int:
    return 422 if form.errors else 200


def _status_counts(event_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
    ).all()
    return {status.value: count for status, count in rows}


class _FormValues:
    """An event's values in the shape of the form (local times, ids as strings)."""

    def __init__(self, event: Event):
        tz = event.tz
        self.title = event.title
        self.kind = event.kind.value
        self.project = str(event.project_id or "")
        self.description = event.description
        self.timezone = event.timezone
        self.starts = event.starts_at.astimezone(tz).replace(tzinfo=None)
        self.ends = event.ends_at.astimezone(tz).replace(tzinfo=None)
        self.venue = event.venue
        self.address = event.address
        self.online_url = event.online_url
        self.municipality = str(event.municipality_id or "")
        self.language = event.language
        self.capacity = event.capacity
        self.waitlist_enabled = event.waitlist_enabled
        self.requires_approval = event.requires_approval
        self.max_companions = event.max_companions
        self.groups_may_split = event.groups_may_split
        self.registration_opens = _local(event.registration_opens_at, tz)
        self.registration_closes = _local(event.registration_closes_at, tz)


def _local(moment, tz):
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None
