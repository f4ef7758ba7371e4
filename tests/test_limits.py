"""Rate limits hold however many processes serve: two app servers (separate gunicorn
processes sharing one database, or one Redis) together let no more password-reset requests
through than the limit that sign-ins and resets share. With a store in each process's memory
they let twice as many through."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event as sa_event
from sqlalchemy import select

from eventhub import ROOT, create_app
from eventhub.core.db import utcnow
from eventhub.core.models import LoginSession, RateLimitCounter
from eventhub.extensions import db
from eventhub.limits import DATABASE_LIMIT_STORAGE, DatabaseStorage
from tests import factories
from tests.helpers import signup

LIMIT = 6
ATTEMPTS = 24


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(url, data=data, timeout=20) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _serve(port: int, env: dict[str, str], log) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(
        [
            str(gunicorn),
            "--no-control-socket",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def test_two_app_servers_together_let_no_more_than_the_limit_through(app, database_url, tmp_path):
    """Production's default store: the database (Redis, when configured, is flask-limiter's
    own shared store)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EVENTHUB_")},
        "EVENTHUB_DATABASE_URL": database_url,
        "EVENTHUB_SECRET_KEY": "two-servers-one-secret",
        "EVENTHUB_SITE_URL": "http://127.0.0.1",
        "EVENTHUB_WTF_CSRF_ENABLED": "false",
        "EVENTHUB_LOGIN_RATE_LIMIT": f"{LIMIT} per minute",
        # Keys of this run only, so nothing another run counted (or counts) is shared.
        "EVENTHUB_RATELIMIT_KEY_PREFIX": f"eh-test-{uuid.uuid4().hex}",
    }
    ports = [_free_port(), _free_port()]
    logs = [(tmp_path / f"server-{p}.log").open("wb") for p in ports]
    servers = [_serve(p, env, log) for p, log in zip(ports, logs, strict=True)]
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts Python slowly
        for port in ports:
            while _ready(port) is False:
                assert time.monotonic() < deadline, (tmp_path / f"server-{port}.log").read_text()
                time.sleep(0.1)
        # An empty form: counted, then answered with the form again (cheaply: no password
        # hashing, no mail), unless the limit refuses it first.
        form = urllib.parse.urlencode({"email": ""}).encode()
        urls = [f"http://127.0.0.1:{ports[i % 2]}/password/forgot" for i in range(ATTEMPTS)]
        with ThreadPoolExecutor(4) as pool:
            codes = list(pool.map(lambda url: _status(url, form), urls))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        for log in logs:
            log.close()
    assert set(codes) <= {200, 429}, codes
    assert codes.count(200) == LIMIT, codes  # answered up to the limit, the rest refused


def _ready(port: int) -> bool:
    try:
        return _status(f"http://127.0.0.1:{port}/healthz") == 200
    except OSError:
        return False


def test_the_database_store_counts_fixed_windows_and_retention_forgets_old_counts(app, runner):
    store = DatabaseStorage()
    assert [store.incr("signin/203.0.113.7", 60) for _ in range(3)] == [1, 2, 3]
    assert store.get("signin/203.0.113.7") == 3 and store.get("nobody") == 0
    # A window that has passed starts again from one.
    assert store.incr("passed", 0) == 1 and store.incr("passed", 0) == 1
    user = factories.user()
    old = utcnow() - app.permanent_session_lifetime - timedelta(minutes=1)
    db.session.add(LoginSession(token_hash="a" * 64, user_id=user.id, created_at=old))
    db.session.add(LoginSession(token_hash="b" * 64, user_id=user.id))
    db.session.commit()

    result = runner.invoke(args=["eventhub", "retention"])

    assert result.exit_code == 0, result.output
    with store._engine().connect() as conn:
        keys = set(conn.execute(select(RateLimitCounter.key)).scalars())
    assert keys == {"signin/203.0.113.7"}  # client addresses are not kept past their window
    assert set(db.session.scalars(select(LoginSession.token_hash))) == {"b" * 64}


def test_a_counted_signup_reads_its_limit_headers_from_its_own_count(app, database_url):
    """Each signup is counted in the database store with one statement; the RateLimit
    headers come from what that statement returned (two more queries per signup before),
    and they count down to the refusal."""
    event = factories.event(capacity=None)
    db.session.commit()
    counted = create_app(
        {
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": DATABASE_LIMIT_STORAGE,
            "SIGNUP_RATE_LIMIT": "3 per minute",
            "RATELIMIT_KEY_PREFIX": f"eh-test-{uuid.uuid4().hex}",
        },
        testing=True,
    )
    client = counted.test_client()
    with counted.app_context():
        engine = DatabaseStorage._engine()
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "rate_limit_counter" in statement:
            seen.append(statement)

    sa_event.listen(engine, "after_cursor_execute", record)
    try:
        remaining, statements = [], []
        for i in range(4):
            seen.clear()
            answer = signup(client, event.id, email=f"person{i}@example.fi")
            remaining.append((answer.status_code, answer.headers.get("X-RateLimit-Remaining")))
            statements.append(len(seen))
    finally:
        sa_event.remove(engine, "after_cursor_execute", record)
        with counted.app_context():
            db.engine.dispose()
    assert remaining == [(303, "2"), (303, "1"), (303, "0"), (429, "0")]
    assert statements == [1, 1, 1, 1], seen
