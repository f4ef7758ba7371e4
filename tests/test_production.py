"""What production refuses to start without, and what it never takes from a request: links
in mail always point at SITE_URL, whatever Host header a request carries."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text

from eventhub import create_app
from eventhub.extensions import db
from tests import factories
from tests.conftest import PG_URL
from tests.helpers import signup


def _production_app(database_url, smtp_port, **overrides):
    """An app as production builds it: neither testing nor debug nor development."""
    settings = {
        "DATABASE_URL": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "SERVER_NAME": None,
    }
    return create_app(settings | overrides)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "SITE_URL"])
def test_production_refuses_to_start_without_a_secret_key_or_site_url(
    monkeypatch, tmp_path, missing
):
    for key in ("SECRET_KEY", "SITE_URL", "CONFIG"):
        monkeypatch.delenv(f"EVENTHUB_{key}", raising=False)
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
        "SECRET_KEY": "k" * 64,
        "SITE_URL": "https://events.example.fi",
    }
    del settings[missing]
    with pytest.raises(RuntimeError, match=f"EVENTHUB_{missing}"):
        create_app(settings)


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("RATELIMIT_STORAGE_URI", "memory://", "EVENTHUB_RATELIMIT_STORAGE_URI=memory://"),
        ("CALENDAR_RECHECK_SECONDS", 3600, "EVENTHUB_CALENDAR_RECHECK_SECONDS"),
        ("JOB_LEASE_SECONDS", 0, "EVENTHUB_JOB_LEASE_SECONDS"),
        ("REMINDERS_EVERY_SECONDS", -5, "EVENTHUB_REMINDERS_EVERY_SECONDS"),
    ],
)
def test_production_refuses_settings_that_cannot_work_on_several_servers(
    monkeypatch, tmp_path, setting, value, named
):
    """Limits counted per process, feeds stale for an hour in other processes, a lease that
    never holds: refused at start with the setting named, never found out in use."""
    monkeypatch.delenv("EVENTHUB_CONFIG", raising=False)
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
        "SECRET_KEY": "k" * 64,
        "SITE_URL": "https://events.example.fi",
    }
    assert create_app(settings).config["RATELIMIT_STORAGE_URI"] == "database://"
    with pytest.raises(RuntimeError, match=re.escape(named)):
        create_app(settings | {setting: value})
    # A development run (make run) is one process: its memory is the store it needs.
    assert create_app(settings | {setting: value, "DEVELOPMENT": True}).config[setting] == value


def test_no_run_writes_a_secret_key_into_the_working_tree(monkeypatch, tmp_path):
    """A production start without a key refuses instead of generating one per server, and a
    configured one is never written to disk."""
    from eventhub import ROOT

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
            "SECRET_KEY": "k" * 64,
            "SITE_URL": "https://events.example.fi",
        }
    )
    assert app.secret_key == "k" * 64
    assert not (ROOT / "instance" / "secret_key").exists()
    assert not (ROOT / "instance").exists()


def test_a_forged_host_never_steers_a_reset_link(database_url, smtp_server, mailbox, tmp_path):
    _box, port = smtp_server
    app = _production_app(
        database_url, port, SECRET_KEY="k" * 64, SITE_URL="https://events.example.fi"
    )
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        factories.user(email="anne@example.fi")
        db.session.commit()
        client = app.test_client()
        headers = {"Host": "evil.example"}
        page = client.get("/password/forgot", headers=headers)
        token = csrf_token_from(page)
        response = client.post(
            "/password/forgot",
            data={"csrf_token": token, "email": "anne@example.fi"},
            headers=headers,
            buffered=True,  # closed as a server closes it: the mail goes after the answer
        )
        assert response.status_code == 303
        [message] = mailbox.to("anne@example.fi")
        body = message.get_body(("plain",)).get_content()
        assert "https://events.example.fi/password/reset/" in body
        assert "evil.example" not in body

        event = factories.event()
        db.session.commit()
        token = csrf_token_from(client.get(f"/events/{event.id}", headers=headers))
        signup = {"csrf_token": token, "name": "Aino", "email": "aino@example.fi", "consent": "y"}
        client.post(f"/events/{event.id}/register", data=signup, headers=headers)
        [message] = mailbox.to("aino@example.fi")
        body = message.get_body(("plain",)).get_content()
        assert "https://events.example.fi/manage/" in body and "evil.example" not in body
        db.session.remove()
        db.engine.dispose()


def test_in_debug_without_a_site_url_links_go_to_the_local_server(
    database_url, smtp_server, mailbox
):
    """`flask --debug run` needs no SITE_URL, and still takes no host from the request."""
    _box, port = smtp_server
    app = _production_app(database_url, port, DEBUG=True, SECRET_KEY="k" * 64)
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        factories.user(email="anne@example.fi")
        db.session.commit()
        client = app.test_client()
        headers = {"Host": "evil.example"}
        token = csrf_token_from(client.get("/password/forgot", headers=headers))
        client.post(
            "/password/forgot",
            data={"csrf_token": token, "email": "anne@example.fi"},
            headers=headers,
            buffered=True,
        )
        [message] = mailbox.to("anne@example.fi")
        body = message.get_body(("plain",)).get_content()
        assert "http://127.0.0.1:5000/password/reset/" in body and "evil.example" not in body
        db.session.remove()
        db.engine.dispose()


def csrf_token_from(page) -> str:
    from tests.conftest import CSRF_RE

    assert page.status_code == 200, page.status_code
    return CSRF_RE.search(page.get_data(as_text=True)).group(1)


@pytest.mark.skipif(not PG_URL, reason="pg_terminate_backend needs PostgreSQL (CI sets it)")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_restarted_database_costs_no_request(app, client, mailbox):
    """Every connection the app holds is terminated (as a database restart does); the next
    requests find dead connections in the pool, replace them and succeed."""
    event = factories.event()
    db.session.commit()
    assert client.get(f"/events/{event.id}").status_code == 200
    killer = create_engine(PG_URL)
    with killer.begin() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    killer.dispose()
    assert killed >= 1
    assert client.get(f"/events/{event.id}").status_code == 200
    assert signup(client, event.id, email="after@example.fi").status_code == 303
    assert len(mailbox.to("after@example.fi")) == 1
