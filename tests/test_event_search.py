"""Finding an event on the public pages: filters and accent-free search as plain GET links,
paged, the visitor's own country and language first without hiding the rest."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from eventhub.core.db import utcnow
from eventhub.core.models import Country, EventKind
from eventhub.extensions import db
from tests import factories


def _titles(client, url: str, lang: str = "en") -> list[str]:
    response = client.get(url, headers={"Accept-Language": lang})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.findall(r'<h2><a href="/events/\d+">([^<]+)</a></h2>', html)


@pytest.fixture
def three_countries():
    soon = utcnow().replace(microsecond=0) + timedelta(days=3)
    joensuu = factories.municipality("Joensuu")
    gulbene = factories.municipality("Gulbenes novads", country=Country.LV)
    voru = factories.municipality("Võru vald", country=Country.EE)
    kyla = factories.project("KYLA", name="Kylät verkkoon")
    factories.event(
        title="Kylätalon ilta", municipality=joensuu, project=kyla, starts_at=soon, language="fi"
    )
    factories.event(
        title="Kopienu darbnīca",
        municipality=gulbene,
        starts_at=soon - timedelta(days=1),
        kind=EventKind.WORKSHOP,
        language="lv",
        description="Ciema iedzīvotāju sanāksme",
    )
    factories.event(
        title="Külaseltsi õhtu",
        municipality=voru,
        starts_at=soon + timedelta(days=40),
        language="et",
        venue="Rahvamaja",
    )
    db.session.commit()
    return joensuu, gulbene, voru, kyla


def test_the_visitors_country_and_language_come_first_and_nothing_is_hidden(
    client, three_countries
):
    assert _titles(client, "/", "fi") == ["Kylätalon ilta", "Kopienu darbnīca", "Külaseltsi õhtu"]
    assert _titles(client, "/", "lv")[0] == "Kopienu darbnīca"
    assert _titles(client, "/", "et")[0] == "Külaseltsi õhtu"
    # No country to prefer: soonest first.
    assert _titles(client, "/", "en") == ["Kopienu darbnīca", "Kylätalon ilta", "Külaseltsi õhtu"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=kylatalon", ["Kylätalon ilta"]),  # ä typed as a
        ("q=KÜLASELTSI+ohtu", ["Külaseltsi õhtu"]),  # case, ü, õ
        ("q=darbnica", ["Kopienu darbnīca"]),  # ī
        ("q=iedzivotaju", ["Kopienu darbnīca"]),  # the description, ā ī
        ("q=rahvamaja", ["Külaseltsi õhtu"]),  # the venue
        ("q=50%25", []),  # a LIKE wildcard is text, not a pattern
        ("country=LV", ["Kopienu darbnīca"]),
        ("country=xx", ["Kopienu darbnīca", "Kylätalon ilta", "Külaseltsi õhtu"]),
        ("kind=workshop", ["Kopienu darbnīca"]),
        ("language=et", ["Külaseltsi õhtu"]),
    ],
)
def test_filters_and_accent_free_search(client, three_countries, query, expected):
    assert _titles(client, f"/?{query}") == expected


def test_place_project_and_month_filters_are_bookmarkable_links(client, three_countries):
    joensuu, _gulbene, voru, kyla = three_countries
    assert _titles(client, f"/?municipality={joensuu.id}") == ["Kylätalon ilta"]
    assert _titles(client, f"/?project={kyla.id}") == ["Kylätalon ilta"]
    later = (
        (utcnow() + timedelta(days=43)).astimezone(ZoneInfo("Europe/Helsinki")).strftime("%Y-%m")
    )
    assert "Külaseltsi õhtu" in _titles(client, f"/?month={later}")
    html = client.get("/?country=EE", headers={"Accept-Language": "et"}).get_data(as_text=True)
    # The filters are a GET form and plain links, in the visitor's language.
    assert '<form method="get" action="/" role="search"' in html
    assert 'href="/?country=LV"' in html and ">Läti<" in html
    assert 'aria-current="true">Eesti<' in html


def test_results_are_paged_and_the_pager_keeps_the_filters(client, app):
    joensuu = factories.municipality("Joensuu")
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    for n in range(43):
        factories.event(
            title=f"Ilta {n:02d}", municipality=joensuu, starts_at=start + timedelta(hours=n)
        )
    factories.event(title="Muu ilta", starts_at=start)
    db.session.commit()
    first = client.get(f"/?municipality={joensuu.id}").get_data(as_text=True)
    assert len(re.findall(r"<h2><a", first)) == 40
    assert f'href="/?page=2&amp;municipality={joensuu.id}"' in first
    assert _titles(client, f"/?page=2&municipality={joensuu.id}") == [
        "Ilta 40",
        "Ilta 41",
        "Ilta 42",
    ]
