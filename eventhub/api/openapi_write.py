"""The write API's part of the OpenAPI document (``/manage/...`` paths, bearer tokens).
Kept exactly in step with write.py: tests/test_api_write.py requests every documented
response and validates each answer against its schema."""

from __future__ import annotations

from typing import Any

from eventhub.core.models import EventKind, EventStatus, RegistrationStatus
from eventhub.core.services.api_tokens import Scope


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


DATE_TIME = {"type": "string", "format": "date-time"}
URI = {"type": "string", "format": "uri"}
LANGUAGES = ["fi", "sv", "en", "lv", "et", "ru"]
TIMEZONES = ["Europe/Helsinki", "Europe/Riga", "Europe/Tallinn"]

_EVENT_PROPERTIES: dict[str, Any] = {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "kind": {"type": "string", "enum": [k.value for k in EventKind]},
    "description": {"type": "string", "maxLength": 10000},
    "timezone": {
        "type": "string",
        "enum": TIMEZONES,
        "description": "Default: the project's timezone.",
    },
    "start": {**DATE_TIME, "description": "With its offset, e.g. 2030-06-01T18:00:00+03:00."},
    "end": DATE_TIME,
    "venue": {"type": "string", "maxLength": 200},
    "address": {"type": "string", "maxLength": 300},
    "online_url": {"type": ["string", "null"], "maxLength": 500},
    "municipality_id": {"type": ["integer", "null"], "minimum": 1},
    "language": {"type": "string", "enum": LANGUAGES},
    "capacity": {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": 100000,
        "description": "Places; null for no limit.",
    },
    "waitlist_enabled": {"type": "boolean"},
    "requires_approval": {"type": "boolean"},
    "registration_opens_at": {**DATE_TIME, "type": ["string", "null"]},
    "registration_closes_at": {**DATE_TIME, "type": ["string", "null"]},
}

SCHEMAS: dict[str, Any] = {
    "Nothing": {"type": "object", "additionalProperties": False, "description": "No fields."},
    "NewEvent": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "kind", "start", "end"],
        "properties": {
            **_EVENT_PROPERTIES,
            "publish": {
                "type": "boolean",
                "description": "Publish at once (default: the event is a draft).",
            },
        },
    },
    "EventChanges": {
        "type": "object",
        "additionalProperties": False,
        "description": "Only the fields given change. A new time, place or status raises the "
        "calendar SEQUENCE and mails the people registered, as the organiser pages do.",
        "properties": _EVENT_PROPERTIES,
    },
    "ManagedEvent": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "uid",
            "title",
            "kind",
            "status",
            "sequence",
            "start",
            "end",
            "timezone",
            "capacity",
            "seats_left",
            "updated_at",
            "url",
        ],
        "properties": {
            "id": {"type": "integer"},
            "uid": {"type": "string"},
            "title": {"type": "string"},
            "kind": {"type": "string", "enum": [k.value for k in EventKind]},
            "status": {"type": "string", "enum": [s.value for s in EventStatus]},
            "sequence": {
                "type": "integer",
                "minimum": 0,
                "description": "The iCalendar SEQUENCE: grows with each significant change.",
            },
            "start": DATE_TIME,
            "end": DATE_TIME,
            "timezone": {"type": "string"},
            "capacity": {"type": ["integer", "null"], "minimum": 0},
            "seats_left": {"type": ["integer", "null"], "minimum": 0},
            "updated_at": DATE_TIME,
            "url": URI,
        },
    },
    "NewRegistration": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "email"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "phone": {"type": "string", "maxLength": 50},
            "organisation": {"type": "string", "maxLength": 200},
            "locale": {
                "type": "string",
                "enum": LANGUAGES,
                "description": "Language of the mail; default: the event's.",
            },
            "placement": {
                "type": "string",
                "enum": ["place", "place_or_waitlist"],
                "description": "place: a confirmed place or 409 when full; "
                "place_or_waitlist: the waiting list when full.",
            },
            "notify": {
                "type": "boolean",
                "description": "Mail the person their confirmation (default true).",
            },
        },
    },
    "Cancellation": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "notify": {
                "type": "boolean",
                "description": "Mail the person a receipt (default true). The first person "
                "waiting gets the place and is mailed either way.",
            }
        },
    },
    "Registration": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "event_id", "status", "name", "email", "created_at", "present"],
        "properties": {
            "id": {"type": "integer"},
            "event_id": {"type": "integer"},
            "status": {"type": "string", "enum": [s.value for s in RegistrationStatus]},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "created_at": DATE_TIME,
            "present": {"type": "boolean"},
        },
    },
    "RegistrationList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("Registration")}},
    },
    "AttendanceInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["registration_id"],
        "properties": {"registration_id": {"type": "integer", "minimum": 1}},
    },
    "AttendanceResult": {
        "type": "object",
        "additionalProperties": False,
        "required": ["event_id", "registration_id", "present", "new"],
        "properties": {
            "event_id": {"type": "integer"},
            "registration_id": {"type": "integer"},
            "present": {"const": True},
            "new": {"type": "boolean", "description": "False: they were marked present already."},
        },
    },
    "HeadcountInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["count"],
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "note": {"type": "string", "maxLength": 300},
        },
    },
    "Headcount": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "event_id", "count", "note", "recorded_at"],
        "properties": {
            "id": {"type": "integer"},
            "event_id": {"type": "integer"},
            "count": {"type": "integer", "minimum": 0},
            "note": {"type": "string"},
            "recorded_at": DATE_TIME,
        },
    },
}

IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique text (a UUID). The same key again within a day gets the first "
    "answer (with Idempotent-Replayed: true) and changes nothing; the key with a different "
    "request is refused with 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Error")}},
    }


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    }


def _operation(
    operation_id: str,
    summary: str,
    scope: Scope,
    responses: dict[str, Any],
    *,
    path_ids: tuple[str, ...] = (),
    body: str | None = None,
    post: bool = False,
) -> dict[str, Any]:
    parameters = [_id(name) for name in path_ids]
    if post:
        parameters.append(IDEMPOTENCY)
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "description": f"Needs a token with the permission {scope.value}.",
        "security": [{"token": [scope.value]}],
        "parameters": parameters,
        "responses": {
            **responses,
            "401": _problem("No token, or a token that does not work (revoked)."),
            "403": _problem("The token lacks the permission."),
            "429": _problem("Too many requests with this token; slow down."),
        },
    }
    if post:
        operation["responses"]["400"] = _problem(
            "The Idempotency-Key is not 1 to 200 visible ASCII characters."
        )
    if path_ids:
        operation["responses"]["404"] = _problem("The token's project has nothing with this id.")
    if body is not None:
        operation["requestBody"] = {
            "required": body not in ("Cancellation", "Nothing"),
            "content": {"application/json": {"schema": _ref(body)}},
        }
        operation["responses"]["422"] = _problem("The body cannot be used; detail says why.")
    return operation


def paths() -> dict[str, Any]:
    return {
        "/manage/events": {
            "post": _operation(
                "createEvent",
                "Create an event in the token's project (a draft unless publish is true)",
                Scope.WRITE_EVENTS,
                {
                    "201": _ok("The event.", "ManagedEvent"),
                    "409": _problem("The event has started already and cannot be published."),
                },
                body="NewEvent",
                post=True,
            )
        },
        "/manage/events/{event_id}": {
            "get": _operation(
                "getManagedEvent",
                "One event of the token's project, drafts included",
                Scope.WRITE_EVENTS,
                {"200": _ok("The event.", "ManagedEvent")},
                path_ids=("event_id",),
            ),
            "patch": _operation(
                "updateEvent",
                "Change an event",
                Scope.WRITE_EVENTS,
                {
                    "200": _ok("The event as it is now.", "ManagedEvent"),
                    "409": _problem("More places are taken than the new capacity."),
                },
                path_ids=("event_id",),
                body="EventChanges",
            ),
        },
        "/manage/events/{event_id}/publish": {
            "post": _operation(
                "publishEvent",
                "Publish a draft",
                Scope.WRITE_EVENTS,
                {
                    "200": _ok("The event.", "ManagedEvent"),
                    "409": _problem("The event has started already."),
                },
                path_ids=("event_id",),
                body="Nothing",
                post=True,
            )
        },
        "/manage/events/{event_id}/cancel": {
            "post": _operation(
                "cancelEvent",
                "Cancel an event; everyone registered is told",
                Scope.WRITE_EVENTS,
                {"200": _ok("The event.", "ManagedEvent")},
                path_ids=("event_id",),
                body="Nothing",
                post=True,
            )
        },
        "/manage/events/{event_id}/registrations": {
            "get": _operation(
                "listRegistrations",
                "The event's registrations",
                Scope.READ_REGISTRATIONS,
                {"200": _ok("Every registration, oldest first.", "RegistrationList")},
                path_ids=("event_id",),
            ),
            "post": _operation(
                "addRegistration",
                "Register someone (capacity, waiting list and mail as on the organiser pages)",
                Scope.WRITE_REGISTRATIONS,
                {
                    "200": _ok(
                        "The person was registered already: their registration.", "Registration"
                    ),
                    "201": _ok("The new registration.", "Registration"),
                    "409": _problem("The event takes no registration now (full, cancelled)."),
                },
                path_ids=("event_id",),
                body="NewRegistration",
                post=True,
            ),
        },
        "/manage/registrations/{registration_id}": {
            "get": _operation(
                "getRegistration",
                "One registration",
                Scope.READ_REGISTRATIONS,
                {"200": _ok("The registration.", "Registration")},
                path_ids=("registration_id",),
            )
        },
        "/manage/registrations/{registration_id}/cancel": {
            "post": _operation(
                "cancelRegistration",
                "Cancel a registration; the first person waiting gets the place",
                Scope.WRITE_REGISTRATIONS,
                {
                    "200": _ok("The registration.", "Registration"),
                    "409": _problem("The registration is not active."),
                },
                path_ids=("registration_id",),
                body="Cancellation",
                post=True,
            )
        },
        "/manage/events/{event_id}/attendance": {
            "post": _operation(
                "recordAttendance",
                "Mark a registered person present",
                Scope.WRITE_ATTENDANCE,
                {
                    "200": _ok("They were present already.", "AttendanceResult"),
                    "201": _ok("Recorded.", "AttendanceResult"),
                    "409": _problem("Attendance cannot change (the event is closed)."),
                },
                path_ids=("event_id",),
                body="AttendanceInput",
                post=True,
            )
        },
        "/manage/events/{event_id}/headcounts": {
            "post": _operation(
                "addHeadcount",
                "Record people counted without names",
                Scope.WRITE_ATTENDANCE,
                {
                    "201": _ok("The headcount.", "Headcount"),
                    "409": _problem("Attendance cannot change (the event is closed)."),
                },
                path_ids=("event_id",),
                body="HeadcountInput",
                post=True,
            )
        },
    }


SECURITY_SCHEMES = {
    "token": {
        "type": "http",
        "scheme": "bearer",
        "description": "A project's API token, made by its manager on the project's "
        "integrations page. It can do only what its permissions allow, only in its project. "
        "Requests are limited per token: too many get 429.",
    }
}
