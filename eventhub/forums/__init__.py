"""The forums blueprint: forums over the shared event core."""

from flask import Blueprint

bp = Blueprint("forums", __name__)

from eventhub.forums import routes  # noqa: E402,F401
