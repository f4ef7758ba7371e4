"""Organiser routes for attendance at the door: the check-in list, walk-ins, headcounts, QR
check-in, the printable sign-in sheet and its ticks, and closing an event.

Check-in staff reach the events they are assigned to; managers and admins the events of
their projects. Only managers and admins close or reopen an event. Every page works without
JavaScript; static/checkin.js makes the check-in list quicker (no reload per tap).
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import Attendance, DoorDevice, Event, Headcount, Registration
from eventhub.core.numbers import parse_id
from eventhub.core.services import access, door
from eventhub.core.services import attendance as service
from eventhub.core.services.attendance import AttendanceRefused, DoorRow
from eventhub.extensions import db
from eventhub.manage import bp
from eventhub.manage.attendance_forms import (
    CloseEventForm,
    DeviceForm,
    HeadcountForm,
    WalkInForm,
)
from eventhub.urls import external_url
from eventhub.web.actions import act
from eventhub.web.decorators import manager_required, staff_required

# For the participant's own page (registration/manage.html): their check-in QR code.
bp.add_app_template_global(service.checkin_qr_data_uri, "checkin_qr_data_uri")
bp.add_app_template_global(service.offers_checkin_qr, "offers_checkin_qr")


# --- the check-in list --------------------------------------------------------------------


@bp.route("/events/<int:event_id>/checkin")
@staff_required
def checkin(event_id: int):
    event = access.event_to_check_in(current_user, event_id)
    q = request.args.get("q", "").strip()[:100]
    return render_template(
        "manage/checkin.html",
        event=event,
        q=q,
        rows=service.door_list(event, q),
        summary=service.attendance_summary(event.id),
        can_manage=access.may_manage_event(current_user, event),
        fold=service.fold,
        today=service.is_on_today(event),
    )


@bp.route("/events/<int:event_id>/checkin/<int:registration_id>/present", methods=["POST"])
@staff_required
def mark_present(event_id: int, registration_id: int):
    event = access.event_to_check_in(current_user, event_id)
    registration = _registration_of(event, registration_id)
    try:
        done = service.check_in(current_user, registration)
    except AttendanceRefused as refusal:
        return _refused(event_id, refusal)
    db.session.commit()
    message = (
        _("%(name)s is marked present.", name=registration.person.name)
        if done
        else _("%(name)s was already marked present.", name=registration.person.name)
    )
    return _door_response(event, service.door_row(event, registration), message)


@bp.route("/events/<int:event_id>/checkin/<int:registration_id>/undo", methods=["POST"])
@staff_required
def undo_present(event_id: int, registration_id: int):
    event = access.event_to_check_in(current_user, event_id)
    registration = _registration_of(event, registration_id)
    try:
        service.undo_check_in(current_user, registration)
    except AttendanceRefused as refusal:
        return _refused(event_id, refusal)
    db.session.commit()
    message = _("%(name)s is no longer marked present.", name=registration.person.name)
    return _door_response(event, service.door_row(event, registration), message)


@bp.route("/events/<int:event_id>/walk-ins/<int:attendance_id>/remove", methods=["POST"])
@staff_required
def remove_walk_in(event_id: int, attendance_id: int):
    event = access.event_to_check_in(current_user, event_id)
    attendance = db.session.get(Attendance, attendance_id)
    if attendance is None or attendance.event_id != event.id or attendance.registration_id:
        abort(404)
    name = attendance.walk_in_name
    try:
        service.remove_walk_in(current_user, attendance)
    except AttendanceRefused as refusal:
        return _refused(event_id, refusal)
    db.session.commit()
    return _door_response(event, None, _("The walk-in %(name)s has been removed.", name=name))


# --- walk-ins and headcounts --------------------------------------------------------------


@bp.route("/events/<int:event_id>/walk-in", methods=["GET", "POST"])
@staff_required
def walk_in(event_id: int):
    event = access.event_to_check_in(current_user, event_id)
    form = WalkInForm(name=request.args.get("name", "")[:200])
    form.fill_choices(event)
    if form.validate_on_submit():
        name = form.name.data.strip()
        try:
            result = service.add_walk_in(
                current_user, event, name, email=form.email.data,
                organisation_name=form.organisation.data,
                municipality_id=form.municipality_id(),
            )  # fmt: skip
        except AttendanceRefused as refusal:
            return _refused(event_id, refusal)
        db.session.commit()
        flash(_walk_in_message(result, name), "ok")
        return redirect(url_for("manage.checkin", event_id=event.id), 303)
    return _page("manage/walk_in.html", form, event=event)


def _walk_in_message(result: service.WalkInResult, typed: str) -> str:
    person = result.attendance.person
    name = person.name if person is not None else typed
    if result.repeated:
        return _("%(name)s was already recorded as present.", name=name)
    if result.was_registered:
        return _("%(name)s had registered: they are now marked present.", name=name)
    return _("%(name)s has been added as a walk-in and marked present.", name=name)


@bp.route("/events/<int:event_id>/headcount", methods=["GET", "POST"])
@staff_required
def headcount(event_id: int):
    event = access.event_to_check_in(current_user, event_id)
    form = HeadcountForm()
    if form.validate_on_submit():
        try:
            service.add_headcount(current_user, event, form.count.data, form.note.data or "")
        except AttendanceRefused as refusal:
            return _refused(event_id, refusal, to="manage.headcount")
        db.session.commit()
        flash(_("The headcount has been saved."), "ok")
        return redirect(url_for("manage.headcount", event_id=event.id), 303)
    counts = db.session.scalars(
        select(Headcount).where(Headcount.event_id == event.id).order_by(Headcount.id)
    ).all()
    return _page("manage/headcount.html", form, event=event, counts=counts)


@bp.route("/events/<int:event_id>/headcount/<int:headcount_id>", methods=["POST"])
@staff_required
def update_headcount(event_id: int, headcount_id: int):
    event = access.event_to_check_in(current_user, event_id)
    row = _headcount_of(event, headcount_id)
    form = HeadcountForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return redirect(url_for("manage.headcount", event_id=event.id), 303)
    return act(
        lambda: service.set_headcount(current_user, row, form.count.data, form.note.data or ""),
        done=_("The headcount has been corrected."),
        to=url_for("manage.headcount", event_id=event.id),
    )


@bp.route("/events/<int:event_id>/headcount/<int:headcount_id>/remove", methods=["POST"])
@staff_required
def remove_headcount(event_id: int, headcount_id: int):
    event = access.event_to_check_in(current_user, event_id)
    row = _headcount_of(event, headcount_id)
    return act(
        lambda: service.remove_headcount(current_user, row),
        done=_("The headcount has been removed."),
        to=url_for("manage.headcount", event_id=event.id),
    )


# --- QR check-in --------------------------------------------------------------------------


@bp.route("/checkin/<token>", methods=["GET", "POST"])
@staff_required
def qr_checkin(token: str):
    """Where the QR code of a confirmation mail leads: the person, and one confirming tap."""
    registration = service.registration_for_token(token)
    if registration is None:
        abort(404)
    event = access.event_to_check_in(current_user, registration.event_id)
    if request.method == "POST":
        try:
            done = service.check_in(current_user, registration, via="qr")
        except AttendanceRefused as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
            return redirect(url_for("manage.qr_checkin", token=token), 303)
        db.session.commit()
        name = registration.person.name
        flash(
            _("%(name)s is marked present.", name=name)
            if done
            else _("%(name)s was already marked present.", name=name),
            "ok",
        )
        return redirect(url_for("manage.qr_checkin", token=token), 303)
    return render_template(
        "manage/qr_checkin.html",
        event=event,
        registration=registration,
        row=service.door_row(event, registration),
        checkable=registration.status in service.CHECKABLE,
    )


# --- the printed sheet and its ticks ------------------------------------------------------


@bp.route("/events/<int:event_id>/sheet")
@staff_required
def sheet(event_id: int):
    event = access.event_to_check_in(current_user, event_id)
    return render_template(
        "manage/sheet.html",
        event=event,
        registrations=service.sheet_registrations(event),
        blank_rows=range(12),
    )


@bp.route("/events/<int:event_id>/ticks", methods=["GET", "POST"])
@staff_required
def ticks(event_id: int):
    event = access.event_to_check_in(current_user, event_id)
    if request.method == "POST":
        ticked = {n for v in request.form.getlist("present") if (n := parse_id(v)) is not None}
        try:
            result = service.record_sheet(current_user, event, ticked)
        except AttendanceRefused as refusal:
            return _refused(event_id, refusal, to="manage.ticks")
        db.session.commit()
        flash(
            _(
                "Attendance saved: %(added)s marked present, %(removed)s unmarked.",
                added=result.added,
                removed=result.removed,
            ),
            "ok",
        )
        return redirect(url_for("manage.checkin", event_id=event.id), 303)
    return render_template(
        "manage/ticks.html",
        event=event,
        registrations=service.sheet_registrations(event),
        present=service.attended_registration_ids(event.id),
    )


# --- devices of the check-in app -----------------------------------------------------------


@bp.route("/events/<int:event_id>/devices", methods=["GET", "POST"])
@manager_required
def devices(event_id: int):
    """Enrol a phone for the check-in app with a QR code; the token is shown this once."""
    event = access.event_to_manage(current_user, event_id)
    form = DeviceForm()
    enrolled = None
    if form.validate_on_submit():
        device, token = door.enrol_device(current_user, event, form.label.data)
        db.session.commit()
        link = f"{external_url('door.app')}#enrol={token}"
        enrolled = {"device": device, "link": link, "qr": service.qr_data_uri(link)}
        form = DeviceForm(formdata=None)
    return _page(
        "manage/devices.html", form, event=event, devices=door.devices(event), enrolled=enrolled
    )


@bp.route("/events/<int:event_id>/devices/<int:device_id>/revoke", methods=["POST"])
@manager_required
def revoke_device(event_id: int, device_id: int):
    event = access.event_to_manage(current_user, event_id)
    device = db.session.get(DoorDevice, device_id)
    if device is None or device.event_id != event.id or not device.enrolled:
        abort(404)
    return act(
        lambda: door.revoke_device(current_user, device),
        done=_("The device %(label)s can no longer take attendance.", label=device.label),
        to=url_for("manage.devices", event_id=event.id),
    )


# --- closing ------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/close", methods=["GET", "POST"])
@manager_required
def close_event(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    form = CloseEventForm()
    if form.validate_on_submit():
        try:
            service.close_event(current_user, event, form.report.data or "")
        except AttendanceRefused as refusal:
            return _refused(event_id, refusal, to="manage.close_event")
        db.session.commit()
        flash(_("The event is closed: its attendance is final and it counts as held."), "ok")
        return redirect(url_for("manage.close_event", event_id=event.id), 303)
    return _page(
        "manage/close_event.html",
        form,
        event=event,
        summary=service.attendance_summary(event.id),
        started=utcnow() >= event.starts_at,
        unsent=door.devices_with_unsent_taps(event),
    )


@bp.route("/events/<int:event_id>/reopen", methods=["POST"])
@manager_required
def reopen_event(event_id: int):
    event = access.event_to_manage(current_user, event_id)
    try:
        service.reopen_event(current_user, event)
    except AttendanceRefused as refusal:
        return _refused(event_id, refusal, to="manage.close_event")
    db.session.commit()
    flash(_("The event is open again: attendance can be corrected. Close it when done."), "ok")
    return redirect(url_for("manage.checkin", event_id=event.id), 303)


# --- inside -------------------------------------------------------------------------------


def _registration_of(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    return registration


def _headcount_of(event: Event, headcount_id: int) -> Headcount:
    row = db.session.get(Headcount, headcount_id)
    if row is None or row.event_id != event.id:
        abort(404)
    return row


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _back_to_list(event_id: int, anchor: str | None = None) -> str:
    q = request.form.get("q", "").strip()[:100] or None
    return url_for("manage.checkin", event_id=event_id, q=q, _anchor=anchor)


def _door_response(event: Event, row: DoorRow | None, message: str):
    """After a tap: JSON for checkin.js (the new row and counts), else back to the list."""
    if _wants_json():
        q = request.form.get("q", "").strip()[:100]
        html = (
            render_template(
                "manage/_checkin_row.html", row=row, event=event, q=q, fold=service.fold
            )  # fmt: skip
            if row is not None
            else ""
        )
        summary = service.attendance_summary(event.id)
        return jsonify(message=message, row=html, counts=_counts(summary))
    flash(message, "ok")
    return redirect(_back_to_list(event.id, row.key if row else None), 303)


def _counts(summary: service.AttendanceSummary) -> dict[str, int]:
    return {
        "confirmed": summary.confirmed,
        "present": summary.present,
        "walk_ins": summary.walk_ins,
        "headcount": summary.headcount,
        "participations": summary.participations,
    }


def _refused(event_id: int, refusal: AttendanceRefused, to: str = "manage.checkin"):
    db.session.rollback()
    if _wants_json():
        return jsonify(message=refusal.message, error=refusal.reason.value), 409
    flash(refusal.message, "error")
    if to == "manage.checkin":
        return redirect(_back_to_list(event_id), 303)
    return redirect(url_for(to, event_id=event_id), 303)


def _page(template: str, form, **context):
    return render_template(template, form=form, **context), (422 if form.errors else 200)
