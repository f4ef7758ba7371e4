"""ESF+ Annex I participant data, follow-up results and voluntary work (talkoo hours).

Personal data here always hangs on a registration or a person by a foreign key, so that
whatever walks the metadata for a person's rows (export, correction, erasure) finds it.

Special-category data (disability, minority, foreign background) is kept in a table of its
own, :class:`SpecialCategoryAnswer`, apart from the registration and its other answers: it is
written only with the participant's separate consent, and read only as counts
(core.services.annex).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.base import str_enum
from eventhub.core.models.event import Event
from eventhub.core.models.people import Person, Registration
from eventhub.core.models.places import Organisation
from eventhub.core.models.project import Project
from eventhub.extensions import db


class Education(enum.StrEnum):
    """The highest education completed, by ISCED 2011 level groups (Annex I)."""

    ISCED_0_2 = "isced_0_2"
    ISCED_3_4 = "isced_3_4"
    ISCED_5_8 = "isced_5_8"


class ResultItem(enum.StrEnum):
    """The Annex I common result indicators a follow-up questionnaire can ask."""

    IN_EDUCATION = "in_education"
    QUALIFICATION = "qualification"
    EMPLOYED = "employed"
    JOB_SEARCHING = "job_searching"


class FollowupStage(enum.StrEnum):
    """When a participant is mailed: before (their first event), at leaving, six months on."""

    BEFORE = "before"
    LEAVING = "leaving"
    SIX_MONTHS = "six_months"


class AnnexAnswer(db.Model):
    """The Annex I answers given with one registration, beside its gender, age band and
    labour-market status. All optional (None: not answered)."""

    __tablename__ = "annex_answer"
    __table_args__ = (
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year_plausible"),
    )

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    birth_year: Mapped[int | None] = mapped_column(SmallInteger)
    education: Mapped[Education | None] = mapped_column(str_enum(Education, "education"))
    third_country_national: Mapped[bool | None]
    homeless: Mapped[bool | None]
    rural: Mapped[bool | None]

    registration: Mapped[Registration] = relationship()


class SpecialCategoryAnswer(db.Model):
    """Special-category data (GDPR art. 9): disability, minority incl. Roma, foreign
    background. A row exists only when the participant ticked the separate consent."""

    __tablename__ = "special_category_answer"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disability: Mapped[bool | None]
    foreign_background: Mapped[bool | None]
    minority: Mapped[bool | None]

    registration: Mapped[Registration] = relationship()


class FollowupInvitation(db.Model):
    """One questionnaire mailed to one person of a project at one stage; the unique key
    makes it once. Answered once (``answered_at``), reminded at most once."""

    __tablename__ = "followup_invitation"
    __table_args__ = (
        UniqueConstraint("project_id", "person_id", "stage"),
        Index("ix_followup_invitation_project_stage", "project_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    stage: Mapped[FollowupStage] = mapped_column(str_enum(FollowupStage, "followup_stage"))
    # The event the questionnaire is about (first event before, last event after).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    person: Mapped[Person] = relationship()
    event: Mapped[Event | None] = relationship()
    answers: Mapped[list[FollowupAnswer]] = relationship(
        cascade="all, delete-orphan", order_by="FollowupAnswer.item"
    )


class FollowupAnswer(db.Model):
    """A yes or no to one result item, so that counts are plain SQL."""

    __tablename__ = "followup_answer"

    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("followup_invitation.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[ResultItem] = mapped_column(str_enum(ResultItem, "result_item"), primary_key=True)
    value: Mapped[bool]


class VolunteerWork(db.Model):
    """Hours of voluntary (talkoo) work at an event, by a registered person or by an
    organisation, claimed as co-financing (LEADER)."""

    __tablename__ = "volunteer_work"
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_a_day"),
        CheckConstraint(
            "person_id IS NOT NULL OR organisation_id IS NOT NULL", name="person_or_organisation"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    worked_on: Mapped[date] = mapped_column(Date)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    task: Mapped[str] = mapped_column(String(200))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    person: Mapped[Person | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
