"""Conditional questions in a real browser on a 360 px phone: with JavaScript they hide and
show as the answers change (accessibly, focus kept); without it every question shows with
its condition written beside it and the form still goes through."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventhub.core.models import EventQuestion, Person, QuestionType, Registration
from eventhub.extensions import db
from tests.browser.support import (
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    requires_chromium,
    t,
    wait_for_mail,
)

pytestmark = requires_chromium

MEAL = "Do you need a meal?"
WHICH = "Which meal?"
CONSENT = "I have read the privacy notice and agree that my details are used for this event."


def _meal_event(site, title: str) -> tuple[int, int, int]:
    event_id = site.event(title=title, venue="Kylätalo")
    with site.app.app_context():
        meal = EventQuestion(
            event_id=event_id, position=1, label=MEAL, type=QuestionType.YES_NO, required=True
        )
        db.session.add(meal)
        db.session.flush()
        which = EventQuestion(
            event_id=event_id,
            position=2,
            label=WHICH,
            help_text="The kitchen orders a week before.",
            type=QuestionType.SINGLE_CHOICE,
            required=True,
            choices=["Vegetarian", "Fish"],
            condition_question_id=meal.id,
            condition_answers=["yes"],
        )
        db.session.add(which)
        db.session.commit()
        return event_id, meal.id, which.id


def _answers(site, email: str) -> dict:
    with site.app.app_context():
        return db.session.scalars(
            select(Registration.answers).join(Person).where(Person.email == email)
        ).one()


def _fill_person(page, name: str, email: str) -> None:
    page.get_by_label("Full name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label(CONSENT).check()


def test_with_javascript_a_question_shows_only_after_its_answer(site, pages, mailbox):
    event_id, meal_id, which_id = _meal_event(site, "Ateria skriptillä")
    page = pages.open("en")
    page.goto(f"/events/{event_id}")
    box = page.locator(f"#q_{which_id}-question")
    meal = page.get_by_role("group", name=MEAL)
    expect(box).to_be_hidden()
    pages.check(page, "conditional-hidden")

    meal.get_by_label("Yes").check()
    expect(box).to_be_visible()
    expect(page.get_by_role("group", name=WHICH)).to_be_visible()
    expect(box).to_contain_text(f"Answer only if you answered “Yes” to “{MEAL}”.")
    # The answer that showed it keeps the focus; the change is announced and tied to it.
    assert page.evaluate("document.activeElement.value") == "yes"
    expect(page.locator("#question-changes")).to_have_text(
        f"Another question is now shown: {WHICH}"
    )
    assert f"q_{which_id}-question" in meal.get_by_label("Yes").get_attribute("aria-controls")
    pages.check(page, "conditional-shown")

    # Back to "No": hidden again, its fields disabled so nothing of it is sent.
    page.get_by_label("Fish").check()
    meal.get_by_label("No").check()
    expect(box).to_be_hidden()
    assert page.get_by_label("Fish").is_disabled()
    meal.get_by_label("Yes").check()
    page.get_by_label("Vegetarian").check()
    _fill_person(page, "Maija Meikäläinen", "maija@example.fi")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registration")
    wait_for_mail(mailbox, "maija@example.fi")
    assert _answers(site, "maija@example.fi") == {str(meal_id): "yes", str(which_id): "Vegetarian"}


def test_without_javascript_every_question_shows_with_its_condition(site, pages, mailbox):
    event_id, meal_id, which_id = _meal_event(site, "Ateria ilman skriptiä")
    page = pages.open("en", java_script_enabled=False)
    page.goto(f"/events/{event_id}")
    box = page.locator(f"#q_{which_id}-question")
    expect(box).to_be_visible()
    expect(box).to_contain_text(f"Answer only if you answered “Yes” to “{MEAL}”.")

    # "No", and the required meal question left unanswered: the form goes through.
    page.get_by_role("group", name=MEAL).get_by_label("No").check()
    _fill_person(page, "Minna Canth", "minna.canth@example.fi")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registration")
    wait_for_mail(mailbox, "minna.canth@example.fi")
    assert _answers(site, "minna.canth@example.fi") == {str(meal_id): "no"}


@pytest.mark.parametrize("locale", ["en", "lv"])
def test_the_organiser_builds_a_conditional_question_in_the_editor_on_a_phone(site, pages, locale):
    event_id = site.event(title=f"Editorin ilta {locale}", venue="Kylätalo")
    page = pages.open(locale)
    page.goto("/login")
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(ORGANISER_EMAIL)
    page.get_by_label(t(site, locale, "Password"), exact=True).fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name=t(site, locale, "Sign in"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your events"))
    english = locale == "en"
    data = (f"Editorin ilta {locale}", MEAL, WHICH, "Vegetarian", "Fish", "Kylätalo")

    page.goto(f"/organiser/events/{event_id}/questions")
    add = t(site, locale, "Add the question")
    page.get_by_label(t(site, locale, "Question"), exact=True).fill(MEAL)
    page.get_by_label(t(site, locale, "Kind of answer")).select_option("yes_no")
    page.get_by_role("button", name=add).click()
    page.get_by_label(t(site, locale, "Question"), exact=True).fill(WHICH)
    page.get_by_label(t(site, locale, "Kind of answer")).select_option("single_choice")
    page.get_by_label(t(site, locale, "Choices"), exact=True).fill("Vegetarian\nFish")
    page.get_by_label(f"{MEAL}: {t(site, locale, 'Yes')}").check()
    page.get_by_role("button", name=add).click()
    expect(page.locator(".question-list > li")).to_have_count(2)
    expect(page.locator(".question-list")).to_contain_text(WHICH)
    pages.check(page, "question-editor", locale, data=data, axe=english)

    page.get_by_role("link", name=f"{t(site, locale, 'Edit')} {WHICH}").click()
    pages.check(page, "question-edit", locale, data=data, axe=english)

    page.goto(f"/organiser/events/{event_id}/questions/preview?lang={locale}")
    box = page.locator(".conditional")
    expect(box).to_be_hidden()
    page.get_by_role("group", name=MEAL).get_by_label(t(site, locale, "Yes")).check()
    expect(box).to_be_visible()
    pages.check(page, "question-preview", locale, data=data, axe=english)

    page.goto(f"/organiser/events/{event_id}/questions")
    page.get_by_role("link", name=f"{t(site, locale, 'Remove')} {MEAL}").click()
    expect(page.locator("main")).to_contain_text(WHICH)  # loses its condition: named here
    pages.check(page, "question-delete", locale, data=data, axe=english)
    page.get_by_role("button", name=t(site, locale, "Remove the question")).click()
    expect(page.locator(".question-list > li")).to_have_count(1)
