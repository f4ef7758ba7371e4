"""Hardening found in review: header injection, probing feeds, sessions after a password
change, retired surveys, caching of organiser pages."""

from __future__ import annotations

from sqlalchemy import select

from eventhub.core.models import EventStatus, Role, User
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import sign_in, signup


def test_an_event_title_cannot_add_mail_headers(client, mailbox):
    event = factories.event(title="Meet\r\nReply-To: attacker@evil.example\r\nX-Injected: yes")
    signup(client, event.id)
    [message] = mailbox.to("aino@example.fi")
    assert message["Reply-To"] is None and message["X-Injected"] is None
    assert "Meet Reply-To: attacker@evil.example X-Injected: yes" in message["Subject"]


def test_project_and_organisation_feeds_answer_only_with_public_events(client):
    quiet = factories.project(code="QUIET")
    busy = factories.project(code="BUSY", organiser="Kyläyhdistys ry")
    factories.organisation(name="Kyläyhdistys ry")
    guided = factories.organisation(name="Guided ry")  # known only from the guidance log
    factories.event(project=quiet, status=EventStatus.DRAFT)
    factories.event(project=busy)
    db.session.commit()

    assert client.get(f"/calendar/project/{quiet.code}.ics").status_code == 404
    assert client.get(f"/calendar/project/{quiet.id}.ics").status_code == 404
    assert client.get(f"/calendar/projects/{quiet.id}.ics").status_code == 404
    assert client.get(f"/calendar/project/{busy.code}.ics").status_code == 301
    assert client.get(f"/calendar/projects/{busy.id}.ics").status_code == 200
    assert client.get(f"/calendar/organisation/{guided.id}.ics").status_code == 404


def test_changing_the_password_ends_other_sessions(app, client):
    factories.user(email="anne@example.fi", role=Role.MANAGER)
    sign_in(client, "anne@example.fi")
    assert client.get("/organiser/").status_code == 200

    user = db.session.scalar(select(User).where(User.email == "anne@example.fi"))
    user.set_password("a completely new one")  # e.g. a reset from another device
    db.session.commit()

    assert client.get("/organiser/").status_code == 302
    assert sign_in(client, "anne@example.fi", "a completely new one").status_code == 303


def test_organiser_pages_are_not_cached(client):
    factories.user(email="anne@example.fi", role=Role.ADMIN)
    sign_in(client, "anne@example.fi")
    response = client.get("/organiser/")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_csrf_token_is_bound_to_the_session(client, app):
    event = factories.event()
    token = csrf_token(client, f"/events/{event.id}")
    stranger = app.test_client()
    response = stranger.post(
        f"/events/{event.id}/register",
        data={"csrf_token": token, "name": "A", "email": "a@example.fi", "consent": "y"},
    )
    assert response.status_code == 400


def test_signups_from_one_address_are_rate_limited(app, client, mailbox):
    app.config["SIGNUP_RATE_LIMIT"] = "2 per minute"
    event = factories.event()
    codes = [signup(client, event.id, email=f"p{i}@example.fi").status_code for i in range(3)]
    assert codes == [303, 303, 429]
    assert len(mailbox.messages) == 2
