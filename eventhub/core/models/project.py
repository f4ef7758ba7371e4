"""Projects and the targets they promised their funder."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.models.base import Country, EventKind, Timestamps, str_enum
from eventhub.core.models.places import Municipality, Organisation
from eventhub.extensions import db

project_municipality = Table(
    "project_municipality",
    db.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipality.id"), primary_key=True),
)

# The organisations that run a project (its organiser, or each partner of a joint project):
# an organisation's calendar feed holds the events of these projects.
project_organisation = Table(
    "project_organisation",
    db.metadata,
    Column("project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)


class Project(Timestamps, db.Model):
    """A funded project (LEADER, ESF+, a national NGO fund) that runs events."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organiser: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    funder: Mapped[str] = mapped_column(String(200), default="")
    programme: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    region: Mapped[str] = mapped_column(String(120), default="")
    # Where the project works: signup forms offer this country's municipalities and places,
    # and new events start in the project's timezone and language.
    country: Mapped[Country | None] = mapped_column(str_enum(Country, "country"))
    timezone: Mapped[str] = mapped_column(
        String(64), default="Europe/Helsinki", server_default="Europe/Helsinki"
    )
    language: Mapped[str] = mapped_column(String(8), default="fi", server_default="fi")
    planned_participants: Mapped[int | None]
    planned_organisations: Mapped[int | None]
    # Personal data of registrations is anonymised this many days after the project ends.
    retention_days: Mapped[int] = mapped_column(default=5 * 365)
    # ESF+ projects ask voluntary background questions (gender, age band, labour market).
    collects_background: Mapped[bool] = mapped_column(default=False)
    # The legal obligation (GDPR art. 17(3)(b)) under which this project must keep its
    # participants' records when one asks for erasure, e.g. a funder's audit trail; empty:
    # none, an erasure takes everything at once. See docs/privacy.md.
    erasure_hold: Mapped[str] = mapped_column(Text, default="", server_default="")
    # ESF+ Annex I participant data (core.services.annex): asked at signup beside the
    # background questions, counted once per person with their first participation's data.
    collects_annex_i: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The Annex I result items the follow-up questionnaires ask (ResultItem values); none:
    # no follow-up. Mailed this many days after a participant's last event.
    followup_items: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    followup_after_days: Mapped[int] = mapped_column(default=30, server_default="30")

    municipalities: Mapped[list[Municipality]] = relationship(secondary=project_municipality)
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=project_organisation, order_by="Organisation.name"
    )
    targets: Mapped[list[ProjectTarget]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Project {self.code}>"


class ProjectTarget(db.Model):
    """How many events of a kind the project planned to hold."""

    __tablename__ = "project_target"
    __table_args__ = (UniqueConstraint("project_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "event_kind"))
    planned_events: Mapped[int]

    project: Mapped[Project] = relationship(back_populates="targets")
