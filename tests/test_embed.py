"""The widget's data and framed list over HTTP: only the project's allowed sites get the
data (CORS) or may frame the list (CSP frame-ancestors); a kind's or a municipality's events;
the page's language; no cookies; allowed sites set on the integrations page."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func

from eventhub.core.models import (
    AuditEntry,
    EmbedOrigin,
    Event,
    EventKind,
    EventStatus,
    Registration,
)
from eventhub.core.services import embed
from eventhub.extensions import db
from tests import factories
from tests.helpers import post_form, sign_in

SITE = "https://www.joensuu.fi"


@pytest.fixture
def kanto(app, client):
    project = factories.project(code="KANTO", name="Kanto")
    joensuu = factories.municipality("Joensuu")
    outokumpu = factories.municipality("Outokumpu")
    factories.event(title="Työpaja", kind=EventKind.WORKSHOP, project=project, municipality=joensuu,
                    capacity=8)  # fmt: skip
    factories.event(title="Koulutus", project=project, municipality=outokumpu, capacity=None)
    factories.event(title="Luonnos", project=project, status=EventStatus.DRAFT)
    factories.event(title="Muun hankkeen", project=factories.project(code="OTHER"))
    factories.user("anne@example.fi", projects=[project])
    db.session.commit()
    sign_in(client, "anne@example.fi")
    page = f"/organiser/projects/{project.id}/integrations"
    response = post_form(
        client, f"{page}/embedding", {"origins": f"{SITE}/tapahtumat\nhttp://LOCALHOST:8080"},
        token_from=page,
    )  # fmt: skip
    assert response.status_code == 303
    return {"project": project, "joensuu": joensuu, "outokumpu": outokumpu}


def titles(response) -> list[str]:
    return [item["title"] for item in response.get_json()["items"]]


def test_allowed_sites_are_kept_as_origins_and_audited(kanto):
    origins = db.session.scalars(db.select(EmbedOrigin.origin).order_by(EmbedOrigin.origin)).all()
    assert origins == ["http://localhost:8080", SITE]
    assert "embed_origins_changed" in db.session.scalars(db.select(AuditEntry.action)).all()


def test_only_allowed_sites_get_the_data(app, kanto):
    client = app.test_client()  # a visitor of the other site: no session
    url = "/embed/KANTO/events.json"
    allowed = client.get(url, headers={"Origin": SITE})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in allowed.headers["Vary"]
    assert sorted(titles(allowed)) == ["Koulutus", "Työpaja"]  # public, this project's only
    other = client.get(url, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Set-Cookie" not in allowed.headers and "Set-Cookie" not in other.headers
    preflight = client.options(url, headers={"Origin": SITE})
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE


def test_places_left_in_the_page_language(app, kanto):
    client = app.test_client()  # a visitor of the other site: no session
    body = client.get("/embed/KANTO/events.json?lang=fi-FI", headers={"Origin": SITE}).get_json()
    workshop = next(i for i in body["items"] if i["title"] == "Työpaja")
    assert workshop["seats_left"] == 8 and workshop["places"] == "8 paikkaa jäljellä"
    assert body["title"] == "Tulevat tapahtumat: Kanto" and body["language"] == "fi"
    assert workshop["url"].endswith(f"/events/{workshop['id']}")
    latvian = client.get("/embed/KANTO/events.json?lang=lv", headers={"Origin": SITE}).get_json()
    assert latvian["title"].startswith("Gaidāmie pasākumi")


def test_a_kinds_or_a_municipalitys_events(app, kanto):
    client = app.test_client()  # a visitor of the other site: no session
    assert titles(client.get("/embed/KANTO/events.json?kind=workshop")) == ["Työpaja"]
    outokumpu = kanto["outokumpu"].id
    assert titles(client.get(f"/embed/KANTO/events.json?municipality={outokumpu}")) == ["Koulutus"]
    assert client.get("/embed/KANTO/events.json?kind=nope").status_code == 404
    assert client.get("/embed/NOPE/events.json").status_code == 404


def test_the_list_may_be_framed_by_allowed_sites_only(app, kanto):
    client = app.test_client()  # a visitor of the other site: no session
    response = client.get("/embed/KANTO/events", headers={"Accept-Language": "et"})
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' http://localhost:8080 {SITE}" in policy
    assert "X-Frame-Options" not in response.headers
    assert client.get("/events/").headers["X-Frame-Options"] == "DENY"  # every other page
    page = response.get_data(as_text=True)
    assert '<html lang="et">' in page and "Työpaja" in page and 'target="_blank"' in page
    assert "Luonnos" not in page and "Muun hankkeen" not in page


def test_a_bad_site_address_is_refused_and_nothing_changes(client, kanto):
    page = f"/organiser/projects/{kanto['project'].id}/integrations"
    response = post_form(client, f"{page}/embedding", {"origins": "no address"}, token_from=page)
    assert response.status_code == 422
    assert "no address" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(EmbedOrigin)) == 2


def test_the_snippets_are_on_the_project_page(client, kanto):
    page = client.get(f"/organiser/projects/{kanto['project'].id}/integrations")
    text = page.get_data(as_text=True)
    assert "&lt;eventhub-events project=&#34;KANTO&#34;&gt;" in text
    assert "/embed/widget.js" in text and "&lt;noscript&gt;" in text
    script = client.get("/embed/widget.js")
    assert script.status_code == 200 and b"customElements.define" in script.data


# --- a municipality's or a kind's events across projects --------------------------------------


@pytest.fixture
def towns(app):
    """Joensuu's events come from two projects; Outokumpu's and a draft must stay out."""
    joensuu = factories.municipality("Joensuu")
    outokumpu = factories.municipality("Outokumpu")
    kanto, kyla = factories.project(code="KANTO"), factories.project(code="KYLA")
    factories.event(title="Kanton työpaja", kind=EventKind.WORKSHOP, project=kanto,
                    municipality=joensuu, capacity=8)  # fmt: skip
    factories.event(title="Kylien koulutus", project=kyla, municipality=joensuu, capacity=None)
    factories.event(title="Kylien luonnos", project=kyla, municipality=joensuu,
                    status=EventStatus.DRAFT)  # fmt: skip
    factories.event(title="Outokummun työpaja", kind=EventKind.WORKSHOP, project=kyla,
                    municipality=outokumpu)  # fmt: skip
    db.session.commit()
    return {"joensuu": joensuu.id, "outokumpu": outokumpu.id}


def listed_ids(response) -> set[int]:
    """The events the public listing page links to."""
    import re

    return {int(i) for i in re.findall(r'href="/events/(\d+)"', response.get_data(as_text=True))}


@pytest.mark.parametrize("query", ["municipality={joensuu}", "kind=workshop",
                                   "municipality={outokumpu}&kind=workshop"])  # fmt: skip
def test_a_municipalitys_or_a_kinds_events_are_the_public_listings(app, towns, query):
    query = query.format(**towns)
    client = app.test_client()  # a visitor of any site: no session
    body = client.get(f"/embed/all/events.json?{query}").get_json()
    public = listed_ids(client.get(f"/?{query}"))
    assert public and {item["id"] for item in body["items"]} == public
    assert "Kylien luonnos" not in titles_of(body)


def titles_of(body) -> list[str]:
    return [item["title"] for item in body["items"]]


def test_a_municipalitys_widget_across_projects_and_no_other_town(app, towns):
    client = app.test_client()
    url = f"/embed/all/events.json?municipality={towns['joensuu']}&lang=fi"
    body = client.get(url, headers={"Origin": "https://www.kirjasto.fi"}).get_json()
    assert sorted(titles_of(body)) == ["Kanton työpaja", "Kylien koulutus"]
    assert body["title"] == "Tulevat tapahtumat: Joensuu"
    workshop = next(i for i in body["items"] if i["title"] == "Kanton työpaja")
    assert workshop["places"] == "8 paikkaa jäljellä"
    kinds = client.get("/embed/all/events.json?kind=workshop&lang=en").get_json()
    assert sorted(titles_of(kinds)) == ["Kanton työpaja", "Outokummun työpaja"]
    assert kinds["title"] == "Upcoming events: Workshops"
    for bad in ("municipality=999999", "municipality=x", "kind=nope"):
        assert client.get(f"/embed/all/events.json?{bad}").status_code == 404


def test_any_site_gets_the_public_data_without_cookies(app, towns):
    client = app.test_client()
    url = f"/embed/all/events.json?municipality={towns['joensuu']}"
    for origin in ("https://www.joensuu.fi", "http://127.0.0.1:8123"):
        response = client.get(url, headers={"Origin": origin})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers
        assert "Set-Cookie" not in response.headers
    preflight = client.options(url, headers={"Origin": "https://www.joensuu.fi"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_any_site_may_frame_the_public_list(app, towns):
    client = app.test_client()
    response = client.get(f"/embed/all/events?municipality={towns['joensuu']}&lang=lv")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "form-action 'none'" in policy
    assert "X-Frame-Options" not in response.headers
    page = response.get_data(as_text=True)
    assert '<html lang="lv">' in page and "Kanton työpaja" in page and "Kylien koulutus" in page
    assert "Outokummun" not in page and "luonnos" not in page
    # The project's list keeps its own allowed sites only.
    project = client.get("/embed/KANTO/events").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self';" in project


def test_the_municipality_snippets_are_on_its_set_up_page(app, client, towns):
    factories.user("admin@example.fi")
    db.session.commit()
    sign_in(client, "admin@example.fi")
    page = client.get(f"/organiser/places/{towns['joensuu']}").get_data(as_text=True)
    element = f"&lt;eventhub-events municipality=&#34;{towns['joensuu']}&#34;&gt;"
    assert element in page and "/embed/widget.js" in page
    assert f"/embed/all/events?municipality={towns['joensuu']}" in page
    assert "Tulevat tapahtumat: Joensuu" in page  # the link text in the town's language


# --- The signup in the project widget's dialog ---------------------------------------------

EMBED_TOKEN_RE = re.compile(r'name="embed_token" value="([^"]+)"')


def event_id(title: str) -> int:
    return db.session.scalars(db.select(Event.id).filter_by(title=title)).one()


def registrations() -> int:
    return db.session.scalar(db.select(func.count()).select_from(Registration))


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(p for p in policy.split("; ") if p.startswith("frame-ancestors")).split(" ", 1)[1]


def embedded_signup(client, event: int, token: str | None = None, **fields):
    if token is None:
        page = client.get(f"/events/{event}?embed=1")
        token = EMBED_TOKEN_RE.search(page.get_data(as_text=True)).group(1)
    data = {"embed_token": token, "name": "Aino Korhonen", "email": "aino@example.fi",
            "consent": "y", **fields}  # fmt: skip
    return client.post(f"/events/{event}/register/embedded", data=data)


def test_the_embedded_signup_page_is_framed_by_the_projects_sites_only(app, kanto):
    visitor = app.test_client(use_cookies=False)  # a frame on another site: no cookies
    workshop = event_id("Työpaja")
    page = visitor.get(f"/events/{workshop}?embed=1")
    assert page.status_code == 200
    assert frame_ancestors(page) == f"http://localhost:8080 {SITE}"
    assert "X-Frame-Options" not in page.headers and "Set-Cookie" not in page.headers
    html = page.get_data(as_text=True)
    assert f'action="/events/{workshop}/register/embedded?lang=en"' in html
    assert 'name="csrf_token"' not in html and EMBED_TOKEN_RE.search(html)
    # Every other page as before: framed by nobody.
    plain = visitor.get(f"/events/{workshop}")
    assert frame_ancestors(plain) == "'none'" and plain.headers["X-Frame-Options"] == "DENY"
    assert 'name="embed_token"' not in plain.get_data(as_text=True)
    other = visitor.get(f"/events/{event_id('Muun hankkeen')}?embed=1")  # no sites allowed
    assert frame_ancestors(other) == "'none'"


def test_a_visitor_without_cookies_registers_once_in_the_dialog(app, kanto):
    visitor = app.test_client(use_cookies=False)
    workshop = event_id("Työpaja")
    response = embedded_signup(visitor, workshop)
    assert response.status_code == 200
    assert "You have a place at Työpaja." in response.get_data(as_text=True)
    assert frame_ancestors(response) == f"http://localhost:8080 {SITE}"
    assert "Set-Cookie" not in response.headers
    assert registrations() == 1
    again = embedded_signup(visitor, workshop)  # the same address again: told by mail only
    assert again.status_code == 200 and "aino@example.fi" in again.get_data(as_text=True)
    assert registrations() == 1


def test_the_dialog_speaks_the_host_pages_language_not_the_browsers(app, kanto):
    """A framed page has no cookie to remember a language: the widget's list names the host
    page's in each event's address, and the page and its POST keep it."""
    visitor = app.test_client(use_cookies=False)
    listing = visitor.get("/embed/KANTO/events.json?lang=lv", headers={"Origin": SITE}).get_json()
    [item] = [i for i in listing["items"] if i["title"] == "Työpaja"]
    finnish_browser = {"Accept-Language": "fi"}
    page = visitor.get(item["embed_url"], headers=finnish_browser)
    html = page.get_data(as_text=True)
    assert '<html lang="lv"' in html
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    assert action.endswith("?lang=lv")
    token = EMBED_TOKEN_RE.search(html).group(1)
    data = {"embed_token": token, "name": "Aino Korhonen", "email": "aino@example.fi",
            "consent": "y"}  # fmt: skip
    answer = visitor.post(action, data=data, headers=finnish_browser)
    assert answer.status_code == 200 and '<html lang="lv"' in answer.get_data(as_text=True)
    assert registrations() == 1
    # Without the widget's word, the site's own pages follow the browser as before.
    plain = visitor.get(f"/events/{event_id('Työpaja')}?lang=lv", headers=finnish_browser)
    assert '<html lang="fi"' in plain.get_data(as_text=True)


def test_a_forged_expired_or_other_events_token_is_refused(app, kanto):
    visitor = app.test_client(use_cookies=False)
    workshop, course = event_id("Työpaja"), event_id("Koulutus")
    valid = embed.signup_token(workshop)
    forged = valid[:-3] + ("AAA" if not valid.endswith("AAA") else "BBB")
    expired = embed.signup_token(workshop, issued_at=int(time.time()) - 7 * 3600)
    cases = {
        forged: "could not be checked",
        "": "could not be checked",
        f"{workshop}.{int(time.time())}": "could not be checked",  # unsigned
        expired: "had expired",
        embed.signup_token(course): "another event",
    }
    for token, says in cases.items():
        response = embedded_signup(visitor, workshop, token=token)
        assert response.status_code == 400, token
        assert says in response.get_data(as_text=True)
        assert frame_ancestors(response) == f"http://localhost:8080 {SITE}"  # shown in the dialog
    assert registrations() == 0
    # The site's own form still needs the session's token.
    plain = visitor.post(f"/events/{workshop}/register", data={"embed_token": valid,
                         "name": "A", "email": "a@example.fi", "consent": "y"})  # fmt: skip
    assert plain.status_code == 400 and registrations() == 0
