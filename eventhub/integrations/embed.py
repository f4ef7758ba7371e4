"""The embeddable widget: a project's, a municipality's or a kind's upcoming events on
another site.

- ``/embed/widget.js``: the script of ``<eventhub-events project="CODE">``. It draws the list
  in the element's shadow root (styles isolated from the host page) from
  ``/embed/<code>/events.json``, which answers only the project's allowed origins (CORS).
- ``/embed/<code>/events``: the same list as a plain page, for the iframe snippet (framed
  only by the allowed origins: CSP ``frame-ancestors``) and for visitors without JavaScript
  (the snippet's link).

- ``/embed/all/events.json`` and ``/embed/all/events`` (``?municipality=ID&kind=KIND``): the
  same across projects, for ``<eventhub-events municipality="ID">`` or ``kind="workshop"``.
  These answer every site (CORS ``*``) and may be framed by any (``frame-ancestors *``): they
  hold only what the public listing shows to anyone, no request carries a cookie or a
  credential (``*`` forbids credentials), and the framed page has no form or button to
  trick a visitor into (its links open a new tab). A municipality expects its own site, its
  libraries' and its villages' associations' sites to show its events without asking an
  administrator first; a project's widget keeps the project's own allowed sites.

No cookies are read or set, nothing is loaded from elsewhere. The language is the host
page's (``lang`` of the element or of its document) when the site speaks it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, current_app, jsonify, render_template, request, send_from_directory
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from eventhub.core.formatting import event_when
from eventhub.core.labels import KIND_LABELS, KIND_PLURALS
from eventhub.core.models import EventKind, Municipality, Project
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
            response = jsonify(_project_listing(project))
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
            render_template("integrations/embed_list.html", listing=_project_listing(project))
        )
    return _framable(response, " ".join(["'self'", *embed.origins_of(project.id)]))


@bp.route("/embed/all/events.json", methods=["GET", "OPTIONS"])
def public_json():
    """A municipality's or a kind's public events across projects, for any site: see the
    module's docstring for why every origin is answered."""
    filters = _filters()
    if request.method == "OPTIONS":
        response = current_app.response_class(status=204)
    else:
        with force_locale(_language()):
            response = jsonify(_public_listing(filters))
    response.headers["Vary"] = "Accept-Language"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET"
    response.headers["Access-Control-Max-Age"] = "600"
    return response


@bp.route("/embed/all/events")
def public_list():
    filters = _filters()
    with force_locale(_language()):
        response = current_app.make_response(
            render_template("integrations/embed_list.html", listing=_public_listing(filters))
        )
    return _framable(response, "*")


def _framable(response, ancestors: str):
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


def _filters(project: Project | None = None) -> EventFilters:
    kind = None
    try:
        kind = EventKind(request.args["kind"]) if request.args.get("kind") else None
    except ValueError:
        abort(404)
    municipality_id = None
    if request.args.get("municipality"):
        municipality_id = parse_id(request.args["municipality"])
        if municipality_id is None or db.session.get(Municipality, municipality_id) is None:
            abort(404)
    return EventFilters(
        project_id=project.id if project else None, kind=kind, municipality_id=municipality_id
    )


def _project_listing(project: Project) -> dict:
    """A project's list; its widget opens each event's signup in a dialog (the page is framed
    by the project's allowed sites: see eventhub.web.embedding) where the host page allows."""
    listing = _listing(_filters(project), _("Upcoming events: %(name)s", name=project.name))
    for item in listing["items"]:
        # The framed page sends no cookie to remember a language: its address names the
        # host page's.
        item["embed_url"] = (
            item["url"] + "?" + urlencode({"embed": "1", "lang": listing["language"]})
        )
    listing["dialog"] = {
        "close": _("Close"),
        "new_tab": _("Open in a new tab"),
        "failed": _("The registration form cannot be shown on this site."),
    }
    return listing


def _public_listing(filters: EventFilters) -> dict:
    """Titled by what it shows: "Upcoming events: Joensuu, Workshops"."""
    parts = []
    if filters.municipality_id is not None:
        municipality = db.session.get(Municipality, filters.municipality_id)
        parts.append(municipality.name if municipality else "")
    if filters.kind is not None:
        parts.append(str(KIND_PLURALS.get(filters.kind, KIND_LABELS[filters.kind])))
    if not parts:
        return _listing(filters, _("Upcoming events"))
    return _listing(filters, _("Upcoming events: %(name)s", name=", ".join(parts)))


def _listing(filters: EventFilters, title: str) -> dict:
    """The list in the current language: texts ready to show, no personal data."""
    result = search_events(filters, page=1, per_page=MAX_EVENTS)
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
        "title": title,
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
