"""No overbooking, ever: many people register for the last places at the same moment."""

from __future__ import annotations

import threading

from sqlalchemy import select

from eventhub.core.models import Event, Registration, RegistrationStatus
from eventhub.core.services import capacity, outbox
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token

PEOPLE = 50
PLACES = 10


def test_fifty_people_race_for_ten_places(app, mailbox):
    app.config["MAIL_DELIVERY"] = "worker"  # the race is about places; mail is checked after
    event = factories.event(capacity=PLACES)
    db.session.commit()
    event_id = event.id

    clients = [app.test_client() for _ in range(PEOPLE)]
    tokens = [csrf_token(c, f"/events/{event_id}") for c in clients]
    start = threading.Barrier(PEOPLE)
    results: list[tuple[int, int | str]] = []
    lock = threading.Lock()

    def register(i: int) -> None:
        start.wait()
        try:
            response = clients[i].post(
                f"/events/{event_id}/register",
                data={
                    "csrf_token": tokens[i],
                    "name": f"Person {i}",
                    "email": f"person{i}@example.fi",
                    "consent": "y",
                },
            )
            outcome: int | str = response.status_code
        except Exception as exc:  # noqa: BLE001 - any exception is a failure to report
            outcome = repr(exc)
        with lock:
            results.append((i, outcome))

    threads = [threading.Thread(target=register, args=(i,)) for i in range(PEOPLE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(outcome for _, outcome in results) == [303] * PEOPLE  # no errors to anyone

    db.session.expire_all()
    registrations = db.session.scalars(
        select(Registration).where(Registration.event_id == event_id).order_by(Registration.id)
    ).all()
    confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    waiting = [r for r in registrations if r.status == RegistrationStatus.WAITLISTED]
    assert len(confirmed) == PLACES and len(waiting) == PEOPLE - PLACES
    assert db.session.get(Event, event_id).places_taken == PLACES  # the counter, exact too

    # Arrival order is a gapless queue; the first ten to arrive got the places.
    queue = sorted(r.queue_no for r in registrations)
    assert queue == list(range(1, PEOPLE + 1))
    assert max(r.queue_no for r in confirmed) < min(r.queue_no for r in waiting)
    positions = sorted(capacity.waitlist_position(r) for r in waiting)
    assert positions == list(range(1, PEOPLE - PLACES + 1))

    # Everyone gets exactly one message, once the sender runs.
    while outbox.deliver().sent:
        pass
    recipients = sorted(m["To"] for m in mailbox.messages)
    assert recipients == sorted(f"person{i}@example.fi" for i in range(PEOPLE))
    subjects = [m["Subject"] for m in mailbox.messages]
    assert sum("confirmed" in s for s in subjects) == PLACES
    assert sum("waiting list" in s for s in subjects) == PEOPLE - PLACES


def test_cancellations_racing_promote_each_waiting_person_once(app, client, mailbox):
    app.config["MAIL_DELIVERY"] = "worker"
    event = factories.event(capacity=3)
    db.session.commit()
    from tests.helpers import signup

    for i in range(8):
        signup(client, event.id, email=f"r{i}@example.fi")
    holders = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ).all()
    ids = [r.id for r in holders]
    db.session.commit()

    from eventhub.core.services import registration as service

    start = threading.Barrier(len(ids))
    errors = []

    def cancel(registration_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                service.cancel(db.session.get(Registration, registration_id))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))

    threads = [threading.Thread(target=cancel, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    db.session.expire_all()
    by_status = {}
    for r in db.session.scalars(
        select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ):
        by_status.setdefault(r.status, []).append(r.person.email)
    assert by_status[RegistrationStatus.CONFIRMED] == ["r3@example.fi", "r4@example.fi",
                                                       "r5@example.fi"]  # fmt: skip
    assert by_status[RegistrationStatus.WAITLISTED] == ["r6@example.fi", "r7@example.fi"]
    assert len(by_status[RegistrationStatus.CANCELLED]) == 3
    # The event's seat counter followed the cancellations and promotions exactly.
    assert db.session.get(Event, event.id).places_taken == capacity.counted_places(event.id) == 3


def test_groups_racing_with_singles_never_overbook_and_wait_whole(app, mailbox):
    """Fifty signups race for ten places; every third brings two companions. No overbooking,
    no group split (the organiser did not allow it), and nobody overtakes a waiting group."""
    app.config["MAIL_DELIVERY"] = "worker"
    event = factories.event(capacity=PLACES, max_companions=2)
    db.session.commit()
    event_id = event.id

    clients = [app.test_client() for _ in range(PEOPLE)]
    tokens = [csrf_token(c, f"/events/{event_id}") for c in clients]
    start = threading.Barrier(PEOPLE)
    results: list[int | str] = []
    lock = threading.Lock()

    def register(i: int) -> None:
        data = {
            "csrf_token": tokens[i],
            "name": f"Person {i}",
            "email": f"person{i}@example.fi",
            "consent": "y",
        }
        if i % 3 == 0:
            data |= {"companion_0_name": f"Child {i}a", "companion_1_name": f"Child {i}b"}
        start.wait()
        try:
            outcome: int | str = (
                clients[i].post(f"/events/{event_id}/register", data=data).status_code
            )
        except Exception as exc:  # noqa: BLE001 - any exception is a failure to report
            outcome = repr(exc)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(PEOPLE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert sorted(results) == [303] * PEOPLE
    db.session.expire_all()
    registrations = db.session.scalars(
        select(Registration).where(Registration.event_id == event_id)
    ).all()
    assert len(registrations) == PEOPLE + 2 * len(range(0, PEOPLE, 3))
    holding = [r for r in registrations if r.status in capacity.PLACE_HOLDING]
    assert len(holding) <= PLACES and capacity.count_taken(event_id) == len(holding)
    assert len(holding) >= PLACES - 2  # at most a group of three left waiting for places
    by_entry: dict[int, set] = {}
    for r in registrations:
        by_entry.setdefault(r.queue_no, set()).add(r.status)
    assert all(len(s) == 1 for s in by_entry.values())  # each group wholly in or out
    placed = [q for q, s in by_entry.items() if RegistrationStatus.CONFIRMED in s]
    waiting = [q for q, s in by_entry.items() if RegistrationStatus.WAITLISTED in s]
    assert max(placed) < min(waiting)  # first come, first served, groups included
    assert sorted(by_entry) == list(range(1, PEOPLE + 1))  # one queue entry per signup
    # The seat counter holds exactly the places the rows hold.
    db.session.expire_all()
    assert db.session.get(Event, event_id).places_taken == capacity.counted_places(event_id)
