"""Bearer tokens on ``/api/v1`` and the answers kept for idempotency keys.

A request with ``Authorization: Bearer <token>`` is its project's manager acting through the
token (``core.services.api_tokens``); each route names the scope it needs. 401: no token, or
one that does not work (revoked, unknown, its manager gone); 403: a working token without
the scope. Requests with a token are rate-limited per token.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from eventhub.core.db import begin_write
from eventhub.core.services import api_tokens
from eventhub.core.services.api_tokens import Caller, Scope
from eventhub.extensions import db, limiter

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,200}")  # visible ASCII, as Stripe and the IETF draft allow


class ApiError(Exception):
    """An answer other than success, sent as a problem detail."""

    def __init__(self, status: int, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def caller(scope: Scope) -> Caller:
    secret = bearer()
    if secret is None:
        raise ApiError(401, _("This needs an API token: send it as 'Authorization: Bearer …'."))
    found = api_tokens.caller_for(secret)
    if found is None:
        raise ApiError(401, _("This API token does not work: it is unknown or was revoked."))
    g.api_token_id = found.token.id  # the audit log names the token beside its manager
    # The use is recorded whatever comes of the request (a refusal rolls its work back).
    db.session.commit()
    if request.method != "GET":
        begin_write(db.session)  # as every writing request begins (see eventhub.web)
    if request.method == "POST":
        _check_key(request.headers.get(IDEMPOTENCY_HEADER))
    if not found.may(scope):
        raise ApiError(
            403,
            _(
                "This API token does not have the permission '%(scope)s'.",
                scope=scope.value,
            ),
        )
    return found


def _token_key() -> str:
    secret = bearer() or ""
    return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()[:32]


def _token_limit() -> str:
    return current_app.config["API_TOKEN_RATE_LIMIT"]


# Every route a token is sent to counts against one budget per token; requests without a
# token are the public read API, which is not counted here.
token_limit = limiter.shared_limit(
    _token_limit, scope="api-token", key_func=_token_key, exempt_when=lambda: bearer() is None
)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    location: str | None = None


def post(who: Caller, work: Callable[[], Answer]) -> Response:
    """Run ``work`` (which calls one service) and commit, once per ``Idempotency-Key``: the
    same key again gets the first answer and changes nothing; the key with another request
    is refused (422). Without a key the request is simply done."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        answer = work()
        db.session.commit()
        return _respond(answer)
    _check_key(key)
    fingerprint = api_tokens.fingerprint(request.method, request.path, request.get_data())
    kept = _kept(who, key, fingerprint)
    if kept is not None:
        return kept
    answer = work()
    try:
        api_tokens.keep_answer(
            who.token, key, fingerprint, answer.status, answer.body, answer.location
        )
        db.session.commit()
    except IntegrityError:
        # The same key was being used at the same time and that request committed first:
        # this one's change is rolled back and its answer is the first one.
        db.session.rollback()
        kept = _kept(who, key, fingerprint)
        if kept is None:
            raise
        return kept
    return _respond(answer)


def _check_key(key: str | None) -> None:
    if key is not None and not _KEY.fullmatch(key):
        raise ApiError(
            400,
            _("The Idempotency-Key must be 1 to 200 visible ASCII characters."),
            IDEMPOTENCY_HEADER,
        )


def _kept(who: Caller, key: str, fingerprint: str) -> Response | None:
    try:
        kept = api_tokens.stored_answer(who.token, key, fingerprint)
    except api_tokens.KeyReused as refused:
        raise ApiError(422, refused.message, IDEMPOTENCY_HEADER) from None
    if kept is None:
        return None
    response = _respond(Answer(kept.status_code, kept.body, kept.location))
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _respond(answer: Answer) -> Response:
    response = jsonify(answer.body)
    response.status_code = answer.status
    if answer.location:
        response.headers["Location"] = answer.location
    response.headers["Cache-Control"] = "no-store"
    return response
