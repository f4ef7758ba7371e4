"""The check-in app for the door: an installable web app that keeps taking attendance when
the network goes, and the sync API it talks to. Served under /door (the service worker's
scope). The rules live in eventhub.core.services.door."""

from flask import Blueprint

bp = Blueprint("door", __name__)

from eventhub.door import routes  # noqa: E402,F401
