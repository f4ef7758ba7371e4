from flask import abort, render_template
from flask_babel import gettext as _

from eventhub.core.models import EventKind
from eventhub.core.services import capacity, listing
from eventhub.events import bp


def render_listing(kind: EventKind | None, heading: str):
    """The listing page every kind's blueprint shows, filtered by kind."""
    events = listing.upcoming_events(kind)
    return render_template(
        "events/list.html",
        events=events,
        availability=capacity.availability_many(events),
        heading=heading,
        kind=kind,
    )


@bp.route("/")
def index():
    return render_listing(None, _("Upcoming events"))


@bp.route("/events/<int:event_id>")
def detail(event_id: int):
    event = listing.get_public_event(event_id)
    if event is None:
        abort(404)
    return render_template(
        "events/detail.html",
        event=event,
        availability=capacity.availability(event, capacity.count_taken(event.id)),
    )
