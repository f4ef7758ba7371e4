"""Liveness for load balancers and monitoring.

503 only for what should take this node out of the pool: the database does not answer. A mail
backlog is reported (count and age of the oldest message) but never fails the check: every
node shares the one outbox, so taking nodes out would not send a single message sooner.
"""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from eventhub.core.services import failed_mail
from eventhub.extensions import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="degraded", database="unavailable", outbox=None), 503
    return jsonify(status="ok", database="ok", outbox=_outbox()), 200


def _outbox() -> dict | None:
    """The backlog, or None when it cannot be read (not migrated yet): reported, never fatal."""
    try:
        return failed_mail.backlog().as_json()
    except SQLAlchemyError:
        db.session.rollback()
        return None
