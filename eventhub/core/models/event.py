"""Events of every kind, and the questions an organiser adds to an event's form."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventhub.core.db import UTCDateTime
from eventhub.core.models.base import EventKind, EventStatus, Timestamps, str_enum
from eventhub.core.models.places import Municipality
from eventhub.core.models.project import Project
from eventhub.core.text import fold
from eventhub.extensions import db

# The statuses the public sees (listings, event pages, feeds, the API): the one rule of
# "public", used by Event.is_public and by every query.
PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED, EventStatus.HELD)


def new_uid() -> str:
    return f"{uuid.uuid4()}@eventhub"


class Event(Timestamps, db.Model):
    """One occasion people can register for and attend.

    ``starts_at``/``ends_at`` are stored in UTC; ``timezone`` is the IANA zone the event is
    shown, mailed and exported in. ``uid`` never changes; ``sequence`` grows whenever the time,
    place or status changes, so calendar applications replace their copy.
    """

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("max_companions >= 0", name="max_companions_not_negative"),
        Index("ix_event_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(128), unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, "event_kind"), index=True)
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus, "event_status"), default=EventStatus.DRAFT
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Helsinki")
    venue: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(8), default="fi")
    # None: no limit on places.
    capacity: Mapped[int | None]
    # The places held (confirmed and pending registrations), kept equal to those rows in the
    # same transaction by eventhub.core.services.capacity (claim and the flush hook), so a
    # seat is decided by one UPDATE of this row instead of a count under a lock.
    places_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    # The last queue number given (Registration.queue_no: arrival order), taken with the seat.
    queue_last: Mapped[int] = mapped_column(default=0, server_default="0")
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    # Companions one signup may bring (a family, a few people of an association); 0: none.
    # Each companion is a registration of its own (see Registration.lead_id).
    max_companions: Mapped[int] = mapped_column(default=0, server_default="0")
    # Whether a group that does not fit whole may take the places left while the rest wait.
    groups_may_split: Mapped[bool] = mapped_column(default=False, server_default=false())
    requires_approval: Mapped[bool] = mapped_column(default=False)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an organiser confirms the attendance is complete: only closed events count
    # as held in the indicators.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_report: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Title, venue, address and description folded (eventhub.core.text.fold), kept on every
    # write by _keep_search_text: the public search matches it the same way on PostgreSQL
    # and SQLite, without accents ("kyla" finds "Kylä").
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    # Event formats (see eventhub.workshops, .hackathons, .forums): the workshop series a
    # session belongs to; the hackathon a preparatory, follow-up or mentoring event belongs to;
    # whether people may come without registering (a forum for a large audience).
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop_series.id", ondelete="SET NULL"), index=True
    )
    parent_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="SET NULL"), index=True
    )
    registration_optional: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Outreach: a talk or stand at another organiser's event, recorded with a headcount. It is
    # reported apart and never counts as one of the project's own events held.
    is_outreach: Mapped[bool] = mapped_column(default=False, server_default=false())

    project: Mapped[Project | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    questions: Mapped[list[EventQuestion]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EventQuestion.position"
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.tz)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.tz)

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r}>"


def event_search_text(event: Event) -> str:
    return fold(
        " ".join(filter(None, (event.title, event.venue, event.address, event.description)))
    )


@sa_event.listens_for(Event, "before_insert")
@sa_event.listens_for(Event, "before_update")
def _keep_search_text(_mapper, _connection, target: Event) -> None:
    """Every way an event is written (forms, imports, the demo, tests) keeps its search
    column current: one place, no caller can forget it."""
    target.search_text = event_search_text(target)


class QuestionType(enum.StrEnum):
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"


class EventQuestion(db.Model):
    """A question of the event's own on its signup form. Answers are kept on the registration
    under the question's id, so renaming a question keeps the answers."""

    __tablename__ = "event_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(300))
    help_text: Mapped[str] = mapped_column(String(500), default="")
    type: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "question_type"))
    required: Mapped[bool] = mapped_column(default=False)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Shown only when an earlier choice or yes/no question of the same event was answered
    # with one of ``condition_answers`` (choice texts as stored, or "yes"/"no"); NULL: always
    # shown. The rule lives in eventhub.core.services.questions.
    condition_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_question.id", ondelete="SET NULL")
    )
    condition_answers: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Asked of each companion too, in their own fieldset, and stored on the companion's
    # registration. Never conditional (the editor refuses both at once): a companion's
    # fieldset asks every such question, with or without JavaScript.
    for_companions: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The label, help text and choices in other languages than the event's own:
    # {"lv": {"label": ..., "help_text": ..., "choices": [...]}}; choices by position, so an
    # answer is always stored as the choice in the event's language.
    translations: Mapped[dict[str, dict]] = mapped_column(JSON, default=dict, server_default="{}")

    event: Mapped[Event] = relationship(back_populates="questions")
    condition_question: Mapped[EventQuestion | None] = relationship(remote_side=[id])

    def text_in(self, locale: str | None) -> QuestionText:
        """The label, help text and choices as a participant reading ``locale`` sees them:
        the translation where there is one, the event's own language otherwise."""
        given = (self.translations or {}).get(locale or "", {})
        given_choices = list(given.get("choices") or [])
        return QuestionText(
            label=given.get("label") or self.label,
            help_text=given.get("help_text") or self.help_text,
            choices=[
                (c, given_choices[i] if i < len(given_choices) and given_choices[i] else c)
                for i, c in enumerate(self.choices or [])
            ],
        )


@dataclass(frozen=True)
class QuestionText:
    label: str
    help_text: str
    # (stored value, shown text)
    choices: list[tuple[str, str]]


class EventCalendarEntry(db.Model):
    """An event's serialised VEVENTs (with its programme sessions) for one revision.

    ``revision`` is a digest of everything the bytes depend on (see services.ical), so a
    stored entry is used only while it is current; a worker that has just started reads
    these instead of building ten thousand VEVENTs for its first feed.
    """

    __tablename__ = "event_calendar_entry"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[str] = mapped_column(String(64))
    vevent: Mapped[str] = mapped_column(Text)


class CalendarFeedBody(db.Model):
    """A public feed's whole body as last built, for any process to serve as it is.

    ``feed_key`` is a digest of the feed (its scope, name, source address and site),
    ``revision`` a digest of the fingerprint of the events it holds (services.ical
    ``_feed_state``): a worker that has just started serves a stored body whose revision is
    current instead of assembling ten thousand VEVENTs.
    """

    __tablename__ = "calendar_feed_body"

    feed_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    revision: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When a process last found the body current (its fingerprint read afresh), and the
    # feed's Last-Modified then: a process starting within CALENDAR_RECHECK_SECONDS of it
    # serves the body without asking again, as a warm process would.
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_modified: Mapped[datetime | None] = mapped_column(UTCDateTime)
    etag: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed
