"""The transactional outbox: queue mail with the change that caused it, deliver after commit.

``enqueue`` adds a message row to the current transaction, so a registration and its mail are
committed together or not at all. Delivery happens outside any request transaction:

1. *claim*: a short transaction marks due messages as taken for a lease period (on
   PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so parallel workers never take the same row);
2. *send* over one SMTP connection, holding no database lock;
3. *record*: a short transaction marks each message sent, or schedules a retry with
   exponential backoff, or after the last attempt marks it failed.

If the database connection breaks between 2 and 3, the record is retried on a fresh
connection, and what still cannot be written is kept in the process (``_unrecorded``) and
written at its next delivery: a delivered message is never claimed and sent again. Each
message is recorded as soon as the server took it, so only a sender that dies in the moment
between a message's acceptance and its record leaves a sent message to its claim; when the
claim runs out it is sent again (at least once, never lost). In ``inline`` mode the request
that queued messages delivers them right after its commit (a password reset: after its
answer has been sent), and a failure there never turns the committed request into an
error; in ``worker`` mode ``flask eventhub worker`` delivers (its queued work "mail" is
:func:`drain`).
"""

from __future__ import annotations

import base64
import io
import logging
import smtplib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.mime.multipart import MIMEMultipart
from functools import partial

import segno
from flask import Flask, current_app, g, has_app_context
from flask_mail import Attachment, Message, sanitize_address, sanitize_addresses
from sqlalchemy import event as sa_event
from sqlalchemy import inspect, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from eventhub.core import metrics
from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import OutboxMessage, OutboxStatus
from eventhub.extensions import db

log = logging.getLogger("eventhub.mail")

CLAIM_SECONDS = 300
_PENDING = "outbox_pending"
_AFTER_RESPONSE = "outbox_after_response"


@dataclass(frozen=True)
class MailAttachment:
    """A file sent with a message, stored in the outbox row as JSON.

    ``data`` is text, sent as UTF-8 unless ``encoding`` says otherwise: ``"base64"`` for
    binary files, ``"qr"`` for a QR code of the text drawn as a PNG when the message is sent
    (see :func:`qr_png`). A ``content_id`` makes the part inline: the HTML shows it as
    ``<img src="cid:...">``.
    """

    filename: str
    content_type: str
    data: str
    encoding: str | None = None
    content_id: str | None = None

    def as_json(self) -> dict:
        return {name: value for name, value in self.__dict__.items() if value is not None}


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rendered:
    """A message rendered by the sender from what was queued (see :func:`set_renderer`)."""

    subject: str
    body_text: str
    body_html: str | None
    attachments: Sequence[MailAttachment] = ()


# Renders a message queued unrendered: (kind, its ``render`` arguments) -> the message, or
# None when there is nothing to send any more (the registration is gone). Set by the module
# that writes the mail (services.messages), so the outbox needs not know the templates.
_renderer: Callable[[str, dict], Rendered | None] | None = None


def set_renderer(renderer: Callable[[str, dict], Rendered | None]) -> None:
    global _renderer
    _renderer = renderer


def enqueue(
    *,
    kind: str,
    recipient: str,
    subject: str = "",
    body_text: str = "",
    body_html: str | None = None,
    attachments: Sequence[MailAttachment] = (),
    after_response: bool = False,
    reply_to: str | None = None,
    render: dict | None = None,
) -> OutboxMessage:
    """Queue a message in the current transaction. Nothing is sent before the commit.

    ``render``: queue only what to send (e.g. ``{"registration_id": 7}``), no subject or
    body: the sender renders it when it sends, outside any transaction (a signup queues its
    mail under the event's lock, which rendering would hold a few milliseconds longer).

    ``after_response``: in inline mode, deliver only once the response has gone out, for
    pages that must answer alike whether they sent mail or not ("lost your link?"): an SMTP
    round trip inside the request would tell the difference by its timing."""
    message = OutboxMessage(
        kind=kind,
        recipient=recipient,
        reply_to=reply_to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        attachments=[a.as_json() for a in attachments],
        render=render,
    )
    db.session.add(message)
    db.session.info.setdefault(_AFTER_RESPONSE if after_response else _PENDING, []).append(message)
    return message


def deliver_after_commit(message: OutboxMessage) -> None:
    """Deliver a message queued again (an operator's retry) after the commit, as if it had
    just been queued: inline by the request or command, else by the worker."""
    db.session.info.setdefault(_PENDING, []).append(message)


def _collect_committed(session: Session) -> None:
    if not has_app_context():
        session.info.pop(_PENDING, None)
        session.info.pop(_AFTER_RESPONSE, None)
        return
    for key, ready in ((_PENDING, "outbox_ready"), (_AFTER_RESPONSE, "outbox_after_response")):
        pending = session.info.pop(key, [])
        ids = [ident[0] for m in pending if (ident := inspect(m).identity)]
        if ids:
            g.setdefault(ready, []).extend(ids)


def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_AFTER_RESPONSE, None)


def deliver_committed() -> DeliveryReport | None:
    """Deliver what this request or command committed, when delivery is inline."""
    ids = g.pop("outbox_ready", None)
    if not ids or current_app.config["MAIL_DELIVERY"] != "inline":
        return None
    return deliver(ids=ids, limit=len(ids))  # all of them: a message to everyone may be many


def deliver(ids: Sequence[int] | None = None, limit: int = 50) -> DeliveryReport:
    """Claim, send and record one batch: the given messages, or the ones that are due.

    Messages this process sent but could not yet record as sent (the database went away in
    between) are recorded first and never claimed again, so they are not sent twice."""
    report = DeliveryReport()
    with _unrecorded_lock:
        leftovers = list(_unrecorded.values())
    if leftovers:
        _record([(m, None) for m in leftovers], DeliveryReport())
    claimed = _claim(ids, limit)
    if claimed:
        # Queued unrendered (a signup's own mail): rendered now, outside the signup's lock.
        claimed = [_rendered(m) for m in claimed]
        gone: list[tuple[_Outgoing, str | None]] = [
            (m, "nothing to send: " + m.gone) for m in claimed if m.gone
        ]
        if gone:
            _record(gone, report)
        # Each message is recorded as soon as the server took it, not after the batch: a
        # sender killed mid-batch (SIGKILL, a lost machine) leaves only unsent messages to
        # its claim, and the next sender sends those, never the ones that went out.
        _send([m for m in claimed if not m.gone], each=lambda outcome: _record([outcome], report))
    return report


def drain(limit: int) -> int:
    """The worker's queued work "mail" (``core/services/jobs.py``): one batch of due
    messages; returns how many were handled (sent, to retry or failed)."""
    report = deliver(limit=limit)
    return report.sent + report.retried + report.failed


# Sent, but the database could not be told: kept until it can (see deliver and _record).
_unrecorded: dict[int, _Outgoing] = {}
_unrecorded_lock = threading.Lock()
RECORD_ATTEMPTS = 4


@dataclass(frozen=True)
class _Outgoing:
    """A claimed message, detached from the session while it is being sent."""

    id: int
    attempts: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    attachments: list
    reply_to: str | None = None
    # Queued unrendered: what to render (OutboxMessage.render), until it is rendered.
    render: dict | None = None
    kind: str = ""
    # Rendered by this sender: the record stores what was sent.
    rendered: bool = False
    # Why there is nothing to send any more (the registration was deleted meanwhile).
    gone: str = ""


def _rendered(m: _Outgoing) -> _Outgoing:
    """The message with its subject and bodies, rendered now if it was queued unrendered.

    Rendering reads the registration as it stands now, in a read transaction of its own that
    holds no lock; a message whose registration is gone is not sent."""
    if m.render is None:
        return m
    assert _renderer is not None, "services.messages sets the renderer when imported"
    try:
        out = _renderer(m.kind, m.render)
    finally:
        db.session.rollback()
    if out is None:
        return replace(m, render=None, gone="the registration no longer exists")
    return replace(
        m,
        subject=out.subject,
        body_text=out.body_text,
        body_html=out.body_html,
        attachments=[a.as_json() for a in out.attachments],
        render=None,
        rendered=True,
    )


def _claim(ids: Sequence[int] | None, limit: int) -> list[_Outgoing]:
    now = utcnow()
    # Longer than a batch takes to send: a claim that runs out mid-batch lets another sender
    # take (and send again) the messages not yet sent.
    claim = timedelta(seconds=current_app.config.get("MAIL_CLAIM_SECONDS", CLAIM_SECONDS))
    session = db.session
    session.rollback()  # whatever was not committed did not happen
    begin_write(session)
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    with _unrecorded_lock:
        sent_already = list(_unrecorded)
    if sent_already:
        stmt = stmt.where(OutboxMessage.id.not_in(sent_already))
    claimed = []
    for m in session.scalars(stmt):
        m.claimed_until = now + claim
        claimed.append(
            _Outgoing(
                m.id,
                m.attempts,
                m.recipient,
                m.subject,
                m.body_text,
                m.body_html,
                m.attachments,
                m.reply_to,
                render=m.render if not m.body_text else None,
                kind=m.kind,
            )
        )
    session.commit()
    return claimed


def _send(
    messages: list[_Outgoing], each: Callable[[tuple[_Outgoing, str | None]], None] | None = None
) -> list[tuple[_Outgoing, str | None]]:
    """Send each message over one SMTP connection; returns each with its error or None,
    and hands each outcome to ``each`` as soon as it is known."""
    outcomes = _Outcomes(each)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        # Messages carry secrets (manage links, reset links): whole messages go to the log
        # only on a developer's machine; elsewhere only that a message was not sent.
        whole = current_app.debug or config.get("DEVELOPMENT")
        for m in messages:
            if whole:
                # The whole message, links included, so that it can be followed from the
                # console (the log's redaction leaves it alone; see observability).
                log.info(
                    "mail (not sent: no MAIL_SERVER is set)\n%s",
                    _as_text(m),
                    extra={"unredacted": True},
                )
            else:
                log.warning("mail %d not sent: no MAIL_SERVER is set", m.id)
        for m in messages:
            outcomes.append((m, None))
        return outcomes
    try:
        with _smtp_connection(config) as smtp:
            for m in messages:
                built = _as_flask_mail_or_error(m)
                if isinstance(built, str):
                    outcomes.append((m, built))
                    continue
                started = time.perf_counter()
                try:
                    smtp.sendmail(
                        sanitize_address(built.sender),
                        list(sanitize_addresses(built.send_to)),
                        built.as_bytes(),
                    )
                    outcomes.append((m, None))
                except smtplib.SMTPException as exc:  # refused for this message only
                    outcomes.append((m, _describe(exc)))
                finally:
                    metrics.MAIL_SEND_SECONDS.observe(time.perf_counter() - started)
    except (OSError, smtplib.SMTPException) as exc:  # server down, or the session broke
        done = {o[0].id for o in outcomes}
        for m in messages:
            if m.id not in done:
                outcomes.append((m, _describe(exc)))
    return outcomes


class _Outcomes(list):
    """The outcomes of a batch, each passed on as it is added."""

    def __init__(self, each: Callable[[tuple[_Outgoing, str | None]], None] | None) -> None:
        super().__init__()
        self.each = each

    def append(self, outcome: tuple[_Outgoing, str | None]) -> None:
        super().append(outcome)
        if self.each is not None:
            self.each(outcome)


def _as_flask_mail_or_error(m: _Outgoing) -> Message | str:
    try:
        return _as_flask_mail(m)
    except smtplib.SMTPException as exc:  # an address no server would take
        return _describe(exc)


def _smtp_connection(config) -> smtplib.SMTP:
    """An SMTP session with a timeout (Flask-Mail's own connection has none and can hang a
    worker forever on a server that accepts but never answers)."""
    cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    smtp = cls(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def _record(outcomes: list[tuple[_Outgoing, str | None]], report: DeliveryReport) -> None:
    """Write what happened to each message, retrying on a fresh connection when the database
    connection breaks. A message that went out is recorded as sent or, if the database stays
    away, remembered in this process (``_unrecorded``) and recorded on the next delivery: it
    is never claimed and sent again."""
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            _write_outcomes(outcomes, report)
        except DBAPIError as exc:
            _discard_connection()
            if attempt == RECORD_ATTEMPTS:
                sent = [m for m, error in outcomes if error is None]
                with _unrecorded_lock:
                    _unrecorded.update((m.id, m) for m in sent)
                log.error(
                    "mail delivery: %d sent but not recorded (%s); recorded on the next try",
                    len(sent),
                    _describe(exc),
                )
                return
            time.sleep(0.05 * 2**attempt)
        else:
            with _unrecorded_lock:
                for m, _error in outcomes:
                    _unrecorded.pop(m.id, None)
            return


def _discard_connection() -> None:
    """Roll back after a database error; a dead connection is dropped from the pool."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()


def _write_outcomes(outcomes: list[tuple[_Outgoing, str | None]], report: DeliveryReport) -> None:
    config = current_app.config
    now = utcnow()
    counts = DeliveryReport()
    db.session.rollback()
    begin_write(db.session)
    for m, error in outcomes:
        values: dict = {"claimed_until": None, "attempts": m.attempts + 1}
        if m.rendered:  # what was sent (or tried), for the record and for a retry
            values |= {
                "subject": m.subject[:300],
                "body_text": m.body_text,
                "body_html": m.body_html,
                "attachments": m.attachments,
            }
        if error is None:
            values |= {"status": OutboxStatus.SENT, "sent_at": now, "last_error": None}
            counts.sent += 1
        elif m.gone or m.attempts + 1 >= config["MAIL_MAX_ATTEMPTS"]:
            values |= {"status": OutboxStatus.FAILED, "last_error": error}
            counts.failed += 1
            counts.errors.append(error)
        else:
            delay = min(
                config["MAIL_RETRY_BASE_SECONDS"] * 2**m.attempts, config["MAIL_RETRY_MAX_SECONDS"]
            )
            values |= {"next_attempt_at": now + timedelta(seconds=delay), "last_error": error}
            counts.retried += 1
            counts.errors.append(error)
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == m.id).values(**values))
    db.session.commit()
    report.sent += counts.sent
    report.retried += counts.retried
    report.failed += counts.failed
    report.errors += counts.errors
    for result, count in (
        ("sent", counts.sent),
        ("retry", counts.retried),
        ("failed", counts.failed),
    ):
        if count:
            metrics.MAIL_DELIVERIES.labels(result=result).inc(count)
    if report.errors:
        log.warning(
            "mail delivery: %d sent, %d to retry, %d failed; first error: %s",
            report.sent,
            report.retried,
            report.failed,
            report.errors[0],
        )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _as_flask_mail(m: _Outgoing) -> Message:
    for address in (m.recipient, m.reply_to or ""):
        if "\r" in address or "\n" in address:
            raise smtplib.SMTPRecipientsRefused({m.recipient: (501, b"line break in address")})
    message = _Message(
        # Folded to one line: text an organiser typed (an event title) must never be able
        # to start a header of its own.
        subject=" ".join(m.subject.split()),
        recipients=[m.recipient],
        body=m.body_text,
        html=m.body_html,
        reply_to=m.reply_to,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    for a in m.attachments:
        content_id = a.get("content_id")
        message.attachments.append(
            Attachment(
                filename=a["filename"],
                content_type=a["content_type"],
                data=_attachment_bytes(a),
                disposition="inline" if content_id else "attachment",
                headers={"Content-ID": f"<{content_id}>"} if content_id else None,
            )
        )
    return message


def _attachment_bytes(a: dict) -> bytes:
    encoding = a.get("encoding")
    if encoding == "base64":
        return base64.b64decode(a["data"])
    if encoding == "qr":
        return qr_png(a["data"])
    return a["data"].encode()


def qr_png(text: str) -> bytes:
    """A QR code of ``text`` as a PNG, large enough to scan from a phone screen.

    Queued messages carry the text and the sender draws the code: choosing the best mask
    takes ~10 ms, which a signup would otherwise spend holding its event's lock.
    """
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


class _Message(Message):
    """Flask-Mail's message, with inline parts put in a multipart/related beside the text and
    HTML (RFC 2387), where mail programs resolve ``cid:`` images and do not list them as
    attachments. Attached files stay in the outer multipart/mixed."""

    def _message(self):
        msg = super()._message()
        if not msg.is_multipart():
            return msg
        body, *parts = msg.get_payload()
        inline = [p for p in parts if p["Content-ID"]]
        if not inline:
            return msg
        related = MIMEMultipart("related", type=body.get_content_type())
        for part in (body, *inline):
            related.attach(part)
        msg.set_payload([related, *(p for p in parts if not p["Content-ID"])])
        return msg


def _as_text(m: _Outgoing) -> str:
    names = ", ".join(a["filename"] for a in m.attachments) or "none"
    return f"To: {m.recipient}\nSubject: {m.subject}\nAttachments: {names}\n\n{m.body_text}"


def _forget_rolled_back_tx(session: Session, _transaction) -> None:
    _forget_rolled_back(session)


def init_app(app: Flask) -> None:
    if not sa_event.contains(Session, "after_commit", _collect_committed):
        sa_event.listen(Session, "after_commit", _collect_committed)
        sa_event.listen(Session, "after_soft_rollback", _forget_rolled_back_tx)

    @app.after_request
    def _deliver_after_commit(response):
        later = g.pop("outbox_after_response", None)
        if later and current_app.config["MAIL_DELIVERY"] == "inline":
            response.call_on_close(partial(_deliver_in_context, app, later))
        _deliver_safely()
        return response


def _deliver_in_context(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        g.outbox_ready = ids
        _deliver_safely()
        db.session.remove()


def _deliver_safely() -> None:
    """After the commit the request has succeeded: a failure to deliver (the database went
    away) is logged and left to the next delivery, never turned into an error page."""
    try:
        deliver_committed()
    except Exception:  # the committed change stands; the outbox keeps the message
        log.exception("mail delivery after commit failed; the message stays queued")
        _discard_connection()
