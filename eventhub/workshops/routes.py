"""Workshop series: the public series page with one signup form for several sessions,
participation certificates, and the organiser's series pages."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventhub.core.labels import KIND_PLURALS
from eventhub.core.models import Event, EventKind, Person, WorkshopSeries
from eventhub.core.services import access, workshops
from eventhub.extensions import db, signup_limit
from eventhub.web.decorators import manager_required
from eventhub.web.forms import choices as select_choices
from eventhub.web.pages import render_listing
from eventhub.workshops import bp, pdf
from eventhub.workshops.forms import DatePatternForm, SeriesForm, data_for, series_form

SESSION_KEY = "series_signup"


@bp.route("/")
def index():
    return render_listing(EventKind.WORKSHOP, str(KIND_PLURALS[EventKind.WORKSHOP]))


def _public_series(series_id: int) -> tuple[WorkshopSeries, list]:
    series = db.session.get(WorkshopSeries, series_id) or abort(404)
    sessions = workshops.sessions_with_places(series)
    if not sessions:
        abort(404)
    return series, sessions


def _series_page(series, sessions, form=None, status: int = 200, refused=None):
    events = [e for e, _a in sessions]
    form = form or series_form(series, events)
    form.sessions.choices = select_choices(
        (str(e.id), e.title) for e, a in sessions if a.accepts_registrations
    )
    return render_template(
        "workshops/series.html", series=series, sessions=sessions, form=form, refused=refused
    ), status


@bp.route("/series/<int:series_id>")
def series(series_id: int):
    found, sessions = _public_series(series_id)
    return _series_page(found, sessions)


@bp.route("/series/<int:series_id>/register", methods=["POST"])
@signup_limit
def register(series_id: int):
    """One form, several sessions: each is registered under its own lock in this one
    transaction; the ones that cannot take the person are named on the next page."""
    found, sessions = _public_series(series_id)
    form = series_form(found, [e for e, _a in sessions])
    form.sessions.choices = select_choices((str(e.id), e.title) for e, _a in sessions)
    if not form.validate_on_submit():
        return _series_page(found, sessions, form, 422)
    data = form.signup_data(str(get_locale()), form.email.data)
    try:
        if form.whole_series.data:
            signup = workshops.register_for_whole_series(found, data_for(form, data))
        else:
            signup = workshops.register_for_sessions(
                found, [int(v) for v in form.sessions.data], data_for(form, data)
            )
    except workshops.NoSessionTaken as nothing:
        db.session.rollback()
        return _series_page(found, sessions, form, 409, refused=nothing.outcomes)
    db.session.commit()
    session[SESSION_KEY] = {
        "email": form.email.data,
        "registered": [o.event.id for o in signup.registered],
        "refused": [[o.event.id, o.refused.value] for o in signup.refused],
    }
    return redirect(url_for("workshops.check_email", series_id=found.id), 303)


@bp.route("/series/<int:series_id>/check-email")
def check_email(series_id: int):
    """The same page whether the person was registered before or not; refused sessions are
    about the sessions, not the person."""
    found = db.session.get(WorkshopSeries, series_id) or abort(404)
    answer = session.get(SESSION_KEY) or {}
    events = {e.id: e for e in found.sessions}
    return render_template(
        "workshops/check_email.html",
        series=found,
        email=answer.get("email"),
        registered=[events[i] for i in answer.get("registered", []) if i in events],
        refused=[(events[i], reason) for i, reason in answer.get("refused", []) if i in events],
    )


# --- certificates -----------------------------------------------------------------------


def _pdf_response(certificate: workshops.Certificate, locale: str) -> Response:
    """The certificate as a PDF download, in the registrant's language (not the reader's:
    an organiser printing it for a Latvian participant gets it in Latvian)."""
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        data = pdf.certificate_pdf(certificate, locale)
    response = Response(data, mimetype="application/pdf")
    filename = pdf.certificate_filename(certificate)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _participant_series(token: str):
    registration = workshops.registration_for_certificate_token(token) or abort(404)
    series_id = registration.event.series_id or abort(404)
    return registration, db.session.get(WorkshopSeries, series_id) or abort(404)


@bp.route("/certificate/<token>")
def my_certificate(token: str):
    """The participant's certificate, linked from the manage page of any session of the
    series; its address is read-only (see workshops.certificate_token)."""
    registration, found = _participant_series(token)
    certificate = workshops.certificate(found, registration.person)
    if certificate is None:
        return render_template(
            "workshops/no_certificate.html",
            series=found,
            attended=len(workshops.attended_sessions(found, registration.person_id)),
        )
    return render_template(
        "workshops/certificate.html",
        certificate=certificate,
        pdf_url=url_for("workshops.my_certificate_pdf", token=token),
    )


@bp.route("/certificate/<token>.pdf")
def my_certificate_pdf(token: str):
    """The same certificate as a PDF, in the language of the registration behind the link."""
    registration, found = _participant_series(token)
    certificate = workshops.certificate(found, registration.person) or abort(404)
    return _pdf_response(certificate, registration.locale)


# --- organiser --------------------------------------------------------------------------


def _series_to_manage(series_id: int) -> WorkshopSeries:
    return access.series_to_manage(current_user, series_id)


def _candidate_sessions(project_id: int | None) -> list[Event]:
    stmt = select(Event).where(access.manageable_events_filter(current_user))
    if project_id is not None:
        stmt = stmt.where(Event.project_id == project_id)
    return list(db.session.scalars(stmt.order_by(Event.starts_at, Event.id).limit(500)))


def _series_form(found: WorkshopSeries | None = None, **kwargs) -> SeriesForm:
    form = SeriesForm(**kwargs)
    form.project.choices = select_choices(
        (str(p.id), p.name) for p in db.session.scalars(access.projects_query(current_user))
    )
    project_id = found.project_id if found else None
    if form.project.data:
        try:
            project_id = int(form.project.data)
        except ValueError:
            project_id = None
    form.sessions.choices = select_choices(
        (str(e.id), f"{e.local_start:%Y-%m-%d} {e.title}")
        for e in _candidate_sessions(project_id)
        if e.series_id in (None, found.id if found else None)
    )
    return form


@bp.route("/organiser/series", methods=["GET", "POST"])
@manager_required
def organiser_index():
    stmt = (
        select(WorkshopSeries)
        .where(access.manageable_series_filter(current_user))
        .order_by(WorkshopSeries.name)
    )
    form = _series_form()
    if form.validate_on_submit():
        project = access.project_to_manage(current_user, int(form.project.data))
        found = workshops.create_series(
            current_user,
            name=form.name.data.strip(),
            project_id=project.id,
            description=(form.description.data or "").strip(),
            certificate_threshold=form.certificate_threshold.data,
        )
        db.session.commit()
        flash(_("The series has been created. Now choose its sessions."), "ok")
        return redirect(url_for("workshops.organiser_series", series_id=found.id), 303)
    return render_template(
        "workshops/organiser_index.html", all_series=db.session.scalars(stmt).all(), form=form
    ), (422 if form.errors else 200)


@bp.route("/organiser/series/<int:series_id>", methods=["GET", "POST"])
@manager_required
def organiser_series(series_id: int):
    found = _series_to_manage(series_id)
    data = {
        "name": found.name,
        "project": str(found.project_id or ""),
        "description": found.description,
        "certificate_threshold": found.certificate_threshold,
        "sessions": [str(e.id) for e in found.sessions],
    }
    form = _series_form(found, data=data)
    if form.validate_on_submit():
        access.project_to_manage(current_user, int(form.project.data))
        found.name = form.name.data.strip()
        found.project_id = int(form.project.data)
        found.description = (form.description.data or "").strip()
        found.certificate_threshold = form.certificate_threshold.data
        chosen = [access.event_to_manage(current_user, int(v)) for v in form.sessions.data]
        workshops.set_sessions(current_user, found, chosen)
        db.session.commit()
        flash(_("The series has been saved."), "ok")
        return redirect(url_for("workshops.organiser_series", series_id=found.id), 303)
    sessions = found.sessions
    return render_template(
        "workshops/organiser_series.html",
        series=found,
        sessions=sessions,
        attendance=workshops.attendance_counts([e.id for e in sessions]),
        figures=workshops.series_indicators(found),
        holders=workshops.certificate_holders(found),
        form=form,
    ), (422 if form.errors else 200)


@bp.route("/organiser/series/<int:series_id>/dates", methods=["GET", "POST"])
@manager_required
def organiser_dates(series_id: int):
    """Dates by pattern: the preview lists the sessions; "create" makes them all in one
    transaction, or none."""
    found = _series_to_manage(series_id)
    form = DatePatternForm()
    preview, refusal = None, None
    if form.validate_on_submit():
        template = _session_template(found, form)
        try:
            if request.form.get("action") == "create":
                pattern = form.pattern()
                made = workshops.create_dated_sessions(current_user, found, pattern, template)
                db.session.commit()
                flash(
                    ngettext(
                        "%(num)d session has been created.",
                        "%(num)d sessions have been created.",
                        len(made),
                    ),
                    "ok",
                )
                return redirect(url_for("workshops.organiser_series", series_id=found.id), 303)
            preview = workshops.preview_dates(form.pattern(), template)
        except workshops.PatternRefused as refused:
            db.session.rollback()
            refusal = refused.message
    return render_template(
        "workshops/organiser_dates.html",
        series=found,
        form=form,
        preview=preview,
        refusal=refusal,
        timezone=_timezone(found),
    ), (422 if form.errors or refusal else 200)


def _timezone(found: WorkshopSeries) -> str:
    return found.project.timezone if found.project else "Europe/Helsinki"


def _session_template(found: WorkshopSeries, form: DatePatternForm) -> workshops.SessionTemplate:
    return workshops.SessionTemplate(
        title=(form.title.data or "").strip(),
        capacity=form.capacity.data,
        timezone=_timezone(found),
        venue=(form.venue.data or "").strip(),
        address=(form.address.data or "").strip(),
        language=found.project.language if found.project else "fi",
        publish=form.publish.data,
    )


@bp.route("/organiser/series/<int:series_id>/certificates/<int:person_id>")
@manager_required
def organiser_certificate(series_id: int, person_id: int):
    found = _series_to_manage(series_id)
    person = db.session.get(Person, person_id) or abort(404)
    certificate = workshops.certificate(found, person) or abort(404)
    return render_template(
        "workshops/certificate.html",
        certificate=certificate,
        pdf_url=url_for(
            "workshops.organiser_certificate_pdf", series_id=series_id, person_id=person_id
        ),
    )


@bp.route("/organiser/series/<int:series_id>/certificates/<int:person_id>.pdf")
@manager_required
def organiser_certificate_pdf(series_id: int, person_id: int):
    found = _series_to_manage(series_id)
    person = db.session.get(Person, person_id) or abort(404)
    certificate = workshops.certificate(found, person) or abort(404)
    return _pdf_response(certificate, workshops.registrant_locale(found, person))
