"""The application shell: health, listings, errors, configuration, languages."""

from datetime import UTC, datetime, timedelta

from eventhub import _instance_secret, create_app
from eventhub.core.models import EventKind, EventStatus
from eventhub.extensions import db
from tests import factories
from tests.dates import YEAR


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "outbox": {"queued": 0, "oldest_queued_seconds": 0, "failed": 0},
    }


def test_home_lists_upcoming_public_events_in_their_own_timezones(app, client):
    start = datetime(YEAR, 6, 1, 9, 0, tzinfo=UTC)
    factories.event(title="Helsinki talk", starts_at=start, timezone="Europe/Helsinki")
    factories.event(title="Riga talk", starts_at=start, timezone="Europe/Riga")
    factories.event(title="Tallinn talk", starts_at=start, timezone="America/New_York")
    factories.event(title="Draft talk", starts_at=start, status=EventStatus.DRAFT)
    factories.event(title="Past talk", starts_at=datetime(2020, 1, 1, tzinfo=UTC))
    db.session.commit()

    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert "Helsinki talk" in html and "Riga talk" in html
    assert "Draft talk" not in html and "Past talk" not in html
    # 09:00 UTC is 12:00 in Helsinki and Riga in June (UTC+3), 05:00 in New York (UTC-4).
    assert "12:00" in html and "05:00" in html
    # Only the zone a reader here would not assume is named.
    assert html.count("Eastern European") == 0 and html.count("(Eastern Daylight Time)") == 1


def test_kind_listings_show_only_their_kind(client):
    factories.event(title="Neighbourhood workshop", kind=EventKind.WORKSHOP)
    factories.event(title="Co-creation days", kind=EventKind.HACKATHON)
    factories.event(title="Residents' forum", kind=EventKind.FORUM)
    db.session.commit()

    for url, shown in (
        ("/workshops/", "Neighbourhood workshop"),
        ("/hackathons/", "Co-creation days"),
        ("/forums/", "Residents&#39; forum"),
    ):
        html = client.get(url).get_data(as_text=True)
        assert shown in html
        others = {"Neighbourhood workshop", "Co-creation days", "Residents&#39; forum"} - {shown}
        assert not any(o in html for o in others)


def test_event_page_and_unknown_or_draft_event(client):
    published = factories.event(title="Open training", venue="Carelicum")
    draft = factories.event(title="Secret draft", status=EventStatus.DRAFT)
    db.session.commit()

    page = client.get(f"/events/{published.id}")
    assert page.status_code == 200
    assert "Carelicum" in page.get_data(as_text=True)
    assert client.get(f"/events/{draft.id}").status_code == 404
    missing = client.get("/events/999999")
    assert missing.status_code == 404
    assert "Page not found" in missing.get_data(as_text=True)


def test_security_headers_keep_secrets_on_site(client):
    response = client.get("/")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_language_from_browser_then_from_choice(client):
    assert 'lang="fi"' in client.get("/", headers={"Accept-Language": "fi"}).get_data(True)
    assert "Tulevat tapahtumat" in client.get("/", headers={"Accept-Language": "fi"}).get_data(True)
    chosen = client.get("/language/en?next=/workshops/", headers={"Accept-Language": "fi"})
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/workshops/"
    page = client.get("/", headers={"Accept-Language": "fi"}).get_data(as_text=True)
    assert 'lang="en"' in page and "Upcoming events" in page


def test_language_switch_never_redirects_off_site(client):
    response = client.get("/language/fi?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    response = client.get("/language/fi?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_settings_come_from_prefixed_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EVENTHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("EVENTHUB_MAIL_PORT", "2525")
    monkeypatch.setenv("EVENTHUB_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("EVENTHUB_SITE_URL", "https://events.example.fi")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'env.db'}"
    assert app.config["MAIL_PORT"] == 2525
    assert app.secret_key == "from-the-environment"


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    key_file = tmp_path / "secret_key"
    first = _instance_secret(key_file)
    assert _instance_secret(key_file) == first
    assert len(first) == 64
    assert key_file.stat().st_mode & 0o077 == 0


def test_postgres_url_is_given_the_psycopg_driver(tmp_path):
    app = create_app({"DATABASE_URL": "postgresql://u@127.0.0.1/x"}, testing=True)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/x"


def test_future_registration_window_dates_are_shown_in_event_timezone(client):
    start = datetime(YEAR + 1, 1, 10, 8, 0, tzinfo=UTC)
    e = factories.event(
        starts_at=start,
        timezone="Europe/Riga",
        registration_closes_at=start - timedelta(days=1),
    )
    db.session.commit()
    html = client.get(f"/events/{e.id}", headers={"Accept-Language": "en"}).get_data(True)
    # 08:00 UTC on 9 Jan is 10:00 in Riga (UTC+2 in winter)
    assert "10:00" in html


def test_behind_one_proxy_the_client_address_comes_from_x_forwarded_for(database_url):
    from flask import request

    app = create_app({"DATABASE_URL": database_url, "PROXIES": 1}, testing=True)

    @app.route("/_whoami")
    def whoami():
        return f"{request.remote_addr} {request.scheme}"

    response = app.test_client().get(
        "/_whoami", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    )
    assert response.get_data(as_text=True) == "203.0.113.7 https"
    _close(app)


def test_trusted_hosts_refuse_a_forged_host(database_url):
    app = create_app(
        {"DATABASE_URL": database_url, "TRUSTED_HOSTS": ["eventhub.test"]}, testing=True
    )
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    _close(app)


def test_listings_come_a_page_at_a_time(client):
    start = datetime(YEAR + 1, 1, 1, 9, 0, tzinfo=UTC)
    for i in range(45):
        factories.event(title=f"Kyläilta {i:02d}", starts_at=start + timedelta(days=i))
    db.session.commit()

    first = client.get("/").get_data(as_text=True)
    assert "Kyläilta 00" in first and "Kyläilta 39" in first and "Kyläilta 40" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert "Kyläilta 40" in second and "Kyläilta 44" in second and "Kyläilta 39" not in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/?page=99999999999").status_code == 200


def _close(app) -> None:
    """Close an extra app's database connections: a pooled PostgreSQL connection left for
    the garbage collector warns (an error here) in whatever test runs at that moment."""
    with app.app_context():
        db.engine.dispose()
