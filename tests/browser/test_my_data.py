"""A participant on a phone asks for their data by address, confirms from the mail that
arrived at the SMTP server, reads it, and erases it; the project's manager then sees the
request, erased. Every page passes axe-core, keeps to 360 px, and is translated."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    PHONE,
    requires_chromium,
    t,
    wait_for_mail,
)

pytestmark = requires_chromium

DATA_LINK = re.compile(r"https?://[^\s\"<>]+(/my-data/[A-Za-z0-9_.\-]+)")


def _data_link(mailbox, email: str) -> str:
    [mail] = wait_for_mail(mailbox, email)
    return DATA_LINK.search(mail.get_body(("plain",)).get_content()).group(1)


@pytest.mark.parametrize("locale", ["en", "fi"])
def test_a_participant_sees_and_erases_their_data_on_a_phone(site, pages, mailbox, locale):
    title = f"Kyläkahvila ({locale})"
    event_id = site.event(title=title, language="fi")
    name, email = "Helmi Heikkinen", f"helmi.{locale}@example.fi"
    data = (title, name, email, site.project_name, site.municipality, "Kylätalo ry")
    page = pages.open(locale, viewport=PHONE)
    page.goto(f"/events/{event_id}")
    page.get_by_label(t(site, locale, "Full name"), exact=True).fill(name)
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(email)
    page.get_by_label(t(site, locale, "Age"), exact=True).select_option(index=2)
    page.locator("#consent").check()
    page.get_by_role("button", name=t(site, locale, "Register"), exact=True).click()
    wait_for_mail(mailbox, email)
    mailbox.clear()

    page.goto("/")
    page.get_by_role("link", name=t(site, locale, "Your data"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your data"))
    pages.check(page, "my-data-ask", locale, data=data)
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(email)
    page.get_by_role("button", name=t(site, locale, "Send me the link"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Check your email"))
    pages.check(page, "my-data-sent", locale, data=data)

    link = _data_link(mailbox, email)
    page.goto(link)
    pages.check(page, "my-data-confirm", locale, data=data)
    page.get_by_role("button", name=t(site, locale, "Show my data"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your data"))
    expect(page.locator("main")).to_contain_text(name)
    expect(page.locator("main")).to_contain_text(title)
    # Her place at the coming event must be given back before an erasure.
    expect(page.locator("#upcoming-places")).to_be_visible()
    pages.check(page, "my-data", locale, data=data)

    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name=t(site, locale, "Cancel my registration")).click()
    expect(
        page.get_by_text(t(site, locale, "Your registration has been cancelled."))
    ).to_be_visible()
    page.goto(link)
    expect(page.locator("#upcoming-places")).to_have_count(0)
    page.locator("#sure").check()
    page.get_by_role("button", name=t(site, locale, "Erase my data"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t(site, locale, "Your data has been erased")
    )
    pages.check(page, "my-data-erased", locale, data=data)

    # The project's manager sees the request, with the name gone.
    _manager_sees_the_erased_request(pages)


def _manager_sees_the_erased_request(pages) -> None:
    page = pages.open("en")
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(ORGANISER_EMAIL)
    page.get_by_label("Password", exact=True).fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Data requests", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Requests for personal data")
    # This test's request is listed, erased, and names nobody any more.
    expect(page.locator("#data-requests tbody tr").first).to_be_visible()
    expect(page.locator("#data-requests")).to_contain_text("Erased")
    expect(page.locator("#data-requests")).not_to_contain_text("Helmi")
    pages.check(page, "org-data-requests", "en")
