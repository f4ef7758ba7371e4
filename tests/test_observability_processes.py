"""Metrics across gunicorn workers, and error reports to a Sentry-compatible endpoint: real
processes and a real HTTP receiver, no mocks."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from eventhub import create_app
from eventhub.extensions import db

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "scrape-secret-for-tests"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _requests_counted(body: str, endpoint: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if s.name == "eventhub_http_requests_total" and s.labels["endpoint"] == endpoint
    )


def test_metrics_add_up_every_gunicorn_worker(tmp_path):
    """Two workers answer 24 requests between them; every scrape, whichever worker answers
    it, counts all 24 (with one registry per process each would count only its own), and
    not the counts an earlier run left in the directory."""
    database = f"sqlite:///{tmp_path / 'eventhub.db'}"
    app = create_app({"DATABASE_URL": database}, testing=True)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    # An earlier run's counts, left behind: gunicorn's on_starting hook must clear them.
    earlier = (
        "from prometheus_client import Counter\n"
        "Counter('eventhub_http_requests', '', ['endpoint', 'method', 'status'])"
        ".labels('events.index', 'GET', '200').inc(1000)\n"
    )
    subprocess.run(
        [sys.executable, "-c", earlier],
        env=os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        check=True,
    )
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTHUB_", "FLASK_"))}
    env |= {
        "EVENTHUB_DATABASE_URL": database,
        "EVENTHUB_SECRET_KEY": "x" * 32,
        "EVENTHUB_SITE_URL": "http://127.0.0.1",
        "EVENTHUB_METRICS_TOKEN": TOKEN,
        "EVENTHUB_LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
            time.sleep(0.2)
        for _ in range(24):
            assert _get(f"{base}/")[0] == 200
        counted = set()
        for _ in range(6):  # several scrapes: both workers answer some of them
            status, body = _get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
            assert status == 200
            counted.add(_requests_counted(body, "events.index"))
        assert counted == {24}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        server.stderr.close()


# --- error reports ----------------------------------------------------------------------


class _SentryReceiver(BaseHTTPRequestHandler):
    """Takes envelopes as a Sentry server would and keeps their items."""

    items: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's hook
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                self.items.append(json.loads(payload))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    pytest.importorskip("sentry_sdk")  # the optional extra; the dev extra installs it
    _SentryReceiver.items = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SentryReceiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _SentryReceiver.items
    server.shutdown()
    server.server_close()
    import sentry_sdk

    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def test_an_error_is_reported_to_sentry_without_secrets(tmp_path, sentry_server):
    server, received = sentry_server
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}",
            "SENTRY_DSN": f"http://public@127.0.0.1:{server.server_port}/42",
            "PROPAGATE_EXCEPTIONS": False,
            "SENTRY_ENVIRONMENT": "test",
        },
        testing=True,
    )

    def broken(token):
        raise RuntimeError("something broke")

    app.add_url_rule("/manage/<token>/broken", view_func=broken)
    with app.app_context():
        response = app.test_client().get(
            "/manage/secret-token-value/broken?email=aino@example.fi",
            headers={"X-Request-ID": "req-for-sentry-1", "Cookie": "session=abc"},
        )
        db.engine.dispose()
    assert response.status_code == 500
    import sentry_sdk

    sentry_sdk.flush(timeout=5)

    [report] = received
    assert report["exception"]["values"][-1]["value"] == "something broke"
    assert report["tags"]["request_id"] == "req-for-sentry-1"
    assert report["environment"] == "test"
    assert report["request"]["url"].endswith("/manage/***/broken")
    text = json.dumps(report)
    assert "secret-token-value" not in text and "aino" not in text and "session=abc" not in text


def test_without_a_dsn_sentry_is_never_imported(tmp_path, monkeypatch):
    """sentry_sdk made unimportable: the app starts and serves without it, and asks for it
    only once a DSN is configured."""
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # import sentry_sdk now fails
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}, testing=True)
    with app.app_context():
        assert app.test_client().get("/healthz").status_code == 200
        db.engine.dispose()
    with pytest.raises(ImportError):
        create_app(
            {"SENTRY_DSN": "http://public@127.0.0.1:9/1", "DATABASE_URL": "sqlite://"}, testing=True
        )
