"""Signup form and the manage-my-registration link."""

from flask import Blueprint

bp = Blueprint("registration", __name__)

from eventhub.registration import my_data, routes  # noqa: E402,F401
