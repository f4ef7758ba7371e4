from eventhub.core.labels import KIND_PLURALS
from eventhub.core.models import EventKind
from eventhub.events.routes import render_listing
from eventhub.hackathons import bp


@bp.route("/")
def index():
    return render_listing(EventKind.HACKATHON, str(KIND_PLURALS[EventKind.HACKATHON]))
