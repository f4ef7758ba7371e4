"""Absolute links for mail and calendar feeds, inside or outside a request."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """The public address of an endpoint: always under ``SITE_URL``, never under the host a
    request names (anyone can send ``Host: evil.example``; a reset link must not follow it).
    Production refuses to start without ``SITE_URL``; see ``eventhub._configure``."""
    site = current_app.config["SITE_URL"]
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        adapter = current_app.url_map.bind("localhost", script_name="/")
        path = adapter.build(endpoint, values)
    return site.rstrip("/") + path
