"""The embeddable widget: a project's upcoming events on another site.

- ``/embed/widget.js``: the script of ``<eventhub-events project="CODE">``. It draws the list
  in the element's shadow root (styles isolated from the host page) from
  ``/embed/<code>/events.json``, which answers only the project's allowed origins (CORS).
- ``/embed/<code>/events``: the same list as a plain page, for the iframe snippet (framed
  only by the allowed origins: CSP ``frame-ancestors``) and for visitors without JavaScript
  (the snippet's link).

No cookies are read or set, nothing is loaded from elsewhere. The language is the host
page's (``lang`` of the element or of its document) when the site speaks it.
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, render_template, request, send_from_directory
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from eventhub.core.formatting import event_when
from eventhub.core.models import EventKind, Project
from eventhub.core.numbers import parse_id
from eventhub.core.services import embed
from eventhub.core.services.search import EventFilters, search_events
from eventhub.extensions import db
from eventhub.integrations import bp
from eventhub.urls import external_url

MAX_EVENTS = 50


@bp.route("/embed/widget.js")
def widget_js():
    response = send_from_directory(current_app.static_folder, "embed/widget.js", max_age=3600)
    response.headers["Access-Control-Allow-Origin"] = "*"  # a public script, no data in it
    return response


@bp.route("/embed/<code>/events.json", methods=["GET", "OPTIONS"])
def embed_json(code: str):
    project = _project(code)
    origin = request.headers.get("Origin")
    allowed = embed.allowed(project.id, origin)
    if request.method == "OPTIONS":
        response = current_app.response_class(status=204)
    else:
        with force_locale(_language()):
            response = jsonify(_listing(project))
    response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-cache"
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


@bp.route("/embed/<code>/events")
def embed_list(code: str):
    project = _project(code)
    with force_locale(_language()):
        response = current_app.make_response(
            render_template("integrations/embed_list.html", listing=_listing(project))
        )
    ancestors = " ".join(["'self'", *embed.origins_of(project.id)])
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        f"frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'"
    )
    response.headers["Vary"] = "Accept-Language"
    return response


def _project(code: str) -> Project:
    project = db.session.scalar(db.select(Project).where(Project.code == code))
    if project is None:
        abort(404)
    return project


def _language() -> str:
    languages = current_app.config["LANGUAGES"]
    wanted = (request.args.get("lang") or "").split("-")[0].lower()
    if wanted in languages:
        return wanted
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def _filters(project: Project) -> EventFilters:
    kind = None
    try:
        kind = EventKind(request.args["kind"]) if request.args.get("kind") else None
    except ValueError:
        abort(404)
    municipality_id = None
    if request.args.get("municipality"):
        municipality_id = parse_id(request.args["municipality"])
        if municipality_id is None:
            abort(404)
    return EventFilters(project_id=project.id, kind=kind, municipality_id=municipality_id)


def _listing(project: Project) -> dict:
    """The list in the current language: texts ready to show, no personal data."""
    result = search_events(_filters(project), page=1, per_page=MAX_EVENTS)
    items = []
    for event in result.items:
        availability = result.availability[event.id]
        items.append(
            {
                "id": event.id,
                "title": event.title,
                "when": event_when(event),
                "start": event.local_start.isoformat(),
                "place": ", ".join(
                    filter(
                        None, (event.venue, event.municipality.name if event.municipality else "")
                    )
                ),
                "url": external_url("events.detail", event_id=event.id),
                "availability": availability.state.value,
                "seats_left": availability.seats_left,
                "places": _places_text(availability.state.value, availability.seats_left),
            }
        )
    return {
        "title": _("Upcoming events: %(name)s", name=project.name),
        "language": str(_language()),
        "empty": _("No upcoming events."),
        "new_tab": _("(opens in a new tab)"),
        "items": items,
    }


def _places_text(state: str, seats_left: int | None) -> str:
    """The same words as the event pages' availability badge."""
    if state == "open":
        if seats_left is None:
            return _("Places available")
        return ngettext("%(num)d place left", "%(num)d places left", seats_left)
    return {
        "waitlist": _("Full – waiting list open"),
        "full": _("Full"),
        "not_yet_open": _("Registration not yet open"),
        "closed": _("Registration closed"),
        "cancelled": _("Cancelled"),
    }.get(state, "")
