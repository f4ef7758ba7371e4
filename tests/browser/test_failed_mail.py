"""The failed-mail page in a real browser: an admin finds the message (address masked), the
page passes axe-core and is translated, and one press of "Queue again" delivers it once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from eventhub.core.models import OutboxMessage, OutboxStatus, Role
from eventhub.extensions import db
from tests import factories
from tests.browser.support import requires_chromium, t, wait_for_mail

pytestmark = requires_chromium

ADMIN = "admin@example.fi"
ERROR = "SMTPRecipientsRefused: {'x@example.fi': (451, b'Try again later')}"


@pytest.fixture(scope="module")
def failed_message(site) -> int:
    with site.app.app_context():
        factories.user(ADMIN, role=Role.ADMIN)
        message = OutboxMessage(
            kind="confirmation",
            recipient="marja.virtanen@example.fi",
            subject="Registration confirmed",
            body_text="Welcome",
            status=OutboxStatus.FAILED,
            attempts=12,
            last_error=ERROR,
        )
        db.session.add(message)
        db.session.commit()
        return message.id


def _failed_mail_page(site, pages, locale: str):
    page = pages.open(locale)
    page.goto("/login")
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(ADMIN)
    page.get_by_label(t(site, locale, "Password"), exact=True).fill("a long password")
    page.get_by_role("button", name=t(site, locale, "Sign in"), exact=True).click()
    page.get_by_role("link", name=t(site, locale, "Failed mail"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Failed mail"))
    return page


def test_an_admin_queues_failed_mail_again(site, pages, mailbox, failed_message):
    data = ("confirmation", ERROR.replace("x@", "x***@"))  # what the message holds
    latvian = _failed_mail_page(site, pages, "lv")
    pages.check(latvian, "org-failed-mail", "lv", data=data, axe=False, screenshot=False)

    page = _failed_mail_page(site, pages, "en")
    row = page.get_by_role("row").filter(has_text="m***@example.fi")
    expect(row).to_contain_text("confirmation")
    assert "marja" not in page.content()
    pages.check(page, "org-failed-mail", "en")

    row.get_by_role("button", name="Queue again").click()

    expect(page.get_by_text("The message has been queued again.")).to_be_visible()
    expect(page.get_by_text("No mail has failed.")).to_be_visible()
    assert len(wait_for_mail(mailbox, "marja.virtanen@example.fi")) == 1
