"""The signup form's extra fields for an event's format, added by build_form().

Field names start with ``fmt_``; their values reach the service as
``SignupData.format_data`` (without the prefix), where the format's hook reads them.
"""

from __future__ import annotations

from eventhub.core.models import Event, EventKind


def add_format_fields(form_cls: type, event: Event) -> None:
    kind = getattr(event, "kind", None)
    if kind in (EventKind.FORUM, EventKind.INFO_SESSION):  # forums.PROGRAMME_KINDS
        from eventhub.forums.forms import add_signup_fields

        add_signup_fields(form_cls, event)
    elif kind == EventKind.HACKATHON:
        from eventhub.hackathons.forms import add_signup_fields

        add_signup_fields(form_cls, event)
