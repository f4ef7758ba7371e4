"""The event's signup page inside the project widget's dialog, on a site the project allows.

``/events/<id>?embed=1`` is the event page framed by the project's allowed sites only (CSP
``frame-ancestors``, the same list as the widget's CORS); its form posts to
``/events/<id>/register/embedded`` with a signed token instead of the session's CSRF token
(see :mod:`eventhub.core.services.embed` and docs/privacy.md). Every other page keeps
``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``.
"""

from __future__ import annotations

from flask import current_app, render_template, request

from eventhub.core.services import embed


def wanted() -> bool:
    return request.args.get("embed") == "1"


def framed(response, event):
    """``response`` (a page of ``event``'s embedded signup) may be framed by the event's
    project's allowed sites, and by nothing else."""
    response = current_app.make_response(response)
    origins = embed.origins_of(event.project_id) if event.project_id else []
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"frame-ancestors {' '.join(origins) or chr(39) + 'none' + chr(39)}; form-action 'self'"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def render_framed(event, template: str, status: int = 200, **context):
    """A page of the embedded signup (its outcome, or a refusal), framable like the form."""
    page = render_template(template, event=event, embedded=True, **context)
    return framed((page, status), event)
