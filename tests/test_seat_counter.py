"""The seat counter on the event equals the registrations that hold places, whatever
happens to them: signups, cancellations, promotions, approvals, organiser additions and
capacity edits, in any order (Hypothesis picks the order)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import Event, Person, Registration, RegistrationStatus, User
from eventhub.core.services import capacity, event_admin, registrations_admin, retention
from eventhub.core.services import registration as service
from eventhub.core.services.errors import Refused
from eventhub.core.services.signup import Placement, SignupData
from eventhub.extensions import db
from tests import factories
from tests.conftest import PG_URL, csrf_token
from tests.helpers import signup

OPERATIONS = (
    "signup",
    "signup_again",
    "add_place",
    "add_place_or_wait",
    "cancel",
    "cancel_on_behalf",
    "approve",
    "reject",
    "promote",
    "capacity",
    "approval",
    "retention",
    "cancel_event",
)


def _nth(event_id: int, i: int, statuses) -> Registration | None:
    found = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event_id, Registration.status.in_(statuses))
        .order_by(Registration.id)
    ).all()
    return found[i % len(found)] if found else None


def _apply(user, event_id: int, op: str, i: int) -> None:
    data = SignupData(name=f"Person {i}", email=f"p{i}@example.fi", locale="fi")
    event = db.session.get(Event, event_id)
    if op in ("signup", "signup_again"):
        service.register(event_id, data)
    elif op == "add_place":
        registrations_admin.add_by_hand(user, event, data, Placement.PLACE)
    elif op == "add_place_or_wait":
        registrations_admin.add_by_hand(user, event, data, Placement.PLACE_OR_WAITLIST)
    elif op in ("cancel", "cancel_on_behalf"):
        reg = _nth(event_id, i, service.ACTIVE)
        if reg is not None and op == "cancel":
            service.cancel(reg)
        elif reg is not None:
            registrations_admin.cancel_on_behalf(user, reg)
    elif op in ("approve", "reject"):
        reg = _nth(event_id, i, [RegistrationStatus.PENDING])
        if reg is not None:
            getattr(registrations_admin, op)(user, reg)
    elif op == "promote":
        reg = _nth(event_id, i, [RegistrationStatus.WAITLISTED])
        if reg is not None:
            registrations_admin.promote(user, reg)
    elif op == "capacity":
        event_admin.save_event(user, event, capacity=i % 6)
    elif op == "approval":
        event_admin.save_event(user, event, requires_approval=not event.requires_approval)
    elif op == "retention":
        retention.anonymise_expired()
    elif op == "cancel_event" and i == 0:  # rarely: nothing is taken after it
        event_admin.cancel(user, event)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    places=st.integers(0, 4),
    waitlist=st.booleans(),
    approval=st.booleans(),
    operations=st.lists(
        st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 7)), min_size=1, max_size=20
    ),
)
def test_the_counter_equals_the_rows_after_any_mix_of_operations(
    app, places, waitlist, approval, operations
):
    with app.test_request_context():
        user = db.session.scalar(select(User)) or factories.user()
        event = factories.event(
            capacity=places, waitlist_enabled=waitlist, requires_approval=approval
        )
        db.session.commit()
        event_id = event.id
        for op, i in operations:
            try:
                _apply(user, event_id, op, i)
                db.session.commit()
            except Refused:
                db.session.rollback()
            db.session.expire_all()
            event = db.session.get(Event, event_id)
            counted = capacity.counted_places(event_id)
            assert event.places_taken == counted, (op, i)
            assert event.capacity is None or counted <= event.capacity, (op, i)


def test_the_same_address_twice_at_once_is_one_registration(app, mailbox):
    """The person's registration is looked up before the seat is taken: two signups of one
    address at the same moment make one registration, and the other is answered as a repeat
    (its link goes by mail), never an error; the counter holds one place."""
    app.config["MAIL_DELIVERY"] = "worker"
    event = factories.event(capacity=5)
    db.session.commit()
    event_id = event.id
    tries = 6
    clients = [app.test_client() for _ in range(tries)]
    tokens = [csrf_token(c, f"/events/{event_id}") for c in clients]
    start = threading.Barrier(tries)
    answers: list[int | str] = []

    def post(i: int) -> None:
        start.wait()
        try:
            response = clients[i].post(
                f"/events/{event_id}/register",
                data={
                    "csrf_token": tokens[i],
                    "name": "Aino Korhonen",
                    "email": "aino@example.fi",
                    "consent": "y",
                },
            )
            answers.append(response.status_code)
        except Exception as exc:  # noqa: BLE001 - any exception is a failure to report
            answers.append(repr(exc))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(tries)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert answers == [303] * tries
    db.session.expire_all()
    assert capacity.counted_places(event_id) == 1
    assert db.session.get(Event, event_id).places_taken == 1


@pytest.mark.skipif(not PG_URL, reason="the interleaving needs PostgreSQL (CI sets it)")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_registration_committed_meanwhile_for_the_same_address_makes_a_repeat(
    app, client, monkeypatch
):
    """The existing registration is looked up before the seat is taken. When another signup
    of the same address commits in between (made deterministic here: it commits just before
    this one takes its seat), the insert meets the unique constraint; the signup runs again,
    answers as a repeat, and no place is taken twice. (On SQLite the signup's write
    transaction covers the look-up too, so this cannot happen there.)"""
    app.config["MAIL_DELIVERY"] = "worker"
    event = factories.event(capacity=5)
    person = Person(email="aino@example.fi", email_normalised="aino@example.fi", name="Aino")
    db.session.add(person)
    db.session.commit()
    event_id, person_id = event.id, person.id
    real_take_seat = service.take_seat

    def meanwhile(*args, **kwargs):
        if not db.session.info.get("interfered"):
            db.session.info["interfered"] = True  # once: the second run finds its row
            with db.engine.begin() as other:  # another request's transaction
                other.execute(
                    Registration.__table__.insert().values(
                        event_id=event_id, person_id=person_id, status="confirmed",
                        queue_no=1, answers={}, accessibility_needs="", dietary_needs="",
                        locale="fi", manage_token_hash="x" * 64, consent_at=utcnow(),
                        created_at=utcnow(), updated_at=utcnow(),
                    )
                )  # fmt: skip
                other.execute(
                    Event.__table__.update()
                    .where(Event.__table__.c.id == event_id)
                    .values(places_taken=1, queue_last=1)
                )
        return real_take_seat(*args, **kwargs)

    monkeypatch.setattr(service, "take_seat", meanwhile)
    answer = signup(client, event_id, email="aino@example.fi")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/events/{event_id}/check-email")
    db.session.expire_all()
    assert capacity.counted_places(event_id) == 1
    assert db.session.get(Event, event_id).places_taken == 1
