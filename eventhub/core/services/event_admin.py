"""What organisers do to events: create, edit, duplicate, publish, cancel (their questions:
:mod:`eventhub.core.services.questions`).

Edits go through :func:`eventhub.core.services.events.update_event`, the one place that
decides when calendars must replace their copy. When an edit changes the time, place or
status of an event people have registered for, each of them is mailed the new details with
the new calendar file. More places fill from the waiting list at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Event,
    EventQuestion,
    EventStatus,
    Registration,
    User,
)
from eventhub.core.services import audit, capacity, formats, messages, webhooks
from eventhub.core.services.errors import Refused
from eventhub.core.services.events import EDITABLE_FIELDS, check_times, update_event
from eventhub.core.services.registration import ACTIVE, fill_from_waitlist, lock_event
from eventhub.extensions import db


def create_event(user: User, **fields: Any) -> Event:
    """A new event, as a draft. The caller commits. Raises ``ValueError`` (see
    :func:`events.check_times`) for times that cannot be, before anything is written."""
    check_times(fields)
    event = Event(status=EventStatus.DRAFT, **fields)
    db.session.add(event)
    db.session.flush()
    audit.record("event_created", event=event, obj=event, user=user)
    return event


class CapacityBelowTaken(Refused, ValueError):
    """The new number of places is smaller than the places people already hold."""

    def __init__(self, taken: int):
        super().__init__(taken)
        self.taken = taken


def save_event(user: User, event: Event, **changes: Any) -> bool:
    """Apply an organiser's edit; returns whether registrants were told of a change.

    Raises :class:`CapacityBelowTaken` rather than leave the event over its capacity: places
    people hold are given back by cancelling or rejecting them, never by an edit.
    """
    lock_event(event.id)  # places may change: no registration slips in meanwhile
    new_capacity = changes.get("capacity", event.capacity)
    if new_capacity is not None:
        taken = capacity.count_taken(event.id)
        if new_capacity < taken:
            raise CapacityBelowTaken(taken)
    significant = update_event(event, **changes)
    audit.record("event_edited", event=event, obj=event, user=user, fields=sorted(changes))
    if event.status != EventStatus.DRAFT:
        webhooks.emit(webhooks.Action.EVENT_CHANGED, event)
    fill_from_waitlist(event)
    if significant and event.status != EventStatus.DRAFT:
        for registration in _active_registrations(event):
            messages.event_changed(registration)
        return True
    return False


class PublishingPastEvent(Refused):
    """The event's start has passed: publishing it needs the organiser's confirmation."""


def publish(user: User, event: Event, *, past_confirmed: bool = False) -> None:
    """Publish a draft. An event whose start has passed is published only when the
    organiser has confirmed it (:class:`PublishingPastEvent` otherwise): usually the date
    is wrong, sometimes an event is put online afterwards for its records."""
    if event.status == EventStatus.DRAFT and event.starts_at <= utcnow() and not past_confirmed:
        raise PublishingPastEvent(event.id)
    if event.status == EventStatus.DRAFT:
        update_event(event, status=EventStatus.PUBLISHED)
        audit.record("event_published", event=event, obj=event, user=user)
        webhooks.emit(webhooks.Action.EVENT_PUBLISHED, event)
        formats.after_publish(event)


def cancel(user: User, event: Event) -> int:
    """Cancel the event and tell everyone registered. Returns how many were told."""
    lock_event(event.id)
    if event.status == EventStatus.CANCELLED:
        return 0
    update_event(event, status=EventStatus.CANCELLED)
    audit.record("event_cancelled", event=event, obj=event, user=user)
    webhooks.emit(webhooks.Action.EVENT_CANCELLED, event)
    told = 0
    for registration in _active_registrations(event):
        messages.event_cancelled(registration)
        told += 1
    return told


def duplicate(user: User, event: Event) -> Event:
    """A draft copy with the same details and questions, for the next time."""
    # Everything an organiser edits, except the status: the copy starts as a draft.
    copy = Event(
        status=EventStatus.DRAFT,
        **{name: getattr(event, name) for name in EDITABLE_FIELDS - {"status"}},
    )
    copies = {
        q.id: EventQuestion(
            position=q.position,
            label=q.label,
            help_text=q.help_text,
            type=q.type,
            required=q.required,
            choices=list(q.choices),
            condition_answers=list(q.condition_answers or []),
            translations=dict(q.translations or {}),
        )
        for q in event.questions
    }
    for q in event.questions:  # a copy depends on the copy of the question the original did
        if q.condition_question_id in copies:
            copies[q.id].condition_question = copies[q.condition_question_id]
        else:
            copies[q.id].condition_answers = []
    copy.questions = list(copies.values())
    db.session.add(copy)
    db.session.flush()
    audit.record("event_duplicated", event=copy, obj=copy, user=user, source_event_id=event.id)
    return copy


def _active_registrations(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE))
            .order_by(Registration.id)
        )
    )
