"""Organiser sign-in, sign-out, password reset, rate limits and route protection."""

from __future__ import annotations

import re

import pytest

from eventhub.core.models import AuditEntry, LoginSession, Role, User
from eventhub.core.services import accounts
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import sign_in

# Routes anyone may use: public pages, participants' token links, feeds and the API.
PUBLIC_PREFIXES = (
    "/static", "/healthz", "/language", "/login", "/password", "/privacy", "/events",
    "/workshops", "/hackathons", "/forums", "/calendar", "/api", "/manage/", "/survey/",
    # A participant asks for their data and opens it by the mailed token link.
    "/my-data",
    # A follow-up questionnaire opened from the mail by its signed link (no account).
    "/followup/",
    # The embeddable widget: its script and the public event list it shows.
    "/embed/",
    # The check-in app's shell, worker and manifest: the same for everyone, no data in them.
    "/door/sw.js", "/door/manifest.webmanifest",
)  # fmt: skip
# Routes closed by a gate of their own rather than by signing in: /metrics answers only the
# configured addresses or bearer token (tests/test_observability.py).
OWN_GATE = ("/metrics",)


def _sample_url(rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+:)?{arg}>", "1", url)
    return url


def test_every_organiser_route_refuses_anonymous_visitors(app, client):
    token = csrf_token(client, "/login")
    protected = [
        r
        for r in app.url_map.iter_rules()
        if r.rule not in ("/", "/door/")
        and not r.rule.startswith(PUBLIC_PREFIXES)
        and r.rule not in OWN_GATE
    ]
    assert any(r.rule.startswith("/organiser") for r in protected)
    assert any(r.rule.startswith("/door/api/") for r in protected)
    for rule in protected:
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = {"csrf_token": token} if method != "GET" else None
            response = client.open(url, method=method, data=data)
            assert response.status_code in (302, 401), (method, url, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), (method, url)


def test_sign_in_and_out(client):
    factories.user(email="anne@example.fi")
    wrong = sign_in(client, "anne@example.fi", "not the password")
    assert wrong.status_code == 422
    assert "The email address or password is not right." in wrong.get_data(as_text=True)
    assert client.get("/organiser/").status_code == 302

    ok = sign_in(client, "Anne@Example.fi")
    assert ok.status_code == 303 and ok.headers["Location"] == "/organiser/"
    assert client.get("/organiser/").status_code == 200

    token = csrf_token(client, "/organiser/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/organiser/").status_code == 302


def test_sign_in_redirects_only_within_the_site(client):
    factories.user(email="anne@example.fi")
    token = csrf_token(client, "/login?next=https://evil.example/")
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "anne@example.fi",
            "password": "a long password",
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/organiser/"


def test_inactive_account_cannot_sign_in(client):
    u = factories.user(email="gone@example.fi")
    u.active = False
    db.session.commit()
    assert sign_in(client, "gone@example.fi").status_code == 422


def test_sign_in_attempts_are_rate_limited(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    factories.user(email="anne@example.fi")
    codes = [sign_in(client, "anne@example.fi", "guess").status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]


def test_password_reset_link_works_once(client, mailbox):
    factories.user(email="anne@example.fi")
    token = csrf_token(client, "/password/forgot")
    sent = client.post("/password/forgot", data={"csrf_token": token, "email": "anne@example.fi"})
    assert sent.status_code == 303
    unknown = client.post(
        "/password/forgot", data={"csrf_token": token, "email": "nobody@example.fi"}
    )
    assert unknown.status_code == 303  # the same answer: nobody learns who has an account
    [message] = mailbox.messages
    link = re.search(r"https?://\S+/password/reset/\S+", message.get_content()).group(0)
    path = "/" + link.split("/", 3)[3]

    form_token = csrf_token(client, path)
    new = {"csrf_token": form_token, "password": "brand new secret", "confirm": "brand new secret"}
    assert client.post(path, data=new).status_code == 303
    assert sign_in(client, "anne@example.fi", "brand new secret").status_code == 303
    reused = client.get(path)
    assert reused.status_code == 303 and "/password/forgot" in reused.headers["Location"]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CHECKIN])
def test_audit_log_is_for_admins_only(client, role):
    factories.user(email="x@example.fi", role=role)
    sign_in(client, "x@example.fi")
    assert client.get("/organiser/audit").status_code == 404


def test_admin_sees_sign_ins_in_the_audit_log(client):
    factories.user(email="boss@example.fi", role=Role.ADMIN)
    sign_in(client, "boss@example.fi")
    assert db.session.query(AuditEntry).filter_by(action="signed_in").count() == 1
    page = client.get("/organiser/audit").get_data(as_text=True)
    assert "Boss signed in." in page and "signed_in" not in page


def test_signing_out_ends_the_session_on_the_server(app, client):
    """A copy of the session cookie taken before signing out opens nothing afterwards (on
    any app server: the sign-in lives in the database); another browser stays signed in."""
    factories.user(email="anne@example.fi")
    sign_in(client, "anne@example.fi")
    saved = client.get_cookie("session", domain="eventhub.test")
    laptop = app.test_client()
    sign_in(laptop, "anne@example.fi")
    assert laptop.get("/organiser/").status_code == 200

    token = csrf_token(client, "/organiser/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303

    replay = app.test_client()
    replay.set_cookie("session", saved.value, domain=saved.domain)
    assert replay.get("/organiser/").status_code == 302  # to the sign-in page
    assert laptop.get("/organiser/").status_code == 200


def test_a_new_password_ends_every_sign_in(app, client, mailbox):
    factories.user(email="anne@example.fi")
    sign_in(client, "anne@example.fi")
    saved = client.get_cookie("session", domain="eventhub.test")
    user = db.session.scalars(db.select(User)).one()
    user.set_password("another long password")
    accounts.end_all_sessions(user)
    db.session.commit()
    assert db.session.scalars(db.select(LoginSession)).all() == []
    replay = app.test_client()
    replay.set_cookie("session", saved.value, domain=saved.domain)
    assert replay.get("/organiser/").status_code == 302


def test_a_reset_request_answers_before_any_mail_is_sent(client, mailbox):
    """The answer for an address with an account must not wait for the mail server (it took
    four times as long as for an unknown address): the mail goes once the answer is out."""
    factories.user(email="anne@example.fi")
    token = csrf_token(client, "/password/forgot")
    for email in ("nobody@example.fi", "anne@example.fi"):
        response = client.post(
            "/password/forgot", data={"csrf_token": token, "email": email}, buffered=False
        )
        assert response.status_code == 303
        response.get_data()  # the whole answer has been read by the client
        assert mailbox.messages == []
        response.close()  # the server closes the response
    [message] = mailbox.messages
    assert message["To"] == "anne@example.fi"
