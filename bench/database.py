"""The two databases a run measures: PostgreSQL (``eh_bench``) and SQLite in a temp dir.

The schema is always the real one, created by ``flask db upgrade``; between groups of figures
every table is emptied (TRUNCATE / DELETE) so that each group starts from a known state.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from bench.server import ROOT

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/eh_bench"
BENCH_SECRET = "bench-only-secret-not-for-production"  # noqa: S105 - a fixed, public test key


@dataclass
class Backend:
    name: str  # "postgresql" or "sqlite"
    url: str  # SQLAlchemy URL, as EVENTHUB_DATABASE_URL takes it
    _tmp: Path | None = field(default=None, repr=False)

    @property
    def is_pg(self) -> bool:
        return self.name == "postgresql"

    @property
    def sqlite_path(self) -> str:
        return self.url.removeprefix("sqlite:///")

    @property
    def libpq_url(self) -> str:
        return self.url.replace("postgresql+psycopg://", "postgresql://", 1)

    @contextmanager
    def connect(self) -> Iterator:
        """A raw DB-API connection (psycopg or sqlite3), closed afterwards."""
        if self.is_pg:
            conn = psycopg.connect(self.libpq_url)
        else:
            conn = sqlite3.connect(self.sqlite_path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        try:
            yield conn
        finally:
            conn.close()

    def scalar(self, sql: str, params: tuple = ()) -> object:
        sql = sql if self.is_pg else sql.replace("%s", "?")
        with self.connect() as conn:
            row = conn.execute(sql, params).fetchone()
            return row[0] if row else None

    def app_env(self) -> dict[str, str]:
        """The environment gunicorn and ``flask`` run eventhub with: production-like."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTHUB_", "FLASK_"))}
        env.update(
            EVENTHUB_DATABASE_URL=self.url,
            EVENTHUB_SECRET_KEY=BENCH_SECRET,
            # A fixed public address, as in production: stored calendar entries depend on
            # it, and each server of a run listens on a port of its own.
            EVENTHUB_SITE_URL="http://eventhub.bench",
            EVENTHUB_MAIL_DELIVERY="worker",
            EVENTHUB_LOG_LEVEL="WARNING",
            # Every simulated visitor comes from 127.0.0.1: lift the per-address limits.
            EVENTHUB_SIGNUP_RATE_LIMIT="100000000 per minute",
            EVENTHUB_LOGIN_RATE_LIMIT="100000000 per minute",
            PYTHONDONTWRITEBYTECODE="1",
        )
        if self.is_pg:
            env["EVENTHUB_SQLALCHEMY_ENGINE_OPTIONS"] = (
                '{"pool_size": 10, "max_overflow": 5, "pool_pre_ping": true}'
            )
        return env

    def create(self) -> None:
        """An empty database with the real schema: drop everything, then ``db upgrade``."""
        if self.is_pg:
            # Dropping a schema is only ever done to a database made for benchmarks.
            dbname = psycopg.conninfo.conninfo_to_dict(self.libpq_url).get("dbname", "")
            if "bench" not in str(dbname):
                raise SystemExit(
                    f"refusing to wipe the database {dbname!r}: its name must contain 'bench'"
                )
            self._create_database(dbname)
            with psycopg.connect(self.libpq_url, autocommit=True) as conn:
                conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
                conn.execute("CREATE SCHEMA public")
        else:
            Path(self.sqlite_path).unlink(missing_ok=True)
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=self.app_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"flask db upgrade failed on {self.name}:\n{result.stderr[-3000:]}")

    def _create_database(self, dbname: str) -> None:
        """Create the benchmark database on a fresh machine, through the maintenance database."""
        params = psycopg.conninfo.conninfo_to_dict(self.libpq_url)
        params["dbname"] = "postgres"
        with psycopg.connect(**params, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
            if exists.fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))

    def tables(self) -> list[str]:
        with self.connect() as conn:
            if self.is_pg:
                rows = conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                ).fetchall()
        return [r[0] for r in rows if r[0] != "alembic_version"]

    def empty(self) -> None:
        """Delete every row (the schema and alembic's version stay)."""
        tables = self.tables()
        with self.connect() as conn:
            if self.is_pg:
                names = ", ".join(f'"{t}"' for t in tables)
                conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                conn.commit()
            else:
                conn.execute("PRAGMA foreign_keys=OFF")
                conn.execute("BEGIN")
                for table in tables:
                    conn.execute(f'DELETE FROM "{table}"')
                conn.execute("COMMIT")
                conn.execute("VACUUM")

    def analyze(self) -> None:
        with self.connect() as conn:
            if self.is_pg:
                conn.autocommit = True
                conn.execute("VACUUM ANALYZE")
            else:
                conn.execute("ANALYZE")

    def version(self) -> str:
        if self.is_pg:
            return str(self.scalar("SHOW server_version"))
        return sqlite3.sqlite_version

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def postgresql() -> Backend:
    return Backend("postgresql", os.environ.get("EVENTHUB_BENCH_DATABASE_URL", DEFAULT_PG_URL))


def sqlite() -> Backend:
    tmp = Path(tempfile.mkdtemp(prefix="eventhub-bench-"))
    return Backend("sqlite", f"sqlite:///{tmp / 'bench.db'}", tmp)
