"""The hackathons blueprint: hackathons over the shared event core."""

from flask import Blueprint

bp = Blueprint("hackathons", __name__)

from eventhub.hackathons import routes  # noqa: E402,F401
from eventhub.hackathons.format import FORMAT  # noqa: E402,F401
