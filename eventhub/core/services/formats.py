"""Where the event formats plug into the shared signup.

:func:`eventhub.core.services.registration.register` calls :func:`after_register` inside its
transaction, with the event still locked, so a format keeps what it adds to a registration
(a forum's discussion groups, a hackathon's team) with the registration or not at all, and
counts its own places (a group's seats) under the same lock as the event's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eventhub.core.models import EventKind

if TYPE_CHECKING:
    from eventhub.core.models import Registration
    from eventhub.core.services.registration import SignupData


def after_register(
    registration: Registration, data: SignupData, *, created: bool
) -> tuple[str, ...]:
    """Let the event's format act on a registration; returns notes for the participant.

    ``created`` is False when the person was registered already: nothing is changed then,
    but the notes are the same as for a new registration, so the answer does not tell
    whether an address was registered before.
    """
    kind = registration.event.kind
    if kind in (EventKind.FORUM, EventKind.INFO_SESSION):  # forums.PROGRAMME_KINDS
        from eventhub.core.services import forums

        return tuple(forums.after_register(registration, data.format_data, created=created))
    if kind == EventKind.HACKATHON:
        from eventhub.core.services import hackathons

        return tuple(hackathons.after_register(registration, data.format_data, created=created))
    return ()
