"""The check-in app's shell, service worker and manifest, and its sync API.

The shell holds no personal data and nobody's session: it is the same for everyone in a
language, so the service worker can keep it and open the app without a network. The roster
and the taps travel through the API only, authorised either by the session of signed-in
check-in staff (taps then carry the CSRF token the roster handed out) or by an enrolled
device's token in an ``Authorization: Bearer`` header (no cookie, so no CSRF to guard).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy.exc import IntegrityError
from wtforms import ValidationError

from eventhub.core import labels
from eventhub.core.db import utcnow
from eventhub.core.models import DoorDevice, Event, Role, User
from eventhub.core.services import access
from eventhub.core.services import door as service
from eventhub.core.services.attendance import attendance_summary
from eventhub.door import bp
from eventhub.extensions import csrf, db

STAFF = (Role.ADMIN, Role.MANAGER, Role.CHECKIN)
# What the service worker keeps for opening the app offline, besides the shell.
ASSETS = (
    "style.css",
    "attendance.css",
    "door/app.css",
    "door/app.js",
    "door/vendor/jsQR.js",
    "door/icon.svg",
    "door/icon-192.png",
    "door/icon-512.png",
)


# --- the app -----------------------------------------------------------------------------


@bp.route("/")
def app():
    response = make_response(
        render_template("door/app.html", strings=_strings(), statuses=_statuses())
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/sw.js")
def service_worker():
    body = render_template(
        "door/sw.js",
        version=_version(),
        shell=url_for("door.app"),
        assets=[url_for("static", filename=a) for a in ASSETS] + [url_for("door.manifest")],
    )
    response = Response(body, mimetype="text/javascript")
    # Browsers check for a new worker on each visit; never let a cache hold an old one.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    icon = "door/icon-{}.png"
    body = {
        "name": _("Check-in at the door"),
        "short_name": _("Check-in"),
        "description": _("Take attendance at an event, with or without a network."),
        "lang": str(request.accept_languages.best or ""),
        "start_url": url_for("door.app"),
        "scope": url_for("door.app"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4f91",
        "icons": [
            {"src": url_for("static", filename="door/icon.svg"), "sizes": "any",
             "type": "image/svg+xml"},
            *(
                {"src": url_for("static", filename=icon.format(size)),
                 "sizes": f"{size}x{size}", "type": "image/png"}
                for size in (192, 512)
            ),
        ],
    }  # fmt: skip
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


# --- the API -----------------------------------------------------------------------------


@bp.route("/api/roster")
def roster():
    """The roster's changes since ``cursor``: see :func:`service.roster`."""
    user, device, event = _caller(write=False)
    if utcnow() > service.roster_expires_at(event):
        return _error("expired", 410)
    try:
        limit = int(request.args.get("limit", service.ROSTER_PAGE))
    except ValueError:
        limit = service.ROSTER_PAGE
    page = service.roster(event, request.args.get("cursor"), limit)
    body = {
        "event": _event_json(event),
        "rows": [row.as_json() for row in page.rows],
        "cursor": page.cursor,
        "more": page.more,
        "full": page.full,
        "expires_at": service.roster_expires_at(event).isoformat(),
        "counts": _counts(event),
    }
    if not page.more:
        body["keys"] = page.keys
        body["present"] = page.present
    if device is None:  # signed in: the token to send taps with
        body["csrf_token"] = generate_csrf()
    return jsonify(body)


@bp.route("/api/taps", methods=["POST"])
@csrf.exempt  # checked in _caller: only a session needs it, a bearer token sends no cookie
def taps():
    """Apply uploaded taps once each; report the device's unsent taps."""
    user, device, event = _caller(write=True)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error("invalid", 400)
    pending = data.get("pending")
    batch = service.parse_taps(data.get("taps", []))
    try:
        results = service.apply_taps(user, device, batch)
    except IntegrityError:  # a parallel upload of the same taps won the race: answer as a retry
        db.session.rollback()
        results = service.apply_taps(user, device, batch)
    service.report_sync(device, pending if isinstance(pending, int) else None)
    db.session.commit()
    return jsonify(
        results=[
            {"id": r.tap_id, "outcome": r.outcome.value, "reason": r.reason,
             "message": r.message}
            for r in results
        ],
        counts=_counts(event),
    )  # fmt: skip


@bp.after_request
def _private(response):
    if request.path.startswith(url_for("door.roster").rsplit("/", 1)[0]):
        response.headers["Cache-Control"] = "private, no-store"
    return response


# --- inside -------------------------------------------------------------------------------


def _caller(*, write: bool) -> tuple[User, DoorDevice | None, Event]:
    """Who is calling, for which event: an enrolled device by its token, or signed-in staff
    (a device row is made for their app on its first upload). Aborts with JSON otherwise."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        device = service.device_for_token(header.removeprefix("Bearer ").strip())
        if device is None:
            abort(_error("revoked", 401))
        return device.user, device, device.event
    if not current_user.is_authenticated or current_user.role not in STAFF:
        abort(_error("signed_out", 401))
    event_id = request.args.get("event", "")
    event = db.session.get(Event, int(event_id)) if event_id.isdigit() else None
    if event is None or not access.may_check_in(current_user, event):
        abort(_error("not_found", 404))
    if not write:
        return current_user, None, event
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except (ValidationError, CSRFError):
        abort(_error("csrf", 400))
    client = request.headers.get("X-Door-Client", "")
    if not 8 <= len(client) <= 64 or not client.isascii():
        abort(_error("invalid", 400))
    return current_user, service.signed_in_device(current_user, event, client), event


def _error(code: str, status: int) -> Response:
    response = jsonify(error=code)
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _event_json(event: Event) -> dict:
    return {
        "id": event.id,
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "timezone": event.timezone,
        "closed": event.closed_at is not None,
        "checkin_url": url_for("manage.checkin", event_id=event.id),
    }


def _counts(event: Event) -> dict[str, int]:
    summary = attendance_summary(event.id)
    return {
        "confirmed": summary.confirmed,
        "present": summary.present,
        "walk_ins": summary.walk_ins,
        "headcount": summary.headcount,
    }


@cache
def _version() -> str:
    """Changes whenever a file the service worker keeps changes, so browsers fetch anew."""
    static = Path(current_app.static_folder or "")
    templates = Path(current_app.root_path) / "templates" / "door"
    digest = hashlib.sha256()
    for path in [static / a for a in ASSETS] + sorted(templates.iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _strings() -> dict[str, str]:
    """The app's words, translated here for its script (which holds no text of its own)."""
    return {
        "online": _("Online"),
        "offline": _("Offline: taps are kept on this device and sent later."),
        "pending": _("Waiting to be sent: %(n)s"),
        "nothing_pending": _("Everything has been sent."),
        "last_sync": _("Last synced: %(time)s"),
        "never_synced": _("Not synced yet."),
        "present": _("Present"),
        "undo": _("Undo"),
        "marked": _("%(name)s is marked present."),
        "unmarked": _("%(name)s is no longer marked present."),
        "already": _("%(name)s was already marked present."),
        "walk_in": _("Walk-in"),
        "walk_in_added": _("%(name)s has been added as a walk-in and marked present."),
        "headcount_added": _("The headcount has been saved."),
        "needs": _("Has needs"),
        "with_lead": _("with %(name)s"),
        "not_sent": _("Not sent yet"),
        "headcount": _("Headcount"),
        "no_match": _("Nobody on the list matches."),
        "unknown_code": _("This code is not on the list of this event."),
        "camera_off": _("The camera cannot be used here. Find the person by name instead."),
        "scanning": _("Point the camera at the QR code."),
        "revoked": _(
            "This device may no longer take attendance. Ask the organiser to enrol it again."
        ),
        "signed_out": _("Sign in to send the taps waiting on this device."),
        "expired": _("The event is over: its list has been removed from this device."),
        "no_event": _("Open the check-in app from an event's check-in page, or enrol this "
                      "device with the organiser's QR code."),
    }  # fmt: skip


def _statuses() -> dict[str, str]:
    return {status.value: str(label) for status, label in labels.REGISTRATION_STATUS_LABELS.items()}
