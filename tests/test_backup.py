"""The backup of docs/operations.md, tested: `pg_dump -Fc` of a database with data, restored
with `pg_restore` into an empty database, and the app serves the restored one (pages, a
sign-in, a signup) at the migration head, ready for the next upgrade."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from eventhub import create_app
from eventhub.core.models import Registration, Role
from eventhub.extensions import db
from tests import factories
from tests.conftest import PG_URL, IsolatedClient
from tests.helpers import sign_in, signup

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def two_databases():
    """Two databases of their own: the one backed up and the empty one restored into."""
    if not PG_URL:
        pytest.skip("the restore test needs PostgreSQL (CI sets EVENTHUB_TEST_DATABASE_URL)")
    base = make_url(PG_URL)
    names = [f"{base.database}_backup_source", f"{base.database}_backup_restored"]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield [base.set(database=name) for name in names]
    drop()
    admin.dispose()


def _libpq(url) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlalchemy(url) -> str:
    return url.render_as_string(hide_password=False)


def test_a_dump_restored_into_an_empty_database_is_served(
    two_databases, smtp_server, mailbox, tmp_path
):
    source, restored = two_databases
    _box, port = smtp_server
    settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}
    app = create_app({"DATABASE_URL": _sqlalchemy(source), **settings}, testing=True)
    with app.app_context():
        upgrade()  # the schema as production has it: migrations, with alembic_version
        project = factories.project(code="BACKUP")
        factories.user("anne@example.fi", role=Role.MANAGER, projects=[project])
        event = factories.event(title="Kept through the restore", project=project)
        event_id = event.id
        db.session.commit()
        app.test_client_class = IsolatedClient
        assert signup(app.test_client(), event_id, email="before@example.fi").status_code == 303
        db.session.remove()
        db.engine.dispose()

    dump = tmp_path / "eventhub.dump"
    pg_dump = shutil.which("pg_dump") or "pg_dump"
    pg_restore = shutil.which("pg_restore") or "pg_restore"
    subprocess.run(
        [pg_dump, "-Fc", "--no-owner", "-f", str(dump), _libpq(source)], check=True, timeout=60
    )
    subprocess.run(
        [pg_restore, "--no-owner", "--exit-on-error", "-d", _libpq(restored), str(dump)],
        check=True,
        timeout=60,
    )

    app = create_app({"DATABASE_URL": _sqlalchemy(restored), **settings}, testing=True)
    app.test_client_class = IsolatedClient
    with app.app_context():
        client = app.test_client()
        page = client.get(f"/events/{event_id}")
        assert page.status_code == 200 and "Kept through the restore" in page.get_data(True)
        assert sign_in(client, "anne@example.fi").status_code == 303
        listing = client.get(f"/organiser/events/{event_id}/registrations")
        assert listing.status_code == 200 and "before@example.fi" in listing.get_data(True)
        # Sequences came along: a new signup gets a new id, not one the dump holds already.
        mailbox.clear()
        assert signup(client, event_id, email="after@example.fi").status_code == 303
        ids = db.session.scalars(select(Registration.id).order_by(Registration.id)).all()
        assert len(ids) == 2 and len(mailbox.to("after@example.fi")) == 1
        upgrade()  # already at the head: nothing to do, nothing fails
        db.session.remove()
        db.engine.dispose()
