"""Signup, the neutral check-your-email page, and the manage-my-registration link."""

from flask import (
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from eventhub.core.models import AgeBand
from eventhub.core.services import capacity, embed, formats, ical, listing
from eventhub.core.services import registration as service
from eventhub.extensions import csrf, db, signup_limit
from eventhub.registration import bp
from eventhub.web import embedding
from eventhub.web.calendar_links import feed_links
from eventhub.web.pages import render_event_page
from eventhub.web.signup_forms import (
    DetailsForm,
    LostLinkForm,
    annex_form_data,
    build_form,
    companion_form,
)


@bp.route("/events/<int:event_id>/register", methods=["POST"])
@signup_limit
def register(event_id: int):
    event = listing.get_public_event(event_id) or abort(404)
    return _register(event, build_form(event), embedded=False)


@bp.route("/events/<int:event_id>/register/embedded", methods=["POST"])
@csrf.exempt  # its own token instead, which needs no cookie: see eventhub.web.embedding
@signup_limit
def register_embedded(event_id: int):
    """The signup form of the project widget's dialog, framed on an allowed site."""
    event = listing.get_public_event(event_id) or abort(404)
    try:
        embed.check_signup_token(request.form.get("embed_token", ""), event.id)
    except embed.SignupTokenRefused as refused:
        return embedding.render_framed(
            event, "errors.html", 400, code=400, title=_("Bad request"), message=refused.message
        )
    return _register(event, build_form(event, meta={"csrf": False}), embedded=True)


def _register(event, form, embedded: bool):
    if form.asks_for_special_questions(request.form):
        return render_event_page(event, form, embedded=embedded)
    if not form.validate_on_submit():
        return render_event_page(event, form, status=422, embedded=embedded)
    try:
        result = service.register(event.id, form.signup_data(str(get_locale()), form.email.data))
    except service.RegistrationRefused as refused:
        db.session.rollback()
        return render_event_page(event, form, status=409, refusal=refused.reason.value,
                                 embedded=embedded)  # fmt: skip
    except service.CompanionRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return render_event_page(event, form, status=409, embedded=embedded)
    event_id = event.id  # read before the commit expires the row
    db.session.commit()
    # Committed: from here on nothing may touch the database (event.id would reload the
    # expired row), so that a connection lost now cannot turn the answer into an error.
    for note in result.notes:  # e.g. a chosen discussion group was full
        flash(note, "error")
    if embedded:
        # No session in a frame on another site: the answer is this response itself, shown
        # only to the browser that posted (the host page cannot read another site's frame).
        return _embedded_outcome(event_id, result, form.email.data)
    if result.outcome == service.Outcome.CREATED:
        # This browser made the registration: it may see it at once (see docs/privacy.md).
        session["signed_up"] = {"event": event_id, "token": result.token}
        return redirect(url_for("registration.signed_up", event_id=event_id), 303)
    # A repeat: the address may not be the typist's own, so the answer goes by mail only.
    session["signup_email"] = form.email.data
    return redirect(url_for("registration.check_email", event_id=event_id), 303)


def _embedded_outcome(event_id: int, result, email: str):
    """What the dialog shows after the post: the same pages as the redirects lead to."""
    event = listing.get_public_event(event_id) or abort(404)
    if result.outcome == service.Outcome.CREATED:
        registration = service.by_token(result.token)
        if registration is not None:
            return embedding.render_framed(
                event,
                "registration/signed_up.html",
                registration=registration,
                token=service.lasting_token(registration),
                position=capacity.waitlist_position(registration),
            )
    return embedding.render_framed(event, "registration/check_email.html", email=email)


@bp.route("/events/<int:event_id>/registered")
def signed_up(event_id: int):
    """What the registration made in this browser got, with its actions one tap away."""
    event = listing.get_public_event(event_id) or abort(404)
    made = session.get("signed_up") or {}
    registration = None
    if made.get("event") == event.id:
        registration = service.by_token(made.get("token", ""))
    if registration is None:
        return redirect(url_for("registration.check_email", event_id=event.id), 303)
    return render_template(
        "registration/signed_up.html",
        event=event,
        registration=registration,
        # The lasting link of the registration's mail (which the sender renders later and
        # which cannot carry the signup's own token: only its hash is kept), so the page's
        # links are the mail's.
        token=service.lasting_token(registration),
        position=capacity.waitlist_position(registration),
    )


@bp.route("/events/<int:event_id>/check-email")
def check_email(event_id: int):
    """What a repeat signup sees: the link went to the address, nothing is shown here."""
    event = listing.get_public_event(event_id) or abort(404)
    return render_template(
        "registration/check_email.html", event=event, email=session.get("signup_email")
    )


@bp.route("/manage/lost", methods=["GET", "POST"])
@signup_limit
def lost_link():
    """ "Lost your link?": the links of every registration of an address, by mail. The
    answer is the same whether the address has any."""
    form = LostLinkForm()
    if form.validate_on_submit():
        service.send_lost_links(form.email.data, str(get_locale()))
        db.session.commit()
        return render_template("registration/lost_link_sent.html", email=form.email.data)
    return render_template("registration/lost_link.html", form=form), (422 if form.errors else 200)


def _registration_or_404(token: str):
    registration = service.by_token(token)
    if registration is None:
        # A dead or mistyped link: say so, and offer the way to a working one (still a 404).
        abort(make_response(render_template("registration/dead_link.html"), 404))
    return registration


@bp.route("/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    registration = _registration_or_404(token)
    form = build_form(registration.event, base=DetailsForm, data=_current(registration))
    editable = registration.status in service.ACTIVE
    if request.method == "POST":
        if not editable:
            abort(409)
        if form.asks_for_special_questions(request.form):
            pass  # shown again with the questions, nothing saved
        elif form.validate_on_submit():
            service.update_details(registration, form.signup_data(registration.locale, ""))
            db.session.commit()
            flash(_("Your changes have been saved."), "ok")
            return redirect(url_for("registration.manage", token=token), 303)
    return _manage_page(registration, token, form=form), (422 if form.errors else 200)


def _manage_page(registration, token: str, form=None, companion_forms=None) -> str:
    editable = registration.status in service.ACTIVE
    form = form or build_form(registration.event, base=DetailsForm, data=_current(registration))
    forms = {
        c.id: companion_form(
            registration.event,
            formdata=None,
            data={
                "name": c.person.name,
                "age_band": c.age_band.value if c.age_band else "",
                **{f"q_{k}": v for k, v in (c.answers or {}).items()},
            },
        )
        for c in registration.companions
        if c.status in service.ACTIVE
    }
    forms |= companion_forms or {}
    for companion_id, one in forms.items():
        # Several forms on one page: ids of their own for the labels.
        for field in (
            one.name,
            one.age_band,
            *one.question_fields(),
        ):
            field.id = field.label.field_id = f"companion-{companion_id}-{field.name}"
    return render_template(
        "registration/manage.html",
        registration=registration,
        event=registration.event,
        form=form,
        editable=editable,
        companions=registration.companions,
        companion_forms=forms,
        position=capacity.waitlist_position(registration),
        token=token,
        format_parts=formats.manage_page_parts(registration, token),
        feed=feed_links(
            "calendar.personal",
            _("My registrations"),
            token=ical.personal_feed_token(registration.person),
        ),
    )


@bp.route("/manage/<token>/companions/<int:companion_id>", methods=["POST"])
def companion(token: str, companion_id: int):
    """The person who signed a group up corrects one companion."""
    registration = _registration_or_404(token)
    form = companion_form(registration.event)
    if not form.validate_on_submit():
        if not any(c.id == companion_id for c in registration.companions):
            abort(404)
        return _manage_page(registration, token, companion_forms={companion_id: form}), 422
    try:
        service.update_companion(
            registration,
            companion_id,
            form.name.data,
            AgeBand(form.age_band.data) if form.age_band.data else None,
            form.answers(),
        )
    except LookupError:
        abort(404)
    except service.CompanionRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("registration.manage", token=token), 303)
    db.session.commit()
    flash(_("Your changes have been saved."), "ok")
    return redirect(url_for("registration.manage", token=token, _anchor="companions"), 303)


@bp.route("/manage/<token>/companions/<int:companion_id>/cancel", methods=["POST"])
def cancel_companion(token: str, companion_id: int):
    """The person who signed a group up cancels one companion; the place is given on."""
    registration = _registration_or_404(token)
    try:
        service.cancel_companion(registration, companion_id)
    except LookupError:
        abort(404)
    db.session.commit()
    flash(_("The companion's registration has been cancelled."), "ok")
    return redirect(url_for("registration.manage", token=token, _anchor="companions"), 303)


@bp.route("/manage/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    registration = _registration_or_404(token)
    if request.method == "POST":
        # The CSRF check has passed (CSRFProtect); cancelling twice is harmless.
        service.cancel(registration)
        db.session.commit()
        flash(_("Your registration has been cancelled."), "ok")
        return redirect(url_for("registration.manage", token=token), 303)
    return render_template(
        "registration/cancel.html", registration=registration, event=registration.event,
        token=token,
    )  # fmt: skip


@bp.route("/manage/<token>/event.ics")
def event_ics(token: str):
    registration = _registration_or_404(token)
    return Response(
        ical.event_calendar(registration.event),
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'attachment; filename="event.ics"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/privacy")
def privacy():
    return render_template("registration/privacy.html")


def _current(registration) -> dict:
    """The form's starting values: what the participant gave before."""
    data = {
        "name": registration.person.name,
        "phone": registration.person.phone,
        "organisation": registration.organisation.name if registration.organisation else "",
        "municipality": str(registration.municipality_id or ""),
        "place": str(registration.place_id or ""),
        "accessibility_needs": registration.accessibility_needs,
        "dietary_needs": registration.dietary_needs,
        "gender": registration.gender.value if registration.gender else None,
        "age_band": registration.age_band.value if registration.age_band else "",
        "labour_status": registration.labour_status.value if registration.labour_status else "",
    }
    data |= {f"q_{k}": v for k, v in (registration.answers or {}).items()}
    if registration.event.project is not None and registration.event.project.collects_annex_i:
        data |= annex_form_data(registration)
    return data
