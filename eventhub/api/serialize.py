"""Events as the API shows them; the OpenAPI document (openapi.py) describes exactly this."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from eventhub.core.models import Event
from eventhub.core.services import formats
from eventhub.core.services.capacity import EventAvailability
from eventhub.core.services.search import EventPage
from eventhub.urls import external_url


def event_json(
    event: Event,
    availability: EventAvailability,
    format_fields: dict[str, object] | None = None,
) -> dict[str, Any]:
    """One event. Times are ISO 8601 in the event's own timezone, with its offset.
    ``format_fields`` (what the formats add, such as a forum's programme) is given by
    listings, which read all their events' fields at once."""
    if format_fields is None:
        format_fields = formats.api_fields([event])[event.id]
    url = external_url("events.detail", event_id=event.id)
    municipality = event.municipality
    project = event.project
    return {
        "id": event.id,
        "uid": event.uid,
        "title": event.title,
        "description": event.description or "",
        "kind": event.kind.value,
        "status": event.status.value,
        "start": event.local_start.isoformat(),
        "end": event.local_end.isoformat(),
        "timezone": event.timezone,
        "language": event.language,
        "venue": event.venue or None,
        "address": event.address or None,
        "online_url": event.online_url or None,
        "municipality": (
            {
                "id": municipality.id,
                "name": municipality.name,
                "region": municipality.region,
                "country": municipality.country.value,
            }
            if municipality is not None
            else None
        ),
        "project": (
            {
                "id": project.id,
                "code": project.code,
                "name": project.name,
                "organiser": project.organiser or None,
            }
            if project is not None
            else None
        ),
        "capacity": event.capacity,
        "seats_left": availability.seats_left,
        "availability": availability.state.value,
        "registration_opens_at": _local(event.registration_opens_at, event),
        "registration_closes_at": _local(event.registration_closes_at, event),
        "updated_at": event.updated_at.isoformat(),
        "url": url,
        "ical_url": external_url("calendar.event_ics", event_id=event.id),
        "registration_url": f"{url}#register",
        **format_fields,
    }


def event_list(result: EventPage, args: MultiDict) -> dict[str, Any]:
    """A page of events with where it is in the whole result and links to its neighbours."""
    filters = {k: v for k, v in args.items() if k != "page"}

    def page_url(page: int) -> str:
        return external_url("api.events", **filters, page=page)

    last = result.pages
    fields = formats.api_fields(result.items)
    return {
        "items": [event_json(e, result.availability[e.id], fields[e.id]) for e in result.items],
        "meta": {
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "pages": last,
        },
        "links": {
            "self": page_url(result.page),
            "first": page_url(1),
            "prev": page_url(min(result.page - 1, last)) if result.page > 1 else None,
            "next": page_url(result.page + 1) if result.page < last else None,
            "last": page_url(last),
        },
    }


def _local(moment: datetime | None, event: Event) -> str | None:
    return moment.astimezone(event.tz).isoformat() if moment is not None else None
