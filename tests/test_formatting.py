"""Dates, times and numbers as people write them in each language (eventhub.core.formatting).

Formatting needs no database: a bare Flask app with Flask-Babel gives the reader's locale."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from eventhub.core import formatting


@pytest.fixture(scope="module")
def ctx():
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        yield


def _event(start, end, tz="Europe/Helsinki", country="FI"):
    municipality = SimpleNamespace(country=SimpleNamespace(value=country)) if country else None
    return SimpleNamespace(starts_at=start, ends_at=end, timezone=tz, municipality=municipality)


# Tuesday 1 December 2026, 18.00–20.00 in Helsinki (UTC+2).
EVENING = (datetime(2026, 12, 1, 16, tzinfo=UTC), datetime(2026, 12, 1, 18, tzinfo=UTC))
# Saturday 23 January 09.00 to Sunday 24 January 2027 19.00 in Helsinki.
WEEKEND = (datetime(2027, 1, 23, 7, tzinfo=UTC), datetime(2027, 1, 24, 17, tzinfo=UTC))
# Over the new year: both dates keep their year.
NEW_YEAR = (datetime(2026, 12, 31, 20, tzinfo=UTC), datetime(2027, 1, 1, 2, tzinfo=UTC))


@pytest.mark.parametrize(
    ("locale", "evening", "weekend", "new_year"),
    [
        (
            "fi",
            "ti 1.12.2026 klo 18.00–20.00",
            "la 23.1. klo 9.00 – su 24.1.2027 klo 19.00",
            "to 31.12.2026 klo 22.00 – pe 1.1.2027 klo 4.00",
        ),
        (
            "lv",
            "otrd., 1.12.2026. plkst. 18:00–20:00",
            "sestd., 23.01. plkst. 09:00 – svētd., 24.01.2027. plkst. 19:00",
            "ceturtd., 31.12.2026. plkst. 22:00 – piektd., 1.01.2027. plkst. 04:00",
        ),
        (
            "et",
            "T, 1.12.2026 kell 18:00–20:00",
            "L, 23.1 kell 09:00 – P, 24.1.2027 kell 19:00",
            "N, 31.12.2026 kell 22:00 – R, 1.1.2027 kell 04:00",
        ),
        (
            "en",
            "Tue, 1 Dec 2026, 18:00–20:00",
            "Sat 23 Jan, 09:00 – Sun, 24 Jan 2027, 19:00",
            "Thu, 31 Dec 2026, 22:00 – Fri, 1 Jan 2027, 04:00",
        ),
    ],
)
def test_event_times_read_as_people_write_them(ctx, locale, evening, weekend, new_year):
    with force_locale(locale):
        assert formatting.event_when(_event(*EVENING)) == evening
        assert formatting.event_when(_event(*WEEKEND)) == weekend
        assert formatting.event_when(_event(*NEW_YEAR)) == new_year
        # Never seconds, however the moment was stored.
        with_seconds = EVENING[0].replace(second=59)
        assert ":59" not in formatting.local_datetime(with_seconds, "Europe/Helsinki")
        assert ".59" not in formatting.local_datetime(with_seconds, "Europe/Helsinki")


@pytest.mark.parametrize(
    ("locale", "zone", "country", "named"),
    [
        ("fi", "Europe/Riga", "LV", False),  # same offset as Helsinki: nothing to say
        ("en", "Europe/Tallinn", None, False),
        ("en", "America/New_York", None, True),
        ("lv", "Europe/Berlin", "FI", True),  # a study trip to Germany
        ("fi", "Europe/Helsinki", "FI", False),
    ],
)
def test_the_zone_is_named_only_when_it_differs(ctx, locale, zone, country, named):
    with force_locale(locale):
        text = formatting.event_when(_event(*EVENING, tz=zone, country=country))
    assert text.endswith(")") is named


def test_the_zone_name_is_in_the_readers_language(ctx):
    with force_locale("fi"):
        assert formatting.event_when(_event(*EVENING, tz="Europe/Berlin")) == (
            "ti 1.12.2026 klo 17.00–19.00 (Keski-Euroopan normaaliaika)"
        )


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fi", "1 234,5"), ("lv", "1 234,5"), ("et", "1 234,5"), ("en", "1,234.5")],
)
def test_numbers_use_the_locales_decimal_separator(ctx, locale, expected):
    with force_locale(locale):
        assert formatting.number(1234.5).replace("\xa0", " ") == expected
        assert formatting.one_decimal(3.25)[1] == ("." if locale == "en" else ",")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fi", "1.12.2026 klo 18.00"), ("lv", "1.12.2026. plkst. 18:00"), ("en", "1 Dec 2026, 18:00")],
)
def test_short_moments_have_no_weekday(ctx, locale, expected):
    with force_locale(locale):
        assert formatting.local_datetime(EVENING[0], "Europe/Helsinki", "short") == expected
        assert formatting.local_time(EVENING[0], "Europe/Helsinki") == expected.split(" ")[-1]
