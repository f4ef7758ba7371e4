"""The organiser workspace: events, registrations, attendance. Served under /organiser."""

from flask import Blueprint

bp = Blueprint("manage", __name__)

from eventhub.manage import (  # noqa: E402,F401
    attendance,
    data_requests,
    events,
    failed_mail,
    imports,
    organisations,
    questions,
    registrations,
    setup,
    users,
)
