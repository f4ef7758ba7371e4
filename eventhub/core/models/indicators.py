"""What the indicators need beyond events and attendance: guidance sessions and surveys.

Also the indexes the indicator queries rely on, declared here on the tables they speed up so
that the reason for each lives next to the queries' models (see core.services.indicators).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.base import str_enum
from eventhub.core.models.event import Event
from eventhub.core.models.people import Attendance
from eventhub.core.models.places import Organisation
from eventhub.core.models.project import Project
from eventhub.core.models.user import User
from eventhub.extensions import db

# The dashboard starts from the held events of a project, then reads their attendance by
# event: (project_id, closed_at) finds the events; (event_id, person_id, registration_id)
# lets unique persons and walk-ins be counted from the index alone, as
# ix_attendance_event_org (event_id, organisation_id) does for organisations.
Index("ix_event_project_closed", Event.project_id, Event.closed_at)
# Unique organisations: one probe per organisation ("did it attend a held event in scope?").
Index("ix_attendance_org_event", Attendance.organisation_id, Attendance.event_id)
Index(
    "ix_attendance_event_person",
    Attendance.event_id,
    Attendance.person_id,
    Attendance.registration_id,
)


class GuidanceTopic(db.Model):
    """A subject guidance is given on, from the project's own list (e.g. funding eligibility,
    budget, the reporting system, other funding, after a positive decision)."""

    __tablename__ = "guidance_topic"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    project: Mapped[Project] = relationship()

    def __repr__(self) -> str:
        return f"<GuidanceTopic {self.name!r}>"


guidance_session_topic = Table(
    "guidance_session_topic",
    db.metadata,
    Column("session_id", ForeignKey("guidance_session.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("guidance_topic.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_guidance_session_topic_topic_id", "topic_id"),
)


class GuidanceSession(db.Model):
    """One-to-one guidance given to an organisation on one day, on one or more topics.

    Kept by day, not by moment: reports count sessions per day, month and year, and a day
    needs no timezone.
    """

    __tablename__ = "guidance_session"
    __table_args__ = (
        CheckConstraint(
            "duration_minutes IS NULL OR duration_minutes > 0", name="duration_positive"
        ),
        Index("ix_guidance_session_project_held_on", "project_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    duration_minutes: Mapped[int | None]
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()
    organisation: Mapped[Organisation] = relationship()
    given_by: Mapped[User | None] = relationship()
    topics: Mapped[list[GuidanceTopic]] = relationship(
        secondary=guidance_session_topic, order_by="GuidanceTopic.position"
    )


class SurveyInstrument(db.Model):
    """A short questionnaire of statements answered 1-5, sent to participants after events.

    ``statements`` holds the wording the project entered itself. For the THL participation
    indicator (osallisuusindikaattori) there are exactly ten, in THL's wording, which eventhub
    neither ships nor alters.
    """

    __tablename__ = "survey_instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")
    is_thl_participation: Mapped[bool] = mapped_column(default=False)
    statements: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Only active instruments are sent after events.
    active: Mapped[bool] = mapped_column(default=True)
    # Asked as a pair instead (before the person's first event and at leaving), each
    # answer kept with the person so that the change can be measured (services.surveys).
    paired: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()


class SurveyStage(enum.StrEnum):
    """Which half of a before/after pair a response is."""

    BEFORE = "before"
    AFTER = "after"


class SurveyResponse(db.Model):
    """One set of answers to an instrument about an event.

    Anonymous (no person) when sent after an event. The answers to a *paired* instrument
    name the person and the stage, once each, so that before and after can be matched."""

    __tablename__ = "survey_response"
    __table_args__ = (
        Index("ix_survey_response_instrument_event", "instrument_id", "event_id"),
        UniqueConstraint("instrument_id", "person_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("survey_instrument.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    stage: Mapped[SurveyStage | None] = mapped_column(str_enum(SurveyStage, "survey_stage"))

    instrument: Mapped[SurveyInstrument] = relationship()
    event: Mapped[Event] = relationship()
    answers: Mapped[list[SurveyAnswer]] = relationship(
        cascade="all, delete-orphan", order_by="SurveyAnswer.statement_no"
    )


class SurveyAnswer(db.Model):
    """The answer (1-5) to one statement, so that means are plain SQL averages."""

    __tablename__ = "survey_answer"
    __table_args__ = (CheckConstraint("value BETWEEN 1 AND 5", name="value_1_to_5"),)

    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True
    )
    statement_no: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)


class SurveyReceipt(db.Model):
    """That a survey link has been used, so it answers once.

    Holds only a hash of the signed link: no registration, no time, nothing that ties the
    receipt to the response it came with.
    """

    __tablename__ = "survey_receipt"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


class SurveyInvitation(db.Model):
    """That a registration has been sent its survey mail; the primary key makes it once."""

    __tablename__ = "survey_invitation"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
