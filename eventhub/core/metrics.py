"""Prometheus metrics the domain records: registrations by outcome, mail delivery.

The metric objects live here, in core, so services can count what they decide without knowing
about the web; ``eventhub.observability`` adds the request metrics and serves ``/metrics``.

Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` (before the app is imported): every worker
then writes its counts to files there and a scrape adds them up (see docs/operations.md).
Outbox gauges are not kept in any process: they are read from the database at each scrape
(:func:`eventhub.core.services.failed_mail.backlog`), so every worker reports the same truth.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from eventhub.extensions import db

REGISTRATIONS = Counter(
    "eventhub_registrations",
    "Registrations by outcome: confirmed, waitlisted, pending (awaits approval), refused.",
    ["outcome"],
)
MAIL_SEND_SECONDS = Histogram(
    "eventhub_mail_send_seconds",
    "Time to hand one message to the SMTP server (accepted or refused).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
MAIL_DELIVERIES = Counter(
    "eventhub_mail_deliveries",
    "Delivery attempts by result: sent, retry (will be tried again), failed (gave up).",
    ["result"],
)

_COMMITTED_REGISTRATIONS = "metrics_registrations"


def registration_refused() -> None:
    """A registration was refused (full, closed, cancelled): nothing was written."""
    REGISTRATIONS.labels(outcome="refused").inc()


def registration_made(status: str) -> None:
    """A registration with ``status`` was written; it is counted when (and if) it commits."""
    db.session.info.setdefault(_COMMITTED_REGISTRATIONS, []).append(status)


def _count_committed(session: Session) -> None:
    for status in session.info.pop(_COMMITTED_REGISTRATIONS, []):
        REGISTRATIONS.labels(outcome=status).inc()


def _forget_rolled_back(session: Session, _transaction) -> None:
    session.info.pop(_COMMITTED_REGISTRATIONS, None)


if not sa_event.contains(Session, "after_commit", _count_committed):
    sa_event.listen(Session, "after_commit", _count_committed)
    sa_event.listen(Session, "after_soft_rollback", _forget_rolled_back)
