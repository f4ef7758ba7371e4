"""What pages offer for calendars: subscribe and download links, add-to-Google/Outlook links,
and the ``<link rel="alternate" type="text/calendar">`` tags that let feeds be discovered.

:func:`calendar_links` and :func:`calendar_alternates` are template globals (see
``eventhub.web.init_web``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask_babel import get_locale
from flask_babel import gettext as _
from jinja2 import Undefined

from eventhub.core import labels
from eventhub.core.models import Event, EventKind, EventStatus
from eventhub.urls import external_url

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK_COMPOSE = "https://outlook.live.com/calendar/0/action/compose"
OUTLOOK_SUBSCRIBE = "https://outlook.live.com/calendar/0/addfromweb"
# Add-to-calendar links carry the description in the address; keep it within what browsers
# and both services accept.
DESCRIPTION_LIMIT = 1000


@dataclass(frozen=True)
class FeedLinks:
    """One subscribable feed, and the ways to add it."""

    title: str
    url: str  # https: for download, discovery and Outlook
    webcal: str  # the same feed for calendar applications that subscribe
    google: str
    outlook: str


@dataclass(frozen=True)
class EventLinks:
    """One event: download it, or add it to a web calendar, and the feeds it belongs to."""

    download: str
    google: str | None  # None for a cancelled event: nothing to add
    outlook: str | None
    feed: FeedLinks
    # The feeds of the organisations that run the event's project.
    organisations: tuple[FeedLinks, ...] = ()


def feed_links(endpoint: str, title: str, **values) -> FeedLinks:
    url = external_url(endpoint, lang=str(get_locale()), **values)
    webcal = urlunsplit(("webcal", *urlsplit(url)[1:]))
    return FeedLinks(
        title=title,
        url=url,
        webcal=webcal,
        google=f"{GOOGLE}?{urlencode({'cid': webcal})}",
        outlook=f"{OUTLOOK_SUBSCRIBE}?{urlencode({'url': url, 'name': title})}",
    )


def listing_feed(kind: EventKind | None) -> FeedLinks:
    if kind is None:
        return feed_links("calendar.all_events", _("All events"))
    title = str(labels.KIND_PLURALS.get(kind, labels.KIND_LABELS[kind]))
    return feed_links("calendar.kind", title, kind=kind.value)


def event_feed(event: Event) -> FeedLinks:
    """The feed to follow from an event page: its project's, else all events."""
    if event.project is not None:
        return feed_links("calendar.project", event.project.name, project_id=event.project.id)
    return listing_feed(None)


def organisation_feeds(event: Event) -> tuple[FeedLinks, ...]:
    """The feeds of the confirmed organisations that run the event's project."""
    if event.project is None:
        return ()
    return tuple(
        feed_links("calendar.organisation", org.name, organisation_id=org.id)
        for org in event.project.organisations
        if org.confirmed
    )


def event_links(event: Event) -> EventLinks:
    page = external_url("events.detail", event_id=event.id)
    details = (event.description or "").strip()
    if len(details) > DESCRIPTION_LIMIT:
        details = details[:DESCRIPTION_LIMIT].rstrip() + "…"
    details = f"{details}\n\n{page}".strip()
    location = ", ".join(p for p in (event.venue, event.address) if p) or (event.online_url or "")
    google = outlook = None
    if event.status != EventStatus.CANCELLED:
        utc = "%Y%m%dT%H%M%SZ"
        dates = f"{event.starts_at.astimezone(UTC):{utc}}/{event.ends_at.astimezone(UTC):{utc}}"
        google_query = {
            "action": "TEMPLATE",
            "text": event.title,
            "dates": dates,
            "details": details,
            "location": location,
            "ctz": event.timezone,
        }
        outlook_query = {
            "rru": "addevent",
            "subject": event.title,
            "startdt": event.local_start.isoformat(),
            "enddt": event.local_end.isoformat(),
            "body": details,
            "location": location,
        }
        google = f"{GOOGLE}?{urlencode(google_query)}"
        outlook = f"{OUTLOOK_COMPOSE}?{urlencode(outlook_query)}"
    return EventLinks(
        download=external_url("calendar.event_ics", event_id=event.id),
        google=google,
        outlook=outlook,
        feed=event_feed(event),
        organisations=organisation_feeds(event),
    )


def _given(value):
    return None if isinstance(value, Undefined) else value


def calendar_links(event: Event | None = None, kind: EventKind | None = None):
    """For templates: an event page gets :class:`EventLinks`, a listing :class:`FeedLinks`."""
    event, kind = _given(event), _given(kind)
    return event_links(event) if event is not None else listing_feed(kind)


def calendar_alternates(event: Event | None = None, kind: EventKind | None = None):
    """``(title, url)`` of the calendars a page stands for, for ``<link rel="alternate">``."""
    event, kind = _given(event), _given(kind)
    if event is not None:
        feed = event_feed(event)
        return [
            (event.title, external_url("calendar.event_ics", event_id=event.id)),
            (feed.title, feed.url),
            *((org.title, org.url) for org in organisation_feeds(event)),
        ]
    feeds = [listing_feed(kind)]
    if kind is not None:
        feeds.append(listing_feed(None))
    return [(feed.title, feed.url) for feed in feeds]
