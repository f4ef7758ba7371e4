"""The seat counter on the event equals the registrations that hold places, whatever
happens to them: signups, cancellations, promotions, approvals, organiser additions and
capacity edits, in any order (Hypothesis picks the order)."""

from __future__ import annotations

import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from eventhub.core.models import Event, Registration, RegistrationStatus, User
from eventhub.core.services import capacity, event_admin, registrations_admin, retention
from eventhub.core.services import registration as service
from eventhub.core.services.errors import Refused
from eventhub.core.services.signup import Placement, SignupData
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token

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
