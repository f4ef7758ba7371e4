"""Public listing and event pages, shared by every kind of event."""

from flask import Blueprint

bp = Blueprint("events", __name__)

from eventhub.events import routes  # noqa: E402,F401
from eventhub.events.format import FORMAT as PLAIN_FORMAT  # noqa: E402,F401
