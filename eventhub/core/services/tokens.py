"""Secret tokens for links sent by mail. Only hashes are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_MAIL_LINK_SALT = "eventhub.registration.mail-link"  # separates these signatures from others
# The part of the stored hash a mail link carries: a new manage link (a new hash) ends it.
_HASH_PART = 16


def new_token() -> tuple[str, str]:
    """A fresh URL-safe token of 256 bits and the SHA-256 hash to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mail_links() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_MAIL_LINK_SALT)


def mail_link_token(registration_id: int, token_hash: str) -> str:
    """A manage-link token for later mail about a registration (a promotion, a reminder, a
    changed event), when the random token given at signup is long gone: only its hash is
    kept. Signed with the app's secret key, it names the registration and part of the
    current hash, so sending a fresh manage link (which rotates the hash) revokes it too."""
    return _mail_links().dumps([registration_id, token_hash[:_HASH_PART]])


def read_mail_link_token(token: str) -> tuple[int, str] | None:
    """The registration id and hash part of a signed mail-link token; None if forged."""
    try:
        payload = _mail_links().loads(token)
    except BadSignature:
        return None
    if (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and not isinstance(payload[0], bool)
        and isinstance(payload[1], str)
    ):
        return payload[0], payload[1]
    return None


def matches_hash(part: str, token_hash: str) -> bool:
    return hmac.compare_digest(part, token_hash[:_HASH_PART])
