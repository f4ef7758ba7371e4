"""Hackathons: challenges, teams formed at signup, the initiative each team carries, and the
mentoring sessions that follow. Participants are ordinary registrations of the hackathon
Event; mentoring sessions are ordinary Events (kind mentoring) with their own attendance."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.base import Timestamps, str_enum
from eventhub.core.models.event import Event
from eventhub.core.models.people import Registration
from eventhub.extensions import db


class InitiativeStatus(enum.StrEnum):
    IDEA = "idea"
    LAUNCHED = "launched"
    CONTINUED = "continued"
    ENDED = "ended"


class Challenge(Timestamps, db.Model):
    """A question the hackathon works on; shown publicly once ``published``."""

    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship()


class Team(Timestamps, db.Model):
    """A team at a hackathon. ``join_code`` is the secret others type to join it; the
    public sees only the name, the challenge and whether the team looks for members."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    challenge_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenge.id", ondelete="SET NULL"), index=True
    )
    looking_for_members: Mapped[bool] = mapped_column(default=True)

    event: Mapped[Event] = relationship()
    challenge: Mapped[Challenge | None] = relationship()
    members: Mapped[list[TeamMember]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="TeamMember.id"
    )
    initiative: Mapped[Initiative | None] = relationship(
        back_populates="team", cascade="all, delete-orphan", uselist=False
    )


class TeamMember(db.Model):
    """A registration's place in a team: a person is in one team per hackathon."""

    __tablename__ = "team_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), unique=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    registration: Mapped[Registration] = relationship()


class TeamSeeker(db.Model):
    """A participant without a team who says so: teams of the hackathon may invite them."""

    __tablename__ = "team_seeker"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    # What they bring or look for, in their own words; shown to the hackathon's teams only.
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()


class Initiative(Timestamps, db.Model):
    """The idea for local life a team carries, and what became of it after the event."""

    __tablename__ = "initiative"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[InitiativeStatus] = mapped_column(
        str_enum(InitiativeStatus, "initiative_status"), default=InitiativeStatus.IDEA
    )
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The same initiative carried by a team at an earlier event: a history across hackathons.
    continues_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("initiative.id", ondelete="SET NULL"), index=True
    )

    team: Mapped[Team] = relationship(back_populates="initiative")
    continues_from: Mapped[Initiative | None] = relationship(remote_side=[id])


class MentoringSession(db.Model):
    """A mentoring Event (kind mentoring) held with one team; attendance is recorded on the
    Event as usual, so sessions held and people mentored come from the core tables."""

    __tablename__ = "mentoring_session"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), index=True)

    event: Mapped[Event] = relationship()
    team: Mapped[Team] = relationship()
