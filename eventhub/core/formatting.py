"""Dates, times and numbers as people write them, in the reader's language, through Babel.

One module for every page, mail and feed text: templates reach it through the filters and
globals registered in ``eventhub.web``; mail renders the same templates. Dates come from
Babel's CLDR skeletons (weekday, day, month, year in each language's own order and
punctuation), times to the minute, never seconds. What CLDR does not say, the word joining
a date to its time ("klo", "plkst.", "kell"), is the one table below.

    fi  to 3.12.2026 klo 18.00–20.00    la 24.1. klo 9.00 – su 25.1.2027 klo 19.00
    lv  ceturtd., 3.12.2026. plkst. 18:00–20:00
    et  N, 3.12.2026 kell 18:00–20:00
    en  Thu, 3 Dec 2026, 18:00–20:00

The time zone is named only when it differs from the one the reader has in mind: the zone
of the event's country and the zone of the reader's language (Finland, Latvia and Estonia
share one offset, so their events show none).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, get_timezone_name
from babel.numbers import format_decimal, format_percent
from flask_babel import get_locale

# English pages are read in Finland and the Baltics: dates and times as in British English
# ("Thu, 3 Dec 2026, 18:00"), not American ("Thu, Dec 3, 2026, 6:00 PM").
FORMAT_LOCALES = {"en": "en_GB"}

# The date skeleton of each language: numeric where people write dates with numbers.
_DATE_SKELETON = {"fi": "yMEd", "lv": "yMEd", "et": "yMEd", "en": "yMMMEd"}
_SHORT_SKELETON = {"fi": "yMd", "lv": "yMd", "et": "yMd", "en": "yMMMd"}
# The same dates without the year, for the first day of a span ending the same year.
_NO_YEAR = {"yMEd": "MEd", "yMMMEd": "MMMEd"}
# How a date is joined to a time: "{date} klo {time}".
_AT = {"fi": "{} klo {}", "lv": "{} plkst. {}", "et": "{} kell {}", "en": "{}, {}"}

# The zone of each country, and the zone a reader of each language most likely lives in.
COUNTRY_ZONES = {"FI": "Europe/Helsinki", "LV": "Europe/Riga", "EE": "Europe/Tallinn"}
LANGUAGE_ZONES = {"fi": "Europe/Helsinki", "lv": "Europe/Riga", "et": "Europe/Tallinn"}
# What a reader assumes when neither says anything (an English reader, an event with no
# municipality): the region's zone, which Finland, Latvia and Estonia share.
REGION_ZONE = "Europe/Helsinki"


def language() -> str:
    """The reader's language, one of the configured ones."""
    return str(get_locale())


def format_locale() -> str:
    """The locale dates, times and numbers are formatted in: the reader's language."""
    code = language()
    return FORMAT_LOCALES.get(code, code)


def _date(day: date | datetime, year: bool = True) -> str:
    skeleton = _DATE_SKELETON.get(language(), "yMEd")
    return format_skeleton(skeleton if year else _NO_YEAR[skeleton], day, locale=format_locale())


def _time(moment: datetime) -> str:
    return format_skeleton("Hm", moment, locale=format_locale())


def _at(day: str, time: str) -> str:
    return _AT.get(language(), "{} {}").format(day, time)


def when(start: datetime, end: datetime, tz: str, country: str | None = None) -> str:
    """A span of time in zone ``tz``: one date and two times on one day, else two dates
    with their times; the first date without its year when both are in the same year. The
    zone's name follows when the reader would not assume it (see :func:`zone_note`)."""
    zone = ZoneInfo(tz)
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.date() == end.date():
        text = _at(_date(start), f"{_time(start)}–{_time(end)}")
    else:
        first = _at(_date(start, year=start.year != end.year), _time(start))
        text = f"{first} – {_at(_date(end), _time(end))}"
    note = zone_note(start, tz, country)
    return f"{text} ({note})" if note else text


def event_when(event) -> str:
    """When an event is, in its own zone and the reader's language."""
    country = event.municipality.country.value if event.municipality else None
    return when(event.starts_at, event.ends_at, event.timezone, country)


def zone_note(moment: datetime, tz: str, country: str | None = None) -> str | None:
    """The zone's name ("Central European Standard Time") when its offset at ``moment``
    differs from the event's country's zone or the reader's; else None."""
    offset = moment.astimezone(ZoneInfo(tz)).utcoffset()
    known = (COUNTRY_ZONES.get(country or ""), LANGUAGE_ZONES.get(language()))
    expected = [z for z in known if z] or [REGION_ZONE]
    if all(moment.astimezone(ZoneInfo(z)).utcoffset() == offset for z in expected):
        return None
    return get_timezone_name(moment.astimezone(ZoneInfo(tz)), "long", locale=format_locale())


def local_datetime(dt: datetime, tz: str, fmt: str | None = None) -> str:
    """A moment in zone ``tz``: date (with its weekday, unless ``fmt`` is "short") and time
    to the minute ("to 3.12.2026 klo 18.00", "3.12.2026 klo 18.00")."""
    local = dt.astimezone(ZoneInfo(tz))
    if fmt == "short":
        day = format_skeleton(_SHORT_SKELETON.get(language(), "yMd"), local, locale=format_locale())
    else:
        day = _date(local)
    return _at(day, _time(local))


def local_time(dt: datetime, tz: str) -> str:
    """The time of day of a moment in zone ``tz``, to the minute ("9.05", "09:05")."""
    return _time(dt.astimezone(ZoneInfo(tz)))


def local_date(dt: datetime, tz: str) -> str:
    """The day of a moment in zone ``tz``, written out ("5. joulukuuta 2026")."""
    return format_date(dt.astimezone(ZoneInfo(tz)), "long", locale=format_locale())


def number(value) -> str:
    """A number with the reader's decimal separator and grouping ("1 234,5")."""
    if value is None:
        return "–"
    return format_decimal(value, locale=format_locale())


def one_decimal(value) -> str:
    if value is None:
        return "–"
    return format_decimal(round(value, 1), "#,##0.0", locale=format_locale())


def percent(value) -> str:
    if value is None:
        return "–"
    return format_percent(value, "#,##0.0 %", locale=format_locale())


FILTERS = {
    "local_datetime": local_datetime,
    "local_time": local_time,
    "local_date": local_date,
    "number": number,
    "one_decimal": one_decimal,
    "percent": percent,
}
