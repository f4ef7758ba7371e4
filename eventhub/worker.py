"""The worker: `flask --app wsgi eventhub worker`. Runs everything registered in the job
registry (``core/services/jobs.py``): drains each queued work (the outbox's mail, ...) and
runs each periodic job once per due time across every worker on every machine.

One pass: drain every queued work in batches until it has nothing due, then run each
periodic job whose lease this worker can take, then sleep ``WORKER_POLL_SECONDS`` (less
when a periodic job falls due sooner). Each batch and each job runs in an application
context of its own, so its database session starts clean.

SIGTERM (and SIGINT) stop the worker gracefully: the batch or job in hand is finished and
recorded, its lease given back, and the worker exits; a sleeping worker exits at once.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import Flask

from eventhub.core.db import utcnow
from eventhub.core.services import jobs
from eventhub.extensions import db

log = logging.getLogger("eventhub.worker")


class Worker:
    def __init__(self, app: Flask, *, batch: int | None = None, poll: float | None = None):
        self.app = app
        self.batch = batch or int(app.config["WORKER_BATCH"])
        self.poll = float(poll if poll is not None else app.config["WORKER_POLL_SECONDS"])
        self.lease = timedelta(seconds=float(app.config["JOB_LEASE_SECONDS"]))
        # Unique per process and run, readable in the lease table: which machine holds a job.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.stopping = threading.Event()

    # --- running ---------------------------------------------------------------------------

    def run(self, once: bool = False) -> None:
        """Pass after pass until stopped (or one pass with ``once``)."""
        log.info("worker %s started", self.holder)
        while not self.stopping.is_set():
            self.run_once()
            if once:
                break
            self.stopping.wait(self._sleep_for())
        log.info("worker %s stopped", self.holder)

    def run_once(self) -> None:
        with self.app.app_context():
            queued = jobs.queued_work()
            periodic = jobs.periodic_jobs()
            try:
                jobs.ensure_leases(periodic, utcnow())
            except Exception:
                log.exception("worker: cannot reach the job leases; trying again later")
                periodic = ()
        for work in queued:
            self._drain(work)
        ran = False
        for job in periodic:
            if self.stopping.is_set():
                return
            ran = self._run_if_due(job) or ran
        if ran:  # what the jobs queued (reminders) goes out now, not a poll later
            for work in queued:
                self._drain(work)

    def stop(self, *_args) -> None:
        """Finish what is in hand, then stop (the signal handler)."""
        if not self.stopping.is_set():
            log.info("worker %s stopping after the work in hand", self.holder)
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    # --- queued work -----------------------------------------------------------------------

    def _drain(self, work: jobs.QueuedWork) -> None:
        """Batches until fewer than a full batch were due (or the worker is stopping)."""
        while not self.stopping.is_set():
            with self.app.app_context():
                try:
                    handled = work.drain(self.batch)
                except Exception:
                    # The database or a receiver went away for a moment: the items stay
                    # queued (each part claims its own) and the next pass tries again.
                    log.exception("worker: %s failed; trying again later", work.name)
                    db.session.rollback()
                    return
            if handled:
                log.info("%s: %d handled", work.name, handled)
            if handled < self.batch:
                return

    # --- periodic jobs ---------------------------------------------------------------------

    def _run_if_due(self, job: jobs.PeriodicJob) -> bool:
        """Run the job if this worker can take its lease; True if it ran."""
        with self.app.app_context():
            now = utcnow()
            try:
                due = jobs.claim(job.name, self.holder, now, self.lease)
            except Exception:
                log.exception("worker: cannot claim %s; trying again later", job.name)
                return False
            if due is None:
                return False
            with self._keeping_lease(job.name):
                try:
                    result = job.run()
                except Exception as exc:
                    db.session.rollback()
                    log.exception("job %s (due %s) failed", job.name, _iso(due))
                    # Tried again after a pause, not at once: a job that fails every time
                    # must not spin.
                    retry = utcnow() + min(job.every, timedelta(minutes=5))
                    # Only the kind of error in the table: a database error's text may
                    # carry the statement's parameters (an address); the log has the rest.
                    failed = f"failed: {type(exc).__name__}"
                    jobs.finish(job.name, self.holder, retry, utcnow(), failed)
                    return True
            finished = utcnow()
            kept = jobs.finish(
                job.name, self.holder, jobs.next_due(due, job.every, finished), finished, result
            )
            # One line per run and due time: the multi-node test reads these.
            log.info("job %s ran for due time %s: %s", job.name, _iso(due), result)
            if not kept:
                log.warning(
                    "job %s ran longer than its lease and another worker may have taken it",
                    job.name,
                )
        return True

    @contextmanager
    def _keeping_lease(self, name: str) -> Iterator[None]:
        """Renew the lease while the job runs, so a long job is never taken by a second
        worker and a dead worker's lease still runs out within ``JOB_LEASE_SECONDS``."""
        done = threading.Event()
        app = self.app

        def heartbeat() -> None:
            with app.app_context():
                while not done.wait(self.lease.total_seconds() / 3):
                    try:
                        jobs.renew(name, self.holder, utcnow(), self.lease)
                    except Exception:
                        log.exception("worker: cannot renew the lease of %s", name)
                db.session.remove()

        thread = threading.Thread(target=heartbeat, name=f"lease-{name}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _sleep_for(self) -> float:
        """Until the next poll, or sooner when a periodic job falls due before it."""
        with self.app.app_context():
            try:
                soonest = jobs.soonest_due()
            except Exception:
                return self.poll
        if soonest is None:
            return self.poll
        return max(0.05, min(self.poll, (soonest - utcnow()).total_seconds()))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
