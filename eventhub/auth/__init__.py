"""Organiser sign-in, sign-out and password reset. There is no public sign-up."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from eventhub.auth import routes  # noqa: E402,F401
