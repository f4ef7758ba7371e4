"""A question the organiser asks of each companion too, on a 360 px phone without help from
the server's error pages: the form asks it in each companion's fieldset and insists for a
named companion; at the door the app shows whom a companion came with. axe-clean, en and fi."""

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
    wait_for_mail,
)
from tests.helpers import manage_link

pytestmark = requires_chromium

DIET = "Erityisruokavalio"


def _event_with_question(site, title: str) -> int:
    from eventhub.core.models import Event, EventQuestion, QuestionType

    event_id = site.event(title=title, language="fi", capacity=10, max_companions=2)
    with site.app.app_context():
        event = db.session.get(Event, event_id)
        db.session.add(
            EventQuestion(
                event=event,
                position=1,
                label=DIET,
                type=QuestionType.SHORT_TEXT,
                required=True,
                for_companions=True,
            )
        )
        db.session.commit()
        db.session.remove()
    return event_id


@pytest.mark.parametrize("locale", ["en", "fi"])
def test_each_companion_answers_the_question_for_everyone_on_a_phone(site, pages, mailbox, locale):
    title = f"Ruokapaja ({locale})"
    event_id = _event_with_question(site, title)
    data = (title, DIET, "Aino Mäkelä", "Eero Mäkelä", "Kasvis", site.project_name)

    page = pages.open(locale, viewport=PHONE)
    page.goto(f"/events/{event_id}")
    companions = page.locator("fieldset.companion")
    expect(companions).to_have_count(2)
    for i in range(2):
        expect(companions.nth(i).get_by_label(DIET)).to_have_count(1)
    pages.check(page, "companion-question-form", locale, data=data)

    page.get_by_label(t(site, locale, "Full name"), exact=True).fill("Aino Mäkelä")
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(f"aino.q.{locale}@example.fi")
    page.locator("form").get_by_label(DIET).first.fill("Kasvis")  # her own answer
    first = page.get_by_role("group", name=t(site, locale, "Companion %(number)s", number=1))
    first.get_by_label(t(site, locale, "Name"), exact=True).fill("Eero Mäkelä")
    page.get_by_label(
        t(
            site,
            locale,
            "I have read the privacy notice and agree that my details are used for this event.",
        )
    ).check()
    page.get_by_role("button", name=t(site, locale, "Register"), exact=True).click()
    # Eero is named, so his answer is needed; the empty second fieldset asks nothing.
    first = page.get_by_role("group", name=t(site, locale, "Companion %(number)s", number=1))
    expect(first).to_contain_text(t(site, locale, "Please answer this question."))
    second = page.get_by_role("group", name=t(site, locale, "Companion %(number)s", number=2))
    expect(second).not_to_contain_text(t(site, locale, "Please answer this question."))
    pages.check(page, "companion-question-error", locale, data=data)

    first.get_by_label(DIET).fill("Gluteeniton")
    page.get_by_label(
        t(
            site,
            locale,
            "I have read the privacy notice and agree that my details are used for this event.",
        )
    ).check()
    page.get_by_role("button", name=t(site, locale, "Register"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your registration"))
    # The manage page, from her mail, lets her correct Eero's answer.
    (confirmation,) = wait_for_mail(mailbox, f"aino.q.{locale}@example.fi")
    page.goto(manage_link(confirmation))
    expect(page.locator("#companions").get_by_label(DIET)).to_have_value("Gluteeniton")
    pages.check(page, "companion-question-manage", locale, data=(*data, "Gluteeniton"))


def test_the_door_app_shows_whom_a_companion_came_with(site, pages):
    from eventhub.core.services import registration

    event_id = site.event(
        title="Perheilta", starts_at=utcnow().replace(microsecond=0) - timedelta(minutes=30),
        capacity=20, max_companions=2,
    )  # fmt: skip
    with site.app.test_request_context():
        registration.register(
            event_id,
            registration.SignupData(
                name="Aino Mäkelä", email="aino.door@example.fi", locale="fi",
                companions=[registration.Companion(name="Eero Mäkelä")],
            ),
        )  # fmt: skip
        db.session.commit()
        db.session.remove()

    page = pages.open("en", viewport=PHONE)
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(ORGANISER_EMAIL)
    page.get_by_label("Password", exact=True).fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto(f"/organiser/events/{event_id}/checkin")
    page.get_by_role("link", name="Open the check-in app (works offline)").click()
    rows = page.locator("#door-list .door-row")
    expect(rows).to_have_count(2)
    eero = rows.filter(has=page.get_by_text("Eero Mäkelä", exact=True))
    expect(eero).to_contain_text("with Aino Mäkelä")
    aino = rows.filter(has=page.get_by_text("Aino Mäkelä", exact=True))
    expect(aino).not_to_contain_text("with")
    # Searching the lead's name finds the companion too.
    page.get_by_role("searchbox").fill("Aino")
    expect(rows).to_have_count(2)
    pages.check(page, "door-app-companion")
