"""The web toolkit: what every page and blueprint shares.

This package (``eventhub.web``): template filters, error pages, language choice, security
headers. Its modules: ``pages`` (the listing and the event page every kind shows),
``decorators`` (role gates), ``forms`` (choices, checkbox lists), ``signup_forms`` (the
signup form built per event), ``calendar_links``, ``exports`` (the one CSV/XLSX writer),
``actions`` (the organiser action tail). Blueprints import this package, never each other
(import-linter checks it; see docs/architecture.md)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from flask.globals import request_ctx
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from eventhub.core import formatting, labels
from eventhub.core.db import begin_write
from eventhub.core.numbers import DB_INT_MAX, parse_id
from eventhub.extensions import db, login_manager

bp = Blueprint("web", __name__)


def safe_next(target: str | None, fallback: str) -> str:
    """Only redirect within this site: a path, never another host."""
    if not target:
        return fallback
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in target):
        return fallback  # a line break would split the Location header; "\\" reads as "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.route("/language/<code>")
def set_language(code: str):
    from flask import current_app

    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
    return redirect(safe_next(request.args.get("next"), url_for("events.index")))


def refusal_message(state: str) -> str:
    """Why an event takes no registrations, in words a participant understands."""
    messages = {
        "full": _("The event is full and has no waiting list."),
        "not_yet_open": _("Registration has not opened yet."),
        "closed": _("Registration for this event has closed."),
        "cancelled": _("The event has been cancelled, so it takes no registrations."),
        "unavailable": _("This event takes no registrations."),
    }
    return messages.get(state, messages["unavailable"])


# Ids are 32-bit integers in the database (DB_INT_MAX); a larger number in a URL matches no
# route (404) instead of reaching the database and failing there.


class BoundedIntConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Before any blueprint is registered: ``<int:...>`` in every route is bounded."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_web(app: Flask) -> None:
    from eventhub.web import calendar_links

    app.register_blueprint(bp)
    app.jinja_env.filters.update(formatting.FILTERS)
    app.jinja_env.globals["event_when"] = formatting.event_when
    app.jinja_env.globals["refusal_message"] = refusal_message
    app.jinja_env.filters["language_name"] = lambda code: labels.LANGUAGE_NAMES.get(code, code)
    app.jinja_env.globals["labels"] = labels
    app.jinja_env.globals["calendar_links"] = calendar_links.calendar_links
    app.jinja_env.globals["calendar_alternates"] = calendar_links.calendar_alternates
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        return {
            "current_locale": str(get_locale()),
            "languages": [
                (code, labels.LANGUAGE_NAMES.get(code, code)) for code in app.config["LANGUAGES"]
            ],
            "site_name": app.config["SITE_NAME"],
        }

    @login_manager.user_loader
    def _load_user(session_id: str):
        from eventhub.core.models import User
        from eventhub.core.services import accounts

        user_id, _sep, fingerprint = session_id.partition(":")
        uid = parse_id(user_id)
        if uid is None:
            return None
        user = db.session.get(User, uid)
        if user is None or user.session_fingerprint != fingerprint:
            return None  # the password changed since this session signed in
        if not user.active:
            return None  # deactivated: every session of the account ends at once
        if not accounts.session_is_live(user, session.get(accounts.SESSION_KEY)):
            return None  # signed out: a saved copy of the cookie opens nothing
        return user

    @app.before_request
    def _write_requests_take_the_write_lock():
        # On SQLite a request that changes data begins its transaction as a writer, so its
        # reads and writes see one consistent state (see core.db.begin_write).
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            begin_write(db.session)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if "frame-ancestors" not in response.headers.get("Content-Security-Policy", ""):
            # A page that names who may frame it (the embeddable list) says so in its CSP.
            response.headers.setdefault("X-Frame-Options", "DENY")
        if "/organiser" in request.path:
            # Organiser pages and exports hold personal data: no shared or disk caches.
            response.headers.setdefault("Cache-Control", "private, no-store")
        # Manage links carry a secret in the path: never send it on to another site.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        return response

    def _error(code: int, title: str, message: str):
        if request_ctx.url_adapter is None:
            # The request could not even be matched (an untrusted Host): no page to link from.
            return f"{title}\n{message}\n", code, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("errors.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def _bad_request(e):
        return _error(400, _("Bad request"), e.description or "")

    @app.errorhandler(404)
    def _not_found(_e):
        return _error(404, _("Page not found"), _("There is nothing at this address."))

    @app.errorhandler(403)
    def _forbidden(_e):
        return _error(403, _("Not allowed"), _("You do not have access to this page."))

    @app.errorhandler(405)
    def _method(_e):
        return _error(405, _("Not allowed"), _("This address does not accept that request."))

    @app.errorhandler(429)
    def _too_many(_e):
        return _error(429, _("Too many attempts"), _("Please wait a moment and try again."))

    @app.errorhandler(413)
    def _too_large(_e):
        return _error(413, _("Too much data"), _("What you sent is too large to be accepted."))

    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return _error(
            400,
            _("The form has expired"),
            _("Please go back, reload the page and send the form again."),
        )

    def _invalid_value(_e):
        # The database refused a value the request carried (a number out of range, a NUL
        # byte): the client's input, not our failure. Answered as a 400 by whichever handler
        # the request's blueprint uses (the API answers in JSON).
        db.session.rollback()
        return app.handle_http_exception(
            BadRequest(_("A value in the request is out of range or not valid."))
        )

    app.register_error_handler(DataError, _invalid_value)
    app.register_error_handler(OverflowError, _invalid_value)

    @app.errorhandler(500)
    def _server_error(_e):
        db.session.rollback()
        return _error(
            500, _("Something went wrong"), _("Nothing was saved. Please try again in a moment.")
        )
