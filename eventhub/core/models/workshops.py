"""Workshop series: several workshops run as one programme (a training cycle, the
neighbourhood workshops of a municipality). Each session is an ordinary Event with
``series_id`` set, so signup, capacity and attendance stay the core's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime
from eventhub.core.models.base import Timestamps
from eventhub.core.models.event import Event
from eventhub.core.models.people import Person
from eventhub.core.models.project import Project
from eventhub.extensions import db


class WorkshopSeries(Timestamps, db.Model):
    """A named set of sessions. ``certificate_threshold`` is how many sessions a person must
    have attended to receive a participation certificate."""

    __tablename__ = "workshop_series"
    __table_args__ = (CheckConstraint("certificate_threshold >= 1", name="threshold_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    certificate_threshold: Mapped[int] = mapped_column(default=1)

    project: Mapped[Project | None] = relationship()
    sessions: Mapped[list[Event]] = relationship(
        primaryjoin="WorkshopSeries.id == foreign(Event.series_id)",
        order_by=(Event.starts_at, Event.id),
        viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<WorkshopSeries {self.id} {self.name!r}>"


class SeriesEnrolment(Timestamps, db.Model):
    """A person registered for the whole series: for every session still to come, and for
    each session added to the series later (see services.workshops.enrol_in_new_sessions).
    ``source_registration_id`` is the registration whose details new sessions copy."""

    __tablename__ = "series_enrolment"
    __table_args__ = (UniqueConstraint("series_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        ForeignKey("workshop_series.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    source_registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    locale: Mapped[str] = mapped_column(String(8), default="en")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    series: Mapped[WorkshopSeries] = relationship()
    person: Mapped[Person] = relationship()
