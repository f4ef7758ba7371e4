"""A parent signs up a family of three on a phone, sees the companions on the manage page
reached from the mail, and cancels one of them: axe-clean at 360 px, in English and Finnish."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import PHONE, requires_chromium, t, wait_for_mail
from tests.helpers import manage_link

pytestmark = requires_chromium


@pytest.mark.parametrize("locale", ["en", "fi"])
def test_a_family_signs_up_on_a_phone_and_manages_the_companions(site, pages, mailbox, locale):
    title = f"Perhepaja ({locale})"
    site.event(title=title, language="fi", capacity=10, max_companions=3)
    name, email = "Aino Mäkelä", f"aino.family.{locale}@example.fi"
    data = (title, name, email, "Eero Mäkelä", "Ilona Mäkelä", site.project_name)

    page = pages.open(locale, viewport=PHONE)
    page.goto("/")
    page.get_by_role("link", name=title).click()
    expect(page.locator("fieldset.companion")).to_have_count(3)
    pages.check(page, "family-event-page", locale, data=data)

    page.get_by_label(t(site, locale, "Full name"), exact=True).fill(name)
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(email)
    first = page.get_by_role("group", name=t(site, locale, "Companion %(number)s", number=1))
    first.get_by_label(t(site, locale, "Name"), exact=True).fill("Eero Mäkelä")
    first.get_by_label(t(site, locale, "Age (optional)")).select_option("under_18")
    second = page.get_by_role("group", name=t(site, locale, "Companion %(number)s", number=2))
    second.get_by_label(t(site, locale, "Name"), exact=True).fill("Ilona Mäkelä")
    page.get_by_label(
        t(
            site,
            locale,
            "I have read the privacy notice and agree that my details are used for this event.",
        )
    ).check()
    page.get_by_role("button", name=t(site, locale, "Register"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your registration"))

    (confirmation,) = wait_for_mail(mailbox, email)
    body = confirmation.get_body(("plain",)).get_content()
    assert "Eero Mäkelä" in body and "Ilona Mäkelä" in body
    page.goto(manage_link(confirmation))
    companions = page.locator("#companions")
    expect(companions.get_by_role("heading", name="Eero Mäkelä")).to_be_visible()
    expect(companions.get_by_role("heading", name="Ilona Mäkelä")).to_be_visible()
    pages.check(page, "family-manage", locale, data=data)

    companions.get_by_role(
        "button", name=t(site, locale, "Cancel %(name)s's place", name="Ilona Mäkelä")
    ).click()
    expect(page.get_by_role("status")).to_contain_text(
        t(site, locale, "The companion's registration has been cancelled.")
    )
    expect(page.locator("#companions")).to_contain_text(t(site, locale, "Cancelled"))
    pages.check(page, "family-companion-cancelled", locale, data=data)
