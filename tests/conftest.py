"""Fixtures: an app per test on a fresh database, a real SMTP server, CSRF left on.

Every test that takes ``app`` (or ``client``, ``db_session``...) runs on SQLite, and again on
PostgreSQL when ``EVENTHUB_TEST_DATABASE_URL`` is set (CI sets it). In CI a missing
PostgreSQL is an error, never a silent skip.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import has_app_context
from flask.testing import FlaskClient
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import create_engine, text

from eventhub import create_app
from eventhub.core.services import outbox
from eventhub.extensions import db

# Hypothesis keeps a cache of its own; it goes to the temporary directory, never into the
# working tree (as nothing else the tests write does).
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "eventhub-hypothesis"))

PG_URL = os.environ.get("EVENTHUB_TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_configure(config):
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError("CI must set EVENTHUB_TEST_DATABASE_URL to test PostgreSQL")


# --- mail -------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What arrived at the test SMTP server."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: bool = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        if self.refuse:
            return "451 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in m["To"]]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
        self.refuse = False


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    with socket.socket() as probe:  # aiosmtpd cannot pick a free port itself
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, controller.port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    box, _port = smtp_server
    box.clear()
    yield box
    box.clear()


# --- databases --------------------------------------------------------------------------


def _pg_reset(url: str) -> None:
    """Empty every table; identities restart so each test sees the same ids."""
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_schema():
    """Create the schema on PostgreSQL once per session."""
    if not PG_URL:
        return None
    app = create_app({"DATABASE_URL": PG_URL}, testing=True)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        db.engine.dispose()
    return PG_URL


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url = request.getfixturevalue("pg_schema")
    _pg_reset(url)
    return url


class IsolatedClient(FlaskClient):
    """Each request runs in an application context of its own, like a real one: its own
    ``g``, its own database session. What the test built is committed first (a request never
    sees another's uncommitted rows), and afterwards the test's session starts afresh so it
    reads what the request wrote."""

    def open(self, *args, **kwargs):
        # Read the whole answer and close it, as a server does: what runs when a response
        # closes (mail sent after the answer) has run when the call returns.
        kwargs.setdefault("buffered", True)
        outer = has_app_context()  # threads of a race test have none
        if outer:
            db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if outer:
            db.session.commit()
        return response


@pytest.fixture
def app(database_url, smtp_server, tmp_path):
    _box, port = smtp_server
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
        },
        testing=True,
    )
    app.instance_path = str(tmp_path / "instance")
    app.test_client_class = IsolatedClient
    # Ids start again in every test's database: what a process remembers having sent belongs
    # to the previous test's.
    outbox._unrecorded.clear()
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on a page, as a browser would find it."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)
