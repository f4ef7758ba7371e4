"""The plain kinds: events with nothing beyond the shared core (a training, a network meeting,
a study trip, a mentoring or guidance session). Their pages are the shared event pages.

This is the fallback format: it serves every kind no other format claims, so a new format
takes a kind over with its own package and one registration line."""

from __future__ import annotations

from eventhub.core.services.formats import Format

FORMAT = Format(name="plain", kinds=frozenset(), fallback=True)
