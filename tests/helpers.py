"""Acting as a participant: fill in and send the signup form like a browser would."""

from __future__ import annotations

import re

from tests.conftest import csrf_token

MANAGE_LINK = re.compile(r"https?://[^\s\"<>]+/manage/[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")


def signup(client, event_id: int, token_from: str | None = None, **fields):
    """POST the event's signup form with a real CSRF token; returns the response.

    ``token_from`` is a page to take the token from when the event page offers no form."""
    data = {
        "csrf_token": csrf_token(client, token_from or f"/events/{event_id}"),
        "name": "Aino Korhonen",
        "email": "aino@example.fi",
        "consent": "y",
    }
    data.update({k: v for k, v in fields.items() if v is not None})
    for key in [k for k, v in fields.items() if v is None]:
        data.pop(key, None)
    return client.post(f"/events/{event_id}/register", data=data)


def manage_link(message) -> str:
    """The manage link in a mail's plain-text part, as a path."""
    body = message.get_body(("plain",)).get_content()
    match = MANAGE_LINK.search(body)
    assert match, body
    return "/" + match.group(0).split("/", 3)[3]


def sign_in(client, email: str, password: str = "a long password"):
    """Sign in through the login form, as an organiser would."""
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def post_form(client, url: str, data: dict | None = None, token_from: str | None = None):
    """POST to an organiser action with the session's CSRF token."""
    token = csrf_token(client, token_from or url)
    return client.post(url, data={"csrf_token": token, **(data or {})})
