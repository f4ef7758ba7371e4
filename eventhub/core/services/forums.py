"""Forums: the programme, discussion groups with their own places, and headcounts.

A discussion group's places are counted like an event's: under the event's lock, in the
transaction that takes the place. Choices of registrations that are confirmed, awaiting
approval or waiting for a place all count, so a group can never be promised to more people
than it holds, even when the waiting list moves; a cancelled registration frees its groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    DiscussionGroup,
    Event,
    EventKind,
    GroupChoice,
    ProgrammeItem,
    Registration,
    SessionHeadcount,
    User,
)
from eventhub.core.services import audit
from eventhub.core.services.capacity import PLACE_HOLDING
from eventhub.core.services.signup import ACTIVE, lock_event
from eventhub.extensions import db

FIELD_PREFIX = "item_"  # format_data keys: item_<programme item id> -> group id or ""
# Kinds of event that may have a programme: forums, and info sessions with many speakers.
PROGRAMME_KINDS = (EventKind.FORUM, EventKind.INFO_SESSION)


# --- reading ----------------------------------------------------------------------------


def programme(event_id: int) -> list[ProgrammeItem]:
    """The event's programme in time order, groups loaded."""
    return list(
        db.session.scalars(
            select(ProgrammeItem)
            .where(ProgrammeItem.event_id == event_id)
            .options(selectinload(ProgrammeItem.groups))
            .order_by(ProgrammeItem.starts_at, ProgrammeItem.id)
        )
    )


def programmes(event_ids: Sequence[int]) -> dict[int, list[ProgrammeItem]]:
    """The programmes of several events in one query (API listings)."""
    found: dict[int, list[ProgrammeItem]] = {event_id: [] for event_id in event_ids}
    if not event_ids:
        return found
    items = db.session.scalars(
        select(ProgrammeItem)
        .where(ProgrammeItem.event_id.in_(event_ids))
        .options(selectinload(ProgrammeItem.groups))
        .order_by(ProgrammeItem.starts_at, ProgrammeItem.id)
    )
    for item in items:
        found[item.event_id].append(item)
    return found


def groups_taken(group_ids: Iterable[int]) -> dict[int, int]:
    """Places taken per discussion group (see the module's docstring for who counts)."""
    ids = list(group_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(GroupChoice.group_id, func.count())
        .join(Registration, Registration.id == GroupChoice.registration_id)
        .where(GroupChoice.group_id.in_(ids), Registration.status.in_(ACTIVE))
        .group_by(GroupChoice.group_id)
    ).all()
    return dict(rows)


def seats_left(group: DiscussionGroup, taken: int) -> int | None:
    if group.capacity is None:
        return None
    return max(group.capacity - taken, 0)


@dataclass(frozen=True)
class GroupPlaces:
    group: DiscussionGroup
    taken: int

    @property
    def seats_left(self) -> int | None:
        return seats_left(self.group, self.taken)

    @property
    def full(self) -> bool:
        return self.seats_left == 0


def group_places(items: Sequence[ProgrammeItem]) -> dict[int, GroupPlaces]:
    """Places of every group of these items, by group id."""
    groups = [g for item in items for g in item.groups]
    taken = groups_taken(g.id for g in groups)
    return {g.id: GroupPlaces(g, taken.get(g.id, 0)) for g in groups}


def choices_of(registration: Registration) -> dict[int, int]:
    """The registration's groups: programme item id -> group id."""
    return dict(
        db.session.execute(
            select(GroupChoice.programme_item_id, GroupChoice.group_id).where(
                GroupChoice.registration_id == registration.id
            )
        ).all()
    )


# --- choosing groups --------------------------------------------------------------------


def parse_choices(format_data: Mapping[str, object]) -> dict[int, int | None]:
    """``item_<id>`` fields of a form: programme item id -> group id (None: no group)."""
    choices: dict[int, int | None] = {}
    for key, value in format_data.items():
        if not key.startswith(FIELD_PREFIX):
            continue
        try:
            item_id = int(key.removeprefix(FIELD_PREFIX))
            choices[item_id] = int(str(value)) if value not in (None, "") else None
        except (TypeError, ValueError):
            continue
    return choices


def after_register(
    registration: Registration, format_data: Mapping[str, object], *, created: bool
) -> list[str]:
    """The signup hook: place a new registration in the groups it chose. The event is
    locked by the caller. A full group is refused and said so; the other choices stand."""
    choices = parse_choices(format_data)
    if not choices:
        return []
    return _apply(registration, choices, write=created)


def change_groups(registration: Registration, choices: Mapping[int, int | None]) -> list[str]:
    """A participant changes their groups from the manage link. Takes the event's lock; a
    full group is refused and the earlier choice for that session is kept. Caller commits."""
    lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status not in ACTIVE:
        return []
    return _apply(registration, choices, write=True)


def _apply(
    registration: Registration, choices: Mapping[int, int | None], *, write: bool
) -> list[str]:
    items = {
        item.id: item
        for item in programme(registration.event_id)
        if item.parallel and item.id in choices
    }
    wanted = {
        item_id: next((g for g in items[item_id].groups if g.id == group_id), None)
        for item_id, group_id in choices.items()
        if item_id in items and group_id is not None
    }
    current = {c.programme_item_id: c for c in _choice_rows(registration)} if write else {}
    taken = groups_taken(g.id for g in wanted.values() if g is not None)
    notes: list[str] = []
    for item_id, item in items.items():
        group = wanted.get(item_id)
        existing = current.get(item_id)
        if choices[item_id] is None:
            if existing is not None:
                db.session.delete(existing)
            continue
        if group is None:
            continue  # not a group of this session: the form never offers it
        if existing is not None and existing.group_id == group.id:
            continue
        if seats_left(group, taken.get(group.id, 0)) == 0:
            notes.append(
                _(
                    "The discussion group “%(group)s” (%(session)s) is full, so you have no "
                    "place in it. The rest of your registration is kept; you can choose "
                    "another group from the link in your email.",
                    group=group.name,
                    session=item.title,
                )
            )
            continue
        if not write:
            continue
        if existing is not None:
            existing.group_id = group.id
        else:
            db.session.add(
                GroupChoice(
                    registration_id=registration.id, programme_item_id=item_id, group_id=group.id
                )
            )
        taken[group.id] = taken.get(group.id, 0) + 1
    db.session.flush()
    return notes


def _choice_rows(registration: Registration) -> list[GroupChoice]:
    return list(
        db.session.scalars(
            select(GroupChoice).where(GroupChoice.registration_id == registration.id)
        )
    )


# --- the programme as text and data -----------------------------------------------------


def programme_text(event: Event) -> str:
    """The programme as plain text for the .ics DESCRIPTION: times in the event's zone,
    the heading in the event's language (calendar files are cached per event, not per
    reader)."""
    items = programme(event.id)
    if not items:
        return ""
    with force_locale(event.language):
        lines = [_("Programme")]
    for item in items:
        start, end = item.starts_at.astimezone(event.tz), item.ends_at.astimezone(event.tz)
        when = f"{start:%H:%M}–{end:%H:%M}"
        extra = ", ".join(p for p in (item.speakers, item.room) if p)
        lines.append(f"{when} {item.title}" + (f" ({extra})" if extra else ""))
        for group in item.groups:
            lines.append(f"  – {group.name}" + (f" ({group.room})" if group.room else ""))
    return "\n".join(lines)


def programme_json(
    event: Event, items: Sequence[ProgrammeItem], places: Mapping[int, GroupPlaces]
) -> list[dict]:
    """The programme as the JSON API shows it; times in the event's zone with offset."""
    tz = event.tz
    return [
        {
            "start": item.starts_at.astimezone(tz).isoformat(),
            "end": item.ends_at.astimezone(tz).isoformat(),
            "title": item.title,
            "room": item.room or None,
            "speakers": item.speakers or None,
            "description": item.description or "",
            "parallel": item.parallel,
            "groups": [
                {
                    "id": group.id,
                    "name": group.name,
                    "room": group.room or None,
                    "capacity": group.capacity,
                    "seats_left": places[group.id].seats_left if group.id in places else None,
                }
                for group in item.groups
            ],
        }
        for item in items
    ]


# --- organiser --------------------------------------------------------------------------


def _touch(event: Event) -> None:
    """The programme is part of the event's page, calendar file and API answer: mark the
    event changed so caches and ETags built on ``updated_at`` follow."""
    event.updated_at = utcnow()


def add_item(
    user: User,
    event: Event,
    *,
    starts_at: datetime,
    ends_at: datetime,
    title: str,
    room: str = "",
    speakers: str = "",
    description: str = "",
    parallel: bool = False,
) -> ProgrammeItem:
    """A new session in the programme. The caller commits."""
    item = ProgrammeItem(
        event_id=event.id,
        starts_at=starts_at,
        ends_at=ends_at,
        title=title,
        room=room,
        speakers=speakers,
        description=description,
        parallel=parallel,
    )
    db.session.add(item)
    _touch(event)
    db.session.flush()
    audit.record("programme_item_added", event=event, obj=item, user=user)
    return item


def delete_item(user: User, item: ProgrammeItem) -> None:
    event = item.event
    audit.record("programme_item_deleted", event=event, obj=item, user=user)
    db.session.delete(item)
    _touch(event)
    db.session.flush()


def add_group(
    user: User,
    item: ProgrammeItem,
    *,
    name: str,
    capacity: int | None,
    room: str = "",
    description: str = "",
) -> DiscussionGroup:
    group = DiscussionGroup(
        programme_item_id=item.id, name=name, capacity=capacity, room=room, description=description
    )
    db.session.add(group)
    item.parallel = True
    _touch(item.event)
    db.session.flush()
    audit.record("discussion_group_added", event=item.event, obj=group, user=user)
    return group


def record_headcount(
    user: User,
    item: ProgrammeItem,
    count: int,
    *,
    group: DiscussionGroup | None = None,
    note: str = "",
) -> SessionHeadcount:
    """People counted at a session (or one of its groups). A later count replaces an
    earlier one in the figures; earlier ones stay as the record."""
    row = SessionHeadcount(
        programme_item_id=item.id,
        group_id=group.id if group is not None else None,
        count=count,
        note=note,
        recorded_by_id=user.id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record("session_headcount", event=item.event, obj=row, user=user, count=count)
    return row


def latest_headcounts(event_id: int) -> dict[int, int]:
    """The latest whole-session count per programme item (group counts left out)."""
    latest = (
        select(SessionHeadcount.programme_item_id, func.max(SessionHeadcount.id).label("last"))
        .join(ProgrammeItem, ProgrammeItem.id == SessionHeadcount.programme_item_id)
        .where(ProgrammeItem.event_id == event_id, SessionHeadcount.group_id.is_(None))
        .group_by(SessionHeadcount.programme_item_id)
        .subquery()
    )
    rows = db.session.execute(
        select(SessionHeadcount.programme_item_id, SessionHeadcount.count).join(
            latest, SessionHeadcount.id == latest.c.last
        )
    ).all()
    return dict(rows)


def set_registration_optional(user: User, event: Event, optional: bool) -> None:
    event.registration_optional = optional
    audit.record("registration_optional", event=event, obj=event, user=user, optional=optional)


# --- figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionFigure:
    item: ProgrammeItem
    headcount: int | None  # latest count at the door, None when nobody counted
    chosen: int  # registrations in its groups (parallel sessions)


@dataclass(frozen=True)
class ForumFigures:
    """A forum's figures. ``participations`` are attendance records (by name, walk-ins
    included); headcounts are people counted without names, reported beside them and never
    added to them. ``peak_headcount`` is the largest session count: the audience at most."""

    registrations: int
    participations: int
    sessions: list[SessionFigure]
    peak_headcount: int | None
    groups: list[GroupPlaces]


def forum_indicators(event_id: int) -> ForumFigures:
    items = programme(event_id)
    places = group_places(items)
    counts = latest_headcounts(event_id)
    registrations = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == event_id, Registration.status.in_(PLACE_HOLDING)
        )
    )
    participations = db.session.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.event_id == event_id)
    )
    sessions = [
        SessionFigure(item, counts.get(item.id), sum(places[g.id].taken for g in item.groups))
        for item in items
    ]
    return ForumFigures(
        registrations=registrations or 0,
        participations=participations or 0,
        sessions=sessions,
        peak_headcount=max(counts.values()) if counts else None,
        groups=[places[g.id] for item in items for g in item.groups],
    )


def delete_group(user: User, group: DiscussionGroup) -> None:
    event = group.item.event
    audit.record("discussion_group_deleted", event=event, obj=group, user=user)
    db.session.delete(group)
    _touch(event)
    db.session.flush()


def programmes_json(events: Sequence[Event]) -> dict[int, list[dict]]:
    """The programmes of several events as the API shows them, in three queries."""
    found = programmes([e.id for e in events if e.kind in PROGRAMME_KINDS])
    places = group_places([item for items in found.values() for item in items])
    return {e.id: programme_json(e, found.get(e.id, []), places) for e in events}


def calendar_sessions(event: Event) -> list:
    """The programme as sessions for calendars (see ``formats.CalendarSession``)."""
    from eventhub.core.services.formats import CalendarSession

    return [
        CalendarSession(
            id=item.id,
            title=item.title,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            room=item.room,
            speakers=item.speakers,
            description=item.description,
            groups=tuple(g.name for g in item.groups),
        )
        for item in programme(event.id)
    ]
