"""A signup's mail is queued as what to send and rendered by the sender, outside the
transaction that took the seat; every signup answered 2xx has its row and its mail."""

from __future__ import annotations

from sqlalchemy import select

from eventhub.core.models import OutboxMessage, OutboxStatus, Registration
from eventhub.core.services import outbox
from eventhub.extensions import db
from tests import factories
from tests.helpers import manage_link, signup


def test_the_signup_queues_what_to_send_and_the_sender_renders_it(app, client, mailbox):
    app.config["MAIL_DELIVERY"] = "worker"
    event = factories.event(title="Hankeosaaminen 2", venue="Carelicum", capacity=1)
    db.session.commit()
    assert signup(client, event.id, email="aino@example.fi").status_code == 303
    assert signup(client, event.id, email="eero@example.fi", name="Eero").status_code == 303

    # Committed with the registrations: one row each, nothing rendered yet.
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(r.recipient, r.kind, r.body_text) for r in rows] == [
        ("aino@example.fi", "confirmation", ""),
        ("eero@example.fi", "waitlisted", ""),
    ]
    registration_ids = db.session.scalars(select(Registration.id).order_by(Registration.id)).all()
    assert [r.render for r in rows] == [{"registration_id": i} for i in registration_ids]

    assert outbox.deliver().sent == 2
    [confirmation] = mailbox.to("aino@example.fi")
    assert confirmation["Subject"] == "Registration confirmed: Hankeosaaminen 2"
    assert [p.get_filename() for p in confirmation.iter_attachments()] == ["event.ics"]
    [waiting] = mailbox.to("eero@example.fi")
    assert "waiting list" in waiting["Subject"]
    # The mail's manage link works, and the row keeps what was sent.
    assert "Hankeosaaminen 2" in client.get(manage_link(confirmation)).get_data(as_text=True)
    db.session.expire_all()
    sent = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.status for m in sent] == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert sent[0].subject == confirmation["Subject"]
    assert "Hankeosaaminen 2" in sent[0].body_text


def test_mail_of_a_registration_gone_before_sending_is_not_sent(app, client, mailbox):
    app.config["MAIL_DELIVERY"] = "worker"
    event = factories.event(capacity=5)
    db.session.commit()
    assert signup(client, event.id, email="aino@example.fi").status_code == 303
    db.session.execute(Registration.__table__.delete())
    db.session.commit()

    report = outbox.deliver()
    assert (report.sent, report.failed) == (0, 1)
    assert mailbox.to("aino@example.fi") == []
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "nothing to send: the registration no longer exists"


def test_the_worker_renders_the_mail_in_the_language_of_the_signup(app, mailbox):
    """The mail worker has no request: the message is rendered in the registrant's locale,
    stored with the registration, not in the worker's default."""
    app.config["MAIL_DELIVERY"] = "worker"
    event = factories.event(title="Hankeosaaminen 3", capacity=5)
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    assert signup(client, event.id, email="aino@example.fi").status_code == 303

    assert outbox.deliver().sent == 1  # in the test's app context: no request, as the worker
    [message] = mailbox.to("aino@example.fi")
    assert message["Subject"] == "Ilmoittautuminen vahvistettu: Hankeosaaminen 3"
    assert "Hankeosaaminen 3" in message.get_body(("plain",)).get_content()
