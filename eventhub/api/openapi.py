"""The OpenAPI 3.1 document of ``/api/v1``. Tests validate it and check every documented
response against what the server really answers, so keep it exactly in step with
serialize.py and params.py."""

from __future__ import annotations

from typing import Any

from flask import current_app

from eventhub.api import openapi_write
from eventhub.api.params import DEFAULT_PER_PAGE, MAX_PER_PAGE, MAX_QUERY_LENGTH
from eventhub.core.models import Country, EventKind
from eventhub.core.services.capacity import Availability
from eventhub.core.services.listing import PUBLIC_STATUSES
from eventhub.urls import external_url


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


URI = {"type": "string", "format": "uri"}
DATE_TIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Event": {
        "type": "object",
        "description": "A public event. Times are ISO 8601 in the event's own timezone.",
        "additionalProperties": False,
        "required": [
            "id",
            "uid",
            "title",
            "description",
            "kind",
            "status",
            "start",
            "end",
            "timezone",
            "language",
            "venue",
            "address",
            "online_url",
            "municipality",
            "project",
            "capacity",
            "seats_left",
            "availability",
            "registration_opens_at",
            "registration_closes_at",
            "updated_at",
            "url",
            "ical_url",
            "registration_url",
            "programme",
        ],
        "properties": {
            "id": {"type": "integer"},
            "uid": {"type": "string", "description": "The iCalendar UID; never changes."},
            "title": {"type": "string"},
            "description": {"type": "string", "description": "Plain text."},
            "kind": {"type": "string", "enum": [k.value for k in EventKind]},
            "status": {"type": "string", "enum": [s.value for s in PUBLIC_STATUSES]},
            "start": {**DATE_TIME, "examples": ["2030-06-01T18:00:00+03:00"]},
            "end": DATE_TIME,
            "timezone": {"type": "string", "description": "IANA zone, e.g. Europe/Riga."},
            "language": {"type": "string", "description": "Language the event is held in."},
            "venue": {"type": ["string", "null"]},
            "address": {"type": ["string", "null"]},
            "online_url": _nullable(URI),
            "municipality": _nullable(_ref("Municipality")),
            "project": _nullable(_ref("Project")),
            "capacity": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Places in all; null when unlimited.",
            },
            "seats_left": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Places not yet taken; null when unlimited.",
            },
            "availability": {
                "type": "string",
                "enum": [a.value for a in Availability],
                "description": "Whether and how the event takes registrations now: open, "
                "waitlist (full, waiting list open), full, not_yet_open, closed, cancelled, "
                "unavailable.",
            },
            "registration_opens_at": _nullable(DATE_TIME),
            "registration_closes_at": _nullable(DATE_TIME),
            "updated_at": {**DATE_TIME, "description": "Last change, in UTC."},
            "url": {**URI, "description": "The event page."},
            "ical_url": {**URI, "description": "The event as an iCalendar file."},
            "registration_url": {**URI, "description": "Where to register."},
            "programme": {
                "type": "array",
                "items": _ref("ProgrammeItem"),
                "description": "The sessions of a forum or info session in time order; "
                "empty for other events and when no programme has been published.",
            },
        },
    },
    "ProgrammeItem": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "start",
            "end",
            "title",
            "room",
            "speakers",
            "description",
            "parallel",
            "groups",
        ],
        "properties": {
            "start": DATE_TIME,
            "end": DATE_TIME,
            "title": {"type": "string"},
            "room": {"type": ["string", "null"]},
            "speakers": {"type": ["string", "null"]},
            "description": {"type": "string", "description": "Plain text."},
            "parallel": {
                "type": "boolean",
                "description": "The session is split into discussion groups held at once.",
            },
            "groups": {"type": "array", "items": _ref("DiscussionGroup")},
        },
    },
    "DiscussionGroup": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name", "room", "capacity", "seats_left"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "room": {"type": ["string", "null"]},
            "capacity": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Places in the group; null when unlimited.",
            },
            "seats_left": {"type": ["integer", "null"], "minimum": 0},
        },
    },
    "Municipality": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name", "region", "country"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "region": {"type": "string"},
            "country": {"type": "string", "enum": [c.value for c in Country]},
        },
    },
    "Project": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "code", "name", "organiser"],
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "organiser": {"type": ["string", "null"]},
        },
    },
    "EventList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["items", "meta", "links"],
        "properties": {
            "items": {"type": "array", "items": _ref("Event")},
            "meta": _ref("Pagination"),
            "links": _ref("PageLinks"),
        },
    },
    "Pagination": {
        "type": "object",
        "additionalProperties": False,
        "required": ["page", "per_page", "total", "pages"],
        "properties": {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0, "description": "Events in all pages."},
            "pages": {"type": "integer", "minimum": 1},
        },
    },
    "PageLinks": {
        "type": "object",
        "additionalProperties": False,
        "required": ["self", "first", "prev", "next", "last"],
        "properties": {
            "self": URI,
            "first": URI,
            "prev": _nullable(URI),
            "next": _nullable(URI),
            "last": URI,
        },
    },
    "Error": {
        "type": "object",
        "description": "A problem detail (RFC 9457), sent as application/problem+json.",
        "additionalProperties": False,
        "required": ["type", "title", "status", "detail", "error", "message"],
        "properties": {
            "type": {"type": "string", "description": "about:blank: the status says it all."},
            "title": {"type": "string", "description": "The HTTP status phrase."},
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "What went wrong, for people."},
            "parameter": {"type": "string", "description": "The query parameter at fault."},
            "error": {"type": "string", "description": "Same as title (kept for old clients)."},
            "message": {"type": "string", "description": "Same as detail (kept for old clients)."},
        },
    },
}

ETAG_HEADER = {
    "description": "Send it back as If-None-Match to get 304 while nothing changed.",
    "schema": {"type": "string"},
}


GZIP_NOTE = (
    "Sent gzip-compressed (Content-Encoding: gzip) to clients that send Accept-Encoding: gzip."
)


def _json_response(description: str, schema: dict[str, Any], etag: bool = False):
    response: dict[str, Any] = {
        "description": f"{description} {GZIP_NOTE}",
        "content": {"application/json": {"schema": schema}},
    }
    if etag:
        response["headers"] = {"ETag": ETAG_HEADER}
    return response


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Error")}},
    }


NOT_MODIFIED = {"description": "Not modified since the ETag given in If-None-Match."}


def _parameters() -> list[dict[str, Any]]:
    moment = (
        "A date (2030-06-01) or a date and time (2030-06-01T18:00:00+03:00). Without an "
        f"offset it is read in {current_app.config['BABEL_DEFAULT_TIMEZONE']} time."
    )
    return [
        {
            "name": "kind",
            "in": "query",
            "description": "Only events of this kind.",
            "schema": {"type": "string", "enum": [k.value for k in EventKind]},
        },
        {
            "name": "project",
            "in": "query",
            "description": "Only events of this project, by code or id.",
            "schema": {"type": "string"},
        },
        {
            "name": "municipality",
            "in": "query",
            "description": "Only events in this municipality, by id.",
            "schema": {"type": "integer"},
        },
        {
            "name": "from",
            "in": "query",
            "description": "Only events that end at or after this. Default: now, so only "
            f"events that have not ended. {moment}",
            "schema": {"type": "string"},
        },
        {
            "name": "to",
            "in": "query",
            "description": "Only events that start before this; a date includes the whole "
            f"day. {moment}",
            "schema": {"type": "string"},
        },
        {
            "name": "q",
            "in": "query",
            "description": "Only events whose title or description contains this text "
            "(case-insensitive).",
            "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH},
        },
        {
            "name": "updated_since",
            "in": "query",
            "description": "Only events changed at or after this (for incremental sync: "
            "keep the time of your last sync; cancelled events come with status "
            f"cancelled). {moment}",
            "schema": {"type": "string"},
        },
        {
            "name": "page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "default": 1},
        },
        {
            "name": "per_page",
            "in": "query",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_PER_PAGE,
                "default": DEFAULT_PER_PAGE,
            },
        },
    ]


def document() -> dict[str, Any]:
    """The whole OpenAPI document, with this site's address as the server."""
    server = external_url("api.openapi_document").removesuffix("/openapi.json")
    site = current_app.config["SITE_NAME"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{site} API",
            "version": "1.0.0",
            "description": "Open data about public events: workshops, hackathons, "
            "forums and more. No key is needed and any website may call it (CORS). Unknown or "
            "repeated query parameters are refused with 400 rather than ignored. Each event "
            "also has an iCalendar file (ical_url) and the site offers subscribable feeds "
            "under /calendar/. Under /manage/ a project's own systems write its events, "
            "registrations and attendance with an API token (bearer); every POST takes an "
            "Idempotency-Key.",
        },
        "servers": [{"url": server}],
        "paths": {
            "/events": {
                "get": {
                    "operationId": "listEvents",
                    "summary": "Public events, soonest first, a page at a time",
                    "parameters": _parameters(),
                    "responses": {
                        "200": _json_response("A page of events.", _ref("EventList"), True),
                        "304": NOT_MODIFIED,
                        "400": _problem("A filter could not be used."),
                    },
                }
            },
            "/events/{event_id}": {
                "get": {
                    "operationId": "getEvent",
                    "summary": "One public event",
                    "parameters": [
                        {
                            "name": "event_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": _json_response("The event.", _ref("Event"), True),
                        "304": NOT_MODIFIED,
                        "404": _problem("No public event has this id."),
                    },
                }
            },
            **openapi_write.paths(),
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApiDocument",
                    "summary": "This document",
                    "responses": {
                        "200": _json_response("The OpenAPI document.", {"type": "object"}, True),
                        "304": NOT_MODIFIED,
                    },
                }
            },
        },
        "components": {
            "schemas": {**SCHEMAS, **openapi_write.SCHEMAS},
            "securitySchemes": openapi_write.SECURITY_SCHEMES,
        },
    }
