"""Every organiser page on a phone: axe-core finds nothing and a screenshot is saved (in
English), no English is left when the page is in Latvian, and nothing scrolls sideways.

One translated language is enough here: that every message is translated in every catalog
is tests/test_translations.py's job; what this catches is English that never went through
gettext, the same in every language. The organiser journey checks its own pages in all four
languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eventhub.core.db import utcnow
from eventhub.core.models import EventKind, Municipality, Project
from eventhub.extensions import db
from tests.browser.support import ORGANISER_EMAIL, ORGANISER_PASSWORD, requires_chromium, t

pytestmark = requires_chromium

TITLES = ("Kylien digipäivä", "Kylähackathon", "Maaseutufoorumi")


@pytest.fixture(scope="module")
def organiser_events(site) -> dict[str, int]:
    from eventhub.core.services import registration

    ids = {
        "event": site.event(title=TITLES[0], kind=EventKind.TRAINING, venue="Kylätalo"),
        "hackathon": site.event(title=TITLES[1], kind=EventKind.HACKATHON, venue="Kylätalo"),
        "forum": site.event(title=TITLES[2], kind=EventKind.FORUM, venue="Kylätalo"),
        "past": site.event(
            title=TITLES[0], venue="Kylätalo", starts_at=utcnow() - timedelta(hours=1)
        ),
    }
    with site.app.test_request_context():
        for event_id in (ids["event"], ids["past"]):
            registration.register(
                event_id,
                registration.SignupData(name="Aino Mäkelä", email="aino@example.fi", locale="fi"),
            )
        ids["project"] = db.session.scalar(db.select(Project.id))
        ids["municipality"] = db.session.scalar(db.select(Municipality.id))
        db.session.commit()
    return ids


@pytest.mark.parametrize("locale", ["en", "lv"])
def test_organiser_pages(site, pages, organiser_events, locale):
    e, project = organiser_events["event"], organiser_events["project"]
    urls = {
        "org-events-past": "/organiser/?show=past",
        "org-event-edit": f"/organiser/events/{e}/edit",
        "org-questions": f"/organiser/events/{e}/questions",
        "org-registrations": f"/organiser/events/{e}/registrations",
        "org-add-registration": f"/organiser/events/{e}/registrations/new",
        "org-message": f"/organiser/events/{e}/registrations/message",
        "org-cancel-event": f"/organiser/events/{e}/cancel",
        "org-walk-in": f"/organiser/events/{e}/walk-in",
        "org-headcount": f"/organiser/events/{e}/headcount",
        "org-sheet": f"/organiser/events/{e}/sheet",
        "org-ticks": f"/organiser/events/{e}/ticks",
        "org-close": f"/organiser/events/{organiser_events['past']}/close",
        "org-hackathon": f"/hackathons/organiser/{organiser_events['hackathon']}",
        "org-forum": f"/forums/organiser/{organiser_events['forum']}",
        "org-series": "/workshops/organiser/series",
        "org-indicators-report": "/organiser/indicators/report",
        "org-guidance": f"/organiser/indicators/projects/{project}/guidance",
        "org-surveys": f"/organiser/indicators/projects/{project}/surveys",
        "org-projects": "/organiser/projects/",
        "org-project-edit": f"/organiser/projects/{project}/edit",
        "org-places": "/organiser/places/",
        "org-municipality": f"/organiser/places/{organiser_events['municipality']}",
        "org-organisations": "/organiser/organisations/?show=unconfirmed",
        "org-organisation-new": "/organiser/organisations/new",
        "org-users": "/organiser/users/",
        "org-invite": "/organiser/users/invite",
    }
    page = pages.open(locale)
    page.goto("/login")
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(ORGANISER_EMAIL)
    page.get_by_label(t(site, locale, "Password"), exact=True).fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name=t(site, locale, "Sign in"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your events"))

    # The signed-in account is called "Organiser" (from its address): the users page shows it.
    data = (*TITLES, "Aino Mäkelä", "aino@example.fi", "Kylätalo", site.project_name, "Organiser")
    found = []
    for name, url in urls.items():
        response = page.goto(url)
        if response.status != 200:
            found.append(f"{name} ({locale}): {url} answered {response.status}")
            continue
        english = locale == "en"
        found += pages.problems(page, name, locale, data=data, axe=english, screenshot=english)
    assert not found, "\n\n".join(found)
