"""The JSON API (``/api/v1``): public events read by anyone, a project's events,
registrations and attendance written with its API tokens; its OpenAPI document, and
schema.org JSON-LD."""

from flask import Blueprint

from eventhub.extensions import csrf

bp = Blueprint("api", __name__)
# Nothing here is authorised by a cookie: the write routes take a bearer token, which a
# cross-site form cannot send, so there is no request to forge.
csrf.exempt(bp)

from eventhub.api import jsonld, routes, write  # noqa: E402,F401
