"""Integrations: a project's API tokens, webhooks and embedding settings (organiser pages
under /organiser/projects/<id>/integrations), and the embeddable widget (/embed/...)."""

from flask import Blueprint

bp = Blueprint("integrations", __name__)

from eventhub.integrations import embed, pages  # noqa: E402,F401
