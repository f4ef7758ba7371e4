"""Keeping personal data out of what operators read: logs, metrics, the failed-mail list."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")

# Participants' and organisers' secret links: the path segment after these carries a token
# (manage links, personal calendar feeds, surveys, password resets, certificates, door QR).
_SECRET_PATH = re.compile(
    r"(/(?:manage|me|survey|followup|reset|certificate|checkin)/)[^/?#\s]+?"
    r"(?=(?:\.ics|\.pdf)?(?:[/?#\s\"'\]]|$))"
)


def mask_emails(text: str) -> str:
    """Every e-mail address in ``text`` masked: 'aino.korhonen@example.fi' -> 'a***@example.fi'
    (enough to recognise a domain that bounces, not enough to write to the person)."""
    return _EMAIL.sub(r"\1***@\2", text)


def redact_path(path: str) -> str:
    """A URL path (or a line of text holding paths) with the secret segments replaced:
    '/manage/Xy9.../cancel' -> '/manage/***/cancel'."""
    return _SECRET_PATH.sub(r"\1***", path)
