"""The offline check-in app: the devices that take attendance at a door, and every tap they
send. See eventhub.core.services.door."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.base import str_enum
from eventhub.core.models.event import Event
from eventhub.core.models.user import User
from eventhub.extensions import db


class DoorDevice(db.Model):
    """A phone or tablet taking an event's attendance with the check-in app.

    Two kinds: a device the organiser enrolled with a QR code (``token_hash`` is set: the
    SHA-256 of its device token, which is the only credential it holds), or the app opened by
    signed-in staff (``client_id`` is the random id the app made for itself, ``user_id`` the
    person signed in). Each sync reports how many taps the device still holds unsent, so that
    closing the event can warn about them.
    """

    __tablename__ = "door_device"
    __table_args__ = (UniqueConstraint("event_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    # Signed-in devices: who uses it. Enrolled devices: who enrolled it (and acts through it).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pending_count: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship()
    user: Mapped[User | None] = relationship()

    @property
    def enrolled(self) -> bool:
        return self.token_hash is not None


class TapKind(enum.StrEnum):
    PRESENT = "present"
    UNDO = "undo"
    WALK_IN = "walk_in"
    HEADCOUNT = "headcount"


class TapOutcome(enum.StrEnum):
    APPLIED = "applied"  # it changed the attendance
    ALREADY = "already"  # the attendance was already so (another device got there first)
    SUPERSEDED = "superseded"  # a later tap on the same person decided already
    REFUSED = "refused"  # not allowed (closed event, cancelled registration, ...)


class DoorTap(db.Model):
    """One tap made on a device, applied once: ``tap_id`` is the device's own unique id, so an
    upload sent again finds its taps here and changes nothing. ``tapped_at`` is when it was
    made at the door, ``received_at`` when it reached the server."""

    __tablename__ = "door_tap"
    __table_args__ = (Index("ix_door_tap_registration", "registration_id", "tapped_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tap_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("door_device.id", ondelete="SET NULL"))
    kind: Mapped[TapKind] = mapped_column(str_enum(TapKind, "tap_kind"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE")
    )
    attendance_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendance.id", ondelete="SET NULL")
    )
    outcome: Mapped[TapOutcome] = mapped_column(str_enum(TapOutcome, "tap_outcome"))
    reason: Mapped[str] = mapped_column(String(32), default="")
    tapped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
