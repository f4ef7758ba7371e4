"""The job registry: the work done outside requests, by `flask --app wsgi eventhub worker`.

Two kinds of work plug in here, one line each in ``create_app`` (like the formats):

- **Queued work** (:class:`QueuedWork`): rows some request left to be done later (the
  outbox's mail, and whatever else a part queues the same way). ``drain(limit)`` handles up
  to ``limit`` due items, commits, and returns how many it handled; the worker calls it again
  while it keeps returning ``limit``. Each part claims its own rows so that any number of
  workers may drain at once and no item is handled twice.
- **Periodic jobs** (:class:`PeriodicJob`): run once per due time (``every``) across every
  worker on every machine. ``run()`` does the job once, commits, and returns a one-line
  summary for the log. A job must be safe to run again after a worker died half-way
  (everything it does is marked done in the same transaction that does it).

Which worker runs a periodic job is decided in the database (``job_lease``, one row per job):
:func:`claim` is one atomic ``UPDATE ... WHERE next_run_at <= now AND (leased_until IS NULL
OR leased_until < now)``, the same on SQLite and PostgreSQL, so of any number of workers
exactly one takes each due time; :func:`finish` moves the due time on and clears the lease.
A worker that dies mid-job leaves its lease to run out and the next worker takes the job
again (the job marks what it did in the transaction that did it, so nothing is done twice).

The registry lives on the application (``app.extensions``), so every app built by
``create_app`` (a test's, the worker's) has its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from eventhub.core.models import JobLease
from eventhub.extensions import db

if TYPE_CHECKING:
    from flask import Flask

EXTENSION_KEY = "eventhub.jobs"


class JobConflict(Exception):
    """Two jobs registered under one name."""


@dataclass(frozen=True)
class QueuedWork:
    name: str
    drain: Callable[[int], int]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[], str]


@dataclass
class _Registry:
    queued: dict[str, QueuedWork]
    periodic: dict[str, PeriodicJob]


def _registry(app: Flask) -> _Registry:
    return app.extensions.setdefault(EXTENSION_KEY, _Registry({}, {}))


def register_queued(app: Flask, name: str, drain: Callable[[int], int]) -> None:
    registry = _registry(app)
    if name in registry.queued:
        raise JobConflict(f"queued work {name!r} is registered twice")
    registry.queued[name] = QueuedWork(name, drain)


def register_periodic(app: Flask, name: str, every: timedelta, run: Callable[[], str]) -> None:
    registry = _registry(app)
    if name in registry.periodic:
        raise JobConflict(f"periodic job {name!r} is registered twice")
    registry.periodic[name] = PeriodicJob(name, every, run)


def queued_work() -> tuple[QueuedWork, ...]:
    return tuple(_registry(current_app).queued.values())


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    return tuple(_registry(current_app).periodic.values())


# --- leases: which worker runs a periodic job, once per due time ---------------------------
#
# Each statement runs in a short transaction of its own on the engine, apart from the
# session a job works in: a lease is taken and given back whatever the job commits.


def ensure_leases(jobs: tuple[PeriodicJob, ...], now: datetime) -> None:
    """A lease row for every registered job that has none yet, due at once."""
    if not jobs:
        return
    engine = db.engine
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(JobLease)
        .values([{"name": job.name, "next_run_at": now} for job in jobs])
        .on_conflict_do_nothing(index_elements=[JobLease.name])
    )
    with engine.begin() as conn:
        conn.execute(stmt)


def claim(name: str, holder: str, now: datetime, lease: timedelta) -> datetime | None:
    """Take the job if it is due and nobody holds it; returns the due time taken, or None.

    The WHERE clause is the whole decision: two workers running this at once both try the
    update, the database applies them one after the other, and the second finds the row
    leased already and changes nothing."""
    taken = (
        update(JobLease)
        .where(
            JobLease.name == name,
            JobLease.next_run_at <= now,
            (JobLease.leased_until.is_(None)) | (JobLease.leased_until < now),
        )
        .values(leased_until=now + lease, holder=holder, last_started_at=now)
    )
    with db.engine.begin() as conn:
        if conn.execute(taken).rowcount != 1:
            return None
        return conn.execute(select(JobLease.next_run_at).where(JobLease.name == name)).scalar_one()


def renew(name: str, holder: str, now: datetime, lease: timedelta) -> bool:
    """Keep holding a job that is still running; False if the lease was lost (it ran out and
    another worker took the job)."""
    with db.engine.begin() as conn:
        kept = conn.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.holder == holder)
            .values(leased_until=now + lease)
        )
        return kept.rowcount == 1


def next_due(due: datetime, every: timedelta, now: datetime) -> datetime:
    """The first due time after ``now`` on the job's schedule: a worker that was down for
    days runs the job once, not once per missed time."""
    missed = max(0, (now - due) // every)
    following = due + every * (missed + 1)
    return following if following > now else following + every


def finish(name: str, holder: str, next_run_at: datetime, now: datetime, result: str) -> bool:
    """Give the lease back and set the next due time; False if the lease had been lost."""
    with db.engine.begin() as conn:
        done = conn.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.holder == holder)
            .values(
                next_run_at=next_run_at,
                leased_until=None,
                holder=None,
                last_finished_at=now,
                last_result=result[:500],
            )
        )
        return done.rowcount == 1


def soonest_due() -> datetime | None:
    """When a registered job may next be taken: its due time, or when another worker's lease
    on it runs out, whichever is later."""
    names = [job.name for job in periodic_jobs()]
    if not names:
        return None
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(JobLease.next_run_at, JobLease.leased_until).where(JobLease.name.in_(names))
        ).all()
    return min((max(due, held or due) for due, held in rows), default=None)
