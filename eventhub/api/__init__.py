"""The read-only JSON API (``/api/v1``), its OpenAPI document, and schema.org JSON-LD."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from eventhub.api import jsonld, routes  # noqa: E402,F401
