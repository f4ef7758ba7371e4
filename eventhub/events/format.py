"""The plain kinds: events with nothing beyond the shared core (a training, a network meeting,
a study trip, a mentoring or guidance session). Their pages are the shared event pages."""

from __future__ import annotations

from eventhub.core.models import EventKind
from eventhub.core.services.formats import Format

FORMAT = Format(
    name="plain",
    kinds=frozenset(
        {
            EventKind.TRAINING,
            EventKind.NETWORK_MEETING,
            EventKind.STUDY_TRIP,
            EventKind.MENTORING,
            EventKind.GUIDANCE,
        }
    ),
)
