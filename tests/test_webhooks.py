"""Webhooks delivered to a real HTTP receiver on loopback: every kind of notice, signed;
a receiver that fails for a while gets them later, in order; 410 turns the hook off; no
private-network targets unless allowed; the delivery log and its "send again"."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eventhub.core.db import utcnow
from eventhub.core.models import (
    AuditEntry,
    DeliveryStatus,
    Registration,
    Webhook,
    WebhookDelivery,
)
from eventhub.core.services import webhooks
from eventhub.extensions import db
from tests import factories
from tests.helpers import post_form, sign_in, signup
from tests.test_api_write import add, auth, make_token, times

ALL_ACTIONS = [a.value for a in webhooks.Action]


class Receiver:
    """An HTTP server on a free loopback port that keeps what it was sent and answers with
    the statuses queued in ``answers`` (then 200)."""

    def __init__(self):
        self.received: list[dict] = []
        self.answers: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.received.append(
                        {"headers": dict(self.headers), "body": body, "status": status}
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/eventhub"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def accepted(self) -> list[dict]:
        return [r for r in self.received if r["status"] == 200]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def kanto(app, client):
    project = factories.project(code="KANTO", name="Kanto")
    factories.user("anne@example.fi", projects=[project])
    db.session.commit()
    sign_in(client, "anne@example.fi")
    return project


def add_hook(client, project, url, actions=ALL_ACTIONS):
    page = f"/organiser/projects/{project.id}/integrations"
    return post_form(
        client, f"{page}/webhooks", {"url": url, "actions": list(actions)}, token_from=page
    )


def the_hook() -> Webhook:
    db.session.expire_all()
    return db.session.scalars(db.select(Webhook)).one()


def verified(secret: str, request: dict) -> dict:
    """The receiver's side: check the signature over timestamp + body, then read the body.
    (The same steps as the snippet in docs/operations.md.)"""
    timestamp = request["headers"]["X-Eventhub-Timestamp"]
    signature = request["headers"]["X-Eventhub-Signature"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature, f"sha256={expected}"), "signature"
    assert abs(int(timestamp) - utcnow().timestamp()) < 60
    return json.loads(request["body"])


def test_every_kind_arrives_once_signed_with_ids_only(client, kanto, receiver, mailbox):
    assert add_hook(client, kanto, receiver.url).status_code == 303
    hook = the_hook()
    token = make_token(client, kanto)
    # event.published, event.changed
    created = client.post(
        "/api/v1/manage/events",
        json={"title": "Ilta", "kind": "training", "capacity": 1, "publish": True, **times()},
        headers=auth(token),
    ).json
    event_id = created["id"]
    client.patch(f"/api/v1/manage/events/{event_id}", json=times(days=22), headers=auth(token))
    # registration.created (twice), cancelled, promoted; attendance.recorded
    first = add(client, token, event_id).json
    second = add(client, token, event_id, email="bert@example.fi", placement="place_or_waitlist")
    assert second.json["status"] == "waitlisted"
    client.post(f"/api/v1/manage/registrations/{first['id']}/cancel", headers=auth(token))
    client.post(
        f"/api/v1/manage/events/{event_id}/attendance",
        json={"registration_id": second.json["id"]},
        headers=auth(token),
    )
    # registration.changed: an organiser approves a signup that needs approval
    approval = factories.event(title="Approval", project=kanto, requires_approval=True)
    db.session.commit()
    signup(client, approval.id, email="cecilia@example.fi", name="Cecilia Virtanen")
    pending = db.session.scalars(
        db.select(WebhookDelivery.payload).where(WebhookDelivery.action == "registration.created")
    ).all()[-1]["registration_id"]
    post_form(
        client,
        f"/organiser/events/{approval.id}/registrations/{pending}/approve",
        token_from=f"/organiser/events/{approval.id}/registrations",
    )
    # event.cancelled
    client.post(f"/api/v1/manage/events/{event_id}/cancel", headers=auth(token))

    assert receiver.received == []  # nothing is sent inside a request
    queued = db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert webhooks.drain(100) == len(queued)
    bodies = [verified(hook.secret, r) for r in receiver.received]
    assert sorted({b["action"] for b in bodies}) == sorted(ALL_ACTIONS)
    expected = [
        "event.published", "event.changed", "registration.created", "registration.created",
        "registration.cancelled", "registration.promoted", "attendance.recorded",
        "registration.created", "registration.changed", "event.cancelled",
    ]  # fmt: skip
    assert [b["action"] for b in bodies] == expected  # each once, in order of creation
    assert len({b["id"] for b in bodies}) == len(bodies)
    for request, body in zip(receiver.received, bodies, strict=True):
        assert request["headers"]["X-Eventhub-Action"] == body["action"]
        assert set(body) <= {
            "id", "action", "created_at", "project_id", "event_id", "registration_id",
            "attendance_id", "headcount_id",
        }  # fmt: skip
        assert body["project_id"] == kanto.id
        raw = request["body"].decode()
        for personal in ("@", "Aino", "Bert", "Cecilia", "Korhonen", "Virtanen"):
            assert personal not in raw
    assert {d.status for d in db.session.scalars(db.select(WebhookDelivery))} == {
        DeliveryStatus.DELIVERED
    }
    assert webhooks.drain(100) == 0  # nothing twice


def test_a_failing_receiver_gets_them_later_in_order(app, client, kanto, receiver):
    # Waits of minutes, so that a slow machine cannot reach the next try by itself: the test
    # moves time on by hand.
    app.config["WEBHOOK_RETRY_BASE_SECONDS"] = 60
    add_hook(client, kanto, receiver.url, ["registration.created"])
    hook = the_hook()
    event = factories.event(project=kanto, capacity=None)
    db.session.commit()
    token = make_token(client, kanto)
    for n in range(3):
        add(client, token, event.id, email=f"p{n}@example.fi")
    receiver.answers = [500, 503]  # fails twice, then recovers
    first = None
    delays = []
    for _ in range(3):
        before = utcnow()
        webhooks.drain(10)
        db.session.expire_all()
        head = db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id)).first()
        first = first or head.id
        if head.status == DeliveryStatus.QUEUED:
            delays.append((head.next_attempt_at - before).total_seconds())
            assert webhooks.drain(10) == 0  # not due yet: nothing goes, not even the later ones
            head.next_attempt_at = utcnow()  # time passes
            db.session.commit()
    assert delays[1] > delays[0] * 1.5  # the wait grows
    assert [r["status"] for r in receiver.received] == [500, 503, 200, 200, 200]
    ids = [int(r["headers"]["X-Eventhub-Delivery"]) for r in receiver.accepted()]
    assert ids == sorted(ids) and ids[0] == first  # in order of creation
    assert [verified(hook.secret, r)["registration_id"] for r in receiver.accepted()] == sorted(
        verified(hook.secret, r)["registration_id"] for r in receiver.accepted()
    )


def test_a_notice_is_given_up_after_three_days_and_the_queue_goes_on(client, kanto, receiver):
    add_hook(client, kanto, receiver.url, ["registration.created"])
    event = factories.event(project=kanto, capacity=None)
    db.session.commit()
    token = make_token(client, kanto)
    add(client, token, event.id, email="old@example.fi")
    add(client, token, event.id, email="new@example.fi")
    old = db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id)).first()
    old.created_at = utcnow() - timedelta(days=3)
    db.session.commit()
    receiver.answers = [500]
    assert webhooks.drain(10) == 2
    db.session.expire_all()
    statuses = [d.status for d in db.session.scalars(db.select(WebhookDelivery).order_by("id"))]
    assert statuses == [DeliveryStatus.FAILED, DeliveryStatus.DELIVERED]


def test_410_turns_the_hook_off(client, kanto, receiver):
    add_hook(client, kanto, receiver.url, ["registration.created"])
    hook = the_hook()
    event = factories.event(project=kanto, capacity=None)
    db.session.commit()
    token = make_token(client, kanto)
    add(client, token, event.id, email="a@example.fi")
    add(client, token, event.id, email="b@example.fi")
    receiver.answers = [410]
    webhooks.drain(10)
    assert len(receiver.received) == 1  # the second is not sent after the 410
    hook = the_hook()
    assert hook.active is False and "410" in hook.disabled_reason
    add(client, token, event.id, email="c@example.fi")
    assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 2
    assert webhooks.drain(10) == 0
    page = client.get(f"/organiser/projects/{kanto.id}/integrations/webhooks/{hook.id}")
    assert "410 Gone" in page.get_data(as_text=True)
    # Turned on again, what waited is sent, in order.
    post_form(
        client,
        f"/organiser/projects/{kanto.id}/integrations/webhooks/{hook.id}/active",
        token_from=f"/organiser/projects/{kanto.id}/integrations/webhooks/{hook.id}",
    )
    assert webhooks.drain(10) == 1
    assert len(receiver.accepted()) == 1


def test_redeliver_from_the_delivery_log(client, kanto, receiver):
    add_hook(client, kanto, receiver.url, ["registration.created"])
    hook = the_hook()
    event = factories.event(project=kanto, capacity=None)
    db.session.commit()
    add(client, make_token(client, kanto), event.id)
    webhooks.drain(10)
    delivery = db.session.scalars(db.select(WebhookDelivery)).one()
    page_url = f"/organiser/projects/{kanto.id}/integrations/webhooks/{hook.id}"
    page = client.get(page_url).get_data(as_text=True)
    assert "HTTP 200" in page and "Delivered" in page
    response = post_form(
        client, f"{page_url}/deliveries/{delivery.id}/redeliver", token_from=page_url
    )
    assert response.status_code == 303
    assert webhooks.drain(10) == 1
    first, again = (verified(hook.secret, r) for r in receiver.received)
    assert first == again  # the same notice, so the receiver can tell it is a repeat
    assert "webhook_redelivered" in db.session.scalars(db.select(AuditEntry.action)).all()


def test_private_targets_are_refused_unless_allowed(app, client, kanto, receiver):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
    for url in (
        receiver.url,
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://localhost/hook",
        "https://0.0.0.0/hook",
        "ftp://example.fi/hook",
        "https://user:pw@example.fi/hook",
    ):
        response = add_hook(client, kanto, url)
        assert response.status_code == 422, url
    assert db.session.scalar(db.select(db.func.count()).select_from(Webhook)) == 0
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = True
    # Plain http only to loopback, even when private addresses are allowed.
    assert add_hook(client, kanto, "http://10.0.0.8/hook").status_code == 422
    # A hook made while allowed is not delivered once the setting is off (checked at
    # every delivery, against the address actually connected to).
    assert add_hook(client, kanto, receiver.url).status_code == 303
    event = factories.event(project=kanto, capacity=None)
    db.session.commit()
    add(client, make_token(client, kanto), event.id)
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
    webhooks.drain(10)
    assert receiver.received == []
    delivery = db.session.scalars(db.select(WebhookDelivery)).one()
    assert "private network" in delivery.last_error


def test_another_projects_manager_sees_no_hook(app, client, kanto, receiver):
    add_hook(client, kanto, receiver.url)
    hook = the_hook()
    other = factories.project(code="OTHER")
    factories.user("otto@example.fi", projects=[other])
    db.session.commit()
    client.post("/logout")
    outsider = app.test_client()
    sign_in(outsider, "otto@example.fi")
    assert outsider.get(f"/organiser/projects/{kanto.id}/integrations").status_code == 404
    assert (
        outsider.get(f"/organiser/projects/{kanto.id}/integrations/webhooks/{hook.id}").status_code
        == 404
    )
    assert (
        outsider.get(f"/organiser/projects/{other.id}/integrations/webhooks/{hook.id}").status_code
        == 404
    )


def test_the_jobs_are_registered(app):
    from eventhub.core.services import jobs

    # Other parts register jobs of their own beside these.
    assert ("webhooks", webhooks.drain) in [(w.name, w.drain) for w in jobs.queued_work()]
    periodic = [(j.name, j.run) for j in jobs.periodic_jobs()]
    assert ("integrations-cleanup", webhooks.clean_up) in periodic


def test_the_cleanup_keeps_a_month_of_log_and_a_day_of_answers(client, kanto, receiver):
    from eventhub.core.models import IdempotentRequest

    add_hook(client, kanto, receiver.url, ["registration.created"])
    event = factories.event(project=kanto, capacity=None)
    db.session.commit()
    token = make_token(client, kanto)
    for n in range(3):
        add(client, token, event.id, key=f"k{n}", email=f"p{n}@example.fi")
    receiver.answers = [200, 200, 500]
    webhooks.drain(10)
    old, recent, failing = db.session.scalars(db.select(WebhookDelivery).order_by("id")).all()
    old.created_at = failing.created_at = utcnow() - timedelta(days=31)
    answers = db.session.scalars(db.select(IdempotentRequest).order_by("id")).all()
    answers[0].created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert webhooks.clean_up() == ("1 old webhook deliveries and 1 idempotency answers removed")
    left = db.session.scalars(db.select(WebhookDelivery.id).order_by("id")).all()
    assert left == [recent.id, failing.id]  # the log keeps what did not arrive
    assert [a.key for a in db.session.scalars(db.select(IdempotentRequest))] == ["k1", "k2"]


def test_a_registration_without_hooks_writes_no_delivery(client, kanto):
    event = factories.event(project=kanto)
    db.session.commit()
    signup(client, event.id)
    assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 0


def test_a_refused_change_sends_nothing(client, kanto, receiver):
    """Notices are part of the change's transaction: a refused registration leaves none."""
    add_hook(client, kanto, receiver.url, ["registration.created"])
    event = factories.event(project=kanto, capacity=1)
    db.session.commit()
    token = make_token(client, kanto)
    assert add(client, token, event.id, email="a@example.fi").status_code == 201
    assert add(client, token, event.id, email="b@example.fi").status_code == 409  # full
    assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 1


def test_two_workers_draining_at_once_send_each_notice_once_in_order(app, client, kanto):
    """Two workers at once: each hook is held by one of them at a time, so every notice
    arrives once and each hook's in order of creation."""
    first, second = Receiver(), Receiver()
    try:
        add_hook(client, kanto, first.url, ["registration.created"])
        add_hook(client, kanto, second.url, ["registration.created"])
        event = factories.event(project=kanto, capacity=None)
        db.session.commit()
        token = make_token(client, kanto)
        for n in range(15):
            add(client, token, event.id, email=f"p{n}@example.fi")
        app.config["MAIL_DELIVERY"] = "worker"
        start = threading.Barrier(2)
        errors: list = []

        def worker() -> None:
            with app.app_context():
                start.wait()
                try:
                    while webhooks.drain(4):
                        pass
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        for receiver in (first, second):
            ids = [int(r["headers"]["X-Eventhub-Delivery"]) for r in receiver.received]
            assert len(ids) == 15 and ids == sorted(ids) and len(set(ids)) == 15
    finally:
        first.close()
        second.close()


def test_https_receivers_must_show_a_valid_certificate(client, kanto, tmp_path):
    """The connection goes to the address checked but verifies the certificate for the
    hook's host name: a self-signed receiver gets nothing, and the log says why."""
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    receiver = Receiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    try:
        https_url = receiver.url.replace("http://", "https://")
        assert add_hook(client, kanto, https_url, ["registration.created"]).status_code == 303
        event = factories.event(project=kanto, capacity=None)
        db.session.commit()
        add(client, make_token(client, kanto), event.id)
        webhooks.drain(10)
        delivery = db.session.scalars(db.select(WebhookDelivery)).one()
        assert receiver.accepted() == []
        assert delivery.status == DeliveryStatus.QUEUED and delivery.attempts == 1
        assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    finally:
        receiver.close()


def test_each_companion_is_a_registration_an_integration_hears_of(client, kanto, receiver):
    assert add_hook(client, kanto, receiver.url).status_code == 303
    hook = the_hook()
    family = factories.event(title="Perhepäivä", project=kanto, capacity=5, max_companions=2)
    db.session.commit()
    answer = signup(client, family.id, companion_0_name="Eero", companion_1_name="Ilona")
    assert answer.status_code == 303
    webhooks.drain(100)
    bodies = [verified(hook.secret, r) for r in receiver.accepted()]
    rows = db.session.scalars(
        db.select(Registration.id).where(Registration.event_id == family.id)
    ).all()
    assert [b["action"] for b in bodies] == ["registration.created"] * 3
    assert sorted(b["registration_id"] for b in bodies) == sorted(rows)
