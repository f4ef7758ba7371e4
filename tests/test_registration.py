"""A participant registers, gets mail, manages and cancels; the waiting list moves."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    EventQuestion,
    EventStatus,
    OutboxMessage,
    Person,
    QuestionType,
    Registration,
    RegistrationStatus,
)
from eventhub.extensions import db
from tests import factories, helpers
from tests.conftest import csrf_token
from tests.helpers import manage_link, signup


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _registration(email: str) -> Registration:
    return db.session.scalars(
        select(Registration).join(Person).where(Person.email_normalised == email.lower())
    ).one()


def test_register_receive_confirmation_with_calendar_and_manage_link(client, mailbox):
    event = factories.event(title="Hankeosaaminen 1", venue="Carelicum", capacity=5)

    response = signup(client, event.id)

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have a place at Hankeosaaminen 1." in page
    [message] = mailbox.to("aino@example.fi")
    # The page's links are the mail's: one tap to see, change, cancel or add to a calendar.
    assert f'href="{manage_link(message)}"' in page
    assert f'href="{manage_link(message)}/cancel"' in page
    assert f'href="{manage_link(message)}/event.ics"' in page
    assert "Registration confirmed: Hankeosaaminen 1" in message["Subject"]
    assert message.get_body(("html",)) is not None
    lines = message.get_body(("plain",)).get_content().splitlines()
    assert lines[:3] == ["Hello Aino Korhonen,", "", lines[2]] and lines[3] == ""
    assert "Where: Carelicum" in lines
    assert lines[lines.index("Where: Carelicum") + 1] == f"http://eventhub.test/events/{event.id}"
    [attachment] = [p for p in message.iter_attachments() if p.get_filename() == "event.ics"]
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Hankeosaaminen 1"
    assert str(vevent["UID"]) == event.uid

    manage = client.get(manage_link(message))
    assert manage.status_code == 200
    html = manage.get_data(as_text=True)
    assert "Confirmed" in html and "Aino Korhonen" in html
    assert _registration("aino@example.fi").status == RegistrationStatus.CONFIRMED


def test_invalid_form_shows_errors_keeps_input_and_writes_nothing(client, mailbox):
    event = factories.event()

    response = signup(client, event.id, email="not-an-email", consent=None, name="Eero Mäkinen")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please enter a valid email address" in html
    assert "Please accept the privacy notice" in html
    assert 'value="Eero Mäkinen"' in html and 'value="not-an-email"' in html
    assert 'href="#email"' in html  # the error summary links to the field
    assert _count(Registration) == 0 and _count(Person) == 0 and _count(OutboxMessage) == 0
    assert mailbox.messages == []


def test_post_without_csrf_token_is_refused(client):
    event = factories.event()
    response = client.post(
        f"/events/{event.id}/register",
        data={"name": "A", "email": "a@example.fi", "consent": "y"},
    )
    assert response.status_code == 400
    assert _count(Registration) == 0


def test_full_event_puts_people_on_waiting_list_with_position(client, mailbox):
    event = factories.event(capacity=1)
    signup(client, event.id, email="first@example.fi")
    signup(client, event.id, email="second@example.fi")
    signup(client, event.id, email="third@example.fi")

    [waiting] = mailbox.to("third@example.fi")
    assert "waiting list" in waiting["Subject"]
    assert "number 2" in waiting.get_body(("plain",)).get_content()
    assert not [p for p in waiting.iter_attachments() if p.get_filename() == "event.ics"]
    page = client.get(manage_link(waiting)).get_data(as_text=True)
    assert "On the waiting list" in page and "number 2 on the waiting list" in page
    listing = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Full – waiting list open" in listing and "Join the waiting list" in listing


def test_full_event_without_waiting_list_refuses_clearly(client, mailbox):
    event = factories.event(capacity=1, waitlist_enabled=False)
    signup(client, event.id, email="first@example.fi")

    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "The event is full and has no waiting list." in page
    assert 'name="email"' not in page

    other = factories.event(title="Another event")
    response = signup(client, event.id, token_from=f"/events/{other.id}", email="late@example.fi")
    assert response.status_code == 409
    assert "The event is full and has no waiting list." in response.get_data(as_text=True)
    assert _count(Registration) == 1 and mailbox.to("late@example.fi") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"registration_opens_at": utcnow() + timedelta(days=1)}, "has not opened yet"),
        ({"registration_closes_at": utcnow() - timedelta(minutes=1)}, "has closed"),
        ({"status": EventStatus.CANCELLED}, "has been cancelled"),
    ],
)
def test_outside_window_or_cancelled_no_form_and_post_refused(client, changes, message):
    event = factories.event(**changes)
    open_event = factories.event(title="Another event")

    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert message in page and 'name="email"' not in page
    # The form is not offered, but a POST anyway (with a valid token from another form of
    # the same session) gets the same clear refusal.
    token = csrf_token(client, f"/events/{open_event.id}")
    response = client.post(
        f"/events/{event.id}/register",
        data={"csrf_token": token, "name": "A", "email": "a@example.fi", "consent": "y"},
    )
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert _count(Registration) == 0


def test_approval_mode_keeps_registration_pending(client, mailbox):
    event = factories.event(requires_approval=True, capacity=3)
    signup(client, event.id)
    [message] = mailbox.to("aino@example.fi")
    assert "awaiting approval" in message["Subject"]
    assert _registration("aino@example.fi").status == RegistrationStatus.PENDING
    page = client.get(manage_link(message)).get_data(as_text=True)
    assert "Waiting for approval" in page


def test_registering_again_mails_a_link_and_every_earlier_link_keeps_working(app, mailbox):
    """A stranger typing Aino's address in another browser learns nothing of her
    registration on the page and breaks none of her links; the link goes to her mail."""
    event = factories.event(title="Verkostotapaaminen", capacity=1)
    aino, stranger = app.test_client(), app.test_client()
    first = signup(aino, event.id, email="aino@example.fi")
    [confirmation] = mailbox.to("aino@example.fi")
    first_link = manage_link(confirmation)
    feed = _feed_path(aino, first_link)

    again = signup(stranger, event.id, email="  AINO@Example.fi ", name="Someone Else")
    again_page = stranger.get(again.headers["Location"]).get_data(as_text=True)

    assert again.status_code == first.status_code == 303
    assert "Check your email" in again_page and "AINO@Example.fi" in again_page
    assert "Confirmed" not in again_page and "You have a place" not in again_page
    assert not re.search(r"/manage/(?!lost\b)", again_page)
    # Asking for the status page directly shows nothing either.
    direct = stranger.get(f"/events/{event.id}/registered")
    assert direct.status_code == 303 and "check-email" in direct.headers["Location"]
    assert _count(Registration) == 1
    assert _registration("aino@example.fi").person.name == "Aino Korhonen"
    resent = mailbox.to("aino@example.fi")[-1]
    assert "Your registration: Verkostotapaaminen" in resent["Subject"]
    assert "The links you had before still work." in resent.get_body(("plain",)).get_content()
    # Every link still works: the first one, its calendar feed, and the one just mailed.
    assert aino.get(first_link).status_code == 200
    assert aino.get(feed).status_code == 200
    assert stranger.get(manage_link(resent)).status_code == 200
    assert _feed_path(aino, manage_link(resent)) == feed
    # A second repeat mails the same lasting link: nothing piles up, nothing is revoked.
    signup(stranger, event.id, email="aino@example.fi")
    assert manage_link(mailbox.to("aino@example.fi")[-1]) == manage_link(resent)
    assert aino.get(first_link).status_code == 200


def _feed_path(client, link: str) -> str:
    """The personal calendar feed shown on a manage page, as a path."""
    page = client.get(link).get_data(as_text=True)
    match = re.search(r'<code id="personal-feed">https?://[^/]+(/[^<]+)</code>', page)
    assert match, page
    return match.group(1)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ({"requires_approval": True}, "is waiting for the organiser's approval"),
        ({"capacity": 0}, "You are number 1 on the waiting list"),
    ],
)
def test_the_page_after_signing_up_says_what_the_participant_got(client, mailbox, status, outcome):
    event = factories.event(title="Kyläilta", **status)
    response = signup(client, event.id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert outcome in html.unescape(page)
    assert f'href="{manage_link(mailbox.to("aino@example.fi")[0])}"' in page


def _ask_for_links(client, email: str, mailbox=None):
    token = csrf_token(client, "/manage/lost")
    # Unbuffered: the answer is read before it is closed, as a browser reads it.
    response = client.post(
        "/manage/lost", data={"csrf_token": token, "email": email}, buffered=False
    )
    body = response.get_data(as_text=True)
    if mailbox is not None:  # never sent within the request: its timing would tell
        assert mailbox.messages == []
    response.close()  # what a server does once the answer has gone out
    return response.status_code, body.replace(email, "ADDRESS")


def test_lost_links_are_mailed_and_the_answer_is_the_same_for_unknown_addresses(app, mailbox):
    kylailta, klinikka = factories.event(title="Kyläilta"), factories.event(title="Klinikka")
    aino = app.test_client()
    signup(aino, kylailta.id, email="aino@example.fi")
    signup(aino, klinikka.id, email="aino@example.fi")
    signup(aino, kylailta.id, email="eero@example.fi")
    first_links = [manage_link(m) for m in mailbox.to("aino@example.fi")]
    mailbox.clear()

    known = _ask_for_links(app.test_client(), "Aino@Example.fi", mailbox)
    unknown = _ask_for_links(app.test_client(), "nobody@example.fi")

    assert known == unknown and known[0] == 200
    assert "Check your email" in known[1]
    assert mailbox.to("nobody@example.fi") == []
    [mail] = mailbox.to("aino@example.fi")
    assert mailbox.to("eero@example.fi") == []
    text = mail.get_body(("plain",)).get_content()
    assert "Kyläilta" in text and "Klinikka" in text
    links = helpers.MANAGE_LINK.findall(text)
    assert len(links) == 2
    stranger = app.test_client()
    pages = [stranger.get("/" + link.split("/", 3)[3]).get_data(as_text=True) for link in links]
    assert sorted("Kyläilta" in p for p in pages) == [False, True]
    assert all("Aino Korhonen" in p for p in pages)
    for link in first_links:  # the links Aino had still work
        assert aino.get(link).status_code == 200


def test_lost_link_page_checks_the_address_and_is_rate_limited(app, mailbox):
    app.config["SIGNUP_RATE_LIMIT"] = "2 per minute"
    client = app.test_client()
    status, body = _ask_for_links(client, "not an address")
    assert status == 422 and "Please enter a valid email address" in body
    _ask_for_links(client, "a@example.fi")
    assert _ask_for_links(client, "b@example.fi")[0] == 429


def test_a_dead_manage_link_explains_and_offers_the_lost_link_page(client):
    for locale, words in (("en", "This link does not work"), ("fi", None)):
        client.get(f"/language/{locale}")
        response = client.get("/manage/not-a-real-token")
        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert 'href="/manage/lost"' in page
        if words:
            assert words in page
        else:
            assert f'lang="{locale}"' in page and "This link does not work" not in page


def test_a_forged_lasting_link_opens_nothing(client, mailbox):
    event = factories.event()
    signup(client, event.id)
    reg = _registration("aino@example.fi")
    forged = f"{reg.id}x" + "A" * 32
    for token in (forged, f"{reg.id}x", "x", f"{reg.id + 1}x1"):
        assert client.get(f"/manage/{token}").status_code == 404


def test_cancel_frees_place_and_promotes_first_waiting_person(client, mailbox):
    event = factories.event(capacity=1)
    signup(client, event.id, email="holder@example.fi")
    signup(client, event.id, email="waiting1@example.fi")
    signup(client, event.id, email="waiting2@example.fi")
    link = manage_link(mailbox.to("holder@example.fi")[0])

    confirm = client.get(link + "/cancel")
    assert "Yes, cancel my registration" in confirm.get_data(as_text=True)
    token = csrf_token(client, link + "/cancel")
    done = client.post(link + "/cancel", data={"csrf_token": token})
    assert done.status_code == 303
    assert "Cancelled" in client.get(link).get_data(as_text=True)

    assert _registration("holder@example.fi").status == RegistrationStatus.CANCELLED
    assert _registration("waiting1@example.fi").status == RegistrationStatus.CONFIRMED
    assert _registration("waiting2@example.fi").status == RegistrationStatus.WAITLISTED
    [receipt] = [m for m in mailbox.to("holder@example.fi") if "cancelled" in m["Subject"]]
    assert receipt is not None
    [promotion] = [m for m in mailbox.to("waiting1@example.fi") if "opened up" in m["Subject"]]
    assert [p.get_filename() for p in promotion.iter_attachments()] == ["event.ics"]
    later = manage_link(mailbox.to("waiting2@example.fi")[0])
    assert "number 1 on the waiting list" in client.get(later).get_data(as_text=True)


def test_event_questions_required_and_saved_and_editable(client, mailbox):
    event = factories.event()
    db.session.add_all(
        [
            EventQuestion(
                event=event, position=1, label="Which theme?", required=True,
                type=QuestionType.SINGLE_CHOICE, choices=["Budget", "Reporting"],
            ),
            EventQuestion(
                event=event, position=2, label="Topics", type=QuestionType.MULTIPLE_CHOICE,
                choices=["EURA2021", "Other funding"],
            ),
            EventQuestion(event=event, position=3, label="Need a ride?", type=QuestionType.YES_NO),
        ]
    )  # fmt: skip
    db.session.commit()
    q1, q2, q3 = (q.id for q in event.questions)

    missing = signup(client, event.id)
    assert missing.status_code == 422
    assert "Please choose one." in missing.get_data(as_text=True)

    ok = signup(
        client, event.id, **{f"q_{q1}": "Reporting", f"q_{q2}": ["EURA2021", "Other funding"],
                             f"q_{q3}": "yes"},
    )  # fmt: skip
    assert ok.status_code == 303
    registration = _registration("aino@example.fi")
    assert registration.answers == {
        str(q1): "Reporting",
        str(q2): ["EURA2021", "Other funding"],
        str(q3): "yes",
    }

    link = manage_link(mailbox.to("aino@example.fi")[0])
    token = csrf_token(client, link)
    changes = {"name": "Aino K.", f"q_{q1}": "Budget", "dietary_needs": "Vegan"}
    edited = client.post(link, data={"csrf_token": token, **changes})
    assert edited.status_code == 303
    db.session.expire_all()
    registration = _registration("aino@example.fi")
    assert registration.answers[str(q1)] == "Budget" and registration.dietary_needs == "Vegan"
    assert registration.person.name == "Aino K."


def test_background_questions_only_for_esf_projects_and_never_public(client):
    esf = factories.project(collects_background=True)
    leader = factories.project(collects_background=False)
    esf_event = factories.event(project=esf)
    leader_event = factories.event(project=leader)

    assert "Labour market status" in client.get(f"/events/{esf_event.id}").get_data(True)
    assert "Labour market status" not in client.get(f"/events/{leader_event.id}").get_data(True)

    signup(client, esf_event.id, gender="woman", age_band="55_plus", labour_status="unemployed")
    registration = _registration("aino@example.fi")
    assert (registration.gender, registration.age_band, registration.labour_status) == (
        "woman", "55_plus", "unemployed",
    )  # fmt: skip
    public = client.get(f"/events/{esf_event.id}").get_data(as_text=True)
    assert "Aino" not in public


def test_new_organisation_name_is_kept_unconfirmed(client):
    from eventhub.core.models import Organisation

    factories.organisation(name="Lieksan Eläkeläiset ry")
    event = factories.event()
    signup(client, event.id, organisation="lieksan eläkeläiset ry", email="a@example.fi")
    signup(client, event.id, organisation="Uusi Kyläyhdistys ry", email="b@example.fi")
    assert _registration("a@example.fi").organisation.name == "Lieksan Eläkeläiset ry"
    new = _registration("b@example.fi").organisation
    assert new.name == "Uusi Kyläyhdistys ry" and new.confirmed is False
    assert _count(Organisation) == 2
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Uusi Kyläyhdistys ry" not in page  # unconfirmed names are not offered to others


def test_unknown_event_and_bad_manage_token_are_404(client):
    token = csrf_token(client, f"/events/{factories.event().id}")
    response = client.post("/events/424242/register", data={"csrf_token": token})
    assert response.status_code == 404
    assert client.get("/manage/not-a-real-token").status_code == 404
    assert client.get("/manage/" + "x" * 200).status_code == 404


def test_oversized_body_is_refused(client):
    event = factories.event()
    response = signup(client, event.id, dietary_needs="x" * (300 * 1024))
    assert response.status_code == 413
    assert _count(Registration) == 0


def test_mail_is_in_the_registrants_language(client, mailbox):
    event = factories.event(title="Työpaja")
    client.get("/language/fi")
    signup(client, event.id)
    [message] = mailbox.to("aino@example.fi")
    assert "Ilmoittautuminen vahvistettu" in message["Subject"]


def test_manage_page_offers_the_personal_calendar_feed(client, mailbox):
    event = factories.event(title="Verkostotapaaminen")
    signup(client, event.id)
    page = client.get(manage_link(mailbox.to("aino@example.fi")[0])).get_data(as_text=True)
    feed_url = re.search(r'<code id="personal-feed">([^<]+)</code>', page).group(1)
    assert "webcal://" in page
    feed = client.get("/" + html.unescape(feed_url).split("/", 3)[3])
    assert feed.status_code == 200
    calendar = icalendar.Calendar.from_ical(feed.data)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Verkostotapaaminen"]


def test_nobody_is_promoted_into_an_event_that_is_over(client, mailbox):
    from eventhub.core.services import registration as service

    event = factories.event(capacity=1)
    signup(client, event.id, email="holder@example.fi")
    signup(client, event.id, email="waiting@example.fi")
    event.starts_at = utcnow() - timedelta(hours=3)
    event.ends_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    promoted = service.cancel(_registration("holder@example.fi"))
    db.session.commit()

    assert promoted == []
    assert _registration("waiting@example.fi").status == RegistrationStatus.WAITLISTED
