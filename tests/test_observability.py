"""Watching the service: request ids in logs and headers, redacted paths, metrics read by
Prometheus' own parser, /healthz, and failed mail with a retry that sends exactly once."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from eventhub import create_app, observability
from eventhub.core.db import utcnow
from eventhub.core.models import AuditEntry, OutboxMessage, OutboxStatus, Role
from eventhub.core.services import outbox, registration
from eventhub.core.services.registration import SignupData
from eventhub.extensions import db
from tests import factories
from tests.helpers import MANAGE_LINK, manage_link, post_form, sign_in, signup

TOKEN = "scrape-secret-for-tests"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _json_logs(app) -> None:
    app.config["LOG_FORMAT"] = "json"
    observability.configure_logging(app)


def _records(capsys) -> list[dict]:
    lines = capsys.readouterr().err.splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _request_lines(records: list[dict]) -> list[dict]:
    return [r for r in records if r["logger"] == "eventhub.request"]


# --- logs -------------------------------------------------------------------------------


def test_a_request_carries_its_id_into_the_log_and_the_response(app, client, capsys):
    _json_logs(app)
    event = factories.event()
    db.session.commit()

    given = "proxy-4f2a9c1e-77b0"
    response = client.get(f"/events/{event.id}", headers={"X-Request-ID": given})

    assert response.headers["X-Request-ID"] == given
    [line] = _request_lines(_records(capsys))
    assert line["request_id"] == given
    assert (line["method"], line["endpoint"], line["status"]) == ("GET", "events.detail", 200)
    assert line["path"] == f"/events/{event.id}" and line["duration_ms"] >= 0


@pytest.mark.parametrize("bad", ["short", "has space in it", 'quote"injection-attempt', "x" * 200])
def test_a_malformed_request_id_is_replaced_by_a_new_one(app, client, capsys, bad):
    _json_logs(app)
    response = client.get("/", headers={"X-Request-ID": bad})
    made = response.headers["X-Request-ID"]
    assert made != bad and len(made) == 32 and int(made, 16) >= 0
    assert _request_lines(_records(capsys))[0]["request_id"] == made


def test_every_record_of_a_request_has_its_id_and_no_address(app, client, mailbox, capsys):
    """The mail warning written while the signup request runs carries that request's id; the
    SMTP error quotes the refused address, which the log masks."""
    _json_logs(app)
    event = factories.event()
    db.session.commit()
    mailbox.refuse = True  # the server refuses the message: a warning is logged

    response = signup(client, event.id, email="aino.korhonen@example.fi")

    records = _records(capsys)
    request_id = response.headers["X-Request-ID"]
    warning = next(r for r in records if r["logger"] == "eventhub.mail")
    assert warning["request_id"] == request_id and warning["level"] == "WARNING"
    post = next(r for r in _request_lines(records) if r["method"] == "POST")
    assert post["request_id"] == request_id and post["status"] == 303
    text = "\n".join(json.dumps(r) for r in records)
    assert "aino.korhonen" not in text


def test_secret_paths_and_query_strings_stay_out_of_the_log(app, client, mailbox, capsys):
    event = factories.event()
    db.session.commit()
    signup(client, event.id, email="aino@example.fi")
    link = manage_link(mailbox.to("aino@example.fi")[0])
    token = link.rsplit("/", 1)[1]
    capsys.readouterr()

    assert client.get(link).status_code == 200
    assert client.get(f"{link}/event.ics").status_code == 200
    client.get("/password/reset/not-a-real-token-but-secret")
    # No route takes a POST here (405): the path is redacted without a matched route's help.
    assert client.post("/calendar/me/feed-secret-of-someone.ics").status_code == 405
    assert client.get("/?q=aino@example.fi&name=Aino+Korhonen").status_code == 200

    log = capsys.readouterr().err  # plain text, the default format
    assert "GET /manage/*** (registration.manage) 200" in log
    assert "GET /manage/***/event.ics" in log
    assert "/password/reset/***" in log
    assert "POST /calendar/me/***.ics (none) 405" in log
    assert token not in log and "not-a-real-token" not in log and "feed-secret" not in log
    assert "aino" not in log.lower() and "?" not in log


def test_development_mail_in_the_log_keeps_its_link(app, client, capsys):
    """Without a mail server (development) the message is written to the log to be followed;
    the request line of the same signup is still scrubbed."""
    app.config.update(MAIL_SERVER=None, DEVELOPMENT=True)
    event = factories.event()
    db.session.commit()
    signup(client, event.id, email="dev@example.fi")
    log = capsys.readouterr().err
    assert "To: dev@example.fi" in log
    assert MANAGE_LINK.search(log) and "/manage/***" not in log


# --- metrics ----------------------------------------------------------------------------


def _scrape(client) -> dict[tuple, float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, *sorted(s.labels.items()))] = s.value
    return samples


def _value(samples, name: str, **labels) -> float:
    return samples.get((name, *sorted(labels.items())), 0.0)


@pytest.fixture
def scraper(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return app


@pytest.mark.parametrize(
    ("headers", "remote"),
    [
        ({}, "203.0.113.7"),
        ({"Authorization": "Bearer wrong"}, "203.0.113.7"),
        ({"Authorization": TOKEN}, "203.0.113.7"),  # not a bearer token
        ({}, "127.0.0.1"),  # loopback is not trusted by default: behind a proxy it is everyone
    ],
)
def test_metrics_are_not_public(scraper, client, headers, remote):
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == 404
    assert b"eventhub_" not in response.data


def test_metrics_answer_allowed_addresses_and_the_token(scraper, client):
    scraper.config["METRICS_ALLOW_FROM"] = ["10.0.0.0/8"]
    allowed = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert allowed.status_code == 200 and b"eventhub_outbox_queued" in allowed.data
    other = client.get("/metrics", environ_base={"REMOTE_ADDR": "11.1.2.3"})
    assert other.status_code == 404
    assert _scrape(client)  # the bearer token, from anywhere


def test_metrics_count_signups_by_outcome_and_mail_sent(scraper, client, mailbox):
    small = factories.event(capacity=1, waitlist_enabled=True)
    closed = factories.event(capacity=1, waitlist_enabled=False)
    approval = factories.event(capacity=5, requires_approval=True)
    db.session.commit()
    before = _scrape(client)

    assert signup(client, small.id, email="first@example.fi").status_code == 303
    assert signup(client, small.id, email="second@example.fi").status_code == 303
    assert signup(client, closed.id, email="third@example.fi").status_code == 303
    full = signup(client, closed.id, token_from=f"/events/{approval.id}", email="fourth@example.fi")
    assert full.status_code == 409
    assert signup(client, approval.id, email="fifth@example.fi").status_code == 303
    after = _scrape(client)

    def delta(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    outcomes = {
        o: delta("eventhub_registrations_total", outcome=o)
        for o in ("confirmed", "waitlisted", "pending", "refused")
    }
    assert outcomes == {"confirmed": 2, "waitlisted": 1, "pending": 1, "refused": 1}
    sent = len(mailbox.messages)
    assert sent == 4
    assert delta("eventhub_mail_send_seconds_count") == sent
    assert delta("eventhub_mail_deliveries_total", result="sent") == sent
    assert delta(
        "eventhub_http_requests_total", endpoint="registration.register", method="POST",
        status="409",
    ) == 1  # fmt: skip
    assert (
        delta("eventhub_http_request_duration_seconds_count", endpoint="registration.register") == 5
    )


def test_made_up_methods_cannot_grow_the_metrics(scraper, client):
    before = _scrape(client)
    for method in ("BREW", "WHEN", "XYZZY"):
        assert client.open("/", method=method).status_code == 405
    after = _scrape(client)
    labels = {"endpoint": "none", "method": "other", "status": "405"}
    assert (
        _value(after, "eventhub_http_requests_total", **labels)
        - _value(before, "eventhub_http_requests_total", **labels)
        == 3
    )
    assert not any("BREW" in str(key) for key in after)


def test_a_registration_rolled_back_is_not_counted(scraper, client):
    event = factories.event()
    db.session.commit()
    before = _scrape(client)
    registration.register(event.id, SignupData(name="A", email="a@example.fi", locale="fi"))
    db.session.rollback()
    registration.register(event.id, SignupData(name="B", email="b@example.fi", locale="fi"))
    db.session.commit()
    after = _scrape(client)
    confirmed = ("eventhub_registrations_total", ("outcome", "confirmed"))
    assert after.get(confirmed, 0) - before.get(confirmed, 0) == 1


def test_outbox_gauges_reflect_the_rows(scraper, client):
    now = utcnow()
    for minutes in (3, 45):
        m = outbox.enqueue(kind="test", recipient="q@example.fi", subject="s", body_text="b")
        m.created_at = now - timedelta(minutes=minutes)
    failed = outbox.enqueue(kind="test", recipient="f@example.fi", subject="s", body_text="b")
    failed.status = OutboxStatus.FAILED
    sent = outbox.enqueue(kind="test", recipient="s@example.fi", subject="s", body_text="b")
    sent.status, sent.created_at = OutboxStatus.SENT, now - timedelta(days=3)
    db.session.commit()

    samples = _scrape(client)

    assert _value(samples, "eventhub_outbox_queued") == 2
    assert _value(samples, "eventhub_outbox_failed") == 1
    assert 45 * 60 <= _value(samples, "eventhub_outbox_oldest_queued_seconds") < 46 * 60


# --- health -----------------------------------------------------------------------------


def test_healthz_stays_up_with_a_mail_backlog(app, client, mailbox):
    app.config["MAIL_PORT"] = _closed_port()  # the mail server is down
    event = factories.event()
    db.session.commit()
    signup(client, event.id, email="waiting@example.fi")
    db.session.execute(
        OutboxMessage.__table__.update().values(created_at=utcnow() - timedelta(hours=2))
    )
    db.session.commit()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert response.json["outbox"]["queued"] == 1
    assert response.json["outbox"]["oldest_queued_seconds"] >= 2 * 3600


def test_healthz_is_503_when_the_database_is_down(smtp_server):
    down = f"postgresql+psycopg://eventhub@127.0.0.1:{_closed_port()}/eventhub"
    app = create_app({"DATABASE_URL": down}, testing=True)
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.json == {"status": "degraded", "database": "unavailable", "outbox": None}


# --- failed mail ------------------------------------------------------------------------


def _fail_one_message(app, recipient: str) -> OutboxMessage:
    """A message that really failed: the SMTP server is down for its only attempt."""
    real_port = app.config["MAIL_PORT"]
    app.config.update(MAIL_PORT=_closed_port(), MAIL_MAX_ATTEMPTS=1)
    message = outbox.enqueue(
        kind="confirmation", recipient=recipient, subject="Registration", body_text="b"
    )
    db.session.commit()
    assert outbox.deliver().failed == 1
    app.config["MAIL_PORT"] = real_port
    db.session.refresh(message)
    assert message.status == OutboxStatus.FAILED
    return message


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CHECKIN])
def test_the_failed_mail_page_is_for_admins_only(app, client, role):
    message = _fail_one_message(app, "hidden@example.fi")
    assert client.get("/organiser/mail/failed").status_code == 302  # to sign in
    factories.user(email="x@example.fi", role=role)
    sign_in(client, "x@example.fi")
    assert client.get("/organiser/mail/failed").status_code == 404
    retry = client.post(f"/organiser/mail/failed/{message.id}/retry")
    assert retry.status_code in (400, 404)  # no token, no page: either way nothing happens
    db.session.refresh(message)
    assert message.status == OutboxStatus.FAILED


def test_an_admin_retries_a_failed_message_and_it_is_sent_exactly_once(app, client, mailbox):
    message = _fail_one_message(app, "aino.korhonen@example.fi")
    factories.user(email="boss@example.fi", role=Role.ADMIN)
    sign_in(client, "boss@example.fi")

    page = client.get("/organiser/mail/failed").get_data(as_text=True)
    assert "a***@example.fi" in page and "aino.korhonen" not in page
    assert "ConnectionRefusedError" in page and "confirmation" in page

    url = f"/organiser/mail/failed/{message.id}/retry"
    first = post_form(client, url, token_from="/organiser/mail/failed")
    second = post_form(client, url, token_from="/organiser/mail/failed")

    assert first.status_code == second.status_code == 303
    assert len(mailbox.to("aino.korhonen@example.fi")) == 1
    db.session.refresh(message)
    assert message.status == OutboxStatus.SENT
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mail.retry")).all()
    assert [(e.object_id, e.details["via"]) for e in entries] == [(message.id, "page")]
    assert "aino" not in json.dumps(entries[0].details)
    assert "No mail has failed." in client.get("/organiser/mail/failed").get_data(as_text=True)


def test_the_command_lists_and_retries_failed_mail_once(app, runner, mailbox):
    one = _fail_one_message(app, "one@example.fi")
    _fail_one_message(app, "two@example.fi")

    listing = runner.invoke(args=["eventhub", "failed-mail"])
    assert listing.exit_code == 0
    assert "o***@example.fi" in listing.output and "t***@example.fi" in listing.output
    assert "one@example.fi" not in listing.output

    retried = runner.invoke(args=["eventhub", "failed-mail", "--retry", str(one.id)])
    assert retried.exit_code == 0 and "1 queued again" in retried.output
    again = runner.invoke(args=["eventhub", "failed-mail", "--retry", str(one.id)])
    assert again.exit_code != 0 and "not a failed message" in again.output
    rest = runner.invoke(args=["eventhub", "failed-mail", "--retry-all"])
    assert "1 queued again" in rest.output
    assert runner.invoke(args=["eventhub", "failed-mail", "--retry-all"]).output.startswith("0")

    assert sorted(m["To"] for m in mailbox.messages) == ["one@example.fi", "two@example.fi"]
    assert "No failed mail." in runner.invoke(args=["eventhub", "failed-mail"]).output
