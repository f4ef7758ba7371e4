"""Organiser accounts: signing in, resetting a forgotten password, invitations, roles and
deactivation."""

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
from eventhub.core.models import LoginSession, Project, Role, User
from eventhub.core.services import audit
from eventhub.core.services.errors import Refused
from eventhub.core.services.outbox import enqueue
from eventhub.extensions import db
from eventhub.urls import external_url

_RESET_SALT = "eventhub.password-reset"  # noqa: S105 - a namespace, not a secret
# The session key under which the signed cookie carries the sign-in's token.
SESSION_KEY = "login"


@cache
def _dummy_hash(method: str) -> str:
    """Checked when the address is unknown, so a wrong address costs as much time as a wrong
    password and response times do not tell which addresses have accounts."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def authenticate(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
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


# --- invitations and account management (the users page) ----------------------------------

_INVITATION_SALT = "eventhub.invitation"  # noqa: S105 - a namespace, not a secret


class EmailTaken(Refused):
    """An account with this address exists already."""


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_INVITATION_SALT)


def _unusable_password(user: User) -> None:
    """A random password nobody knows: the account cannot be signed in to until the invited
    person chooses their own, and every earlier invitation link stops working."""
    user.set_password(secrets.token_urlsafe(32))


def invite(inviter: User, *, email: str, name: str, role: Role, projects: list[Project]) -> User:
    """Make an account and mail its owner a single-use link to choose a password.

    The caller has checked that the inviter may give this role and these projects
    (access.roles_to_give, access.projects_query)."""
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise EmailTaken(email)
    user = User(email=email, name=name.strip(), role=role, projects=projects, invited_at=utcnow())
    _unusable_password(user)
    db.session.add(user)
    db.session.flush()
    _send_invitation(inviter, user)
    audit.record("user_invited", obj=user, user=inviter, role=role.value)
    return user


def resend_invitation(inviter: User, user: User) -> None:
    """A fresh link; the earlier ones stop working."""
    _unusable_password(user)
    user.invited_at = utcnow()
    db.session.flush()
    _send_invitation(inviter, user)
    audit.record("invitation_resent", obj=user, user=inviter)


def _send_invitation(inviter: User, user: User) -> None:
    token = _invitation_serializer().dumps({"u": user.id, "f": _fingerprint(user)})
    days = current_app.config["INVITATION_MAX_AGE"] // 86400
    enqueue(
        kind="invitation",
        recipient=user.email,
        subject=_("You are invited to eventhub"),
        body_text=render_template(
            "auth/invitation_mail.txt",
            user=user,
            inviter=inviter,
            url=external_url("auth.accept_invitation", token=token),
            days=days,
        ),
    )


def user_for_invitation(token: str) -> User | None:
    """The invited account, while its link is fresh and unused and the account active."""
    try:
        data = _invitation_serializer().loads(
            token, max_age=current_app.config["INVITATION_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or user.invited_at is None:
        return None
    if data.get("f") != _fingerprint(user):
        return None
    return user


def accept_invitation(user: User, password: str) -> None:
    user.set_password(password)
    user.invited_at = None
    db.session.flush()
    audit.record("invitation_accepted", obj=user, user=user)


def set_password(user: User, password: str) -> None:
    """A forgotten password replaced through its reset link (which changing it uses up)."""
    user.set_password(password)
    user.invited_at = None
    end_all_sessions(user)
    audit.record("password_reset", user=user)


def update(
    editor: User, user: User, *, name: str, role: Role, projects: list[Project]
) -> list[str]:
    """Change an account's name, role and projects; returns what changed."""
    changed = []
    if user.name != name.strip():
        user.name = name.strip()
        changed.append("name")
    if user.role != role:
        user.role = role
        changed.append("role")
    if {p.id for p in user.projects} != {p.id for p in projects}:
        user.projects = projects
        changed.append("projects")
    db.session.flush()
    if changed:
        audit.record("user_edited", obj=user, user=editor, fields=changed)
    return changed


def set_active(editor: User, user: User, active: bool) -> None:
    """Deactivating ends the account's sessions at their next request (the session loader
    refuses inactive accounts) and stops it signing in; nothing it did is removed."""
    if user.active == active:
        return
    user.active = active
    db.session.flush()
    audit.record("user_reactivated" if active else "user_deactivated", obj=user, user=editor)
