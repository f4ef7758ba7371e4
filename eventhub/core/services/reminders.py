"""Reminders before an event: each participant gets one, however often the command runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import Event, EventStatus, Registration, RegistrationStatus
from eventhub.core.services import messages
from eventhub.extensions import db


def queue_reminders(hours_before: int) -> int:
    """Queue reminders for published events starting within ``hours_before`` hours.

    Each event is claimed under its row lock and marked as reminded in the same transaction
    as its messages, so concurrent or repeated runs never remind twice. Returns how many
    messages were queued. The caller commits.
    """
    now = utcnow()
    begin_write(db.session)
    events = db.session.scalars(
        select(Event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.reminder_sent_at.is_(None),
            Event.starts_at > now,
            Event.starts_at <= now + timedelta(hours=hours_before),
        )
        .order_by(Event.starts_at)
        .with_for_update(skip_locked=True)
    ).all()
    queued = 0
    for event in events:
        registrations = db.session.scalars(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        for registration in registrations:
            messages.reminder(registration)
            queued += 1
        event.reminder_sent_at = now
    db.session.flush()
    return queued
