"""Indicators: the organiser dashboard, reports and exports, the guidance log, surveys.

Routes carry their full paths: the organiser pages live under /organiser/indicators, the
participant's survey form under /survey.
"""

from flask import Blueprint

bp = Blueprint("indicators", __name__)

from eventhub.indicators import (  # noqa: E402,F401
    annex,
    followups,
    guidance,
    routes,
    surveys,
    volunteers,
)
