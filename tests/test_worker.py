"""The worker (`flask eventhub worker`): queued work drained, periodic jobs run once per due
time across workers through the lease table, a dead worker's job taken again. On SQLite and
PostgreSQL; the multi-node test (tests/test_multinode.py) runs real worker processes."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import JobLease, OutboxMessage, OutboxStatus
from eventhub.core.services import jobs
from eventhub.extensions import db
from eventhub.worker import Worker
from tests import factories
from tests.helpers import signup

LEASE = timedelta(seconds=60)


def _register_counter(app, name="counted", every=timedelta(minutes=10)):
    runs: list[str] = []

    def run() -> str:
        runs.append(name)
        return "counted once"

    jobs.register_periodic(app, name, every, run)
    return runs


def test_the_worker_runs_what_others_registered_and_the_built_in_jobs(app, client, mailbox):
    """Queued work and periodic jobs registered by any part run, and the built-in ones are
    registered: mail, reminders, surveys, retention."""
    drained: list[int] = []

    def drain(limit: int) -> int:
        drained.append(limit)
        return 0

    jobs.register_queued(app, "another_part", drain)
    runs = _register_counter(app)
    app.config["MAIL_DELIVERY"] = "worker"
    soon = factories.event(starts_at=utcnow() + timedelta(hours=5))
    signup(client, soon.id, email="going@example.fi")
    assert mailbox.messages == []  # the worker delivers, not the request

    Worker(app, batch=10).run(once=True)

    assert drained == [10, 10] and runs == ["counted"]  # drained again after the jobs
    subjects = sorted(m["Subject"].split(":")[0] for m in mailbox.to("going@example.fi"))
    # The confirmation the signup queued, and the reminder the job queued in this very pass.
    assert len(subjects) == 2 and any("Reminder" in s for s in subjects), subjects
    leases = {row.name: row for row in db.session.scalars(select(JobLease))}
    # Every periodic job registered ran in this one pass, the test's own among them.
    assert set(leases) == {job.name for job in jobs.periodic_jobs()} >= {"reminders", "counted"}
    assert all(row.holder is None and row.leased_until is None for row in leases.values())
    assert leases["reminders"].last_result == "1 reminders queued."
    assert leases["reminders"].next_run_at > utcnow() + timedelta(seconds=250)

    mailbox.clear()
    Worker(app, batch=10).run(once=True)  # nothing is due again yet
    assert runs == ["counted"] and mailbox.messages == []


def test_two_workers_take_each_due_time_once(app):
    runs = _register_counter(app)
    first, second = Worker(app), Worker(app)
    for _ in range(3):
        first.run_once()
        second.run_once()
    assert runs == ["counted"]


def test_of_many_claims_at_once_exactly_one_wins(app):
    """Eight workers race for one due job: the atomic UPDATE lets exactly one take it."""
    _register_counter(app)
    now = utcnow()
    jobs.ensure_leases(jobs.periodic_jobs(), now)
    db.session.commit()
    won: list[str] = []
    barrier = threading.Barrier(8)

    def race(holder: str) -> None:
        with app.app_context():
            barrier.wait()
            if jobs.claim("counted", holder, utcnow(), LEASE) is not None:
                won.append(holder)

    threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1


def test_a_dead_workers_job_is_taken_again_once_its_lease_runs_out(app):
    _register_counter(app)
    start = utcnow()
    jobs.ensure_leases(jobs.periodic_jobs(), start)
    due = jobs.claim("counted", "dead-worker", start, LEASE)
    assert due is not None  # ... and the worker is killed before it finishes

    assert jobs.claim("counted", "live-worker", start + LEASE - timedelta(seconds=1), LEASE) is None
    again = jobs.claim("counted", "live-worker", start + LEASE + timedelta(seconds=1), LEASE)
    assert again == due  # the same due time, taken again
    # The dead worker's late finish changes nothing; the live worker's moves the job on.
    assert not jobs.finish("counted", "dead-worker", start + timedelta(hours=1), start, "late")
    assert jobs.finish("counted", "live-worker", start + timedelta(minutes=10), start, "done")
    lease = db.session.get(JobLease, "counted")
    db.session.refresh(lease)
    assert lease.last_result == "done" and lease.holder is None


def test_a_running_job_keeps_its_lease(app):
    """A job longer than the lease is not taken by a second worker: the heartbeat renews."""
    app.config["JOB_LEASE_SECONDS"] = 0.6
    other = Worker(app)
    taken_by_other: list[object] = []

    def slow() -> str:
        for _ in range(4):  # 1.2 s: twice the lease
            threading.Event().wait(0.3)
            with app.app_context():
                taken_by_other.append(jobs.claim("slow", other.holder, utcnow(), LEASE))
        return "slow done"

    jobs.register_periodic(app, "slow", timedelta(hours=1), slow)
    Worker(app).run_once()
    assert taken_by_other == [None] * 4


def test_next_due_runs_once_after_missed_times():
    due = utcnow().replace(microsecond=0)
    every = timedelta(minutes=5)
    assert jobs.next_due(due, every, due + timedelta(seconds=1)) == due + every
    # A worker down for an hour runs the job once and then keeps to the schedule.
    assert jobs.next_due(due, every, due + timedelta(minutes=61)) == due + 13 * every
    assert jobs.next_due(due, every, due + every) == due + 2 * every


def test_a_failing_job_is_tried_again_later_and_the_worker_goes_on(app, caplog):
    def broken() -> str:
        raise RuntimeError("the job broke")

    jobs.register_periodic(app, "broken", timedelta(hours=1), broken)
    runs = _register_counter(app)
    Worker(app).run_once()
    lease = db.session.get(JobLease, "broken")
    assert "the job broke" in caplog.text and runs == ["counted"]
    assert lease.holder is None and lease.last_result == "failed: RuntimeError"
    assert utcnow() + timedelta(minutes=4) < lease.next_run_at < utcnow() + timedelta(minutes=6)


def test_mail_is_recorded_message_by_message(app, client, mailbox):
    """Each message is marked sent as soon as the server took it, not after its batch: a
    worker killed mid-batch leaves only unsent messages to be sent by the next."""
    from eventhub.core.services import outbox

    app.config["MAIL_DELIVERY"] = "worker"
    event = factories.event()
    for i in range(3):
        signup(client, event.id, email=f"p{i}@example.fi")
    statuses: list[list[OutboxStatus]] = []
    real_handler = mailbox.handle_DATA

    async def watching(server, session, envelope):
        with app.app_context():
            statuses.append(list(db.session.scalars(select(OutboxMessage.status))))
        return await real_handler(server, session, envelope)

    mailbox.handle_DATA = watching
    try:
        assert outbox.drain(10) == 3
    finally:
        del mailbox.handle_DATA
    # While the third message was being handed over, the first two were recorded sent.
    assert statuses[2].count(OutboxStatus.SENT) == 2


def test_sigterm_lets_the_job_in_hand_finish_and_gives_its_lease_back(app):
    """SIGTERM arrives while a job runs: the job finishes, its lease is given back with the
    next due time, nothing else starts, and the worker returns."""
    import os
    import signal

    worker = Worker(app, poll=60)
    later: list[str] = []

    def interrupted() -> str:
        os.kill(os.getpid(), signal.SIGTERM)  # handled at once, in this (the main) thread
        return "finished all the same"

    jobs.register_periodic(app, "interrupted", timedelta(hours=1), interrupted)
    jobs.register_periodic(app, "later", timedelta(hours=1), lambda: later.append("ran") or "")
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    worker.install_signal_handlers()
    try:
        worker.run()  # would sleep 60 s between passes if the signal were not heeded
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    lease = db.session.get(JobLease, "interrupted")
    assert lease.last_result == "finished all the same" and lease.holder is None
    assert lease.next_run_at > utcnow() + timedelta(minutes=59)
    assert later == []  # registered after it: not started once the stop was asked
