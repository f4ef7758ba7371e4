"""A participant on a phone finds an event, registers, opens the manage link from the mail
that arrived at the SMTP server, and cancels: in English, Finnish, Latvian and Estonian.

Every page on the way is checked with axe-core, for English left on translated pages, for
sideways scrolling at 360 px, and saved as a screenshot in test-artifacts/browser/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, requires_chromium, t, wait_for_mail
from tests.helpers import manage_link

pytestmark = requires_chromium


@pytest.mark.parametrize("locale", ["en", "fi", "lv", "et"])
def test_participant_registers_on_a_phone_and_cancels_from_the_mail(site, pages, mailbox, locale):
    title = f"Kylätalon digiaamu ({locale})"
    site.event(
        title=title,
        venue="Kylätalo Pohjola",
        address="Koulutie 4",
        description="Tule oppimaan verkkoasiointia omaan tahtiin.",
        language="fi",
    )
    name, email = "Aino Mäkelä", f"aino.{locale}@example.fi"
    data = (title, name, email, "Kylätalo Pohjola", "Koulutie 4", site.project_name)

    # Latvian is chosen with the language switcher; the others come from the browser's
    # Accept-Language. Either way the choice holds for the whole visit.
    page = pages.open("en" if locale == "lv" else locale, viewport=PHONE)
    page.goto("/")
    if locale == "lv":
        switcher = page.get_by_role("navigation", name=t(site, "en", "Language"))
        switcher.get_by_role("link", name="Latviešu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Upcoming events"))
    pages.check(page, "event-list", locale, data=data)

    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    pages.check(page, "event-page", locale, data=data)

    # An empty form comes back with a summary of the errors, focused, linked to the fields.
    register = t(site, locale, "Register")
    page.get_by_role("button", name=register, exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(f"{t(site, locale, 'Error:')} {title} – eventhub")
    summary.get_by_role("link").first.click()
    expect(page.locator("#name")).to_be_focused()
    pages.check(page, "signup-errors", locale, data=data)

    page.get_by_label(t(site, locale, "Full name"), exact=True).fill(name)
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(email)
    page.get_by_label(t(site, locale, "Age"), exact=True).select_option(index=2)
    page.get_by_label(
        t(
            site,
            locale,
            "I have read the privacy notice and agree that my details are used for this event.",
        )
    ).check()
    page.get_by_role("button", name=register, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your registration"))
    expect(page.locator("#signup-outcome")).to_have_text(
        t(site, locale, "You have a place at %(title)s.", title=title)
    )
    pages.check(page, "signed-up", locale, data=data)

    (confirmation,) = wait_for_mail(mailbox, email)
    assert confirmation["Subject"] == t(
        site, locale, "Registration confirmed: %(title)s", title=title
    )
    page.goto(manage_link(confirmation))
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your registration"))
    expect(page.locator("#registration-status")).to_have_text(t(site, locale, "Confirmed"))
    pages.check(page, "manage", locale, data=data)

    page.get_by_role("link", name=t(site, locale, "Cancel my registration")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t(site, locale, "Cancel registration")
    )
    pages.check(page, "cancel", locale, data=data)
    page.get_by_role("button", name=t(site, locale, "Yes, cancel my registration")).click()
    expect(page.get_by_role("status")).to_contain_text(
        t(site, locale, "Your registration has been cancelled.")
    )
    expect(page.locator("#registration-status")).to_have_text(t(site, locale, "Cancelled"))
    pages.check(page, "cancelled", locale, data=data)

    cancelled = wait_for_mail(mailbox, email, count=2)[1]
    assert cancelled["Subject"] == t(site, locale, "Registration cancelled: %(title)s", title=title)
