"""People, their registrations, and who actually came."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.base import RegistrationStatus, Timestamps, str_enum
from eventhub.core.models.event import Event
from eventhub.core.models.places import Municipality, Organisation, Place
from eventhub.extensions import db


def normalise_email(email: str) -> str:
    """The key people are deduplicated by: trimmed and case-folded.

    Dots and plus-tags are kept: they are significant to most mail servers.
    """
    return email.strip().casefold()


class Gender(enum.StrEnum):
    WOMAN = "woman"
    MAN = "man"
    NON_BINARY = "non_binary"
    UNDISCLOSED = "undisclosed"


class AgeBand(enum.StrEnum):
    UNDER_18 = "under_18"
    AGE_18_29 = "18_29"
    AGE_30_54 = "30_54"
    AGE_55_PLUS = "55_plus"


class LabourStatus(enum.StrEnum):
    EMPLOYED = "employed"
    UNEMPLOYED = "unemployed"
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    INACTIVE = "inactive"
    IN_EDUCATION = "in_education"


class Person(Timestamps, db.Model):
    """Somebody who registered or attended; one row per normalised email address."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None once anonymised; walk-ins without an email have none either.
    email_normalised: Mapped[str | None] = mapped_column(String(254), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of the personal calendar feed's signed token; replacing it revokes every earlier
    # feed address (see services.ical.personal_feed_token). None until first rotated.
    feed_secret: Mapped[str | None] = mapped_column(String(32))

    municipality: Mapped[Municipality | None] = relationship()

    def __repr__(self) -> str:
        return f"<Person {self.id}>"


class Registration(Timestamps, db.Model):
    """A person's place (or wish for one) at an event.

    ``queue_no`` orders the waiting list: the lowest waiting number is promoted first. A
    waiting person's position is derived from it (see services.registration), never stored, so
    it has no gaps. The manage token is kept only as its SHA-256 hash.
    """

    __tablename__ = "registration"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        Index("ix_registration_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    # Where the project reports by places below municipalities (a parish): the place, whose
    # municipality is then the municipality above.
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="SET NULL"))
    # active_history: the old status is known at flush even when it was set on an expired
    # object, so the event's places_taken counter follows every change (services.capacity).
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum(RegistrationStatus, "registration_status"), active_history=True
    )
    queue_no: Mapped[int] = mapped_column(default=0)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    dietary_needs: Mapped[str] = mapped_column(Text, default="")
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, "gender"))
    age_band: Mapped[AgeBand | None] = mapped_column(str_enum(AgeBand, "age_band"))
    labour_status: Mapped[LabourStatus | None] = mapped_column(
        str_enum(LabourStatus, "labour_status")
    )
    locale: Mapped[str] = mapped_column(String(8), default="en")
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A companion's registration names the registration of the person who signed the group
    # up (the lead); the lead and its companions share one queue number, so the waiting list
    # holds and promotes the group as one entry (see services.registration).
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )

    event: Mapped[Event] = relationship()
    person: Mapped[Person] = relationship()
    lead: Mapped[Registration | None] = relationship(
        remote_side="Registration.id", back_populates="companions"
    )
    companions: Mapped[list[Registration]] = relationship(
        back_populates="lead", order_by="Registration.id"
    )
    organisation: Mapped[Organisation | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    place: Mapped[Place | None] = relationship()

    @property
    def holds_place(self) -> bool:
        return self.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"


class Attendance(db.Model):
    """One participation: a registered person marked present, or a walk-in.

    Person and organisation are copied from the registration at check-in so that indicators
    read one table. A known person has at most one row per event (walk-ins without an email
    have a person of their own, or none).
    """

    __tablename__ = "attendance"
    __table_args__ = (
        CheckConstraint(
            "registration_id IS NOT NULL OR walk_in_name IS NOT NULL", name="registered_or_walk_in"
        ),
        Index("ix_attendance_event_org", "event_id", "organisation_id"),
        Index(
            "uq_attendance_event_person",
            "event_id",
            "person_id",
            unique=True,
            sqlite_where=text("person_id IS NOT NULL"),
            postgresql_where=text("person_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    # Where the project reports by places below municipalities (a parish): the place, whose
    # municipality is then the municipality above.
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="SET NULL"))
    walk_in_name: Mapped[str | None] = mapped_column(String(200))
    # ESF+ background of a walk-in (a registered person's is on the registration).
    gender: Mapped[Gender | None] = mapped_column(str_enum(Gender, "gender"))
    age_band: Mapped[AgeBand | None] = mapped_column(str_enum(AgeBand, "age_band"))
    labour_status: Mapped[LabourStatus | None] = mapped_column(
        str_enum(LabourStatus, "labour_status")
    )
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    registration: Mapped[Registration | None] = relationship()
    person: Mapped[Person | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    place: Mapped[Place | None] = relationship()


class Headcount(db.Model):
    """People counted at the door without names (a forum audience, a talk at a fair).

    Reported beside participations, never added to them.
    """

    __tablename__ = "headcount"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    count: Mapped[int]
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
