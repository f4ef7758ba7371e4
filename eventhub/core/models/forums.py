"""Forums: a programme of sessions, parallel discussion groups with their own capacity, the
groups registrants choose, and headcounts per session for audiences counted at the door."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime, utcnow
from eventhub.core.models.event import Event
from eventhub.core.models.people import Registration
from eventhub.extensions import db


class ProgrammeItem(db.Model):
    """One session of an event's programme. A ``parallel`` item is split into discussion
    groups that run at the same time; registrants choose one of them."""

    __tablename__ = "programme_item"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="item_ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room: Mapped[str] = mapped_column(String(120), default="")
    title: Mapped[str] = mapped_column(String(200))
    speakers: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    parallel: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship()
    groups: Mapped[list[DiscussionGroup]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="DiscussionGroup.id"
    )


class DiscussionGroup(db.Model):
    """A group of a parallel session. ``capacity`` None: no limit."""

    __tablename__ = "discussion_group"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="group_capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_item_id: Mapped[int] = mapped_column(
        ForeignKey("programme_item.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    room: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None]

    item: Mapped[ProgrammeItem] = relationship(back_populates="groups")


class GroupChoice(db.Model):
    """A registration's place in a discussion group: one group per parallel session."""

    __tablename__ = "group_choice"
    __table_args__ = (UniqueConstraint("registration_id", "programme_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    programme_item_id: Mapped[int] = mapped_column(
        ForeignKey("programme_item.id", ondelete="CASCADE")
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("discussion_group.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship()
    group: Mapped[DiscussionGroup] = relationship()


class SessionHeadcount(db.Model):
    """People counted at one session (or one group of it) without names. Reported beside
    participations, never added to them; the latest count of a session is its figure."""

    __tablename__ = "session_headcount"
    __table_args__ = (CheckConstraint("count >= 0", name="session_count_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_item_id: Mapped[int] = mapped_column(
        ForeignKey("programme_item.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_group.id", ondelete="CASCADE")
    )
    count: Mapped[int]
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ProgrammeItem] = relationship()
    group: Mapped[DiscussionGroup | None] = relationship()
