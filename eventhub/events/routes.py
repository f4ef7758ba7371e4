from flask import abort, render_template, request
from flask_babel import gettext as _

from eventhub.core.models import EventKind
from eventhub.core.services import capacity, listing
from eventhub.events import bp


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


@bp.route("/")
def index():
    return render_listing(None, _("Upcoming events"))


def render_event_page(event, form=None, status: int = 200, refusal: str | None = None):
    """The event page with its signup form; the registration blueprint re-renders it with
    the errors of a submitted form, or with the reason a registration was refused."""
    from eventhub.registration.forms import build_form

    return render_template(
        "events/detail.html",
        event=event,
        form=form or build_form(event),
        availability=capacity.availability(event, capacity.count_taken(event.id)),
        refusal=refusal,
    ), status


@bp.route("/events/<int:event_id>")
def detail(event_id: int):
    event = listing.get_public_event(event_id) or abort(404)
    return render_event_page(event)
