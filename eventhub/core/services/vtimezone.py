"""VTIMEZONE components (RFC 5545, 3.6.5) from the IANA database, as every client reads them.

Written here rather than taken from ``icalendar.Timezone.from_tzid``: that one puts every
daylight-saving change of the span in one comma-separated ``RDATE``, of which ical.js (the
parser in Thunderbird and most web calendar widgets) and vobject read only the first, and it
wrote the onsets in the wrong local time. Here each kind of change (to summer time, to winter
time) is one STANDARD or DAYLIGHT component whose onsets are

* a yearly ``RRULE`` when they follow one (the last Sunday of March at 03:00, say), which is
  what Europe/Helsinki, Riga and Tallinn do, or
* the first onset as ``DTSTART`` and each later one as an ``RDATE`` line of its own.

Onsets are local times in the offset in force *before* the change (``TZOFFSETFROM``), as
RFC 5545 requires: Helsinki's spring change is 03:00 at +02:00, its autumn change 04:00 at
+03:00.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    """A change of a zone's offset: the UTC instant and the offsets around it."""

    at: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    name: str
    dst: bool

    @property
    def onset(self) -> datetime:
        """The local wall time of the change in the offset before it (naive)."""
        return (self.at + self.offset_from).replace(tzinfo=None)


def transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[Transition]:
    """Every change of ``zone``'s offset or name between two UTC instants, to the second."""
    found = []
    day = timedelta(days=1)
    moment = start
    while moment < end:
        following = min(moment + day, end)
        if _state(zone, moment) != _state(zone, following):
            found.append(_bisect(zone, moment, following))
        moment = following
    return found


def _state(zone: ZoneInfo, moment: datetime) -> tuple:
    local = moment.astimezone(zone)
    return local.utcoffset(), local.tzname(), bool(local.dst())


def _bisect(zone: ZoneInfo, before: datetime, after: datetime) -> Transition:
    """The first second in (before, after] at which the zone's state differs from before."""
    first = _state(zone, before)
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if _state(zone, before + timedelta(seconds=middle)) == first:
            low = middle
        else:
            high = middle
    at = before + timedelta(seconds=high)
    offset_to, name, dst = _state(zone, at)
    return Transition(at=at, offset_from=first[0], offset_to=offset_to, name=name, dst=dst)


def _yearly_rule(onsets: list[datetime]) -> dict | None:
    """A yearly RRULE that yields exactly ``onsets`` (consecutive years, same month and time,
    the same weekday counted from the month's start or end), or None."""
    if len(onsets) < 2:
        return None
    first = onsets[0]
    if any(
        o.year != first.year + i
        or (o.month, o.time(), o.weekday()) != (first.month, first.time(), first.weekday())
        for i, o in enumerate(onsets)
    ):
        return None
    weekday = _WEEKDAYS[first.weekday()]
    if all(o.day + 7 > calendar.monthrange(o.year, o.month)[1] for o in onsets):
        byday = f"-1{weekday}"
    elif len({(o.day - 1) // 7 for o in onsets}) == 1 and (first.day - 1) // 7 < 4:
        byday = f"{(first.day - 1) // 7 + 1}{weekday}"
    else:
        return None
    return {"FREQ": "YEARLY", "BYMONTH": first.month, "BYDAY": byday}


def _component(group: list[Transition], continues: bool) -> icalendar.Component:
    kind = icalendar.TimezoneDaylight if group[0].dst else icalendar.TimezoneStandard
    component = kind()
    onsets = [t.onset for t in group]
    component.add("dtstart", onsets[0])
    component.add("tzoffsetfrom", group[0].offset_from)
    component.add("tzoffsetto", group[0].offset_to)
    component.add("tzname", group[0].name)
    rule = _yearly_rule(onsets)
    if rule is not None:
        if not continues:
            rule["UNTIL"] = group[-1].at.replace(tzinfo=UTC)
        component.add("rrule", rule)
    else:
        for onset in onsets[1:]:
            component.add("rdate", onset)  # one property, one line, per onset
    return component


def _groups(found: list[Transition]) -> Iterator[list[Transition]]:
    kinds: dict[tuple, list[Transition]] = {}
    for t in found:
        kinds.setdefault((t.dst, t.offset_from, t.offset_to, t.name), []).append(t)
    return iter(kinds.values())


@lru_cache(maxsize=256)
def vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of ``tzid`` valid from the start of ``first_year`` to the end of
    ``last_year``, serialised."""
    zone = ZoneInfo(tzid)
    # From a year before, so that the first day of the span already follows a change.
    start = datetime(first_year - 1, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    found = transitions(zone, start, end)
    timezone = icalendar.Timezone()
    timezone.add("tzid", tzid)
    if not found:
        offset, name, dst = _state(zone, start)
        kind = icalendar.TimezoneDaylight if dst else icalendar.TimezoneStandard
        component = kind()
        component.add("dtstart", datetime(1970, 1, 1))
        component.add("tzoffsetfrom", offset)
        component.add("tzoffsetto", offset)
        component.add("tzname", name)
        timezone.add_component(component)
        return timezone.to_ical()
    last_year_seen = found[-1].at.year
    groups = sorted(_groups(found), key=lambda group: group[0].at)
    for group in groups:
        timezone.add_component(_component(group, continues=group[-1].at.year == last_year_seen))
    return timezone.to_ical()
