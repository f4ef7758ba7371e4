from flask import abort
from flask_babel import gettext as _

from eventhub.core.services import listing
from eventhub.events import bp
from eventhub.web import embedding
from eventhub.web.pages import render_event_page, render_listing


@bp.route("/")
def index():
    return render_listing(None, _("Upcoming events"))


@bp.route("/events/<int:event_id>")
def detail(event_id: int):
    event = listing.get_public_event(event_id) or abort(404)
    return render_event_page(event, embedded=embedding.wanted())
