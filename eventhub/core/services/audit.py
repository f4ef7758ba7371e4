"""The audit log: one row for every change an organiser makes."""

from __future__ import annotations

from flask import g, has_app_context
from flask_login import current_user

from eventhub.core.models import AuditEntry, Event
from eventhub.extensions import db


def record(
    action: str,
    *,
    event: Event | None = None,
    obj: object | None = None,
    user=None,
    **details,
) -> None:
    """Add an entry to the current transaction (it is kept only if the change is).

    ``details`` must hold no personal data beyond ids: the log outlives retention. A change
    made through an API token (``g.api_token_id``, set by the API) names the token too.
    """
    user = user if user is not None else current_user
    if has_app_context() and g.get("api_token_id") is not None:
        details = {**details, "api_token_id": g.api_token_id}
    db.session.add(
        AuditEntry(
            user_id=user.id if getattr(user, "is_authenticated", False) else None,
            action=action,
            event_id=event.id if event is not None else None,
            object_type=type(obj).__name__.lower() if obj is not None else "",
            object_id=getattr(obj, "id", None),
            details=details,
        )
    )
