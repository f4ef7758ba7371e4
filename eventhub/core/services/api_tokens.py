"""API tokens: made by a project's manager, scoped, shown once, stored hashed, revocable.

A token acts for the manager who made it, within its one project and its scopes: every
write goes through the same services as the organiser pages, and the audit log names that
manager. It stops working when it is revoked or when that manager can no longer manage the
project (deactivated, or taken off it), as an enrolled check-in device does.

Idempotency keys: a POST sent with ``Idempotency-Key`` keeps its answer per token and key
(:func:`stored_answer`, :func:`keep_answer`), in the transaction of the change itself, so
the same key twice changes things once.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import ApiToken, IdempotentRequest, Project, User
from eventhub.core.services import access, audit, tokens
from eventhub.core.services.errors import Refused
from eventhub.extensions import db


class Scope(enum.StrEnum):
    READ_REGISTRATIONS = "registrations:read"
    WRITE_EVENTS = "events:write"
    WRITE_REGISTRATIONS = "registrations:write"
    WRITE_ATTENDANCE = "attendance:write"


MAX_TOKENS = 50
# "last used" is written at most this often per token: a busy integration should not turn
# every read into a write.
LAST_USE_RESOLUTION = timedelta(minutes=1)
KEEP_ANSWERS = timedelta(days=1)
MAX_KEY = 200


class TokenRefused(Refused):
    pass


def create(user: User, project: Project, label: str, scopes: list[Scope]) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once and never stored."""
    if not access.may_manage_project(user, project):
        raise TokenRefused(_("You do not manage this project."))
    if not scopes:
        raise TokenRefused(_("Choose at least one permission for the token."))
    count = len(tokens_of(project))
    if count >= MAX_TOKENS:
        raise TokenRefused(_("This project has too many tokens. Revoke the ones not in use."))
    # A prefix that secret scanners (and people) recognise in a leaked file.
    secret = f"eh_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        project_id=project.id,
        user_id=user.id,
        label=" ".join(label.split())[:100],
        token_hash=tokens.hash_token(secret),
        prefix=secret[:10],
        scopes=sorted(Scope(s).value for s in scopes),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token_created", obj=token, user=user, project_id=project.id, scopes=token.scopes
    )
    return token, secret


def revoke(user: User, token: ApiToken) -> bool:
    """Stop a token at once; False when it was revoked already."""
    if not access.may_manage_project(user, token.project):
        raise TokenRefused(_("You do not manage this project."))
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record("api_token_revoked", obj=token, user=user, project_id=token.project_id)
    return True


def tokens_of(project: Project) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.project_id == project.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


@dataclass(frozen=True)
class Caller:
    """Who is calling the API with a token: the token, its project and the acting user."""

    token: ApiToken
    user: User

    @property
    def project_id(self) -> int:
        return self.token.project_id

    def may(self, scope: Scope) -> bool:
        return scope.value in self.token.scopes


def caller_for(secret: str) -> Caller | None:
    """The caller holding ``secret``, while the token works; records its use."""
    if not secret or len(secret) > 100:
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == tokens.hash_token(secret))
    )
    if token is None or token.revoked_at is not None or token.user is None:
        return None
    user = token.user
    if not user.active or not access.may_manage_project(user, token.project):
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
        # The caller commits this before the request's own work, which may be refused. A GET
        # began as a reader: on SQLite it becomes a writer first (see core.db.begin_write).
        begin_write(db.session)
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return Caller(token, user)


# --- idempotency keys ----------------------------------------------------------------------


class KeyReused(Refused):
    """The key was used with another request."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def stored_answer(token: ApiToken, key: str, print_: str) -> IdempotentRequest | None:
    """The answer kept for this key, or None. Raises :class:`KeyReused` when the key was
    used with a different request (another path or body)."""
    kept = db.session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.token_id == token.id, IdempotentRequest.key == key
        )
    )
    if kept is None:
        return None
    if kept.fingerprint != print_:
        raise KeyReused(_("This Idempotency-Key was used with a different request. Use a new key."))
    return kept


def keep_answer(
    token: ApiToken, key: str, print_: str, status: int, body: dict, location: str | None
) -> None:
    """Keep the answer with the change (the caller commits both). Two requests racing with
    one key: the second's commit breaks the unique key and rolls back its change."""
    db.session.add(
        IdempotentRequest(
            token_id=token.id,
            key=key,
            fingerprint=print_,
            status_code=status,
            body=body,
            location=location,
        )
    )
    db.session.flush()


def forget_old_answers() -> int:
    """Answers older than a day are dropped (clients retry within minutes)."""
    result = db.session.execute(
        delete(IdempotentRequest).where(IdempotentRequest.created_at < utcnow() - KEEP_ANSWERS)
    )
    return int(getattr(result, "rowcount", 0) or 0)
