"""Organiser routes for an event's registrations: list and search, approve, reject, move up
from the waiting list, cancel on someone's behalf, add by hand, message everyone confirmed,
export to CSV and XLSX. Rules live in core.services.registrations_admin."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.utils import secure_filename

from eventhub.core.db import utcnow
from eventhub.core.models import Event, Registration, RegistrationStatus
from eventhub.core.services import access, capacity
from eventhub.core.services import registrations_admin as service
from eventhub.core.services.capacity import Availability
from eventhub.core.services.registration import Outcome, Placement, RegistrationRefused
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.manage.registration_forms import MessageForm, manual_registration_form
from eventhub.web import exports as spreadsheets
from eventhub.web import refusal_message, safe_next
from eventhub.web.actions import act
from eventhub.web.decorators import manager_required

BASE = "/events/<int:event_id>/registrations"
_STATUSES = {s.value for s in RegistrationStatus}


def _filters() -> service.RegistrationFilters:
    status = request.args.get("status", "")
    return service.RegistrationFilters(
        status=RegistrationStatus(status) if status in _STATUSES else None,
        text=request.args.get("q", "")[:200],
    )


def _list_url(event: Event, filters: service.RegistrationFilters | None = None) -> str:
    filters = filters or service.RegistrationFilters()
    return url_for(
        "manage.registrations",
        event_id=event.id,
        status=filters.status.value if filters.status else None,
        q=filters.text or None,
    )


def _registration(event: Event, registration_id: int) -> Registration:
    return service.registration_of(event, registration_id) or abort(404)


@bp.route(BASE)
@manager_required
def registrations(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    filters = _filters()
    taken = capacity.count_taken(event.id)
    page = service.list_registrations(
        event, filters, page=max(request.args.get("page", 1, type=int), 1)
    )
    questions = list(event.questions)
    return render_template(
        "manage/registrations/list.html",
        event=event,
        filters=filters,
        page=page,
        counts=service.status_counts(event.id),
        taken=taken,
        seats_left=capacity.seats_left(event, taken),
        here=request.full_path.rstrip("?"),
        details={r.id: service.answers_and_needs(questions, r) for r in page.items},
    )


def _act(event_id: int, registration_id: int, action, done: str):
    """Run one decision on one registration, then go back to the list as it was."""
    event = access.event_to_manage(current_user, event_id)
    registration = _registration(event, registration_id)

    def told(promoted) -> list[str]:
        if not promoted:
            return [done]
        moved = ngettext(
            "%(num)d person moved up from the waiting list.",
            "%(num)d people moved up from the waiting list.",
            len(promoted),
        )
        return [done, moved]

    return act(
        lambda: action(current_user, registration),
        done=told,
        to=safe_next(request.form.get("next"), _list_url(event)),
    )


@bp.route(f"{BASE}/<int:registration_id>/approve", methods=["POST"])
@manager_required
def approve_registration(event_id: int, registration_id: int):
    done = _("Approved. The person has been told that their place is confirmed.")
    return _act(event_id, registration_id, service.approve, done)


@bp.route(f"{BASE}/<int:registration_id>/reject", methods=["POST"])
@manager_required
def reject_registration(event_id: int, registration_id: int):
    done = _("Rejected. The person has been told.")
    return _act(event_id, registration_id, service.reject, done)


@bp.route(f"{BASE}/<int:registration_id>/promote", methods=["POST"])
@manager_required
def promote_registration(event_id: int, registration_id: int):
    done = _("The person has a place now and has been told.")
    return _act(event_id, registration_id, service.promote, done)


@bp.route(f"{BASE}/<int:registration_id>/cancel", methods=["GET", "POST"])
@manager_required
def cancel_registration(event_id: int, registration_id: int):
    if request.method == "POST":
        done = _("The registration is cancelled and the person has been told.")
        return _act(event_id, registration_id, service.cancel_on_behalf, done)
    event = access.event_to_manage(current_user, event_id)
    return render_template(
        "manage/registrations/cancel.html",
        event=event,
        registration=_registration(event, registration_id),
        back=safe_next(request.args.get("next"), _list_url(event)),
    )


@bp.route(f"{BASE}/new", methods=["GET", "POST"])
@manager_required
def add_registration(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    form = manual_registration_form(event)
    refusal = None
    if form.validate_on_submit():
        data = form.signup_data(form.locale.data, form.email.data)
        try:
            result = service.add_by_hand(
                current_user,
                event,
                data,
                Placement(form.placement.data),
                notify=form.send_mail.data,
            )
        except RegistrationRefused as refused:
            db.session.rollback()
            refusal = _refusal(refused)
        else:
            if result.outcome == Outcome.ALREADY_REGISTERED:
                db.session.rollback()
                refusal = _("This person is already registered for the event.")
            else:
                db.session.commit()
                flash(_added_message(result.registration), "ok")
                return redirect(_list_url(event), 303)
    status = 409 if refusal else (422 if form.errors else 200)
    return render_template(
        "manage/registrations/add.html", event=event, form=form, refusal=refusal
    ), status


def _refusal(refused: RegistrationRefused) -> str:
    if refused.reason == Availability.FULL:
        return _(
            "The event is full. Choose the waiting list, or add places in the event's settings."
        )
    if refused.reason == Availability.UNAVAILABLE:
        return _("Publish the event before adding registrations.")
    return refusal_message(refused.reason.value)


def _added_message(registration: Registration) -> str:
    if registration.status == RegistrationStatus.WAITLISTED:
        return _(
            "Added to the waiting list, position %(position)s. The person has been told.",
            position=capacity.waitlist_position(registration),
        )
    return _("Added with a confirmed place. The person has been sent a confirmation.")


@bp.route(f"{BASE}/message", methods=["GET", "POST"])
@manager_required
def message_confirmed(event_id: int):
    """Write, then check (who gets it, how it reads), then send."""
    event = access.event_to_manage(current_user, event_id)
    form = MessageForm()
    step, refusal = "write", None
    action = request.form.get("action")
    if form.validate_on_submit() and action != "edit":
        if action != "send":
            step = "confirm"
        else:
            try:
                sent = service.message_confirmed(
                    current_user, event, form.subject.data, form.body.data.strip()
                )
            except service.ActionRefused as refused:
                db.session.rollback()
                refusal = refused.message
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "The message is on its way to %(num)d person.",
                        "The message is on its way to %(num)d people.",
                        sent,
                    ),
                    "ok",
                )
                return redirect(_list_url(event), 303)
    return render_template(
        "manage/registrations/message.html",
        event=event,
        form=form,
        step=step,
        refusal=refusal,
        recipients=len(service.confirmed_registrations(event)),
    ), (409 if refusal else 422 if form.errors else 200)


@bp.route(f"{BASE}/export.csv")
@manager_required
def export_csv(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    table = service.export_table(current_user, event, _filters())
    db.session.commit()
    sheet = spreadsheets.Sheet("registrations", _("Registrations"), table.headers, table.rows)
    return spreadsheets.csv_download(sheet, _filename(event))


@bp.route(f"{BASE}/export.xlsx")
@manager_required
def export_xlsx(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    table = service.export_table(current_user, event, _filters())
    db.session.commit()
    sheet = spreadsheets.Sheet("registrations", _("Registrations"), table.headers, table.rows)
    return spreadsheets.xlsx_download([sheet], _filename(event))


def _filename(event: Event) -> str:
    """A plain ASCII file name (without its extension) for the event's registrations."""
    title = secure_filename(event.title).lower()[:60] or "event"
    today = utcnow().astimezone(event.tz).date().isoformat()
    return f"registrations-{event.id}-{title}-{today}"
