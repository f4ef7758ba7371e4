"""Database plumbing shared by every backend: UTC timestamps, SQLite pragmas, write locks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC.

    PostgreSQL keeps ``timestamptz``; SQLite has no zone, so values are normalised to UTC on the
    way in and given the UTC zone back on the way out. Naive datetimes are refused: they are
    always a bug in this code base.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def install_sqlite_pragmas(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection, and transactions that
    SQLAlchemy controls itself: pysqlite's own implicit BEGIN is switched off so that
    :func:`begin_write` can open an IMMEDIATE transaction."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("sqlite_immediate") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def begin_write(session) -> None:
    """Start the session's transaction as a write transaction.

    On SQLite this is ``BEGIN IMMEDIATE``: the database write lock is taken at once, so a
    transaction that reads and then writes can never fail half way because another writer
    committed in between. Call it before the first query of a request or command that writes;
    on other backends it only opens the connection (row locks are taken where they are needed).
    """
    if session.in_transaction() and session.get_transaction().connections:
        conn = session.connection()
        if conn.dialect.name == "sqlite" and not conn.get_execution_options().get(
            "sqlite_immediate"
        ):
            raise RuntimeError("begin_write() must be called before the first query")
        return
    session.connection(execution_options={"sqlite_immediate": True})
