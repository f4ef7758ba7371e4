"""Every calendar a public page offers answers: a crawl from the home page, as a visitor (or
a feed reader discovering feeds) would follow it, from an empty database and the data this
test creates."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

from eventhub.core.models import EventKind, EventStatus
from eventhub.core.services import organisations
from eventhub.extensions import db
from tests import factories

SITE = "http://eventhub.test"
PAGE_LIMIT = 120


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.alternates: list[str] = []
        self.anchors: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "link" and found.get("rel") == "alternate" and found.get("href"):
            self.alternates.append(found["href"])
        if tag == "a" and found.get("href"):
            self.anchors.append(found["href"])


def _calendar_addresses(href: str) -> list[str]:
    """The feed addresses behind a link: itself, or the one a web calendar is handed."""
    parts = urlsplit(href)
    if parts.scheme == "webcal":
        return ["http:" + href.removeprefix("webcal:")]
    if parts.netloc in ("calendar.google.com", "outlook.live.com"):
        query = parse_qs(parts.query)
        return [
            _calendar_addresses(value)[0] if value.startswith("webcal:") else value
            for key in ("cid", "url")
            for value in query.get(key, [])
        ]
    return [href] if parts.path.startswith("/calendar/") else []


def _local(href: str) -> str | None:
    parts = urlsplit(urljoin(SITE + "/", href))
    if f"{parts.scheme}://{parts.netloc}" != SITE:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_every_feed_and_calendar_link_on_public_pages_answers(client):
    joint = factories.project(
        code="2024.LV/NVOF/MAC/003",
        name="Gulbenes apkaimes",
        organiser="Gulbenes novada pašvaldība un Biedrība Zaļā ceļa",
    )
    solo = factories.project(code="KANTO", organiser="Pohjois-Karjalan Sosiaaliturvayhdistys ry")
    for project in (joint, solo):
        organisations.run_by(project, organisations.names_in(project.organiser))
    gulbene = factories.municipality("Gulbene", region="Vidzeme", country="LV")
    for i, kind in enumerate(EventKind):
        factories.event(
            title=f"{kind.value} {i}",
            kind=kind,
            project=(joint, solo, None)[i % 3],
            municipality=gulbene if i % 2 else None,
            timezone="Europe/Riga" if i % 3 == 0 else "Europe/Helsinki",
        )
    factories.event(title="Cancelled", project=joint, status=EventStatus.CANCELLED)
    db.session.commit()
    assert [o.name for o in joint.organisations] == [
        "Biedrība Zaļā ceļa",
        "Gulbenes novada pašvaldība",
    ]

    queue, seen_pages, calendars, offered_by = ["/"], set(), set(), {}
    while queue and len(seen_pages) < PAGE_LIMIT:
        path = queue.pop(0)
        if path in seen_pages:
            continue
        seen_pages.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        if response.mimetype != "text/html":
            continue
        page = _Page()
        page.feed(response.get_data(as_text=True))
        for href in page.alternates + page.anchors:
            for address in _calendar_addresses(href):
                calendars.add(address)
                offered_by.setdefault(address, path)
        for href in page.anchors:
            local = _local(href)
            skip = ("/calendar/", "/organiser", "/login", "/manage", "/language/")
            if local and not local.startswith(skip) and "page=" not in local:
                queue.append(local)

    assert len(seen_pages) > len(EventKind), seen_pages  # every event page was reached
    kinds = {urlsplit(c).path.split("/")[2] for c in calendars}
    assert {"all.ics", "kind", "projects", "organisation", "events"} <= kinds, kinds
    for address in sorted(calendars):
        local = _local(address)
        assert local, address
        response = client.get(local)
        assert response.status_code == 200, (address, offered_by[address], response.status_code)
        assert response.mimetype == "text/calendar"
        assert b"BEGIN:VEVENT" in response.data, address
    organisation_feeds = [c for c in calendars if "/organisation/" in c]
    assert len({urlsplit(c).path for c in organisation_feeds}) == 3
