"""eventhub: event and workshop registration for civic development work."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import configure_mappers
from werkzeug.middleware.proxy_fix import ProxyFix

from eventhub import observability
from eventhub.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from eventhub.limits import DATABASE_LIMIT_STORAGE
from eventhub.web import install_converters

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"


def create_app(overrides: dict[str, Any] | None = None, *, testing: bool = False) -> Flask:
    """Build the application: config -> extensions -> blueprints -> CLI."""
    app = Flask(__name__, instance_relative_config=True)
    _configure(app, overrides, testing)
    install_converters(app)
    observability.init_app(app)

    from eventhub.core import db as core_db
    from eventhub.core.services import data_requests, followups, formats, jobs, outbox, webhooks
    from eventhub.web import init_web

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    mail.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    limiter.init_app(app)
    with app.app_context():
        core_db.install_sqlite_pragmas(db.engine)
    outbox.init_app(app)

    from eventhub import (
        api,
        auth,
        calendar,
        cli,
        door,
        events,
        forums,
        hackathons,
        health,
        indicators,
        integrations,
        manage,
        registration,
        tasks,
        workshops,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(events.bp)
    app.register_blueprint(registration.bp)
    # The event formats, one line each: a format's hooks and its blueprint
    # (docs/architecture.md, "Adding an event format").
    formats.register(app, workshops.FORMAT)
    formats.register(app, hackathons.FORMAT)
    formats.register(app, forums.FORMAT)
    formats.register(app, events.PLAIN_FORMAT)
    # The worker's queued work and periodic jobs, one line each (core/services/jobs.py).
    jobs.register_queued(app, "mail", outbox.drain)
    jobs.register_periodic(app, "reminders", _every(app, "REMINDERS"), tasks.send_reminders)
    jobs.register_periodic(app, "surveys", _every(app, "SURVEYS"), tasks.send_surveys)
    jobs.register_periodic(app, "retention", _every(app, "RETENTION"), tasks.retention)
    # Participants' data requests: unconfirmed links expire, open requests close.
    jobs.register_periodic(app, "data_requests", timedelta(hours=1), data_requests.close_expired)
    # Periodic work for the worker (core.services.jobs).
    jobs.register_periodic(app, "followups", timedelta(hours=1), followups.run)
    app.register_blueprint(calendar.bp, url_prefix="/calendar")
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(auth.bp)
    app.register_blueprint(manage.bp, url_prefix="/organiser")
    app.register_blueprint(door.bp, url_prefix="/door")
    app.register_blueprint(indicators.bp)
    app.register_blueprint(integrations.bp)
    # Work done outside requests (run by `flask eventhub worker`): webhook notices, and the
    # hourly clean-up of old deliveries and idempotency answers.
    jobs.register_queued(app, "webhooks", webhooks.drain)
    jobs.register_periodic(app, "integrations-cleanup", timedelta(hours=1), webhooks.clean_up)
    init_web(app)
    if app.config.get("PROXIES"):
        # Behind a reverse proxy the client's address and scheme come from its X-Forwarded-*
        # headers; trust exactly as many proxies as are configured, no more.
        hops = int(app.config["PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    cli.init_app(app)
    # Configure the ORM's mappers now, as the process starts, not in its first request: that
    # costs about 50 ms, which a worker's first visitor (a calendar feed reader, a signup in
    # a crowd) would otherwise wait for. Done once per process; later apps find it done.
    configure_mappers()
    return app


def _configure(app: Flask, overrides: dict[str, Any] | None, testing: bool) -> None:
    app.config.from_pyfile(str(CONFIG_DIR / "default.py"))
    if testing:
        app.config.from_pyfile(str(CONFIG_DIR / "testing.py"))
    if os.environ.get("EVENTHUB_CONFIG"):
        # A relative path is read from where the command runs (make run: the checkout).
        app.config.from_pyfile(str(Path(os.environ["EVENTHUB_CONFIG"]).resolve()))
    app.config.from_prefixed_env("EVENTHUB")
    if overrides:
        app.config.update(overrides)

    instance = Path(app.instance_path)
    url = app.config.get("DATABASE_URL")
    if not url:
        instance.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{instance / 'eventhub.db'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("postgresql"):
        # A restarted database (or a connection a firewall dropped) costs no request: each
        # connection is tested as it leaves the pool and replaced if it is dead.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        }
    development = is_development(app)
    missing = [key for key in ("SECRET_KEY", "SITE_URL") if not app.config.get(key)]
    if missing and not development:
        raise RuntimeError(
            "eventhub refuses to start in production without "
            + " and ".join(f"EVENTHUB_{key}" for key in missing)
            + ": SECRET_KEY must be the same for every app server, and SITE_URL is the only "
            "address mailed links may point at (never the request's Host header). "
            "See docs/operations.md; `make run` uses config/development.py."
        )
    if not development:
        _refuse_per_process_state(app)
    if not app.config.get("SECRET_KEY"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if not app.config.get("SITE_URL"):
        app.config["SITE_URL"] = "http://127.0.0.1:5000"  # flask run's own address
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        # Several processes serve in production: their limits are counted in one place.
        app.config["RATELIMIT_STORAGE_URI"] = DATABASE_LIMIT_STORAGE
    # Flask-Mail reads MAIL_SUPPRESS_SEND; we never let it pretend to send.
    app.config.setdefault("MAIL_SUPPRESS_SEND", False)
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))  # also installs its handler


def _every(app: Flask, job: str) -> timedelta:
    return timedelta(seconds=float(app.config[f"{job}_EVERY_SECONDS"]))


def _refuse_per_process_state(app: Flask) -> None:
    """Production may run any number of processes on any number of servers: settings that
    would keep what users see in one process, or differ between processes, are refused at
    start rather than found out in use (docs/operations.md, "Growing past one machine")."""
    problems = []
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
    if storage.startswith("memory://"):
        problems.append(
            "EVENTHUB_RATELIMIT_STORAGE_URI=memory:// counts each process on its own (two "
            "workers let twice the limit through); leave it unset (the database) or name Redis"
        )
    for key in ("WORKER_POLL_SECONDS", "JOB_LEASE_SECONDS", "MAIL_CLAIM_SECONDS"):
        if not float(app.config.get(key) or 0) > 0:
            problems.append(f"EVENTHUB_{key} must be a positive number of seconds")
    for job in ("REMINDERS", "SURVEYS", "RETENTION"):
        if not float(app.config.get(f"{job}_EVERY_SECONDS") or 0) > 0:
            problems.append(f"EVENTHUB_{job}_EVERY_SECONDS must be a positive number of seconds")
    recheck = app.config.get("CALENDAR_RECHECK_SECONDS")
    if recheck is None or not 0 <= float(recheck) <= 300:
        problems.append(
            "EVENTHUB_CALENDAR_RECHECK_SECONDS must be 0 to 300: it bounds how long another "
            "process may serve a feed from before an edit"
        )
    if problems:
        raise RuntimeError(
            "eventhub refuses to start in production with settings that cannot work on "
            "several processes or servers: " + "; ".join(problems) + ". See docs/operations.md."
        )


def is_development(app: Flask) -> bool:
    """A run on a developer's machine or under the tests: `make run` (config/development.py),
    ``flask --debug`` or the test suite. Anything else is production."""
    return bool(app.debug or app.testing or app.config.get("DEVELOPMENT"))


def _instance_secret(path: Path) -> str:
    """A secret key generated once and kept in the instance folder (readable by owner only)."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _select_locale() -> str:
    from flask import current_app, has_request_context, request, session

    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    # The signup page framed in a project widget's dialog (and its POST) gets no cookie on
    # the host's site: it speaks the host page's language, which its address names.
    framed = (
        request.args.get("embed") == "1" or request.endpoint == "registration.register_embedded"
    )
    if framed and request.args.get("lang") in languages:
        return request.args["lang"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )
