"""The sites allowed to embed a project's events (the widget and its framed list).

An origin is a scheme, a host and a port, written as the browser sends it in ``Origin``
(``https://www.joensuu.fi``). The widget's data answers those origins (CORS) and the framed
list may be framed by them (CSP ``frame-ancestors``); no other site gets either.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, Signer
from sqlalchemy import select

from eventhub.core.models import EmbedOrigin, Project, User
from eventhub.core.services import access, audit
from eventhub.core.services.errors import Refused
from eventhub.extensions import db

MAX_ORIGINS = 20


class OriginRefused(Refused):
    pass


def normalise_origin(text: str) -> str:
    """``https://Example.fi/page`` -> ``https://example.fi``; :class:`OriginRefused` if it is
    not a web address."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise OriginRefused(
            _("'%(text)s' is not a site address like https://www.example.fi.", text=text.strip())
        )
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origins_of(project_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(EmbedOrigin.origin)
            .where(EmbedOrigin.project_id == project_id)
            .order_by(EmbedOrigin.origin)
        )
    )


def set_origins(user: User, project: Project, text: str) -> list[str]:
    """Replace the project's allowed origins by those in ``text`` (one per line)."""
    if not access.may_manage_project(user, project):
        raise OriginRefused(_("You do not manage this project."))
    wanted = list(
        dict.fromkeys(normalise_origin(line) for line in text.splitlines() if line.strip())
    )
    if len(wanted) > MAX_ORIGINS:
        raise OriginRefused(_("Give at most %(num)d sites.", num=MAX_ORIGINS))
    current = {
        o.origin: o
        for o in db.session.scalars(select(EmbedOrigin).where(EmbedOrigin.project_id == project.id))
    }
    for origin, row in current.items():
        if origin not in wanted:
            db.session.delete(row)
    for origin in wanted:
        if origin not in current:
            db.session.add(EmbedOrigin(project_id=project.id, origin=origin))
    db.session.flush()
    audit.record("embed_origins_changed", user=user, project_id=project.id, count=len(wanted))
    return wanted


def allowed(project_id: int, origin: str | None) -> bool:
    if not origin:
        return False
    try:
        origin = normalise_origin(origin)
    except OriginRefused:
        return False
    return origin in origins_of(project_id)


# --- The signup form in the widget's dialog --------------------------------------------------
#
# Framed on another site, the signup page cannot count on its own session cookie: browsers
# block third-party cookies, and a SameSite=Lax cookie is never sent to a page framed by
# another site. So that form carries its own CSRF token, which no cookie backs: an HMAC of
# (purpose, event, time issued) under the app's secret. See docs/privacy.md ("Signing up in
# the widget's dialog") for why that is enough there, and only there.

_SIGNUP_SALT = "eventhub.embed-signup"
SIGNUP_TOKEN_MAX_AGE = 6 * 3600  # a phone left open on the form still sends it


class SignupTokenRefused(Refused):
    pass


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt=_SIGNUP_SALT)


def signup_token(event_id: int, issued_at: int | None = None) -> str:
    """The token of the embedded signup form of ``event_id``, issued now."""
    issued = int(time.time()) if issued_at is None else issued_at
    return _signer().sign(f"{event_id}.{issued}").decode()


def check_signup_token(token: str, event_id: int) -> None:
    """:class:`SignupTokenRefused` unless ``token`` was issued by this site for this event's
    signup form within :data:`SIGNUP_TOKEN_MAX_AGE`."""
    try:
        value = _signer().unsign(token or "").decode()
        token_event, issued = (int(part) for part in value.split("."))
    except (BadSignature, ValueError):
        raise SignupTokenRefused(
            _("The form could not be checked. Nothing was saved: reload the page and try again.")
        ) from None
    if token_event != event_id:
        raise SignupTokenRefused(
            _("The form was for another event. Nothing was saved: reload the page and try again.")
        )
    age = int(time.time()) - issued
    if age > SIGNUP_TOKEN_MAX_AGE or age < -60:
        raise SignupTokenRefused(
            _("The form had expired. Nothing was saved: reload the page and try again.")
        )
