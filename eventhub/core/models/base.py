"""Enumerations and column helpers shared by the models."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum
from sqlalchemy.orm import Mapped, mapped_column

from eventhub.core.db import UTCDateTime, utcnow


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column stored as its values (VARCHAR + CHECK), readable in SQL dumps."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Country(enum.StrEnum):
    FI = "FI"
    LV = "LV"
    EE = "EE"


class EventKind(enum.StrEnum):
    WORKSHOP = "workshop"
    HACKATHON = "hackathon"
    FORUM = "forum"
    TRAINING = "training"
    INFO_SESSION = "info_session"
    NETWORK_MEETING = "network_meeting"
    STUDY_TRIP = "study_trip"
    MENTORING = "mentoring"
    GUIDANCE = "guidance"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    HELD = "held"


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class Role(enum.StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    CHECKIN = "checkin"


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
