"""Watching the outbox: the backlog, mail that failed for good, and an operator's retry.

A message is *failed* after ``MAIL_MAX_ATTEMPTS`` refused or impossible deliveries (see
:mod:`eventhub.core.services.outbox`). It stays in the table for an operator: listed on the
organiser workspace's failed-mail page and by ``flask eventhub failed-mail``, and queued once
more by :func:`retry`. A retry is a conditional update (``status = failed`` in the WHERE), so
two operators pressing the button at once, or one pressing it twice, queue it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from eventhub.core.db import utcnow
from eventhub.core.models import OutboxMessage, OutboxStatus
from eventhub.core.privacy import mask_emails
from eventhub.core.services import audit, outbox
from eventhub.core.services.errors import Refused
from eventhub.extensions import db


@dataclass(frozen=True)
class Backlog:
    """Mail waiting to go (``queued``), the age of the oldest of it, and mail that failed."""

    queued: int
    oldest_queued_seconds: float
    failed: int

    def as_json(self) -> dict:
        return {
            "queued": self.queued,
            "oldest_queued_seconds": round(self.oldest_queued_seconds),
            "failed": self.failed,
        }


def backlog() -> Backlog:
    """One query over the outbox (its status index), for /healthz and the metrics scrape."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.FAILED]))
        .group_by(OutboxMessage.status)
    ).all()
    counts = {status: (count, oldest) for status, count, oldest in rows}
    queued, oldest = counts.get(OutboxStatus.QUEUED, (0, None))
    age = max((utcnow() - oldest).total_seconds(), 0.0) if oldest else 0.0
    failed_count = counts.get(OutboxStatus.FAILED, (0, None))[0]
    return Backlog(queued=queued, oldest_queued_seconds=age, failed=failed_count)


@dataclass(frozen=True)
class FailedMail:
    """A failed message as an operator sees it: the address and error masked."""

    id: int
    kind: str
    recipient: str
    error: str
    attempts: int
    subject: str
    created_at: datetime


def failed(limit: int = 200) -> list[FailedMail]:
    """Failed messages, newest first."""
    messages = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    return [
        FailedMail(
            id=m.id,
            kind=m.kind,
            recipient=mask_emails(m.recipient),
            error=mask_emails(m.last_error or ""),
            attempts=m.attempts,
            subject=m.subject,
            created_at=m.created_at,
        )
        for m in messages
    ]


class RetryRefused(Refused):
    """The message is not waiting for a retry (unknown, already queued again, or sent)."""

    @property
    def message(self) -> str:
        return _("That message is no longer waiting for a retry.")


def retry(message_id: int, *, user=None, via: str = "page") -> None:
    """Queue a failed message again, due now and with its attempts reset; audited.

    Raises :class:`RetryRefused` (and changes nothing) when the message is not failed. The
    caller commits; the message is delivered after the commit.
    """
    if not _requeue(message_id, user=user, via=via):
        raise RetryRefused(message_id)


def _requeue(message_id: int, *, user, via: str) -> bool:
    requeued = db.session.scalar(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(
            status=OutboxStatus.QUEUED,
            attempts=0,
            next_attempt_at=utcnow(),
            claimed_until=None,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    if requeued is None:
        return False
    message = db.session.get_one(OutboxMessage, message_id, populate_existing=True)
    audit.record("mail.retry", obj=message, user=user, kind=message.kind, via=via)
    outbox.deliver_after_commit(message)
    return True


def retry_all(*, user=None, via: str = "page") -> int:
    """Queue every failed message again (each exactly once); returns how many."""
    ids = db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.FAILED)
    ).all()
    return sum(_requeue(message_id, user=user, via=via) for message_id in ids)
