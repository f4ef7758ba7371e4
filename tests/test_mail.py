"""Mail through the outbox: never lost, never sent for a rolled-back request, sent once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from eventhub.core.db import utcnow
from eventhub.core.models import OutboxMessage, OutboxStatus, Registration
from eventhub.core.services import outbox
from eventhub.extensions import db
from tests import factories
from tests.helpers import signup

MANAGE_TOKEN = re.compile(r"/manage/([A-Za-z0-9_-]+)")


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _statuses() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_registrations_succeed_while_smtp_is_down_and_are_delivered_once_later(
    app, client, runner, mailbox
):
    real_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = _closed_port()  # nothing listens: the server is down
    event = factories.event(capacity=10)
    for i in range(3):
        assert signup(client, event.id, email=f"p{i}@example.fi").status_code == 303

    assert mailbox.messages == []
    assert _statuses() == [OutboxStatus.QUEUED] * 3
    attempts = db.session.scalars(select(OutboxMessage.attempts)).all()
    assert attempts == [1, 1, 1]  # each was tried once, inline, and kept

    app.config["MAIL_PORT"] = real_port
    # Retries wait for their backoff; make them due now instead of sleeping.
    db.session.execute(OutboxMessage.__table__.update().values(next_attempt_at=utcnow()))
    db.session.commit()
    result = runner.invoke(args=["eventhub", "send-mail"])
    assert result.exit_code == 0 and "3 sent" in result.output
    again = runner.invoke(args=["eventhub", "send-mail"])
    assert "0 sent" in again.output

    assert sorted(m["To"] for m in mailbox.messages) == [
        "p0@example.fi", "p1@example.fi", "p2@example.fi",
    ]  # fmt: skip
    assert _statuses() == [OutboxStatus.SENT] * 3


def test_retries_back_off_and_give_up_as_failed(app, mailbox):
    app.config.update(MAIL_PORT=_closed_port(), MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=60)
    message = outbox.enqueue(kind="test", recipient="x@example.fi", subject="s", body_text="b")
    db.session.commit()

    first = outbox.deliver()
    assert first.retried == 1
    db.session.refresh(message)
    assert message.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert outbox.deliver().retried == 0  # not due yet

    for _ in range(2):
        message.next_attempt_at = utcnow()
        db.session.commit()
        outbox.deliver()
    db.session.refresh(message)
    assert message.status == OutboxStatus.FAILED and message.attempts == 3
    assert "ConnectionRefusedError" in message.last_error


def test_a_rolled_back_transaction_sends_nothing(app, mailbox):
    outbox.enqueue(kind="test", recipient="ghost@example.fi", subject="s", body_text="b")
    db.session.rollback()
    assert outbox.deliver().sent == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert mailbox.messages == []


def test_a_message_claimed_by_another_sender_is_not_sent_twice(app, mailbox):
    message = outbox.enqueue(kind="test", recipient="once@example.fi", subject="s", body_text="b")
    db.session.commit()
    message.claimed_until = utcnow() + timedelta(minutes=5)  # another worker is on it
    db.session.commit()
    assert outbox.deliver().sent == 0
    message.claimed_until = utcnow() - timedelta(seconds=1)  # that worker died
    db.session.commit()
    assert outbox.deliver().sent == 1
    assert len(mailbox.to("once@example.fi")) == 1


def test_reminders_go_once_to_confirmed_participants(app, client, runner, mailbox):
    soon = factories.event(starts_at=utcnow() + timedelta(hours=5), capacity=1)
    later = factories.event(starts_at=utcnow() + timedelta(days=5))
    signup(client, soon.id, email="going@example.fi")
    signup(client, soon.id, email="waiting@example.fi")
    signup(client, later.id, email="later@example.fi")
    mailbox.clear()

    first = runner.invoke(args=["eventhub", "send-reminders"])
    second = runner.invoke(args=["eventhub", "send-reminders"])

    assert "1 reminders queued" in first.output and "0 reminders queued" in second.output
    assert [m["To"] for m in mailbox.messages] == ["going@example.fi"]
    assert "Reminder" in mailbox.messages[0]["Subject"]


def test_without_a_mail_server_messages_are_logged_not_lost(app, client, caplog):
    """On a developer's machine (`make run`) the whole message is in the log, to follow its
    links; anywhere else the log says a message was not sent and keeps its secrets."""
    app.config["MAIL_SERVER"] = None
    app.config["DEVELOPMENT"] = True
    event = factories.event()
    with caplog.at_level("INFO", logger="eventhub.mail"):
        signup(client, event.id, email="dev@example.fi")
    assert "Subject: Registration confirmed" in caplog.text and "/manage/" in caplog.text
    assert _statuses() == [OutboxStatus.SENT]


def test_outside_development_the_log_never_holds_a_messages_secrets(app, client, caplog):
    app.config["MAIL_SERVER"] = None
    app.config["TESTING"] = False  # as in production: neither debug nor development
    event = factories.event()
    with caplog.at_level("DEBUG"):
        signup(client, event.id, email="prod@example.fi")
    [message] = db.session.scalars(select(OutboxMessage)).all()
    token = MANAGE_TOKEN.search(message.body_text).group(1)
    assert f"mail {message.id} not sent" in caplog.text
    assert token not in caplog.text and "/manage/" not in caplog.text
    assert "prod@example.fi" not in caplog.text


class _BrokenDatabase:
    """Breaks the database connection under chosen statements, as a restarted server or a
    dropped connection would: the statement fails with the driver's OperationalError."""

    def __init__(self, engine, matches, times: int):
        self.engine, self.matches, self.left = engine, matches, times

    def __enter__(self):
        sa_event.listen(self.engine, "before_cursor_execute", self._maybe_fail)
        return self

    def __exit__(self, *exc):
        sa_event.remove(self.engine, "before_cursor_execute", self._maybe_fail)

    def _maybe_fail(self, conn, cursor, statement, parameters, context, executemany):
        if self.left > 0 and self.matches(statement):
            self.left -= 1
            raise OperationalError(statement, parameters, Exception("server closed the connection"))


def _is_claim(statement: str) -> bool:
    return statement.lstrip().startswith("SELECT") and "FROM outbox_message" in statement


def _is_record(statement: str) -> bool:
    return statement.lstrip().startswith("UPDATE outbox_message") and "attempts" in statement


def _later_a_worker_runs():
    """The claim lease has run out, as it has minutes later, and the sender runs again."""
    db.session.execute(update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    outbox.deliver()


@pytest.fixture
def production_errors(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a failure answers 500, as in production
    return app


def test_a_connection_lost_after_the_commit_never_turns_a_signup_into_an_error(
    production_errors, client, mailbox
):
    event = factories.event()
    with _BrokenDatabase(db.engine, _is_claim, times=1):
        response = signup(client, event.id, email="kept@example.fi")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/events/{event.id}/registered")
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
    assert mailbox.to("kept@example.fi") == [] and _statuses() == [OutboxStatus.QUEUED]
    _later_a_worker_runs()
    assert len(mailbox.to("kept@example.fi")) == 1 and _statuses() == [OutboxStatus.SENT]


@pytest.mark.parametrize("failures", [1, outbox.RECORD_ATTEMPTS + 2])
def test_a_sent_message_whose_record_fails_is_never_sent_again(
    production_errors, client, mailbox, failures
):
    """The mail went, then the database went away before it was marked sent: the answer is
    still the success page, and no later delivery sends the message a second time."""
    event = factories.event()
    with _BrokenDatabase(db.engine, _is_record, times=failures):
        response = signup(client, event.id, email="once@example.fi")
    assert response.status_code == 303
    assert len(mailbox.to("once@example.fi")) == 1
    _later_a_worker_runs()
    _later_a_worker_runs()
    assert len(mailbox.to("once@example.fi")) == 1
    assert _statuses() == [OutboxStatus.SENT]
