"""The format registry: where the event formats plug into the shared core.

A format (workshop series, hackathon, forum, the plain kinds) is a :class:`Format`: the kinds
of event it serves and its hooks. Each format builds its own ``FORMAT`` in its package and
``create_app`` registers it with one line (:func:`register`). Core asks this module, never a
format by name: :func:`eventhub.core.services.registration.register` calls
:func:`after_register` inside its transaction, with the event still locked, so a format keeps
what it adds to a registration (a forum's discussion groups, a hackathon's team) with the
registration or not at all, and counts its own places under the same lock as the event's.

Hooks keyed to the event's kind (after a registration, signup fields, calendar text) run for
the one format that serves the kind. Hooks that add to a page or a listing (event-page part,
manage-page part, API fields) are asked of every format: a format may show something on an
event of another kind (the series of a workshop session, the hackathon an event belongs to)
and answers ``None`` when it has nothing to add.

The registry lives on the application (``app.extensions``), so every app built by
``create_app`` (a test's, the worker's) has its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import current_app

from eventhub.core.models import EventKind

if TYPE_CHECKING:
    from flask import Blueprint, Flask

    from eventhub.core.models import Event, Registration
    from eventhub.core.services.signup import SignupData

EXTENSION_KEY = "eventhub.formats"


@dataclass(frozen=True)
class PagePart:
    """What a format adds to a page: a template to include and the data it shows (read by
    the view, so templates never query the database)."""

    template: str
    data: Any = None


@dataclass(frozen=True)
class CalendarSession:
    """A session of an event's programme, written as a VEVENT of its own."""

    id: int
    title: str
    starts_at: Any
    ends_at: Any
    room: str = ""
    speakers: str = ""
    description: str = ""
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Format:
    """One event format and its hooks; every hook is optional."""

    name: str
    # The kinds of event this format serves; no kind is claimed by two formats.
    kinds: frozenset[EventKind]
    # The one format that serves every kind no other format claims (the plain kinds), so a
    # new format can take a kind over without touching it.
    fallback: bool = False
    # The format's own pages, registered with the format.
    blueprint: Blueprint | None = None
    url_prefix: str | None = None
    # After a registration is made (or found again: ``created`` False), under the event's
    # lock: keep the format's part, return notes for the participant.
    after_register: Callable[..., Iterable[str]] | None = None
    # After a draft is published, in the same transaction: a format acts on an event that is
    # now public (a workshop series registers those enrolled in the whole series). Asked of
    # every format, whatever the event's kind (a series' session may be of any kind).
    after_publish: Callable[[Event], None] | None = None
    # Add the format's fields (named ``fmt_...``) to the signup form class of an event.
    signup_fields: Callable[[type, Event], None] | None = None
    # What the format adds to an event's public page, or None.
    event_page: Callable[[Event], PagePart | None] | None = None
    # What the format offers on a participant's manage-my-registration page, or None.
    manage_page: Callable[[Registration, str], PagePart | None] | None = None
    # Text added to the event's calendar DESCRIPTION.
    calendar_text: Callable[[Event], str] | None = None
    # The event's programme sessions, each a VEVENT of its own in calendars.
    calendar_sessions: Callable[[Event], Sequence[CalendarSession]] | None = None
    # Fields added to each event in the JSON API: {event id: {field: value}}.
    api_fields: Callable[[Sequence[Event]], Mapping[int, Mapping[str, object]]] | None = None

    def serves(self, event: Event) -> bool:
        return event.kind in self.kinds


class FormatConflict(RuntimeError):
    """Two formats claim the same kind or name."""


def register(app: Flask, fmt: Format) -> None:
    """Install a format on the app: its hooks, and its blueprint when it has one."""
    registry: dict[str, Format] = app.extensions.setdefault(EXTENSION_KEY, {})
    if fmt.name in registry:
        raise FormatConflict(f"format {fmt.name!r} is registered twice")
    for other in registry.values():
        if taken := fmt.kinds & other.kinds:
            raise FormatConflict(f"{sorted(taken)} served by {other.name!r} and {fmt.name!r}")
        if fmt.fallback and other.fallback:
            raise FormatConflict(f"{other.name!r} and {fmt.name!r} are both the fallback")
    registry[fmt.name] = fmt
    if fmt.blueprint is not None:
        app.register_blueprint(fmt.blueprint, url_prefix=fmt.url_prefix)


def all_formats() -> tuple[Format, ...]:
    """The registered formats, in registration order."""
    return tuple(current_app.extensions.get(EXTENSION_KEY, {}).values())


def for_kind(kind: EventKind) -> Format | None:
    """The format that claims the kind, else the fallback format."""
    registered = all_formats()
    claimed = next((f for f in registered if kind in f.kinds), None)
    return claimed or next((f for f in registered if f.fallback), None)


def for_event(event: Event) -> Format | None:
    return for_kind(event.kind)


def unserved_kinds() -> set[EventKind]:
    """Kinds no registered format serves (none, once the app is built)."""
    return {kind for kind in EventKind if for_kind(kind) is None}


# --- what core and the web ask -----------------------------------------------------------


def after_register(
    registration: Registration, data: SignupData, *, created: bool
) -> tuple[str, ...]:
    """Let the event's format act on a registration; returns notes for the participant.

    ``created`` is False when the person was registered already: nothing is changed then,
    but the notes are the same as for a new registration, so the answer does not tell
    whether an address was registered before.
    """
    fmt = for_event(registration.event)
    if fmt is None or fmt.after_register is None:
        return ()
    return tuple(fmt.after_register(registration, data.format_data, created=created))


def after_publish(event: Event) -> None:
    """Let every format act on an event just published (see :attr:`Format.after_publish`)."""
    for fmt in all_formats():
        if fmt.after_publish is not None:
            fmt.after_publish(event)


def has_signup_fields(event: Event) -> bool:
    """Whether the event's format adds fields to the signup form."""
    fmt = for_event(event)
    return fmt is not None and fmt.signup_fields is not None


def add_signup_fields(form_cls: type, event: Event) -> None:
    """Add the event's format fields to a signup form class (see registration forms)."""
    fmt = for_event(event)
    if fmt is not None and fmt.signup_fields is not None:
        fmt.signup_fields(form_cls, event)


def calendar_text(event: Event) -> str:
    fmt = for_event(event)
    if fmt is None or fmt.calendar_text is None:
        return ""
    return fmt.calendar_text(event)


def calendar_sessions(event: Event) -> Sequence[CalendarSession]:
    fmt = for_event(event)
    if fmt is None or fmt.calendar_sessions is None:
        return ()
    return fmt.calendar_sessions(event)


def event_page_parts(event: Event) -> list[PagePart]:
    """What the formats add to an event's public page, in registration order."""
    parts = (f.event_page(event) for f in all_formats() if f.event_page is not None)
    return [part for part in parts if part is not None]


def manage_page_parts(registration: Registration, token: str) -> list[PagePart]:
    parts = (f.manage_page(registration, token) for f in all_formats() if f.manage_page is not None)
    return [part for part in parts if part is not None]


def api_fields(events: Sequence[Event]) -> dict[int, dict[str, object]]:
    """The formats' fields of each event in the API, every event present (maybe empty)."""
    fields: dict[int, dict[str, object]] = {e.id: {} for e in events}
    for fmt in all_formats():
        if fmt.api_fields is not None:
            for event_id, values in fmt.api_fields(events).items():
                fields[event_id].update(values)
    return fields
