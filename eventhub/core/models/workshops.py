"""Workshop series: several workshops run as one programme (a training cycle, the
neighbourhood workshops of a municipality). Each session is an ordinary Event with
``series_id`` set, so signup, capacity and attendance stay the core's."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.models.base import Timestamps
from eventhub.core.models.event import Event
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
