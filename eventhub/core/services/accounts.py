"""Organiser accounts: signing in and resetting a forgotten password."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache

from flask import current_app, render_template
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from eventhub.core.db import utcnow
from eventhub.core.models import LoginSession, User
from eventhub.core.services.outbox import enqueue
from eventhub.extensions import db
from eventhub.urls import external_url

_RESET_SALT = "eventhub.password-reset"  # noqa: S105 - a namespace, not a secret
# The session key under which the signed cookie carries the sign-in's token.
SESSION_KEY = "login"


@cache
def _dummy_hash() -> str:
    """Checked when the address is unknown, so a wrong address costs as much time as a wrong
    password and response times do not tell which addresses have accounts."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _fingerprint(user: User) -> str:
    # Part of the password hash: the link stops working once the password has changed,
    # which makes it single-use.
    return user.password_hash[-16:]


def send_password_reset(email: str) -> None:
    """Queue a reset link if the address has an account; say nothing either way."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        return
    token = _serializer().dumps({"u": user.id, "f": _fingerprint(user)})
    url = external_url("auth.reset_password", token=token)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    enqueue(
        kind="password_reset",
        recipient=user.email,
        subject=_("Reset your eventhub password"),
        body_text=render_template("auth/reset_mail.txt", user=user, url=url, minutes=minutes),
        # The answer must not take longer when the address has an account (and mail to send).
        after_response=True,
    )


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Record a new sign-in; returns the token its session cookie carries."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id))
    db.session.flush()
    return token


def session_is_live(user: User, token: object) -> bool:
    """Whether the sign-in a cookie names still stands (it has not signed out)."""
    if not isinstance(token, str) or not token:
        return False
    live = db.session.get(LoginSession, _token_hash(token))
    return live is not None and live.user_id == user.id and live.created_at > _stale_before()


def _stale_before() -> datetime:
    return utcnow() - current_app.permanent_session_lifetime


def end_stale_sessions() -> int:
    """Forget sign-ins older than the session lifetime (they open nothing any more)."""
    stale = delete(LoginSession).where(LoginSession.created_at <= _stale_before())
    return db.session.execute(stale).rowcount  # type: ignore[attr-defined]  # a CursorResult


def end_session(token: object) -> None:
    """Sign out: the token opens nothing afterwards, on any app server."""
    if isinstance(token, str) and token:
        db.session.execute(
            delete(LoginSession).where(LoginSession.token_hash == _token_hash(token))
        )


def end_all_sessions(user: User) -> None:
    """A new password ends every sign-in of the account (a lost phone stays signed out)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
