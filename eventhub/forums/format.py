"""The forum format: a programme with parallel discussion groups (forums, info sessions)."""

from __future__ import annotations

from eventhub.core.models import Event, Registration
from eventhub.core.services import forums
from eventhub.core.services.formats import Format, PagePart
from eventhub.forums import bp
from eventhub.forums.forms import add_signup_fields


def programme_of(event: Event) -> dict | None:
    """The programme and group places of an event; None when it has none."""
    items = forums.programme(event.id)
    if not items:
        return None
    return {"items": items, "places": forums.group_places(items)}


def event_page(event: Event) -> PagePart | None:
    if event.kind not in forums.PROGRAMME_KINDS:
        return None
    return PagePart("forums/_event.html", programme_of(event))


def manage_page(registration: Registration, token: str) -> PagePart | None:
    event = registration.event
    if event.kind not in forums.PROGRAMME_KINDS or not forums.programme(event.id):
        return None
    return PagePart("forums/_manage.html")


def api_fields(events):
    return {
        event_id: {"programme": programme}
        for event_id, programme in forums.programmes_json(events).items()
    }


FORMAT = Format(
    name="forum",
    kinds=frozenset(forums.PROGRAMME_KINDS),
    blueprint=bp,
    url_prefix="/forums",
    after_register=forums.after_register,
    signup_fields=add_signup_fields,
    event_page=event_page,
    manage_page=manage_page,
    calendar_text=forums.programme_text,
    calendar_sessions=forums.calendar_sessions,
    api_fields=api_fields,
)
