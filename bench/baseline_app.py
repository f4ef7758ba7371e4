"""Baselines B1 and B2, served by the same gunicorn setup as eventhub.

B1 ``GET /hello``: a minimal Flask endpoint returning a short string -- the ceiling of
gunicorn + Flask + the load generator on this machine.

B2 ``POST /b2/events/<id>/register`` (form fields ``name``, ``email``): a minimal *correct*
signup against the real eventhub schema, with no forms, templates or ORM. It takes the
person's row (upsert by normalised email), then locks the event (``SELECT ... FOR UPDATE``
on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), counts the places taken, inserts one
registration (confirmed while places are left, else waitlisted) and commits. Whatever the
application does beyond this is the price of its features.

The database comes from ``BENCH_B2_DATABASE_URL`` (a SQLAlchemy-style URL).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, abort, request

app = Flask(__name__)

_URL = os.environ.get("BENCH_B2_DATABASE_URL", "")
_local = threading.local()

PERSON_UPSERT = (
    "INSERT INTO person (email_normalised, email, name, locale, created_at, updated_at) "
    "VALUES (%s, %s, %s, 'en', %s, %s) "
    "ON CONFLICT (email_normalised) DO UPDATE SET name = excluded.name RETURNING id"
)
COUNT = (
    "SELECT count(*) FILTER (WHERE status IN ('confirmed', 'pending')), count(*) "
    "FROM registration WHERE event_id = %s"
)
INSERT = (
    "INSERT INTO registration (event_id, person_id, status, queue_no, answers, "
    "accessibility_needs, dietary_needs, locale, manage_token_hash, consent_at, confirmed_at, "
    "created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, '{}', '', '', 'en', %s, %s, %s, %s, %s)"
)


@app.get("/hello")
def hello() -> str:
    return "Hello"


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        if _URL.startswith("sqlite:///"):
            conn = sqlite3.connect(_URL.removeprefix("sqlite:///"), isolation_level=None)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        else:
            import psycopg

            conn = psycopg.connect(_URL.replace("postgresql+psycopg://", "postgresql://", 1))
        _local.conn = conn
    return conn


def _now(sqlite: bool):
    now = datetime.now(UTC)
    # SQLAlchemy keeps naive UTC text in SQLite; the same format keeps the rows readable by it.
    return now.replace(tzinfo=None).isoformat(" ") if sqlite else now


@app.post("/b2/events/<int:event_id>/register")
def register(event_id: int) -> str:
    name = request.form.get("name", "").strip()
    email = request.form.get("email", "").strip()
    if not name or "@" not in email:
        abort(400)
    conn = _connection()
    sqlite = isinstance(conn, sqlite3.Connection)
    now = _now(sqlite)
    token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
    if sqlite:
        status = _register_sqlite(conn, event_id, name, email, now, token_hash)
    else:
        status = _register_pg(conn, event_id, name, email, now, token_hash)
    return status


def _decide(capacity: int | None, taken: int, total: int) -> tuple[str, int]:
    if capacity is None or taken < capacity:
        return "confirmed", 0
    return "waitlisted", total + 1


def _register_pg(conn, event_id, name, email, now, token_hash) -> str:
    try:
        person_id = conn.execute(PERSON_UPSERT, (email.casefold(), email, name, now, now))
        person_id = person_id.fetchone()[0]
        row = conn.execute("SELECT capacity FROM event WHERE id = %s FOR UPDATE", (event_id,))
        row = row.fetchone()
        if row is None:
            conn.rollback()
            abort(404)
        taken, total = conn.execute(COUNT, (event_id,)).fetchone()
        status, queue_no = _decide(row[0], taken, total)
        confirmed_at = now if status == "confirmed" else None
        conn.execute(
            INSERT,
            (event_id, person_id, status, queue_no, token_hash, now, confirmed_at, now, now),
        )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return status


def _register_sqlite(conn, event_id, name, email, now, token_hash) -> str:
    conn.execute("BEGIN IMMEDIATE")
    try:
        person_id = conn.execute(
            PERSON_UPSERT.replace("%s", "?"), (email.casefold(), email, name, now, now)
        ).fetchone()[0]
        row = conn.execute("SELECT capacity FROM event WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            conn.execute("ROLLBACK")
            abort(404)
        taken, total = conn.execute(COUNT.replace("%s", "?"), (event_id,)).fetchone()
        status, queue_no = _decide(row[0], taken, total)
        confirmed_at = now if status == "confirmed" else None
        conn.execute(
            INSERT.replace("%s", "?"),
            (event_id, person_id, status, queue_no, token_hash, now, confirmed_at, now, now),
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return status
