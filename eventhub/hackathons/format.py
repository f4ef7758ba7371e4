"""The hackathon format: teams, challenges, initiatives and mentoring over the shared core."""

from __future__ import annotations

from eventhub.core.models import Event, EventKind, Registration
from eventhub.core.services import hackathons, listing
from eventhub.core.services.formats import Format, PagePart
from eventhub.hackathons import bp
from eventhub.hackathons.forms import add_signup_fields


def hackathon_of(event: Event) -> Event | None:
    """The public hackathon an event belongs to (preparatory, follow-up, mentoring)."""
    if event.parent_event_id is None:
        return None
    parent = listing.get_public_event(event.parent_event_id)
    return parent if parent is not None and parent.kind == EventKind.HACKATHON else None


def event_page(event: Event) -> PagePart | None:
    """A hackathon's page links to its teams; an event of a hackathon links to it."""
    if event.kind == EventKind.HACKATHON:
        return PagePart("hackathons/_event.html", event)
    parent = hackathon_of(event)
    return PagePart("hackathons/_event.html", parent) if parent is not None else None


def manage_page(registration: Registration, token: str) -> PagePart | None:
    if registration.event.kind != EventKind.HACKATHON:
        return None
    return PagePart("hackathons/_manage.html")


FORMAT = Format(
    name="hackathon",
    kinds=frozenset({EventKind.HACKATHON}),
    blueprint=bp,
    url_prefix="/hackathons",
    after_register=hackathons.after_register,
    signup_fields=add_signup_fields,
    event_page=event_page,
    manage_page=manage_page,
)
