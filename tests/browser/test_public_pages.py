"""Every public page a participant may land on, in every language: axe-core finds nothing
and a screenshot is saved (English pages; the journeys do both in every language), no
English is left on the translated pages, and nothing scrolls sideways on a phone."""

from __future__ import annotations

import pytest

from eventhub.core.models import EventKind
from tests.browser.support import requires_chromium

pytestmark = requires_chromium

TITLES = ("Kylähackathon 2026", "Maaseutufoorumi", "Digityöpaja")


@pytest.fixture(scope="module")
def public_events(site) -> dict[str, int]:
    return {
        "hackathon": site.event(title=TITLES[0], kind=EventKind.HACKATHON, venue="Kylätalo"),
        "forum": site.event(title=TITLES[1], kind=EventKind.FORUM, venue="Kylätalo"),
        "workshop": site.event(title=TITLES[2], kind=EventKind.WORKSHOP, venue="Kylätalo"),
    }


@pytest.mark.parametrize("locale", ["en", "fi", "lv", "et"])
def test_public_pages(site, pages, public_events, locale):
    urls = {
        "home": "/",
        "workshops": "/workshops/",
        "hackathons": "/hackathons/",
        "forums": "/forums/",
        "hackathon-event": f"/events/{public_events['hackathon']}",
        "forum-event": f"/events/{public_events['forum']}",
        "workshop-event": f"/events/{public_events['workshop']}",
        "privacy": "/privacy",
        "sign-in-forgot": "/password/forgot",
        "not-found": "/no-such-page",
    }
    page = pages.open(locale)
    data = (*TITLES, "Kylätalo", site.project_name, site.municipality)
    found = []
    for name, url in urls.items():
        page.goto(url)
        english = locale == "en"
        found += pages.problems(page, name, locale, data=data, axe=english, screenshot=english)
    assert not found, "\n\n".join(found)
