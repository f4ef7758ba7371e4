"""The participant's and the door's phone journey at 360 px (issue 14), in every language,
with and without JavaScript: the register button and the first check-in row are on the first
screen (inside the first 800 px), the page after signing up says what the participant got,
and axe-core finds nothing. Screenshots of the three pages are kept in test-artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from eventhub.extensions import db
from tests.browser.support import (
    ARTIFACTS,
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    requires_chromium,
    t,
    wait_for_mail,
)
from tests.helpers import manage_link

pytestmark = requires_chromium

FIRST_SCREEN = 800  # px from the top of the page
LOCALES = ["fi", "lv", "et", "en"]
# A realistic long title and description: the layout must hold with them, not with "Test".
TITLE = "Kylätalon tulevaisuuspaja: miten kehitämme kylän palveluja yhdessä ({})"
DESCRIPTION = "Tule mukaan ideoimaan kylän palveluja. " * 30


def _bottom(page, locator) -> float:
    box = locator.bounding_box()
    assert box is not None, locator
    return box["y"] + box["height"]


def _signup(site, event_id: int, name: str, email: str, locale: str) -> None:
    from eventhub.core.services import registration

    with site.app.test_request_context():
        registration.register(
            event_id, registration.SignupData(name=name, email=email, locale=locale)
        )
        db.session.commit()


@pytest.fixture(scope="module")
def door_event(site):
    """An event at the door two weeks ahead (so the page also carries its "not today"
    notice), with people registered."""
    site.app.config["LOGIN_RATE_LIMIT"] = "100 per minute"
    site.app.config["SIGNUP_RATE_LIMIT"] = "100 per minute"
    event_id = site.event(
        title="Ovella: kylätalon syysilta ja yhteinen illallinen", venue="Kylätalo"
    )
    for n, name in enumerate(["Aino Aaltonen", "Eero Björk", "Liisa Čakste", "Mari Õun"]):
        _signup(site, event_id, name, f"door{n}@example.fi", "fi")
    return event_id


def _screenshot(page, name: str, locale: str, script: bool) -> None:
    if script:  # one set of artifacts: the page as most phones show it
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{locale}.png"), full_page=True)


@pytest.mark.parametrize("script", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("locale", LOCALES)
def test_register_and_check_in_on_the_first_screen(
    site, pages, mailbox, door_event, locale, script
):
    title = TITLE.format(f"{locale}{'' if script else ', ei skriptejä'}")
    event_id = site.event(
        title=title,
        venue="Kylätalo Pohjola",
        address="Koulutie 4",
        description=DESCRIPTION,
        language="fi",
    )
    data = (title, "Kylätalo Pohjola", "Koulutie 4", site.project_name, "Aino Mäkelä")

    # The event page: the register button inside the first 800 px.
    page = pages.open(locale, java_script_enabled=script)
    page.goto(f"/events/{event_id}")
    button = page.get_by_role("link", name=t(site, locale, "Register"), exact=True)
    assert _bottom(page, button) <= FIRST_SCREEN
    # The calendar choices are one folded control, the register button comes before it.
    calendar = page.locator("details.calendar-links")
    expect(calendar.locator("summary")).to_have_text(t(site, locale, "Add to calendar"))
    expect(calendar.get_by_role("link").first).to_be_hidden()
    if script:
        pages.check(page, "journey-event-page", locale, data=data)
    _screenshot(page, "journey-event-page", locale, script)

    # One tap goes to the form; signing up shows the outcome at once.
    button.click()
    email = f"aino.{locale}.{int(script)}@example.fi"
    page.get_by_label(t(site, locale, "Full name"), exact=True).fill("Aino Mäkelä")
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(email)
    page.get_by_label(
        t(
            site,
            locale,
            "I have read the privacy notice and agree that my details are used for this event.",
        )
    ).check()
    page.get_by_role("button", name=t(site, locale, "Register"), exact=True).click()
    expect(page.locator("#signup-outcome")).to_have_text(
        t(site, locale, "You have a place at %(title)s.", title=title)
    )
    (mail,) = wait_for_mail(mailbox, email)
    manage = page.get_by_role("link", name=t(site, locale, "See or change your registration"))
    assert manage.get_attribute("href") == manage_link(mail)
    assert _bottom(page, manage) <= FIRST_SCREEN
    if script:
        pages.check(page, "journey-signed-up", locale, data=data)
    _screenshot(page, "journey-signed-up", locale, script)

    # At the door: the search box and the first attendee rows inside the first 800 px.
    door = pages.open(locale, java_script_enabled=script)
    door.goto("/login")
    door.get_by_label(t(site, locale, "Email"), exact=True).fill(ORGANISER_EMAIL)
    door.get_by_label(t(site, locale, "Password"), exact=True).fill(ORGANISER_PASSWORD)
    door.get_by_role("button", name=t(site, locale, "Sign in")).click()
    door.goto(f"/organiser/events/{door_event}/checkin")
    expect(door.locator(".door-not-today")).to_have_text(
        t(site, locale, "This event is not today. Check people in only on the day of the event.")
    )
    search = door.get_by_role("searchbox", name=t(site, locale, "Find by name or organisation"))
    assert _bottom(door, search) <= FIRST_SCREEN
    rows = door.locator(".door-row")
    assert _bottom(door, rows.nth(1)) <= FIRST_SCREEN  # the first rows, not only one
    numbers = door.locator("#door-counts dd")
    tops = {round(numbers.nth(i).bounding_box()["y"]) for i in range(4)}
    assert len(tops) == 1, f"the counters are not in one row: {tops}"
    if script:
        pages.check(door, "journey-checkin", locale, data=(*data, "Kylätalo"))
    _screenshot(door, "journey-checkin", locale, script)


def test_a_second_signup_from_another_browser_sees_nothing_and_breaks_nothing(
    site, pages, mailbox, door_event
):
    event_id = site.event(title="Kyläkokous", venue="Seurantalo", capacity=1)
    owner = pages.open("fi")
    owner.goto(f"/events/{event_id}")
    owner.get_by_label("Koko nimi", exact=True).fill("Aino Mäkelä")
    owner.get_by_label("Sähköposti", exact=True).fill("aino.owner@example.fi")
    owner.locator("#consent").check()
    owner.locator("#register button[type=submit]").click()
    expect(owner.locator("#signup-outcome")).to_contain_text("Kyläkokous")
    (first,) = wait_for_mail(mailbox, "aino.owner@example.fi")
    first_link = manage_link(first)

    stranger = pages.open("en")
    stranger.goto(f"/events/{event_id}")
    stranger.get_by_label("Full name", exact=True).fill("Someone Else")
    stranger.get_by_label("Email", exact=True).fill("Aino.Owner@example.fi")
    stranger.locator("#consent").check()
    stranger.locator("#register button[type=submit]").click()
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Check your email")
    text = stranger.locator("main").inner_text()
    assert "Confirmed" not in text and "You have a place" not in text and "waiting" not in text
    hrefs = stranger.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert not [h for h in hrefs if re.search(r"/manage/(?!lost$)", h)], hrefs
    wait_for_mail(mailbox, "aino.owner@example.fi", count=2)

    # The owner's first link still works, in her browser and anywhere else.
    owner.goto(first_link)
    expect(owner.locator("#registration-status")).to_have_text("Vahvistettu")

    # "Lost your link?" answers alike for a known and an unknown address.
    answers = []
    for address in ("aino.owner@example.fi", "nobody.here@example.fi"):
        page = pages.open("en")
        page.goto("/manage/lost")
        page.get_by_label("Email", exact=True).fill(address)
        page.get_by_role("button", name="Send my links").click()
        answers.append(page.locator("main").inner_html().replace(address, "ADDRESS"))
        pages.check(page, "lost-link-answer", "en")
    assert answers[0] == answers[1]
    mails = wait_for_mail(mailbox, "aino.owner@example.fi", count=3)
    assert "Kyläkokous" in mails[-1].get_body(("plain",)).get_content()
    assert mailbox.to("nobody.here@example.fi") == []
