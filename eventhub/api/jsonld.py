"""schema.org ``Event`` JSON-LD for event pages, so search engines and aggregators can read
them (https://schema.org/Event)."""

from __future__ import annotations

from typing import Any

from eventhub.api import bp
from eventhub.core.models import Event, EventStatus
from eventhub.core.services.capacity import Availability, EventAvailability
from eventhub.urls import external_url

SCHEMA = "https://schema.org/"

# Registration states that can be offered; closed, cancelled and unpublished events get no
# offer at all. Not yet open is InStock with a future validFrom, as search engines expect.
OFFER_AVAILABILITY = {
    Availability.OPEN: "InStock",
    Availability.NOT_YET_OPEN: "InStock",
    Availability.WAITLIST: "SoldOut",
    Availability.FULL: "SoldOut",
}


@bp.app_template_global()
def event_jsonld(event: Event, availability: EventAvailability) -> dict[str, Any]:
    """The event as a schema.org Event, in its own timezone."""
    url = external_url("events.detail", event_id=event.id)
    physical = bool(event.venue or event.address or event.municipality)
    online = bool(event.online_url)
    places: list[dict[str, Any]] = []
    if physical:
        places.append(_place(event))
    if online:
        places.append({"@type": "VirtualLocation", "url": event.online_url})
    mode = "Mixed" if physical and online else ("Online" if online else "Offline")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": event.description or "",
        "url": url,
        "startDate": event.local_start.isoformat(),
        "endDate": event.local_end.isoformat(),
        "eventStatus": SCHEMA
        + ("EventCancelled" if event.status == EventStatus.CANCELLED else "EventScheduled"),
        "eventAttendanceMode": f"{SCHEMA}{mode}EventAttendanceMode",
        "inLanguage": event.language,
        "isAccessibleForFree": True,
    }
    if places:
        data["location"] = places[0] if len(places) == 1 else places
    if event.project is not None:
        organizer: dict[str, Any] = {
            "@type": "Organization",
            "name": event.project.organiser or event.project.name,
        }
        if event.project.contact_email:
            organizer["email"] = event.project.contact_email
        data["organizer"] = organizer
    offered = OFFER_AVAILABILITY.get(availability.state)
    if offered is not None:
        offer: dict[str, Any] = {
            "@type": "Offer",
            "url": f"{url}#register",
            "price": "0",
            "priceCurrency": "EUR",
            "availability": SCHEMA + offered,
        }
        if event.registration_opens_at:
            offer["validFrom"] = event.registration_opens_at.astimezone(event.tz).isoformat()
        if event.registration_closes_at:
            offer["validThrough"] = event.registration_closes_at.astimezone(event.tz).isoformat()
        data["offers"] = offer
    return data


def _place(event: Event) -> dict[str, Any]:
    municipality = event.municipality
    address: dict[str, Any] = {"@type": "PostalAddress"}
    if event.address:
        address["streetAddress"] = event.address
    if municipality is not None:
        address["addressLocality"] = municipality.name
        address["addressRegion"] = municipality.region
        address["addressCountry"] = municipality.country.value
    place: dict[str, Any] = {"@type": "Place", "address": address}
    name = event.venue or (municipality.name if municipality else event.address)
    if name:
        place["name"] = name
    return place
