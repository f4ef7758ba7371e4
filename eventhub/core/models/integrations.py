"""Integrations of a project with other systems: API tokens (and the answers kept for their
idempotency keys), webhooks with their deliveries, and the sites allowed to embed its events.
See eventhub.core.services.api_tokens, .webhooks and .embed."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.base import str_enum
from eventhub.core.models.project import Project
from eventhub.core.models.user import User
from eventhub.extensions import db


class ApiToken(db.Model):
    """A bearer token for the write API, scoped to one project and to some of ``SCOPES``.

    Only the SHA-256 of the token is kept (the token is 256 random bits, shown once). The
    token acts for the manager who made it (``user``): it stops working when they lose the
    project, as a check-in device does."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    label: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, to tell tokens apart on the page (not a secret).
    prefix: Mapped[str] = mapped_column(String(12), default="")
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    user: Mapped[User | None] = relationship()


class IdempotentRequest(db.Model):
    """The answer to a POST sent with an ``Idempotency-Key``, kept for that token and key:
    the same key again gets this answer and changes nothing. ``fingerprint`` is a hash of the
    method, path and body: the same key with another request is refused."""

    __tablename__ = "idempotent_request"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[dict] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Webhook(db.Model):
    """An address told about changes in a project, for the actions it asked for."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    # Signs every delivery (HMAC-SHA256); the receiver holds the same secret.
    secret: Mapped[str] = mapped_column(String(100))
    actions: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Why the hook stopped (the receiver answered 410 Gone), shown on its page.
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while a worker delivers this hook's queue: one worker per hook at a time keeps
    # the deliveries in order of creation.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(db.Model):
    """One notice for one hook, written in the transaction of the change it tells of and
    sent later by the worker (like the mail outbox). ``payload`` holds ids only."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_queue", "webhook_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    webhook: Mapped[Webhook] = relationship()


class EmbedOrigin(db.Model):
    """A site (scheme, host and port) allowed to embed a project's events: the widget's data
    is shared with it (CORS) and the list may be framed by it (CSP frame-ancestors)."""

    __tablename__ = "embed_origin"
    __table_args__ = (UniqueConstraint("project_id", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(300))
