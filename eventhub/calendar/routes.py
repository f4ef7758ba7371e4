"""Feeds: parse the address, ask the ical service for the body, answer with HTTP caching."""

from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for

from eventhub.calendar import bp
from eventhub.compression import gzip_if_accepted
from eventhub.core.services import ical, listing
from eventhub.extensions import db
from eventhub.urls import external_url

# Calendar applications poll on their own schedule; five minutes keeps proxies useful
# without hiding a cancellation for long.
MAX_AGE = 300


@bp.route("/events/<int:event_id>.ics")
def event_ics(event_id: int):
    event = listing.get_public_event(event_id) or abort(404)
    return _respond(ical.event_download(event), disposition="attachment")


@bp.route("/all.ics")
def all_events():
    return _feed(ical.all_events_scope())


@bp.route("/kind/<kind>.ics")
def kind(kind: str):
    return _feed(ical.kind_scope(kind))


@bp.route("/projects/<int:project_id>.ics")
def project(project_id: int):
    return _feed(ical.project_scope(project_id), must_have_events=True)


@bp.route("/project/<path:reference>.ics")
def project_by_code(reference: str):
    """Where project feeds used to be: by code, which may hold ``/`` (``2024.LV/NVOF/...``),
    or by id. Subscribed calendars follow the permanent redirect to the id's address."""
    scope = ical.project_scope_by_reference(reference)
    if scope is None or not ical.has_public_events(scope):
        abort(404)
    query = request.query_string.decode()
    target = url_for("calendar.project", project_id=scope.project_id)
    return redirect(f"{target}?{query}" if query else target, 301)


@bp.route("/municipality/<int:municipality_id>.ics")
def municipality(municipality_id: int):
    return _feed(ical.municipality_scope(municipality_id))


@bp.route("/organisation/<int:organisation_id>.ics")
def organisation(organisation_id: int):
    return _feed(ical.organisation_scope(organisation_id), must_have_events=True)


@bp.route("/me/<token>.ics")
def personal(token: str):
    person = ical.person_for_token(token) or abort(404)
    response = _respond(ical.personal_feed(person), private=True)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _feed(scope: ical.FeedScope | None, *, must_have_events: bool = False):
    if scope is None or (must_have_events and not ical.has_public_events(scope)):
        abort(404)
    # SOURCE is where the feed is refreshed from: with the query the feed understands
    # (?lang=lv names it in Latvian), or a refresh would rename it. Only that: any other
    # query would be a new feed to build and keep.
    lang = request.args.get("lang")
    query = {"lang": lang} if lang in current_app.config["LANGUAGES"] else {}
    source = external_url(request.endpoint, **(request.view_args or {}), **query)
    feed = ical.public_feed(scope, locale=lang, source=source)
    db.session.commit()  # VEVENTs built for this feed are kept for other workers
    return _respond(feed)


def _respond(feed: ical.Feed, *, private: bool = False, disposition: str = "inline"):
    response = current_app.response_class(feed.body, mimetype="text/calendar")
    response.set_etag(feed.etag)
    if feed.last_modified is not None:
        response.last_modified = feed.last_modified
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
        response.access_control_allow_origin = "*"
    response.cache_control.max_age = MAX_AGE
    response.headers["Content-Disposition"] = f'{disposition}; filename="{feed.filename}"'
    return response.make_conditional(request)


bp.after_request(gzip_if_accepted)
