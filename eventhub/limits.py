"""flask-limiter's store in eventhub's own database, for when no Redis is configured.

With the default in-memory store each worker counts on its own: two gunicorn workers let
twice the limit through (and with more workers, more). Production therefore counts in a
shared place: Redis when ``RATELIMIT_STORAGE_URI`` names it, otherwise the database every
worker already shares. The ``limits`` library has no SQL store (memory, Redis, Memcached,
MongoDB only), so this is a small one of its own: a fixed-window counter per key, one
atomic INSERT ... ON CONFLICT DO UPDATE ... RETURNING per counted request (SQLite 3.35+ and
PostgreSQL both have it). It registers itself with ``limits`` under the ``database://``
scheme and counts outside the request's own transaction, so a request that rolls back still
counts: in the app's PostgreSQL database, or in a SQLite file beside the app's (see
``DatabaseStorage._engine``).
"""

from __future__ import annotations

import threading
import time

from flask import g, has_request_context
from limits.storage import Storage
from sqlalchemy import case, create_engine, delete, func, select
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

DATABASE_LIMIT_STORAGE = "database://"
# Where a request keeps what its own increments returned (flask.g: one request's).
_COUNTED = "eventhub_limits_counted"

_sqlite_engines: dict[str, Engine] = {}
_sqlite_lock = threading.Lock()


def _sqlite_counter_engine(path: str) -> Engine:
    from eventhub.core.models import RateLimitCounter

    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        # Counts need not survive a power cut: with WAL, NORMAL syncs at checkpoints only,
        # not at every count (as synchronous_commit off does on PostgreSQL, see incr).
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    RateLimitCounter.__table__.create(engine, checkfirst=True)
    return engine


class DatabaseStorage(Storage):
    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @staticmethod
    def _engine() -> Engine:
        """PostgreSQL: the app's own database (a separate pooled connection, so the count is
        committed whatever the request does). SQLite: a file of its own beside the app's
        database, because a request that writes holds SQLite's one write lock from its
        start (core.db.begin_write), and a count in the same file would wait for it."""
        from eventhub.extensions import db

        engine = db.engine  # the current app's: limits are checked inside a request
        if engine.dialect.name != "sqlite":
            return engine
        path = engine.url.database
        if not path or path == ":memory:":
            raise RuntimeError("the database rate-limit store needs a SQLite file")
        with _sqlite_lock:
            if path not in _sqlite_engines:
                _sqlite_engines[path] = _sqlite_counter_engine(f"{path}-limits")
            return _sqlite_engines[path]

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        from eventhub.core.models import RateLimitCounter as C

        now = time.time()
        engine = self._engine()
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(C).values(key=key, count=amount, expires_at=now + expiry)
        expired = C.expires_at <= now
        stmt = stmt.on_conflict_do_update(
            index_elements=[C.key],
            set_={
                "count": case((expired, amount), else_=C.count + amount),
                "expires_at": case((expired, now + expiry), else_=C.expires_at),
            },
        ).returning(C.count, C.expires_at)
        if engine.dialect.name == "postgresql":
            # A count lost in a crash is harmless: its commit need not wait for the disk
            # (about 1.5 ms here; the signup's own commit does), so a signup waits for one
            # flush, not two. set_config(.., true) is SET LOCAL without a round trip of its own.
            stmt = stmt.returning(func.set_config("synchronous_commit", "off", True))
        with engine.begin() as conn:
            count, expires_at = conn.execute(stmt).one()[:2]
        if has_request_context():
            g.setdefault(_COUNTED, {})[key] = (int(count), float(expires_at))
        return int(count)

    @staticmethod
    def _counted(key: str) -> tuple[int, float] | None:
        """What this request's own increment of ``key`` returned: flask-limiter reads the
        count and the expiry back for the response's RateLimit headers right after counting,
        and the answer is the same without two more queries."""
        if not has_request_context():
            return None
        return g.get(_COUNTED, {}).get(key)

    def get(self, key: str) -> int:
        from eventhub.core.models import RateLimitCounter as C

        counted = self._counted(key)
        if counted is not None and counted[1] > time.time():
            return counted[0]
        with self._engine().connect() as conn:
            count = conn.execute(
                select(C.count).where(C.key == key, C.expires_at > time.time())
            ).scalar()
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        from eventhub.core.models import RateLimitCounter as C

        counted = self._counted(key)
        if counted is not None and counted[1] > time.time():
            return counted[1]
        with self._engine().connect() as conn:
            expires = conn.execute(select(C.expires_at).where(C.key == key)).scalar()
        return float(expires) if expires and expires > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self._engine().connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        from eventhub.core.models import RateLimitCounter as C

        with self._engine().begin() as conn:
            return conn.execute(delete(C)).rowcount

    def clear(self, key: str) -> None:
        from eventhub.core.models import RateLimitCounter as C

        with self._engine().begin() as conn:
            conn.execute(delete(C).where(C.key == key))

    def purge_expired(self) -> int:
        """Delete the counters whose window has passed (the retention command calls it)."""
        from eventhub.core.models import RateLimitCounter as C

        with self._engine().begin() as conn:
            return conn.execute(delete(C).where(C.expires_at <= time.time())).rowcount
