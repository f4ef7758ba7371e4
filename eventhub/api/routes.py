"""``/api/v1``: read-only JSON over public events. Every answer, errors included, is JSON."""

from __future__ import annotations

import hashlib

from flask import abort, current_app, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import RequestRedirect

from eventhub.api import bp, openapi, serialize
from eventhub.api.auth import ApiError
from eventhub.api.params import BadParameter, parse_event_query
from eventhub.compression import gzip_if_accepted
from eventhub.core.services import capacity, listing, search
from eventhub.extensions import db
from eventhub.urls import external_url

PREFIX = "/api/"
# Browsers may send these on a cross-origin GET (municipal sites embed listings).
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since",
    "Access-Control-Expose-Headers": "ETag",
    "Access-Control-Max-Age": "86400",
}


@bp.route("/events")
def events():
    filters, page, per_page = parse_event_query(request.args)

    def build():
        result = search.search_events(filters, page=page, per_page=per_page)
        return serialize.event_list(result, request.args)

    return _json_when_changed(search.result_state(filters), build)


@bp.route("/events/<int:event_id>")
def event(event_id: int):
    found = listing.get_public_event(event_id) or abort(404)

    def build():
        availability = capacity.availability(found, found.places_taken)
        return serialize.event_json(found, availability)

    return _json_when_changed(search.result_state(search.EventFilters(event_id=found.id)), build)


@bp.route("/openapi.json")
def openapi_document():
    return _json(openapi.document())


def _json_when_changed(state: tuple, build):
    """A 304 from ``state`` alone when the client's ETag still holds; else the answer
    ``build()`` makes, with that ETag. The ETag covers the state, the query, the language
    and the site's address: everything the body depends on."""
    key = repr((state, sorted(request.args.items(multi=True)), str(get_locale()), request.path))
    key += external_url("api.openapi_document")
    etag = hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
    if request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
    else:
        response = jsonify(build())
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response


def _json(data):
    """A cacheable answer: clients revalidate every time and get 304 while it is unchanged
    (seats left change with every registration, so nothing is served stale)."""
    response = jsonify(data)
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.no_cache = True
    return response.make_conditional(request)


def error_response(status: int, message: str, parameter: str | None = None):
    """A problem detail (RFC 9457). ``error`` and ``message`` repeat ``title`` and
    ``detail`` for clients written before the API spoke problem+json."""
    body = {
        "type": "about:blank",
        "title": _error_name(status),
        "status": status,
        "detail": message,
        "error": _error_name(status),
        "message": message,
    }
    if parameter is not None:
        body["parameter"] = parameter
    response = jsonify(body)
    response.mimetype = "application/problem+json"
    response.status_code = status
    response.headers.update(CORS_HEADERS)
    return response


def _error_name(status: int) -> str:
    return HTTP_STATUS_CODES.get(status, "Error")


MESSAGES = {
    404: lambda: _("There is nothing at this address."),
    405: lambda: _("This address only answers GET requests."),
    429: lambda: _("Too many requests with this API token. Please slow down and try again."),
    500: lambda: _("Something went wrong on our side. Please try again in a moment."),
}


def _message(exc: HTTPException) -> str:
    allowed = [m for m in getattr(exc, "valid_methods", None) or () if m not in ("HEAD", "OPTIONS")]
    if exc.code == 405 and allowed and allowed != ["GET"]:
        # The token routes take other methods than GET.
        return _(
            "This address answers only %(methods)s requests.", methods=", ".join(sorted(allowed))
        )
    make = MESSAGES.get(exc.code or 500)
    return make() if make else (exc.description or _error_name(exc.code or 500))


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db.session.rollback()
    response = error_response(exc.status, exc.message, exc.parameter)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@bp.errorhandler(BadParameter)
def _bad_parameter(exc: BadParameter):
    return error_response(400, exc.message, exc.parameter)


def _http_error(exc: HTTPException):
    response = error_response(exc.code or 500, _message(exc))
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _server_error(_exc):
    db.session.rollback()
    return error_response(500, MESSAGES[500]())


# By code, not only by class: Flask prefers the site's HTML handler for a code over a
# blueprint's handler for a class.
for _code in default_exceptions:
    bp.register_error_handler(_code, _server_error if _code == 500 else _http_error)
bp.register_error_handler(HTTPException, _http_error)


@bp.before_app_request
def _routing_errors():
    """Unknown addresses and wrong methods under /api/ answer in JSON too: routing fails
    before any blueprint is chosen, so the blueprint's error handlers never see them."""
    exc = request.routing_exception
    if (
        exc is None
        or isinstance(exc, RequestRedirect)
        or not isinstance(exc, HTTPException)
        or not (request.path.startswith(PREFIX) or request.path == PREFIX.rstrip("/"))
    ):
        return None
    return _http_error(exc)


@bp.after_request
def _cors(response):
    response.headers.update(CORS_HEADERS)
    return gzip_if_accepted(response)
