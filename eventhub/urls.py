"""Absolute links for mail and calendar feeds, inside or outside a request."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    """The public address of an endpoint.

    ``SITE_URL`` wins when it is set (mail sent by a worker has no request to take a host
    from); otherwise the current request's host, and outside a request ``http://localhost``.
    """
    site = current_app.config.get("SITE_URL")
    if has_request_context():
        if not site:
            return url_for(endpoint, _external=True, **values)
        path = url_for(endpoint, **values)
    else:
        adapter = current_app.url_map.bind("localhost", script_name="/")
        path = adapter.build(endpoint, values)
        site = site or "http://localhost"
    return site.rstrip("/") + path
