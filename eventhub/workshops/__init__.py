"""The workshops blueprint: workshop series over the shared event core."""

from flask import Blueprint

bp = Blueprint("workshops", __name__)

from eventhub.workshops import routes  # noqa: E402,F401
from eventhub.workshops.format import FORMAT  # noqa: E402,F401
