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

The registry lives on the application (``app.extensions``), so every app built by
``create_app`` (a test's, the worker's) has its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from flask import current_app

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
