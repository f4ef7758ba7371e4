"""The workshop format: workshops, and series of sessions with participation certificates.

A session of a series is an ordinary event; the series shows on the page of each session,
whatever its kind."""

from __future__ import annotations

from eventhub.core.models import Event, EventKind, Registration, WorkshopSeries
from eventhub.core.services import workshops
from eventhub.core.services.formats import Format, PagePart
from eventhub.extensions import db
from eventhub.workshops import bp


def event_page(event: Event) -> PagePart | None:
    """On a session's page: the series it belongs to."""
    series = db.session.get(WorkshopSeries, event.series_id) if event.series_id else None
    return PagePart("workshops/_event.html", series) if series is not None else None


def manage_page(registration: Registration, token: str) -> PagePart | None:
    """The series' other sessions and the participant's certificate."""
    if not registration.event.series_id:
        return None
    return PagePart("workshops/_manage.html", workshops.certificate_token(registration))


def after_publish(event: Event) -> None:
    """A session published after being added to its series as a draft: those enrolled in
    the whole series are registered for it too."""
    series = db.session.get(WorkshopSeries, event.series_id) if event.series_id else None
    if series is not None:
        workshops.enrol_in_new_sessions(series, [event])


FORMAT = Format(
    name="workshop",
    kinds=frozenset({EventKind.WORKSHOP}),
    blueprint=bp,
    url_prefix="/workshops",
    event_page=event_page,
    manage_page=manage_page,
    after_publish=after_publish,
)
