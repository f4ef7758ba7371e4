"""An organiser on a phone signs in, creates and publishes an event, checks a participant in
at the door and looks at the project's indicators: in English, Finnish, Latvian and Estonian.

Every page on the way is checked with axe-core, for English left on translated pages, for
sideways scrolling, and saved as a screenshot in test-artifacts/browser/.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eventhub.core.db import utcnow
from eventhub.extensions import db
from tests.browser.support import (
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    PHONE,
    requires_chromium,
    t,
)

pytestmark = requires_chromium


def register_participant(site, event_id: int, name: str, locale: str) -> None:
    """Someone registers for the event (the participant journey tests the form itself)."""
    from eventhub.core.services import registration

    with site.app.test_request_context():
        email = name.split()[0].lower() + "@example.lv"
        registration.register(
            event_id, registration.SignupData(name=name, email=email, locale=locale)
        )
        db.session.commit()


@pytest.fixture(scope="module")
def held_event(site):
    """An event that took place last week, with a walk-in, closed: the indicators count it."""
    from eventhub.core.models import Event, User
    from eventhub.core.services import attendance

    event_id = site.event(
        title="Kylätalon kevätkokous", starts_at=utcnow().replace(microsecond=0) - timedelta(days=7)
    )
    with site.app.test_request_context():
        user = db.session.scalar(db.select(User).where(User.email == ORGANISER_EMAIL))
        event = db.session.get(Event, event_id)
        attendance.add_walk_in(user, event, "Mikko Virtanen")
        attendance.close_event(user, event)
        db.session.commit()
    return event_id


@pytest.mark.parametrize("locale", ["en", "fi", "lv", "et"])
def test_organiser_creates_publishes_and_checks_in_at_the_door(site, pages, held_event, locale):
    title = f"Ciema nākotnes darbnīca ({locale})"
    participant = "Līga Ozoliņa"
    data = (title, participant, site.project_name, site.municipality, "Tautas nams", "Europe/Riga")

    page = pages.open(locale, viewport=PHONE)
    page.goto("/login")
    pages.check(page, "sign-in", locale, data=data)
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(ORGANISER_EMAIL)
    page.get_by_label(t(site, locale, "Password"), exact=True).fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name=t(site, locale, "Sign in"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your events"))
    pages.check(page, "organiser-events", locale, data=data)

    page.get_by_role("link", name=t(site, locale, "New event"), exact=True).click()
    save = page.get_by_role("button", name=t(site, locale, "Save"), exact=True)
    save.click()  # nothing filled in: the form comes back with its errors
    expect(page.locator("#error-summary")).to_be_focused()
    pages.check(page, "event-form-errors", locale, data=data)

    starts = (utcnow() + timedelta(days=21)).strftime("%Y-%m-%dT18:00")
    ends = starts[:-5] + "20:00"
    page.get_by_label(t(site, locale, "Title"), exact=True).fill(title)
    page.get_by_label(t(site, locale, "Kind of event"), exact=True).select_option("workshop")
    page.get_by_label(t(site, locale, "Timezone"), exact=True).select_option("Europe/Riga")
    page.get_by_label(t(site, locale, "Starts"), exact=True).fill(starts)
    page.get_by_label(t(site, locale, "Ends"), exact=True).fill(ends)
    page.get_by_label(t(site, locale, "Venue"), exact=True).fill("Tautas nams")
    page.get_by_label(t(site, locale, "Language of the event"), exact=True).select_option("lv")
    page.get_by_label(t(site, locale, "Places"), exact=True).fill("30")
    save.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    pages.check(page, "organiser-event-draft", locale, data=data)

    page.get_by_role("button", name=t(site, locale, "Publish"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        t(site, locale, "The event is published: people can find it and register.")
    )
    pages.check(page, "organiser-event", locale, data=data)
    event_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # At the door, from the event's page.
    register_participant(site, event_id, participant, locale)
    page.reload()
    page.get_by_role("link", name=t(site, locale, "Check-in"), exact=True).click()
    expect(page).to_have_url(f"{site.url}/organiser/events/{event_id}/checkin")
    row = page.locator(".door-row", has_text=participant)
    pages.check(page, "checkin", locale, data=data)
    # The buttons are named "Present: <name>" (the name is visually hidden); one per row.
    row.get_by_role("button", name=t(site, locale, "Present")).click()
    expect(row.get_by_role("button", name=t(site, locale, "Undo"))).to_be_visible()
    expect(page.locator("[data-count=present]")).to_have_text("1")
    pages.check(page, "checkin-done", locale, data=data)

    # The mark was saved, not only shown: a reload still counts the participant present.
    page.reload()
    expect(page.locator("[data-count=present]")).to_have_text("1")

    # The project's indicators: last week's closed event counts as held.
    page.get_by_role("link", name=t(site, locale, "Indicators"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Indicators"))
    pages.check(page, "indicators", locale, data=(*data, "Kylätalon kevätkokous"))
