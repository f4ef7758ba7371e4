"""The audit log reads as sentences in every language, never as action codes."""

from __future__ import annotations

import re
from pathlib import Path

from flask_babel import force_locale
from sqlalchemy import select

from eventhub.core import audit_text
from eventhub.core.models import AuditEntry, Role
from eventhub.extensions import db
from tests import factories
from tests import setup_flow as flow
from tests.helpers import sign_in

ROOT = Path(__file__).resolve().parent.parent / "eventhub"
# audit.record("action", ...) and audit.record("a" if x else "b", ...)
RECORD = re.compile(r"audit\.record\(\s*((?:\"[a-z_]+\"(?:\s+if\s+[^\"]+?\s+else\s+)?)+)")


def test_every_action_recorded_in_the_code_has_a_sentence():
    actions = set()
    for path in ROOT.rglob("*.py"):
        for group in RECORD.findall(path.read_text()):
            actions |= set(re.findall(r"\"([a-z_]+)\"", group))
    assert len(actions) > 40  # the pattern still finds the calls
    assert actions - set(audit_text.SENTENCES) == set()


# How "created the project" reads in each language: the page is really translated.
CREATED = {
    "en": "First Admin created the project",
    "fi": "First Admin loi projektin",
    "lv": "First Admin izveidoja projektu",
    "et": "First Admin lõi projekti",
}


def test_the_audit_log_reads_as_sentences_in_the_readers_language(client, runner, mailbox):
    email, password = flow.create_admin(runner)
    sign_in(client, email, password)
    project_id = flow.create_project(client)
    org_id = flow.add_organisation(client, "Lizuma biedrība")
    other_id = flow.add_organisation(client, "Lizuma biedriba")
    flow.post_form(
        client,
        f"/organiser/organisations/{other_id}/merge",
        {"other": str(org_id)},
        token_from=f"/organiser/organisations/{other_id}",
    )
    flow.invite(client, "ilze@gulbene.example", "Ilze Bērziņa", "manager", [project_id])
    entries = db.session.scalars(select(AuditEntry)).all()
    assert len(entries) == 6

    for locale, created in CREATED.items():
        client.get(f"/language/{locale}")
        page = client.get("/organiser/audit").get_data(as_text=True)
        with force_locale(locale):
            expected = audit_text.sentences(entries)
        for entry in entries:
            assert entry.action not in page, (locale, entry.action)
            assert expected[entry.id] in page, (locale, expected[entry.id])
        assert f"{created} 2024.LV/NVOF/MAC/003 Gulbenes kopienu darbnīcas." in page
        assert "Lizuma biedriba" in page and "Ilze Bērziņa" in page


def test_an_unknown_action_still_reads_as_a_sentence(app):
    admin = factories.user("boss@example.fi", Role.ADMIN)
    db.session.add(AuditEntry(user_id=admin.id, action="something_new", details={}))
    db.session.flush()
    entry = db.session.scalar(select(AuditEntry))
    assert audit_text.sentences([entry])[entry.id] == "Boss: something_new."
