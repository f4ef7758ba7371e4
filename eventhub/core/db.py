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


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def install_sqlite_pragmas(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection, and transactions that
    SQLAlchemy controls itself: pysqlite's own implicit BEGIN is switched off so that
    :func:`begin_write` can open an IMMEDIATE transaction.

    SQLite's own ``lower()`` folds only ASCII letters, so a search for "äijälä" would miss
    "Äijälä"; it is replaced by Python's, which folds every letter as PostgreSQL's does, so
    case-insensitive comparisons (``func.lower``, ``ilike``, ``icontains``) agree on both."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN DEFERRED")
        conn.info["changes_at_begin"] = conn.connection.dbapi_connection.total_changes


def begin_write(session) -> None:
    """Make the session's transaction a write transaction before it reads what it will change.

    On SQLite this means ``BEGIN IMMEDIATE``: the database write lock is taken at once, so a
    transaction that reads and then writes cannot fail half way because another writer
    committed in between (SQLite's busy timeout does not help a deferred reader there). A
    transaction that has only read so far is ended and begun again as a write transaction
    (objects loaded in it are refreshed on next use, now under the lock); one that has
    written already holds the lock. On PostgreSQL this only opens the connection: row locks
    are taken where they are needed (``SELECT ... FOR UPDATE``).
    """
    session = session() if callable(session) else session  # a scoped_session's current one
    transaction = session.get_transaction()
    if transaction is None or not transaction.connections:
        session.connection(execution_options={"sqlite_immediate": True})
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite" or conn.get_execution_options().get("sqlite_immediate"):
        return
    if conn.connection.dbapi_connection.total_changes != conn.info.get("changes_at_begin"):
        return  # this transaction has written: it holds the write lock already
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write() called with unflushed changes in a read transaction")
    session.rollback()
    session.connection(execution_options={"sqlite_immediate": True})
