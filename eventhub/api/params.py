"""Reading the query string of ``GET /api/v1/events`` into search filters, or a clear 400."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from eventhub.core.models import EventKind, Municipality
from eventhub.core.numbers import parse_id, parse_int
from eventhub.core.services.search import EventFilters, find_project
from eventhub.extensions import db

PARAMETERS = (
    "kind",
    "project",
    "municipality",
    "from",
    "to",
    "q",
    "updated_since",
    "page",
    "per_page",
)
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 200
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A "+" in a query string arrives as a space: "18:00:00 03:00" meant "18:00:00+03:00".
_SPACED_OFFSET = re.compile(r"(\d) (\d{2}(?::?\d{2})?)$")


class BadParameter(Exception):
    """A query parameter the API cannot use; ``message`` says why, for the caller."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


def parse_event_query(args: MultiDict) -> tuple[EventFilters, int, int]:
    """Filters, page and page size from the query string. Unknown or repeated parameters are
    refused rather than ignored, so a misspelt filter never silently returns everything."""
    for name in args:
        if name not in PARAMETERS:
            raise BadParameter(
                name,
                _(
                    "Unknown parameter '%(name)s'. Known parameters: %(known)s.",
                    name=name,
                    known=", ".join(PARAMETERS),
                ),
            )
        if len(args.getlist(name)) > 1:
            raise BadParameter(name, _("Give '%(name)s' only once.", name=name))
    ends_after = _moment(args, "from", next_day=False)
    starts_before = _moment(args, "to", next_day=True)
    if ends_after and starts_before and starts_before <= ends_after:
        raise BadParameter("to", _("'to' must be later than 'from'."))
    filters = EventFilters(
        kind=_kind(args.get("kind")),
        project_id=_project(args.get("project")),
        municipality_id=_municipality(args.get("municipality")),
        ends_after=ends_after,
        starts_before=starts_before,
        text=_text(args.get("q")),
        updated_since=_moment(args, "updated_since", next_day=False),
    )
    page = _integer(args, "page", default=1, low=1, high=None)
    per_page = _integer(args, "per_page", default=DEFAULT_PER_PAGE, low=1, high=MAX_PER_PAGE)
    return filters, page, per_page


def _kind(value: str | None) -> EventKind | None:
    if value is None:
        return None
    try:
        return EventKind(value)
    except ValueError:
        raise BadParameter(
            "kind",
            _(
                "Unknown kind '%(value)s'. Kinds: %(kinds)s.",
                value=value,
                kinds=", ".join(k.value for k in EventKind),
            ),
        ) from None


def _project(value: str | None) -> int | None:
    if value is None:
        return None
    project = find_project(value.strip())
    if project is None:
        raise BadParameter("project", _("No project has the code or id '%(value)s'.", value=value))
    return project.id


def _municipality(value: str | None) -> int | None:
    if value is None:
        return None
    municipality_id = parse_id(value)
    if municipality_id is None or db.session.get(Municipality, municipality_id) is None:
        raise BadParameter(
            "municipality", _("No municipality has the id '%(value)s'.", value=value)
        )
    return municipality_id


def _text(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_QUERY_LENGTH:
        raise BadParameter(
            "q", _("Search text can be at most %(num)d characters.", num=MAX_QUERY_LENGTH)
        )
    return value.strip()


def _moment(args: MultiDict, name: str, *, next_day: bool) -> datetime | None:
    """A date or date-time. Without an offset it is read in the site's timezone. A bare date
    means its start for ``from`` and, for ``to``, the whole day (up to the next midnight)."""
    value = args.get(name)
    if value is None:
        return None
    value = _SPACED_OFFSET.sub(r"\1+\2", value.strip())
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    try:
        if _DATE.fullmatch(value):
            day = date.fromisoformat(value) + timedelta(days=1 if next_day else 0)
            return datetime.combine(day, time(), zone)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadParameter(
            name,
            _(
                "'%(name)s' must be a date like 2030-06-01 or a date and time like "
                "2030-06-01T18:00:00+03:00.",
                name=name,
            ),
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _integer(args: MultiDict, name: str, *, default: int, low: int, high: int | None) -> int:
    value = args.get(name)
    if value is None:
        return default
    number = parse_int(value)
    if number is None:
        raise BadParameter(name, _("'%(name)s' must be a whole number.", name=name))
    if number < low or (high is not None and number > high):
        if high is None:
            message = _("'%(name)s' must be at least %(low)d.", name=name, low=low)
        else:
            message = _(
                "'%(name)s' must be between %(low)d and %(high)d.", name=name, low=low, high=high
            )
        raise BadParameter(name, message)
    return number
