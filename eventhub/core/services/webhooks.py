"""Webhooks: a project's other systems are told what changed, by the worker, never in a request.

The services call :func:`emit` in the transaction of the change itself: it writes one
:class:`WebhookDelivery` per hook of the event's project that asked for the action, so a
change and its notices are committed together or not at all (like mail in the outbox).
:func:`drain` (the ``webhooks`` queued job) sends them:

- per hook, strictly in order of creation: only a hook's oldest queued delivery is ever
  sent, and while it waits for a retry the ones after it wait too. One worker at a time
  holds a hook (``Webhook.claimed_until``, taken with ``FOR UPDATE SKIP LOCKED``);
- a 2xx answer is delivered; 410 Gone turns the hook off; anything else (or no answer) is
  retried with exponential backoff until three days after the notice was made, then given
  up so the ones after it can go;
- the body is minimal JSON (ids, action, time: never personal data) signed with
  HMAC-SHA256 over ``timestamp + "." + body`` with the hook's secret
  (docs/operations.md shows how a receiver checks it).

No SSRF: a hook's address must resolve to public addresses only (the admin setting
``WEBHOOK_ALLOW_PRIVATE_TARGETS`` allows private and loopback ones), checked when the hook is
made and again at every delivery, and the connection goes to the very address checked (a
DNS answer that changes in between cannot point it elsewhere). Redirects are not followed.
Plain http is allowed only to loopback and only with ``WEBHOOK_ALLOW_HTTP_LOOPBACK``
(development and tests).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete as sql_delete
from sqlalchemy import event as sa_event
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import (
    DeliveryStatus,
    Event,
    Project,
    User,
    Webhook,
    WebhookDelivery,
)
from eventhub.core.services import access, api_tokens, audit
from eventhub.core.services.errors import Refused
from eventhub.extensions import db

log = logging.getLogger("eventhub.webhooks")


class Action(enum.StrEnum):
    REGISTRATION_CREATED = "registration.created"
    REGISTRATION_CHANGED = "registration.changed"
    REGISTRATION_CANCELLED = "registration.cancelled"
    REGISTRATION_PROMOTED = "registration.promoted"
    EVENT_PUBLISHED = "event.published"
    EVENT_CHANGED = "event.changed"
    EVENT_CANCELLED = "event.cancelled"
    ATTENDANCE_RECORDED = "attendance.recorded"


CLAIM_SECONDS = 300
MAX_URL = 500
MAX_HOOKS = 20
SIGNATURE_HEADER = "X-Eventhub-Signature"
TIMESTAMP_HEADER = "X-Eventhub-Timestamp"


class WebhookRefused(Refused):
    pass


# --- emitting ----------------------------------------------------------------------------


def emit(action: Action, event: Event, *, registration_id: int | None = None, **ids: int) -> int:
    """Queue a notice of ``action`` for every active hook of the event's project that asked
    for it, in the current transaction. Returns how many were queued."""
    if event.project_id is None:
        return 0
    wanted = [(i, a) for i, a in _active_hooks(event.project_id) if action.value in a]
    if not wanted:
        return 0
    payload: dict = {
        "id": str(uuid.uuid4()),
        "action": action.value,
        "created_at": utcnow().isoformat().replace("+00:00", "Z"),
        "project_id": event.project_id,
        "event_id": event.id,
    }
    if registration_id is not None:
        payload["registration_id"] = registration_id
    payload.update(ids)
    for hook_id, _actions in wanted:
        db.session.add(WebhookDelivery(webhook_id=hook_id, action=action.value, payload=payload))
    return len(wanted)


_CACHE = "webhooks_by_project"


def _active_hooks(project_id: int) -> list[tuple[int, list]]:
    """The project's active hooks (id, actions), read once per transaction: a door upload
    of many taps, or a waiting list promoted at once, asks once, not once a change."""
    cache = db.session.info.setdefault(_CACHE, {})
    if project_id not in cache:
        cache[project_id] = [
            (hook_id, list(actions))
            for hook_id, actions in db.session.execute(
                select(Webhook.id, Webhook.actions).where(
                    Webhook.project_id == project_id, Webhook.active.is_(True)
                )
            )
        ]
    return cache[project_id]


def _forget_hooks(session: Session, *_args) -> None:
    session.info.pop(_CACHE, None)


# A new transaction reads the hooks again (another request may have added or turned off one).
for _name in ("after_commit", "after_soft_rollback"):
    if not sa_event.contains(Session, _name, _forget_hooks):
        sa_event.listen(Session, _name, _forget_hooks)


# --- hooks -------------------------------------------------------------------------------


def create(user: User, project: Project, url: str, actions: list[Action]) -> Webhook:
    if not access.may_manage_project(user, project):
        raise WebhookRefused(_("You do not manage this project."))
    if not actions:
        raise WebhookRefused(_("Choose at least one kind of change to send."))
    if len(hooks_of(project)) >= MAX_HOOKS:
        raise WebhookRefused(_("This project has too many webhooks. Delete the ones not in use."))
    url = url.strip()
    check_target(url)
    hook = Webhook(
        project_id=project.id,
        url=url,
        secret=f"whsec_{secrets.token_urlsafe(32)}",
        actions=sorted(Action(a).value for a in actions),
    )
    db.session.add(hook)
    db.session.flush()
    _forget_hooks(db.session())
    audit.record("webhook_created", obj=hook, user=user, project_id=project.id)
    return hook


def delete(user: User, hook: Webhook) -> None:
    _may_manage(user, hook)
    audit.record("webhook_deleted", obj=hook, user=user, project_id=hook.project_id)
    db.session.delete(hook)
    db.session.flush()
    _forget_hooks(db.session())


def set_active(user: User, hook: Webhook, active: bool) -> None:
    """Turn a hook off, or on again (after its receiver answered 410, say): what was queued
    meanwhile is sent then, in order."""
    _may_manage(user, hook)
    hook.active = active
    if active:
        hook.disabled_reason = None
    db.session.flush()
    _forget_hooks(db.session())
    audit.record(
        "webhook_enabled" if active else "webhook_disabled",
        obj=hook,
        user=user,
        project_id=hook.project_id,
    )


def redeliver(user: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a notice again, as a new delivery at the end of the hook's queue; its body (and
    its ``id``, by which receivers recognise a repeat) is the same."""
    _may_manage(user, delivery.webhook)
    again = WebhookDelivery(
        webhook_id=delivery.webhook_id, action=delivery.action, payload=delivery.payload
    )
    db.session.add(again)
    db.session.flush()
    audit.record(
        "webhook_redelivered",
        obj=delivery.webhook,
        user=user,
        project_id=delivery.webhook.project_id,
        delivery_id=delivery.id,
    )
    return again


def _may_manage(user: User, hook: Webhook) -> None:
    if not access.may_manage_project(user, hook.project):
        raise WebhookRefused(_("You do not manage this project."))


def hooks_of(project: Project) -> list[Webhook]:
    return list(
        db.session.scalars(
            select(Webhook).where(Webhook.project_id == project.id).order_by(Webhook.id)
        )
    )


def deliveries(hook: Webhook, limit: int = 50) -> list[WebhookDelivery]:
    """The hook's delivery log, newest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == hook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


# --- where a hook may point --------------------------------------------------------------


def check_target(url: str) -> list[str]:
    """The addresses ``url`` may be delivered to, or :class:`WebhookRefused` saying why not."""
    config = current_app.config
    if len(url) > MAX_URL:
        raise WebhookRefused(_("The address is too long."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookRefused(_("Please give a full web address starting with https://.")) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookRefused(_("Please give a full web address starting with https://."))
    if parts.username or parts.password:
        raise WebhookRefused(_("The address must not hold a user name or password."))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookRefused(_("The address's host name cannot be found.")) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    allow_private = bool(config.get("WEBHOOK_ALLOW_PRIVATE_TARGETS"))
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
            raise WebhookRefused(_("The address points to a network address nobody can use."))
        if not ip.is_global and not allow_private:
            raise WebhookRefused(
                _(
                    "The address points into a private network. Webhooks go to public "
                    "addresses only, unless the administrator allows private ones."
                )
            )
        if parts.scheme == "http" and not (
            ip.is_loopback and config.get("WEBHOOK_ALLOW_HTTP_LOOPBACK")
        ):
            raise WebhookRefused(_("Please give an address starting with https://."))
    return addresses


# --- keeping the tables small ------------------------------------------------------------

KEEP_LOG = timedelta(days=30)


def clean_up() -> str:
    """The ``integrations-cleanup`` periodic job: delivered notices older than 30 days leave
    the delivery log, and answers kept for idempotency keys older than a day are dropped."""
    db.session.rollback()
    begin_write(db.session)
    result = db.session.execute(
        sql_delete(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.DELIVERED,
            WebhookDelivery.created_at < utcnow() - KEEP_LOG,
        )
    )
    deliveries = int(getattr(result, "rowcount", 0) or 0)
    answers = api_tokens.forget_old_answers()
    db.session.commit()
    return f"{deliveries} old webhook deliveries and {answers} idempotency answers removed"


# --- delivering --------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with the secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class _Outgoing:
    id: int
    hook_id: int
    url: str
    secret: str
    payload: dict
    attempts: int
    created_at: datetime


def drain(limit: int = 50) -> int:
    """Send up to ``limit`` due deliveries, each hook's in order; returns how many were
    tried. The ``webhooks`` queued job; tests call it directly."""
    handled = 0
    for hook_id in _claim_hooks(limit):
        try:
            if handled < limit:
                handled += _deliver_queue(hook_id, limit - handled)
        finally:
            _release(hook_id)
    return handled


def _claim_hooks(limit: int) -> list[int]:
    now = utcnow()
    db.session.rollback()
    begin_write(db.session)
    # A hook is due when its oldest queued delivery is: later ones wait behind it.
    queued = aliased(WebhookDelivery)
    head = (
        select(func.min(queued.id))
        .where(queued.webhook_id == Webhook.id, queued.status == DeliveryStatus.QUEUED)
        .correlate(Webhook)
        .scalar_subquery()
    )
    due = (
        exists()
        .where(WebhookDelivery.id == head, WebhookDelivery.next_attempt_at <= now)
        .correlate(Webhook)
    )
    hooks = db.session.scalars(
        select(Webhook)
        .where(
            Webhook.active.is_(True),
            or_(Webhook.claimed_until.is_(None), Webhook.claimed_until < now),
            due,
        )
        .order_by(Webhook.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Webhook)
    ).all()
    for hook in hooks:
        hook.claimed_until = now + timedelta(seconds=CLAIM_SECONDS)
    ids = [h.id for h in hooks]
    db.session.commit()
    return ids


def _release(hook_id: int) -> None:
    db.session.rollback()
    begin_write(db.session)
    db.session.execute(update(Webhook).where(Webhook.id == hook_id).values(claimed_until=None))
    db.session.commit()


def _next(hook_id: int) -> _Outgoing | None:
    """The hook's oldest queued delivery, if it is due and the hook is still on."""
    db.session.rollback()
    row = db.session.execute(
        select(WebhookDelivery, Webhook)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.webhook_id == hook_id,
            WebhookDelivery.status == DeliveryStatus.QUEUED,
            Webhook.active.is_(True),
        )
        .order_by(WebhookDelivery.id)
        .limit(1)
    ).first()
    db.session.rollback()
    if row is None:
        return None
    delivery, hook = row
    if delivery.next_attempt_at > utcnow():
        return None
    return _Outgoing(
        delivery.id,
        hook.id,
        hook.url,
        hook.secret,
        delivery.payload,
        delivery.attempts,
        delivery.created_at,
    )


def _deliver_queue(hook_id: int, budget: int) -> int:
    done = 0
    while done < budget:
        outgoing = _next(hook_id)
        if outgoing is None:
            break
        status, error = _post(outgoing)
        done += 1
        if not _record(outgoing, status, error):
            break  # it waits for a retry, and the ones after it wait with it
    return done


def _post(outgoing: _Outgoing) -> tuple[int | None, str | None]:
    """POST the notice; the answer's status, or None and why there was none."""
    config = current_app.config
    try:
        addresses = check_target(outgoing.url)
    except WebhookRefused as refused:
        return None, refused.message
    parts = urlsplit(outgoing.url)
    body = body_of(outgoing.payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"{config.get('SITE_NAME', 'eventhub')} webhooks",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(outgoing.secret, timestamp, body),
        "X-Eventhub-Delivery": str(outgoing.id),
        "X-Eventhub-Action": outgoing.payload.get("action", ""),
    }
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = float(config.get("WEBHOOK_TIMEOUT_SECONDS", 10))
    connection = _connection(parts, addresses[0], timeout)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # a little of the answer, so the connection ends cleanly
        return response.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    finally:
        connection.close()


def _connection(parts, address: str, timeout: float) -> http.client.HTTPConnection:
    """A connection to ``address`` (the one checked), named ``parts.hostname`` in its Host
    header and, for https, in its TLS server name and certificate check."""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme == "https":
        return _PinnedHTTPS(parts.hostname, port, address, timeout=timeout)
    return _PinnedHTTP(parts.hostname, port, address, timeout=timeout)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _record(outgoing: _Outgoing, status: int | None, error: str | None) -> bool:
    """Write the outcome; True when the hook's queue may go on to its next delivery."""
    config = current_app.config
    now = utcnow()
    attempts = outgoing.attempts + 1
    values: dict = {"attempts": attempts, "last_status": status, "last_error": error}
    go_on = True
    db.session.rollback()
    begin_write(db.session)
    if status is not None and 200 <= status < 300:
        values |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now, "last_error": None}
    elif status == 410:
        values |= {"status": DeliveryStatus.FAILED}
        db.session.execute(
            update(Webhook)
            .where(Webhook.id == outgoing.hook_id)
            .values(active=False, disabled_reason="410 Gone")
        )
        go_on = False
        log.warning("webhook %d turned off: its receiver answered 410 Gone", outgoing.hook_id)
    else:
        delay = min(
            float(config["WEBHOOK_RETRY_BASE_SECONDS"]) * 2**outgoing.attempts,
            float(config["WEBHOOK_RETRY_MAX_SECONDS"]),
        )
        give_up_at = outgoing.created_at + timedelta(seconds=config["WEBHOOK_RETRY_FOR_SECONDS"])
        if now + timedelta(seconds=delay) > give_up_at:
            values |= {"status": DeliveryStatus.FAILED}
        else:
            values |= {"next_attempt_at": now + timedelta(seconds=delay)}
            go_on = False
    db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == outgoing.id).values(**values)
    )
    db.session.commit()
    return go_on
