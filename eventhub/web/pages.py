"""The pages every kind of event shares: the listing and the event page with its signup form.

Format blueprints show their own listing with :func:`render_listing`; the registration
blueprint re-renders the event page with a submitted form's errors.
"""

from __future__ import annotations

from flask import render_template, request

from eventhub.core.models import EventKind
from eventhub.core.services import capacity, formats, listing
from eventhub.web.signup_forms import build_form


def render_listing(kind: EventKind | None, heading: str):
    """The listing page every kind's blueprint shows, filtered by kind, a page at a time
    (a phone on a slow connection should not load a year of events)."""
    page = request.args.get("page", 1, type=int)
    events, more = listing.upcoming_events(kind, page=page)
    return render_template(
        "events/list.html",
        events=events,
        availability=capacity.availability_many(events),
        heading=heading,
        kind=kind,
        page=page,
        more=more,
    )


def render_event_page(event, form=None, status: int = 200, refusal: str | None = None):
    """The event page with its signup form, with the errors of a submitted form or the
    reason a registration was refused; the formats add their parts (series, hackathon,
    programme) through the registry."""
    return render_template(
        "events/detail.html",
        event=event,
        form=form or build_form(event),
        availability=capacity.availability(event, capacity.count_taken(event.id)),
        refusal=refusal,
        format_parts=formats.event_page_parts(event),
    ), status
