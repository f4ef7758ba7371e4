"""The forums blueprint: a programme with parallel discussion groups, over the shared core."""

from flask import Blueprint

bp = Blueprint("forums", __name__)

from eventhub.forums import routes  # noqa: E402,F401
from eventhub.forums.format import FORMAT  # noqa: E402,F401
