"""Dates for tests that need a fixed day of the year (summer time, a daylight saving change)
yet must stay in the future: a year well ahead of today, never a year written down."""

from __future__ import annotations

from datetime import date, timedelta

from eventhub.core.db import utcnow

# Four years ahead: every day of it is in the future, and so are the next year's.
YEAR = utcnow().year + 4


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of a month: the EU's clocks change on those of March and October."""
    following = date(year + (month == 12), month % 12 + 1, 1)
    day = following - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)
