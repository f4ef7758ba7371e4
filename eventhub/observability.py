"""A service you can watch: request ids, one log line per request, metrics, error reports.

- Every request gets an id: the caller's ``X-Request-ID`` when it is well formed (a proxy's
  ``$request_id``), else a new one. It is sent back in the response's ``X-Request-ID`` and
  stamped on every log record written while the request runs.
- One line per request (logger ``eventhub.request``): method, path, endpoint, status, duration.
  Paths are logged with their secret part redacted (manage links, feeds, surveys, resets),
  never with the query string; e-mail addresses are masked in every line we write.
- ``LOG_FORMAT = "json"`` writes one JSON object per line (for a log shipper); the default is
  plain text.
- Prometheus metrics at ``/metrics`` for the allowed addresses or with the bearer token only.
- Errors go to Sentry only when ``SENTRY_DSN`` is set; ``sentry_sdk`` is imported only then.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, request
from flask.logging import default_handler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from eventhub.core.privacy import mask_emails, redact_path

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or client may hand us as a request id: short, and nothing that could break a
# log line or a header (no spaces, quotes or control characters).
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
# View arguments that carry a secret; their value never reaches a log line.
_SECRET_ARGS = ("token", "secret")
# Methods counted by name; any other (a scanner's invention) is counted as "other", so that
# no client can grow the number of time series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Polled every few seconds by load balancers and Prometheus: logged only at DEBUG.
_QUIET_ENDPOINTS = ("health.healthz", "observability.metrics")

REQUESTS = Counter(
    "eventhub_http_requests",
    "HTTP requests by endpoint (the route's name, not the path), method and status.",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "eventhub_http_request_duration_seconds",
    "Time from the request's arrival to its response, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

request_log = logging.getLogger("eventhub.request")
bp = Blueprint("observability", __name__)


# --- logging ----------------------------------------------------------------------------


def current_request_id() -> str:
    return g.get("request_id", "-") if has_request_context() else "-"


class RequestIdFilter(logging.Filter):
    """Stamps the current request's id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def _scrub(text: str) -> str:
    """The last line of defence for every line we write, whoever logged it (Flask's own
    "Exception on /manage/<token>", an SMTP error quoting an address): no secret paths, no
    e-mail addresses."""
    return mask_emails(redact_path(text))


def _scrub_record(record: logging.LogRecord, text: str) -> str:
    # Development mail written to the console instead of sent (no MAIL_SERVER) is the one
    # exception: its links are what a developer follows. Production always has a server.
    return text if getattr(record, "unredacted", False) else _scrub(text)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return _scrub_record(record, super().format(record))


# Fields of a request line, copied into the JSON object as they are.
_REQUEST_FIELDS = ("method", "path", "endpoint", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Written here rather than taken from a library: it is a dozen
    lines, and it writes only the fields named here, so nothing passed as ``extra`` by
    accident (a form, a person) ever reaches the log."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": _scrub_record(record, record.getMessage()),
        }
        entry |= {key: getattr(record, key) for key in _REQUEST_FIELDS if hasattr(record, key)}
        if record.exc_info:
            entry["exception"] = _scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (gunicorn's and pytest's redirections)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


_QUERY = re.compile(r"\?[^\s\"]*")


class _RedactWerkzeugPaths(logging.Filter):
    """The development server's own access log: the same redaction as ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _scrub(_QUERY.sub("", a)) if isinstance(a, str) else a for a in record.args
            )
        return True


def configure_logging(app: Flask) -> None:
    """The ``eventhub`` logger (Flask's ``app.logger``) writes to stderr in LOG_FORMAT."""
    logger = logging.getLogger("eventhub")
    for handler in list(logger.handlers):
        if handler is default_handler or isinstance(handler, _StderrHandler):
            logger.removeHandler(handler)
    handler = _StderrHandler()
    handler.addFilter(RequestIdFilter())
    json_logs = str(app.config.get("LOG_FORMAT", "text")).lower() == "json"
    handler.setFormatter(JsonFormatter() if json_logs else TextFormatter())
    logger.addHandler(handler)
    logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, _RedactWerkzeugPaths) for f in werkzeug.filters):
        werkzeug.addFilter(_RedactWerkzeugPaths())


def loggable_path() -> str:
    """The request's path as it may be logged: secrets redacted, no query string."""
    path = request.path
    for name in _SECRET_ARGS:
        value = (request.view_args or {}).get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, "***")
    return mask_emails(redact_path(path))[:300]


# --- per request ------------------------------------------------------------------------


def _start_request() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _WELL_FORMED_ID.match(given) else uuid.uuid4().hex


def _finish_request(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is None:  # a request that never reached _start_request
        return response
    duration = time.perf_counter() - started
    endpoint = request.endpoint or "none"
    response.headers[REQUEST_ID_HEADER] = g.request_id
    method = request.method if request.method in _METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    REQUEST_SECONDS.labels(endpoint).observe(duration)
    level = logging.DEBUG if endpoint in _QUIET_ENDPOINTS else logging.INFO
    if not request_log.isEnabledFor(level):
        return response
    path = loggable_path()
    request_log.log(
        level,
        "%s %s (%s) %s %.1f ms",
        request.method,
        path,
        endpoint,
        response.status_code,
        duration * 1000,
        extra={
            "method": request.method,
            "path": path,
            "endpoint": endpoint,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 1),
        },
    )
    return response


# --- metrics ----------------------------------------------------------------------------


class OutboxCollector:
    """Outbox gauges read from the database at each scrape, the same for every worker."""

    def collect(self):
        from eventhub.core.services import failed_mail

        backlog = failed_mail.backlog()
        yield GaugeMetricFamily(
            "eventhub_outbox_queued", "Messages waiting to be sent.", value=backlog.queued
        )
        yield GaugeMetricFamily(
            "eventhub_outbox_failed",
            "Messages that failed for good and wait for an operator (flask eventhub failed-mail).",
            value=backlog.failed,
        )
        yield GaugeMetricFamily(
            "eventhub_outbox_oldest_queued_seconds",
            "Age of the oldest message waiting to be sent (0 when none waits).",
            value=backlog.oldest_queued_seconds,
        )


def _allowed_to_scrape() -> bool:
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(allowed, strict=False)
        for allowed in config.get("METRICS_ALLOW_FROM") or ()
    )


@bp.route("/metrics")
def metrics():
    if not _allowed_to_scrape():
        abort(404)  # to everyone else there is nothing here
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    body += generate_latest(outbox)
    return Response(body, mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


# --- error reports ----------------------------------------------------------------------


def init_error_reports(app: Flask) -> None:
    """Send errors to Sentry when ``SENTRY_DSN`` is set; without it nothing is imported."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk  # optional: pip install 'eventhub[sentry]'

    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT") or "production",
        # Personal data stays out (sentry-sdk sends none by default): no local variables of
        # the failing frames either (a form, a person), and before_send scrubs what is left.
        include_local_variables=False,
        traces_sample_rate=0,
        before_send=_scrub_error_report,
    )


def _scrub_error_report(event: dict, _hint: dict) -> dict:
    """The report keeps the redacted path and our request id; nothing the participant sent,
    and no secret path or address in any text (messages, breadcrumbs, exception values)."""
    req = event.get("request") or {}
    for key in ("query_string", "data", "cookies", "env"):
        req.pop(key, None)
    if "headers" in req:
        req["headers"] = {
            k: v for k, v in req["headers"].items() if k.lower() in ("user-agent", "accept")
        }
    event.pop("user", None)
    if has_request_context():
        event.setdefault("tags", {})["request_id"] = current_request_id()
    return _scrub_all(event)


def _scrub_all(value):
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_all(v) for v in value]
    return value


# --- wiring -----------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Call before other ``before_request``/``after_request`` hooks are added: the request id
    is set first and the request line is written last (after mail sent inline)."""
    configure_logging(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish_request)
    app.register_blueprint(bp)
    init_error_reports(app)
