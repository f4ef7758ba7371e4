"""The migrations build exactly the models, and undo cleanly."""

from __future__ import annotations

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import Enum, create_engine, inspect, text

from eventhub import create_app
from eventhub.extensions import db
from tests.conftest import BACKENDS, PG_URL

SCHEMA = "migration_test"
# A value in a CHECK constraint as either database prints it: 'admin' or 'admin'::text.
QUOTED = re.compile(r"'([^']*)'")


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    # A schema of its own, so the rest of the suite's tables are not in the way.
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{SCHEMA}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


def test_upgrade_head_matches_models_and_downgrade_to_base(empty_database_url):
    app = create_app({"DATABASE_URL": empty_database_url}, testing=True)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"

        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def _enum_columns():
    """Every enum column of the models: (table, column, constraint name, values)."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Enum) and column.type.create_constraint:
                name = f"ck_{table.name}_{column.type.name}"
                yield table.name, column.name, name, set(column.type.enums)


def test_every_check_constraint_at_head_allows_exactly_the_models_enum_values(
    empty_database_url,
):
    """Enums are VARCHAR + CHECK, and autogenerate does not compare CHECK constraints: a new
    member without a migration would pass every other test and fail on insert in
    production. Here each constraint at migration head must list exactly the enum's values."""
    app = create_app({"DATABASE_URL": empty_database_url}, testing=True)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            inspector = inspect(conn)
            reflected = {
                (table, check["name"]): set(QUOTED.findall(check["sqltext"]))
                for table in inspector.get_table_names()
                for check in inspector.get_check_constraints(table)
            }
        db.engine.dispose()
    expected = {(table, name): values for table, _column, name, values in _enum_columns()}
    assert expected, "the models have enum columns"
    for key, values in expected.items():
        assert key in reflected, f"no CHECK constraint {key[1]} on {key[0]} at migration head"
        assert reflected[key] == values, (key, reflected[key] ^ values)


def test_the_seat_counters_are_filled_from_the_registrations_there_are(empty_database_url):
    """The migration that adds Event.places_taken and queue_last sets them from the rows
    (confirmed and pending hold a place; the queue goes on after its last number), and
    keeps every registration (a table copy on SQLite would cascade them away)."""
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, Table

    app = create_app({"DATABASE_URL": empty_database_url}, testing=True)
    with app.app_context():
        upgrade(revision=_before("b1c2d3e4f5a6"))  # the schema just before the counters
        now = datetime(2026, 11, 1, tzinfo=UTC)
        with db.engine.begin() as conn:
            tables = MetaData()
            event, person, registration = (
                Table(name, tables, autoload_with=conn)
                for name in ("event", "person", "registration")
            )
            common = {"sequence": 0, "kind": "training", "status": "published", "title": "T",
                      "description": "", "starts_at": now, "ends_at": now.replace(hour=3),
                      "timezone": "Europe/Helsinki", "venue": "", "address": "",
                      "language": "fi", "capacity": 5, "waitlist_enabled": True,
                      "requires_approval": False, "closing_report": "", "search_text": "",
                      "registration_optional": False, "is_outreach": False,
                      "created_at": now, "updated_at": now}  # fmt: skip
            conn.execute(event.insert(), [{"id": i, "uid": f"u{i}", **common} for i in (1, 2)])
            statuses = ["confirmed", "pending", "waitlisted", "cancelled", "rejected", "confirmed"]
            for i, status in enumerate(statuses, 1):
                conn.execute(
                    person.insert().values(id=i, email_normalised=f"p{i}@example.fi",
                                           email=f"p{i}@example.fi", name="P", locale="fi",
                                           created_at=now, updated_at=now)
                )  # fmt: skip
                conn.execute(
                    registration.insert().values(event_id=1, person_id=i, status=status,
                                                 queue_no=2 * i, answers={}, accessibility_needs="",
                                                 dietary_needs="", locale="fi",
                                                 manage_token_hash=f"h{i}", consent_at=now,
                                                 created_at=now, updated_at=now)
                )  # fmt: skip
        upgrade()
        with db.engine.connect() as conn:
            counters = conn.execute(
                text("SELECT id, places_taken, queue_last FROM event ORDER BY id")
            ).all()
            kept = conn.execute(text("SELECT count(*) FROM registration")).scalar()
        assert [tuple(row) for row in counters] == [(1, 3, 12), (2, 0, 0)]
        assert kept == 6
        downgrade(revision="base")
        db.engine.dispose()


def _before(revision: str) -> str:
    """The revision a migration follows, read from the migrations themselves (branches are
    chained in the order they were merged)."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    down = ScriptDirectory.from_config(config).get_revision(revision).down_revision
    assert isinstance(down, str)
    return down
