"""The write API under ``/api/v1``: events, registrations and attendance, with a project's
API token. Each route parses the JSON body, calls the one service the organiser pages call
(so the same capacity, waiting list, mail and SEQUENCE rules apply) and commits once; every
POST honours ``Idempotency-Key`` (see auth.post). The OpenAPI document describes each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, jsonify, request
from flask_babel import gettext as _

from eventhub.api import bp
from eventhub.api.auth import Answer, ApiError, caller, post, token_limit
from eventhub.core.models import (
    Event,
    EventKind,
    Municipality,
    Registration,
)
from eventhub.core.services import (
    attendance,
    capacity,
    event_admin,
    registrations_admin,
)
from eventhub.core.services.api_tokens import Caller, Scope
from eventhub.core.services.errors import Refused
from eventhub.core.services.events import NonexistentLocalTime
from eventhub.core.services.registration import Outcome
from eventhub.core.services.signup import Placement, RegistrationRefused, SignupData
from eventhub.extensions import db
from eventhub.urls import external_url
from eventhub.web import refusal_message

TIMEZONES = ("Europe/Helsinki", "Europe/Riga", "Europe/Tallinn")
LANGUAGES = ("fi", "sv", "en", "lv", "et", "ru")
MAX_TEXT = {"title": 200, "venue": 200, "address": 300, "online_url": 500, "description": 10000}
EVENT_FIELDS = (
    "title",
    "kind",
    "description",
    "timezone",
    "start",
    "end",
    "venue",
    "address",
    "online_url",
    "municipality_id",
    "language",
    "capacity",
    "waitlist_enabled",
    "requires_approval",
    "registration_opens_at",
    "registration_closes_at",
)


# --- events ------------------------------------------------------------------------------


@bp.route("/manage/events", methods=["POST"])
@token_limit
def create_event():
    who = caller(Scope.WRITE_EVENTS)
    body = _body(EVENT_FIELDS + ("publish",))
    for name in ("title", "kind", "start", "end"):
        if name not in body:
            raise ApiError(422, _("'%(name)s' is required.", name=name), name)

    def work() -> Answer:
        fields = _event_fields(body)
        fields.setdefault("timezone", who.token.project.timezone)
        fields.setdefault("language", who.token.project.language)
        fields["project_id"] = who.project_id
        try:
            event = event_admin.create_event(who.user, **fields)
            if _bool(body, "publish", False):
                event_admin.publish(who.user, event)
        except event_admin.PublishingPastEvent:
            raise ApiError(
                409, _("The event has already started: it cannot be published.")
            ) from None
        except ValueError as exc:
            raise ApiError(422, _times_message(exc)) from None
        return Answer(201, managed_event(event), _event_url(event))

    return post(who, work)


@bp.route("/manage/events/<int:event_id>", methods=["GET"])
@token_limit
def get_managed_event(event_id: int):
    who = caller(Scope.WRITE_EVENTS)
    return _json(managed_event(_event(who, event_id)))


@bp.route("/manage/events/<int:event_id>", methods=["PATCH"])
@token_limit
def update_event(event_id: int):
    who = caller(Scope.WRITE_EVENTS)
    event = _event(who, event_id)
    body = _body(EVENT_FIELDS)
    changes = _event_fields(body)
    try:
        event_admin.save_event(who.user, event, **changes)
    except event_admin.CapacityBelowTaken as refused:
        db.session.rollback()
        raise ApiError(
            409,
            _("%(taken)d places are taken: capacity cannot be lower.", taken=refused.taken),
            "capacity",
        ) from None
    except ValueError as exc:
        db.session.rollback()
        raise ApiError(422, _times_message(exc)) from None
    db.session.commit()
    return _json(managed_event(event))


@bp.route("/manage/events/<int:event_id>/publish", methods=["POST"])
@token_limit
def publish_event(event_id: int):
    who = caller(Scope.WRITE_EVENTS)
    event = _event(who, event_id)
    _body(())

    def work() -> Answer:
        try:
            event_admin.publish(who.user, event)
        except event_admin.PublishingPastEvent:
            raise ApiError(
                409, _("The event has already started: it cannot be published.")
            ) from None
        return Answer(200, managed_event(event))

    return post(who, work)


@bp.route("/manage/events/<int:event_id>/cancel", methods=["POST"])
@token_limit
def cancel_event(event_id: int):
    who = caller(Scope.WRITE_EVENTS)
    event = _event(who, event_id)
    _body(())

    def work() -> Answer:
        event_admin.cancel(who.user, event)
        return Answer(200, managed_event(event))

    return post(who, work)


# --- registrations -------------------------------------------------------------------------


@bp.route("/manage/events/<int:event_id>/registrations", methods=["GET"])
@token_limit
def list_registrations(event_id: int):
    who = caller(Scope.READ_REGISTRATIONS)
    event = _event(who, event_id)
    rows = db.session.scalars(
        db.select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ).all()
    present = attendance.attended_registration_ids(event.id)
    return _json({"items": [registration_json(r, r.id in present) for r in rows]})


@bp.route("/manage/registrations/<int:registration_id>", methods=["GET"])
@token_limit
def get_registration(registration_id: int):
    who = caller(Scope.READ_REGISTRATIONS)
    return _json(registration_json(_registration(who, registration_id)))


@bp.route("/manage/events/<int:event_id>/registrations", methods=["POST"])
@token_limit
def add_registration(event_id: int):
    who = caller(Scope.WRITE_REGISTRATIONS)
    event = _event(who, event_id)
    body = _body(("name", "email", "phone", "organisation", "locale", "placement", "notify"))
    name = _text(body, "name", 200, required=True)
    email = _email(body)
    locale = body.get("locale", event.language)
    if locale not in current_app.config["LANGUAGES"] and locale not in LANGUAGES:
        raise ApiError(422, _("Unknown language '%(value)s'.", value=locale), "locale")
    try:
        placement = Placement(body.get("placement", Placement.PLACE.value))
    except ValueError:
        raise ApiError(
            422, _("'placement' must be 'place' or 'place_or_waitlist'."), "placement"
        ) from None
    notify = _bool(body, "notify", True)
    data = SignupData(
        name=name,
        email=email,
        locale=locale,
        phone=_text(body, "phone", 50) or None,
        organisation_name=_text(body, "organisation", 200) or None,
    )

    def work() -> Answer:
        try:
            result = registrations_admin.add_by_hand(
                who.user, event, data, placement, notify=notify
            )
        except RegistrationRefused as refused:
            raise ApiError(409, refusal_message(refused.reason.value)) from None
        created = result.outcome == Outcome.CREATED
        reg = result.registration
        return Answer(201 if created else 200, registration_json(reg), _registration_url(reg))

    return post(who, work)


@bp.route("/manage/registrations/<int:registration_id>/cancel", methods=["POST"])
@token_limit
def cancel_registration(registration_id: int):
    who = caller(Scope.WRITE_REGISTRATIONS)
    reg = _registration(who, registration_id)
    body = _body(("notify",))
    notify = _bool(body, "notify", True)

    def work() -> Answer:
        try:
            registrations_admin.cancel_on_behalf(who.user, reg, notify=notify)
        except Refused as refused:
            raise ApiError(409, refused.message) from None
        return Answer(200, registration_json(reg))

    return post(who, work)


# --- attendance ----------------------------------------------------------------------------


@bp.route("/manage/events/<int:event_id>/attendance", methods=["POST"])
@token_limit
def record_attendance(event_id: int):
    who = caller(Scope.WRITE_ATTENDANCE)
    event = _event(who, event_id)
    body = _body(("registration_id",))
    registration_id = _integer(body, "registration_id", low=1, required=True)
    reg = db.session.get(Registration, registration_id)
    if reg is None or reg.event_id != event.id:
        raise ApiError(422, _("This event has no such registration."), "registration_id")

    def work() -> Answer:
        try:
            new = attendance.check_in(who.user, reg, via="api")
        except attendance.AttendanceRefused as refused:
            raise ApiError(409, refused.message) from None
        return Answer(
            201 if new else 200,
            {"event_id": event.id, "registration_id": reg.id, "present": True, "new": new},
        )

    return post(who, work)


@bp.route("/manage/events/<int:event_id>/headcounts", methods=["POST"])
@token_limit
def add_headcount(event_id: int):
    who = caller(Scope.WRITE_ATTENDANCE)
    event = _event(who, event_id)
    body = _body(("count", "note"))
    count = _integer(body, "count", low=0, required=True)
    note = _text(body, "note", 300)

    def work() -> Answer:
        try:
            headcount = attendance.add_headcount(who.user, event, count, note)
        except attendance.AttendanceRefused as refused:
            raise ApiError(409, refused.message) from None
        return Answer(
            201,
            {
                "id": headcount.id,
                "event_id": event.id,
                "count": headcount.count,
                "note": headcount.note,
                "recorded_at": headcount.recorded_at.isoformat(),
            },
        )

    return post(who, work)


# --- what the answers hold ------------------------------------------------------------------


def managed_event(event: Event) -> dict[str, Any]:
    """An event as its project's integration sees it (drafts included)."""
    taken = capacity.count_taken(event.id)
    return {
        "id": event.id,
        "uid": event.uid,
        "title": event.title,
        "kind": event.kind.value,
        "status": event.status.value,
        "sequence": event.sequence or 0,
        "start": event.local_start.isoformat(),
        "end": event.local_end.isoformat(),
        "timezone": event.timezone,
        "capacity": event.capacity,
        "seats_left": capacity.seats_left(event, taken),
        "updated_at": event.updated_at.isoformat(),
        "url": external_url("events.detail", event_id=event.id),
    }


def registration_json(reg: Registration, present: bool | None = None) -> dict[str, Any]:
    """A registration, for tokens allowed to read registrations (personal data: name and
    email, as the organiser's own list shows). ``present``: known already (a list)."""
    if present is None:
        present = reg.id in attendance.attended_registration_ids(reg.event_id)
    return {
        "id": reg.id,
        "event_id": reg.event_id,
        "status": reg.status.value,
        "name": reg.person.name,
        "email": reg.person.email,
        "created_at": reg.created_at.isoformat(),
        "present": present,
    }


def _json(body: dict):
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- reading the request ----------------------------------------------------------------


def _event(who: Caller, event_id: int) -> Event:
    """The event, if it belongs to the token's project; 404 otherwise (like the organiser
    pages, nobody learns what exists outside their scope)."""
    event = db.session.get(Event, event_id)
    if event is None or event.project_id != who.project_id:
        raise ApiError(404, _("This project has no event with this id."))
    return event


def _registration(who: Caller, registration_id: int) -> Registration:
    reg = db.session.get(Registration, registration_id)
    if reg is None or reg.event.project_id != who.project_id:
        raise ApiError(404, _("This project has no registration with this id."))
    return reg


def _event_url(event: Event) -> str:
    return external_url("api.get_managed_event", event_id=event.id)


def _registration_url(reg: Registration) -> str:
    return external_url("api.get_registration", registration_id=reg.id)


def _body(allowed: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object sent; unknown fields are refused, never ignored."""
    if not request.get_data():
        body: Any = {}
    else:
        body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(422, _("The body must be a JSON object."))
    for name in body:
        if name not in allowed:
            raise ApiError(
                422,
                _(
                    "Unknown field '%(name)s'. Known fields: %(known)s.",
                    name=name,
                    known=", ".join(allowed) or "-",
                ),
                name,
            )
    return body


def _text(body: dict, name: str, limit: int, *, required: bool = False) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(422, _("'%(name)s' must be a text.", name=name), name)
    if len(value) > limit or "\x00" in value:
        raise ApiError(
            422, _("'%(name)s' can be at most %(num)d characters.", name=name, num=limit), name
        )
    return value.strip()


def _email(body: dict) -> str:
    value = _text(body, "email", 254, required=True)
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ApiError(
            422, _("Please enter a valid email address, like name@example.fi."), "email"
        ) from None


def _bool(body: dict, name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(422, _("'%(name)s' must be true or false.", name=name), name)
    return value


def _integer(body: dict, name: str, *, low: int, required: bool = False) -> int | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= 2**31 - 1:
        raise ApiError(
            422,
            _("'%(name)s' must be a whole number of at least %(low)d.", name=name, low=low),
            name,
        )
    return value


def _moment(body: dict, name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(
            422,
            _(
                "'%(name)s' must be a date and time with its offset, like "
                "2030-06-01T18:00:00+03:00.",
                name=name,
            ),
            name,
        )
    return moment


def _event_fields(body: dict) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("title", "description", "venue", "address"):
        if name in body:
            fields[name] = _text(body, name, MAX_TEXT[name], required=name == "title")
    if "online_url" in body:
        url = _text(body, "online_url", MAX_TEXT["online_url"])
        if url and not url.startswith(("https://", "http://")):
            raise ApiError(422, _("Please give a full web address."), "online_url")
        fields["online_url"] = url or None
    if "kind" in body:
        try:
            fields["kind"] = EventKind(body["kind"])
        except ValueError:
            raise ApiError(
                422,
                _(
                    "Unknown kind '%(value)s'. Kinds: %(kinds)s.",
                    value=body["kind"],
                    kinds=", ".join(k.value for k in EventKind),
                ),
                "kind",
            ) from None
    if "timezone" in body:
        if body["timezone"] not in TIMEZONES:
            raise ApiError(
                422,
                _("'timezone' must be one of %(zones)s.", zones=", ".join(TIMEZONES)),
                "timezone",
            )
        fields["timezone"] = body["timezone"]
    if "language" in body:
        if body["language"] not in LANGUAGES:
            raise ApiError(
                422,
                _("'language' must be one of %(codes)s.", codes=", ".join(LANGUAGES)),
                "language",
            )
        fields["language"] = body["language"]
    for field, name in (
        ("starts_at", "start"),
        ("ends_at", "end"),
        ("registration_opens_at", "registration_opens_at"),
        ("registration_closes_at", "registration_closes_at"),
    ):
        if name in body:
            moment = _moment(body, name)
            if moment is None and field in ("starts_at", "ends_at"):
                raise ApiError(422, _("'%(name)s' is required.", name=name), name)
            fields[field] = moment
    if "capacity" in body:
        fields["capacity"] = _integer(body, "capacity", low=0)
        if fields["capacity"] is not None and fields["capacity"] > 100000:
            raise ApiError(422, _("'capacity' can be at most 100000."), "capacity")
    for name in ("waitlist_enabled", "requires_approval"):
        if name in body:
            fields[name] = _bool(body, name, False)
    if "municipality_id" in body:
        municipality_id = _integer(body, "municipality_id", low=1)
        if municipality_id is not None and db.session.get(Municipality, municipality_id) is None:
            raise ApiError(422, _("No municipality has this id."), "municipality_id")
        fields["municipality_id"] = municipality_id
    return fields


def _times_message(exc: ValueError) -> str:
    if isinstance(exc, NonexistentLocalTime):
        return _("A time falls in the hour the clocks skip in spring.")
    return _("The event must end after it starts.")
