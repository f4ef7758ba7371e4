"""The ESF+ Annex I, follow-up and volunteer-hours pages on a phone: axe-core finds nothing,
no English is left in Latvian, nothing scrolls sideways; the special-category questions
appear without JavaScript only after the consent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eventhub.core.db import utcnow
from eventhub.core.models import FollowupInvitation, FollowupStage, Person, Project
from eventhub.extensions import db
from tests.browser.support import ORGANISER_EMAIL, ORGANISER_PASSWORD, requires_chromium, t

pytestmark = requires_chromium


@pytest.fixture(scope="module")
def annex_site(site) -> dict[str, int]:
    from eventhub.core.services import registration

    event = site.event(title="Kylien digipäivä", venue="Kylätalo")
    past = site.event(title="Talkoot", venue="Kylätalo", starts_at=utcnow() - timedelta(hours=3))
    with site.app.test_request_context():
        project = db.session.scalars(db.select(Project)).first()
        project.collects_annex_i = True
        project.followup_items = ["employed", "in_education"]
        db.session.commit()
        registration.register(
            event, registration.SignupData(name="Aino Mäkelä", email="aino@example.fi", locale="fi")
        )
        person = db.session.scalars(db.select(Person)).first()
        invitation = FollowupInvitation(
            project_id=project.id, person_id=person.id, stage=FollowupStage.LEAVING,
            event_id=past, locale="fi",
        )  # fmt: skip
        db.session.add(invitation)
        db.session.commit()
        from eventhub.core.services import followups

        return {
            "event": event, "past": past, "project": project.id,
            "token": followups.token_for(invitation.id),
        }  # fmt: skip


def _sign_in(page, site, locale):
    page.goto("/login")
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(ORGANISER_EMAIL)
    page.get_by_label(t(site, locale, "Password"), exact=True).fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name=t(site, locale, "Sign in"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(site, locale, "Your events"))


@pytest.mark.parametrize("locale", ["en", "lv"])
def test_annex_pages(site, pages, annex_site, locale):
    p, e = annex_site["project"], annex_site["past"]
    public = {
        "annex-signup": f"/events/{annex_site['event']}",
        "annex-followup": f"/followup/{annex_site['token']}",
    }
    organiser = {
        "annex-table": f"/organiser/indicators/projects/{p}/annex-i",
        "annex-settings": f"/organiser/indicators/projects/{p}/annex-i/settings",
        "annex-row": f"/organiser/indicators/projects/{p}/annex-i/rows/disability",
        "annex-followups": f"/organiser/indicators/projects/{p}/followups",
        "annex-volunteer-claim": f"/organiser/indicators/projects/{p}/volunteer-hours",
        "annex-volunteer-event": f"/organiser/events/{e}/volunteer-hours",
    }
    page = pages.open(locale)
    data = ("Kylien digipäivä", "Talkoot", "Kylätalo", "Aino Mäkelä", site.project_name)
    found = []
    english = locale == "en"
    for name, url in public.items():
        response = page.goto(url)
        assert response.status == 200, (name, response.status)
        found += pages.problems(page, name, locale, data=data, axe=english, screenshot=english)
    _sign_in(page, site, locale)
    for name, url in organiser.items():
        response = page.goto(url)
        assert response.status == 200, (name, response.status)
        found += pages.problems(page, name, locale, data=data, axe=english, screenshot=english)
    assert not found, "\n\n".join(found)


def test_special_questions_appear_after_consent_without_javascript(site, pages, annex_site):
    page = pages.open("en", java_script_enabled=False)
    page.goto(f"/events/{annex_site['event']}")
    assert page.get_by_label("Do you have a disability?").count() == 0
    page.get_by_label("I agree to answer questions on disability", exact=False).check()
    page.get_by_role("button", name="Show these questions").click()
    expect(page.get_by_role("group", name="Do you have a disability?")).to_be_visible()
