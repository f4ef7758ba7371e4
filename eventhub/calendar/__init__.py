"""iCalendar feeds and single-event downloads, and the links pages offer to them."""

from flask import Blueprint

bp = Blueprint("calendar", __name__)

from eventhub.calendar import routes  # noqa: E402,F401
