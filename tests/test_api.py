"""The JSON API as a developer calls it, held to its own OpenAPI document; and the
schema.org data on event pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_spec

from eventhub.core.models import (
    Country,
    EventKind,
    EventStatus,
    Person,
    Registration,
    RegistrationStatus,
)
from eventhub.core.services import tokens
from eventhub.extensions import db
from tests import factories
from tests.dates import YEAR

SITE = "http://eventhub.test"
JUNE = datetime(YEAR, 6, 1, 9, 0, tzinfo=UTC)


def schema_validator(document: dict, schema: dict) -> Draft202012Validator:
    """A validator for a schema inside the document, its $refs resolved against it."""
    return Draft202012Validator(
        {**schema, "components": document["components"]}, format_checker=FormatChecker()
    )


def take_places(event, count: int) -> None:
    taken = db.session.scalar(
        db.select(db.func.count())
        .select_from(Registration)
        .where(Registration.event_id == event.id)
    )
    for i in range(taken, taken + count):
        email = f"p{event.id}-{i}@example.fi"
        person = Person(name=f"P {i}", email=email, email_normalised=email)
        _token, token_hash = tokens.new_token()
        db.session.add(
            Registration(
                event=event,
                person=person,
                status=RegistrationStatus.CONFIRMED,
                manage_token_hash=token_hash,
            )
        )
    db.session.flush()


@pytest.fixture
def catalogue(app):
    """A handful of events in three countries, kinds and projects."""
    kanto = factories.project(code="KANTO", name="KANTO", organiser="PKS ry")
    gulbene = factories.project(code="GULBENE-2030", name="Gulbene")
    joensuu = factories.municipality("Joensuu")
    gulbenes = factories.municipality("Gulbenes novads", region="Vidzeme", country=Country.LV)
    events = {
        "helsinki": factories.event(
            title="Hankeosaamisen koulutus",
            kind=EventKind.TRAINING,
            starts_at=JUNE,
            project=kanto,
            municipality=joensuu,
            venue="Carelicum",
            address="Koskikatu 5",
            description="Rahoitus, raportointi; kysymykset.",
            capacity=10,
        ),
        "riga": factories.event(
            title="Apkaimju darbnīca",
            kind=EventKind.WORKSHOP,
            starts_at=JUNE + timedelta(days=1),
            timezone="Europe/Riga",
            project=gulbene,
            municipality=gulbenes,
            capacity=None,
        ),
        "tallinn": factories.event(
            title="Võru kogukonnafoorum",
            kind=EventKind.FORUM,
            starts_at=JUNE + timedelta(days=2),
            timezone="Europe/Tallinn",
            online_url="https://meet.example.ee/voru",
            capacity=2,
        ),
        "cancelled": factories.event(
            title="Cancelled workshop",
            kind=EventKind.WORKSHOP,
            starts_at=JUNE + timedelta(days=3),
            status=EventStatus.CANCELLED,
            project=kanto,
        ),
        "draft": factories.event(title="Draft", starts_at=JUNE, status=EventStatus.DRAFT),
        "past": factories.event(title="Past", starts_at=datetime(2020, 1, 1, tzinfo=UTC)),
    }
    take_places(events["helsinki"], 3)
    take_places(events["tallinn"], 2)
    db.session.commit()
    return events


def titles(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["title"] for item in response.json["items"]]


# --- listing and filters ------------------------------------------------------------------


def test_list_shows_upcoming_public_events_soonest_first(client, catalogue):
    response = client.get("/api/v1/events")
    assert titles(response) == [
        "Hankeosaamisen koulutus",
        "Apkaimju darbnīca",
        "Võru kogukonnafoorum",
        "Cancelled workshop",
    ]
    assert response.json["meta"] == {"page": 1, "per_page": 20, "total": 4, "pages": 1}
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_one_event_in_its_own_timezone_with_seats_from_registrations(client, catalogue):
    helsinki = catalogue["helsinki"]
    item = client.get(f"/api/v1/events/{helsinki.id}").json
    assert item["start"] == f"{YEAR}-06-01T12:00:00+03:00"
    assert item["end"] == f"{YEAR}-06-01T14:00:00+03:00"
    assert item["timezone"] == "Europe/Helsinki"
    assert item["kind"] == "training" and item["status"] == "published"
    assert item["venue"] == "Carelicum" and item["address"] == "Koskikatu 5"
    assert item["municipality"] == {
        "id": helsinki.municipality_id,
        "name": "Joensuu",
        "region": "Pohjois-Karjala",
        "country": "FI",
    }
    assert item["project"] == {
        "id": helsinki.project_id,
        "code": "KANTO",
        "name": "KANTO",
        "organiser": "PKS ry",
    }
    assert item["capacity"] == 10 and item["seats_left"] == 7
    assert item["availability"] == "open"
    assert item["url"] == f"{SITE}/events/{helsinki.id}"
    assert item["registration_url"] == f"{SITE}/events/{helsinki.id}#register"
    assert item["ical_url"] == f"{SITE}/calendar/events/{helsinki.id}.ics"
    assert client.get(item["ical_url"]).status_code == 200
    assert client.get(item["url"]).status_code == 200

    riga = client.get(f"/api/v1/events/{catalogue['riga'].id}").json
    assert riga["start"] == f"{YEAR}-06-02T12:00:00+03:00"
    assert riga["capacity"] is None and riga["seats_left"] is None
    tallinn = client.get(f"/api/v1/events/{catalogue['tallinn'].id}").json
    assert tallinn["seats_left"] == 0 and tallinn["availability"] == "waitlist"
    assert tallinn["online_url"] == "https://meet.example.ee/voru"
    assert tallinn["municipality"] is None and tallinn["venue"] is None
    cancelled = client.get(f"/api/v1/events/{catalogue['cancelled'].id}").json
    assert cancelled["status"] == "cancelled" and cancelled["availability"] == "cancelled"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=workshop", ["Apkaimju darbnīca", "Cancelled workshop"]),
        ("project=KANTO", ["Hankeosaamisen koulutus", "Cancelled workshop"]),
        ("project=GULBENE-2030", ["Apkaimju darbnīca"]),
        ("kind=workshop&project=KANTO", ["Cancelled workshop"]),
        ("q=APKAIMJU", ["Apkaimju darbnīca"]),
        ("q=darbnīca", ["Apkaimju darbnīca"]),
        ("q=raportointi;", ["Hankeosaamisen koulutus"]),
        ("q=100%", []),
        ("q=_", []),
        (f"from={YEAR}-06-02", ["Apkaimju darbnīca", "Võru kogukonnafoorum", "Cancelled workshop"]),
        (f"to={YEAR}-06-02", ["Hankeosaamisen koulutus", "Apkaimju darbnīca"]),
        (f"from={YEAR}-06-02&to={YEAR}-06-02", ["Apkaimju darbnīca"]),
        # 12:00 in Riga is 09:00 UTC: an offset is honoured, "+" or "%2B" alike.
        (
            f"from={YEAR}-06-02T11:59:00%2B03:00&to={YEAR}-06-02T12:01:00%2B03:00",
            ["Apkaimju darbnīca"],
        ),
        (f"from={YEAR}-06-02T11:59:00+03:00&to={YEAR}-06-02T12:01:00+03:00", ["Apkaimju darbnīca"]),
        # "from" finds what has not ended by then: the Riga event ends at 11:00 UTC.
        (
            f"from={YEAR}-06-02T11:00:00Z",
            ["Apkaimju darbnīca", "Võru kogukonnafoorum", "Cancelled workshop"],
        ),
        (f"from={YEAR}-06-02T11:01:00Z", ["Võru kogukonnafoorum", "Cancelled workshop"]),
        ("from=2020-01-01&to=2020-01-02", ["Past"]),
        (
            "",
            [
                "Hankeosaamisen koulutus",
                "Apkaimju darbnīca",
                "Võru kogukonnafoorum",
                "Cancelled workshop",
            ],
        ),
    ],
)
def test_filters(client, catalogue, query, expected):
    assert titles(client.get(f"/api/v1/events?{query}")) == expected


def test_project_by_id_and_municipality_filter(client, catalogue):
    riga = catalogue["riga"]
    assert titles(client.get(f"/api/v1/events?project={riga.project_id}")) == ["Apkaimju darbnīca"]
    by_place = client.get(f"/api/v1/events?municipality={riga.municipality_id}")
    assert titles(by_place) == ["Apkaimju darbnīca"]


def test_pages_link_to_each_other_and_keep_the_filters(client, catalogue):
    first = client.get("/api/v1/events?kind=workshop&per_page=1")
    assert titles(first) == ["Apkaimju darbnīca"]
    assert first.json["meta"] == {"page": 1, "per_page": 1, "total": 2, "pages": 2}
    links = first.json["links"]
    assert links["prev"] is None
    query = parse_qs(urlsplit(links["next"]).query)
    assert query == {"kind": ["workshop"], "per_page": ["1"], "page": ["2"]}
    second = client.get(links["next"])
    assert titles(second) == ["Cancelled workshop"]
    assert second.json["links"]["next"] is None
    assert second.json["links"]["prev"] == links["self"] == links["first"]
    assert second.json["links"]["last"] == second.json["links"]["self"]
    beyond = client.get("/api/v1/events?kind=workshop&per_page=1&page=9")
    assert titles(beyond) == [] and beyond.json["links"]["prev"].endswith("page=2")


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("kind=party", "kind"),
        ("project=NOPE", "project"),
        ("municipality=abc", "municipality"),
        ("municipality=999", "municipality"),
        ("from=yesterday", "from"),
        (f"to={YEAR}-13-01", "to"),
        (f"from={YEAR}-06-05&to={YEAR}-06-01", "to"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("per_page=101", "per_page"),
        ("per_page=ten", "per_page"),
        ("q=" + "x" * 201, "q"),
        ("kinds=workshop", "kinds"),
        ("kind=workshop&kind=forum", "kind"),
    ],
)
def test_bad_filters_are_400_with_a_message(client, catalogue, query, parameter):
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"  # RFC 9457
    body = response.json
    assert body["status"] == 400 and body["error"] == "Bad Request"
    assert body["type"] == "about:blank" and body["title"] == "Bad Request"
    assert body["detail"] == body["message"]
    assert body["parameter"] == parameter
    assert parameter in body["message"] or body["message"]


def test_error_messages_say_what_to_send(client, catalogue):
    assert "workshop" in client.get("/api/v1/events?kind=party").json["message"]
    assert "per_page" in client.get("/api/v1/events?per_page=101").json["message"]
    unknown = client.get("/api/v1/events?municipalty=1").json["message"]
    assert "municipalty" in unknown and "municipality" in unknown


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/999999",
        "/api/v1/events/abc",
        "/api/v1/nothing",
        "/api/v2/events",
        "/api/",
    ],
)
def test_unknown_addresses_are_json_404(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json["status"] == 404 and response.json["message"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_drafts_are_not_found(client, catalogue):
    response = client.get(f"/api/v1/events/{catalogue['draft'].id}")
    assert response.status_code == 404 and response.json["status"] == 404


def test_the_api_is_read_only(client, catalogue):
    response = client.post("/api/v1/events", json={"title": "Mine"})
    assert response.status_code == 405
    assert response.json["status"] == 405
    assert "GET" in response.headers["Allow"]


def test_browsers_on_other_sites_may_read_it(client, catalogue):
    preflight = client.options(
        "/api/v1/events",
        headers={
            "Origin": "https://www.joensuu.fi",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    response = client.get("/api/v1/events", headers={"Origin": "https://www.joensuu.fi"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_etag_gives_304_until_seats_change(client, catalogue):
    url = f"/api/v1/events/{catalogue['helsinki'].id}"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    take_places(catalogue["helsinki"], 1)
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["seats_left"] == 6


# --- the OpenAPI document -----------------------------------------------------------------


def test_openapi_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.1")
    validate_spec(document)
    assert document["servers"] == [{"url": f"{SITE}/api/v1"}]


def test_every_documented_response_is_what_the_server_returns(client, catalogue):
    """Each (path, method, status) in the document is requested for real; the body must match
    its schema and documented headers must be there. Nothing is left untried."""
    first = client.get("/api/v1/events").headers["ETag"]
    one = catalogue["helsinki"].id
    one_etag = client.get(f"/api/v1/events/{one}").headers["ETag"]
    doc_etag = client.get("/api/v1/openapi.json").headers["ETag"]
    requests = {
        ("/events", "get", "200"): [
            ("/api/v1/events", {}),
            ("/api/v1/events?kind=forum&per_page=1", {}),
            ("/api/v1/events?kind=study_trip", {}),  # an empty page
            ("/api/v1/events?from=2020-01-01&q=past", {}),
        ],
        ("/events", "get", "304"): [("/api/v1/events", {"If-None-Match": first})],
        ("/events", "get", "400"): [
            ("/api/v1/events?kind=nope", {}),
            ("/api/v1/events?surprise=1", {}),
        ],
        ("/events/{event_id}", "get", "200"): [
            (f"/api/v1/events/{event.id}", {})
            for key, event in catalogue.items()
            if key not in ("draft",)
        ],
        ("/events/{event_id}", "get", "304"): [
            (f"/api/v1/events/{one}", {"If-None-Match": one_etag})
        ],
        ("/events/{event_id}", "get", "404"): [
            ("/api/v1/events/999999", {}),
            (f"/api/v1/events/{catalogue['draft'].id}", {}),
        ],
        ("/openapi.json", "get", "200"): [("/api/v1/openapi.json", {})],
        ("/openapi.json", "get", "304"): [("/api/v1/openapi.json", {"If-None-Match": doc_etag})],
    }
    document = client.get("/api/v1/openapi.json").json
    documented = {
        (path, method, status)
        for path, operations in document["paths"].items()
        if not path.startswith("/manage/")  # the write API: tests/test_api_write.py
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    assert documented == set(requests), "every documented response must be tried"

    for (path, method, status), calls in requests.items():
        spec = document["paths"][path][method]["responses"][status]
        for url, headers in calls:
            response = client.open(url, method=method.upper(), headers=headers)
            assert str(response.status_code) == status, (url, response.status_code)
            for header in spec.get("headers", {}):
                assert header in response.headers, (url, header)
            content = spec.get("content")
            if content is None:
                assert response.data == b""
                continue
            assert response.mimetype in content
            schema = content[response.mimetype]["schema"]
            schema_validator(document, schema).validate(response.json)
            for item in _events_in(response.json, path, status):
                _check_formats(item)


def _events_in(body, path, status):
    if status != "200" or path == "/openapi.json":
        return []
    return body["items"] if path == "/events" else [body]


def _check_formats(item):
    """What FormatChecker leaves out: absolute addresses, and offsets on every time."""
    for key in ("url", "ical_url", "registration_url"):
        assert item[key].startswith(f"{SITE}/"), item[key]
    for key in ("start", "end", "updated_at"):
        assert datetime.fromisoformat(item[key]).utcoffset() is not None


def test_the_document_describes_every_field_the_server_sends(client, catalogue):
    document = client.get("/api/v1/openapi.json").json
    item = client.get(f"/api/v1/events/{catalogue['helsinki'].id}").json
    described = document["components"]["schemas"]["Event"]["properties"]
    assert set(item) == set(described)
    listed = document["paths"]["/events"]["get"]["parameters"]
    from eventhub.api.params import PARAMETERS

    assert [p["name"] for p in listed] == list(PARAMETERS)


# --- schema.org on event pages ------------------------------------------------------------

JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def jsonld(client, event) -> dict:
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    (data,) = JSONLD.findall(html)
    return json.loads(data)


def test_event_page_describes_itself_as_a_schema_org_event(client, catalogue):
    data = jsonld(client, catalogue["helsinki"])
    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert data["name"] == "Hankeosaamisen koulutus"
    assert data["startDate"] == f"{YEAR}-06-01T12:00:00+03:00"
    assert data["endDate"] == f"{YEAR}-06-01T14:00:00+03:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"] == {
        "@type": "Place",
        "name": "Carelicum",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": "Koskikatu 5",
            "addressLocality": "Joensuu",
            "addressRegion": "Pohjois-Karjala",
            "addressCountry": "FI",
        },
    }
    assert data["organizer"] == {"@type": "Organization", "name": "PKS ry"}
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["offers"]["url"].endswith(f"/events/{catalogue['helsinki'].id}#register")


def test_schema_org_online_full_and_cancelled(client, catalogue):
    online = jsonld(client, catalogue["tallinn"])
    assert online["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert online["location"] == {"@type": "VirtualLocation", "url": "https://meet.example.ee/voru"}
    assert online["offers"]["availability"] == "https://schema.org/SoldOut"
    cancelled = jsonld(client, catalogue["cancelled"])
    assert cancelled["eventStatus"] == "https://schema.org/EventCancelled"
    assert "offers" not in cancelled


def test_schema_org_text_cannot_close_the_script(client):
    event = factories.event(title="</script><script>alert(1)</script>", description="a & b < c")
    db.session.commit()
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert jsonld(client, event)["name"] == "</script><script>alert(1)</script>"


# --- cheap for subscribers ----------------------------------------------------------------


def test_updated_since_gives_only_what_changed(client, catalogue):
    since = datetime.now(UTC)
    assert (
        client.get("/api/v1/events", query_string={"updated_since": since.isoformat()}).json[
            "items"
        ]
        == []
    )
    from eventhub.core.services.events import update_event

    update_event(catalogue["riga"], title="Apkaimju darbnīca II")
    db.session.commit()
    changed = client.get(
        "/api/v1/events", query_string={"updated_since": since.isoformat(), "from": "2020-01-01"}
    ).json
    assert [item["id"] for item in changed["items"]] == [catalogue["riga"].id]
    bad = client.get("/api/v1/events?updated_since=yesterday")
    assert bad.status_code == 400 and bad.json["parameter"] == "updated_since"


def test_a_304_is_decided_without_building_the_answer(app, client, catalogue):
    from sqlalchemy import event as sa_event

    statements = []

    def count(*_args):
        statements.append(1)

    first = client.get("/api/v1/events?from=2020-01-01")
    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        full = len(statements)
        client.get("/api/v1/events?from=2020-01-01")
        full = len(statements) - full
        before = len(statements)
        again = client.get(
            "/api/v1/events?from=2020-01-01", headers={"If-None-Match": first.headers["ETag"]}
        )
        cheap = len(statements) - before
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    assert again.status_code == 304 and again.data == b""
    assert cheap <= 2 and full >= cheap + 3, (cheap, full)  # the state query, no body

    # A seat taken changes the answer (seats left), so the old ETag no longer holds.
    take_places(catalogue["helsinki"], 1)
    db.session.commit()
    moved = client.get(
        "/api/v1/events?from=2020-01-01", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert moved.status_code == 200 and moved.headers["ETag"] != first.headers["ETag"]
    one = f"/api/v1/events/{catalogue['helsinki'].id}"
    etag = client.get(one).headers["ETag"]
    assert client.get(one, headers={"If-None-Match": etag}).status_code == 304
    take_places(catalogue["helsinki"], 2)
    db.session.commit()
    assert client.get(one, headers={"If-None-Match": etag}).status_code == 200


def test_feeds_and_answers_are_gzipped_when_asked(client, catalogue):
    import gzip

    for url in ("/api/v1/events?from=2020-01-01", "/calendar/all.ics", "/api/v1/openapi.json"):
        plain = client.get(url)
        packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert gzip.decompress(packed.data) == plain.data
        assert len(packed.data) < len(plain.data)
        # Either copy's ETag revalidates.
        for etag in (plain.headers["ETag"], packed.headers["ETag"]):
            again = client.get(url, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
            assert again.status_code == 304, (url, etag)
