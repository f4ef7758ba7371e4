"""The organiser workspace: events, registrations, attendance. Served under /organiser."""

from flask import Blueprint

bp = Blueprint("manage", __name__)

from eventhub.manage import attendance, events, failed_mail, imports, registrations  # noqa: E402,F401
