"""Retention: a project past its retention period is anonymised by the same rule as an
erasure on request (``personal_data.COLUMNS``), everything its participants gave goes, and
every indicator stays the same.

The check is generic, as for erasure (tests/test_personal_data.py): every text column of every
table is scanned for the participants' names, addresses, phones and free text, so a table a
later model adds is covered as soon as it is declared, and fails here if it is not.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Column, ForeignKey, Integer, Table, Text, select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Challenge,
    DoorTap,
    EventKind,
    EventQuestion,
    Person,
    QuestionType,
    Registration,
    Role,
    SeriesEnrolment,
    TapKind,
    TapOutcome,
    TeamSeeker,
    WorkshopSeries,
)
from eventhub.core.services import attendance, personal_data, retention
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import signup
from tests.scans import all_indicators, rows_naming

# What the participants of the old project gave: none of it may be left after retention.
AINO, AINO_NAME, AINO_PHONE = "aino@example.fi", "Aino Korhonen", "+358 40 765 4321"
KAARLO = "Kaarlo Korhonen"  # Aino's companion, without an address
PEKKA, PEKKA_NAME = "pekka.puro@example.fi", "Pekka Puro"  # a companion with his own address
LIIS, LIIS_NAME = "liis@example.ee", "Liis Kask"
LIGA, LIGA_NAME = "liga@example.lv", "Līga Ozola"
OLLI, OLLI_NAME = "olli@example.fi", "Ovensuu Olli"
FREE_TEXT = [
    "Tarvitsen induktiosilmukan",  # accessibility needs
    "Ei sipulia, kiitos",  # the answer to a question asked only after "yes"
    "Oskan kujundada plakateid",  # a team-search note
    "Laktoositon ruokavalio",  # a person who also takes part in a live project
]
GONE = [AINO, AINO_NAME, AINO_PHONE, KAARLO, PEKKA, PEKKA_NAME, LIIS, LIIS_NAME, LIGA, "Nelli",
        LIGA_NAME, OLLI, OLLI_NAME, *FREE_TEXT]  # fmt: skip
# Maija takes part in a live project as well: she keeps her name and address, Leo is only
# in the live project and keeps everything.
MAIJA, MAIJA_NAME = "maija@example.fi", "Maija Mäki"
LEO, LEO_NAME, LEO_NEEDS = "leo@example.fi", "Leo Live", "Tarvitsen tulkin"


class World:
    pass


def build(client) -> World:
    """An old project with a training (conditional questions, companions, a door tap), a
    hackathon (a team-search note), a workshop series (a whole-series enrolment) and a
    walk-in; a live project with Leo and Maija. Signups go through the forms."""
    w = World()
    w.old = factories.project(code="VANHA", name="Vanha hanke", collects_background=True)
    w.live = factories.project(code="ELAVA", name="Elävä hanke")
    w.admin = factories.user("admin@example.fi", role=Role.ADMIN)
    w.training = factories.event(title="Kyläilta", project=w.old, max_companions=2)
    meal = EventQuestion(event=w.training, position=1, label="Syötkö?", type=QuestionType.YES_NO)
    db.session.add(meal)
    db.session.flush()
    which = EventQuestion(
        event=w.training, position=2, label="Mitä et syö?", type=QuestionType.SHORT_TEXT,
        condition_question_id=meal.id, condition_answers=["yes"],
    )  # fmt: skip
    db.session.add(which)
    w.hackathon = factories.event(title="Loometalgud", kind=EventKind.HACKATHON, project=w.old)
    db.session.add(Challenge(event_id=w.hackathon.id, title="Noored maale", published=True))
    w.series = WorkshopSeries(name="Apkaimju darbnīcas", project=w.old)
    db.session.add(w.series)
    db.session.flush()
    w.sessions = [
        factories.event(title=f"Darbnīca {i}", kind=EventKind.WORKSHOP, project=w.old,
                        series_id=w.series.id,
                        starts_at=utcnow().replace(microsecond=0) + timedelta(days=10 + i))
        for i in (1, 2)
    ]  # fmt: skip
    w.live_event = factories.event(title="Uusi ilta", project=w.live)
    db.session.commit()

    answers = {f"q_{meal.id}": "yes", f"q_{which.id}": FREE_TEXT[1]}
    assert signup(client, w.training.id, name=AINO_NAME, email=AINO, phone=AINO_PHONE,
                  accessibility_needs=FREE_TEXT[0], companion_0_name=KAARLO,
                  companion_1_name=PEKKA_NAME, companion_1_email=PEKKA, companion_0_age="under_18",
                  gender="woman", age_band="55_plus", labour_status="unemployed",
                  **answers).status_code == 303  # fmt: skip
    assert signup(client, w.training.id, name=MAIJA_NAME, email=MAIJA, gender="man",
                  dietary_needs=FREE_TEXT[3]).status_code == 303  # fmt: skip
    assert signup(client, w.hackathon.id, name=LIIS_NAME, email=LIIS, fmt_team_mode="none",
                  fmt_looking="y", fmt_seeker_note=FREE_TEXT[2], gender="non_binary",
                  labour_status="in_education").status_code == 303  # fmt: skip
    url = f"/workshops/series/{w.series.id}"
    whole = client.post(f"{url}/register", data={
        "csrf_token": csrf_token(client, url), "name": LIGA_NAME, "email": LIGA,
        "consent": "y", "whole_series": "y",
    })  # fmt: skip
    assert whole.status_code == 303
    for name, email, needs in ((LEO_NAME, LEO, LEO_NEEDS), (MAIJA_NAME, MAIJA, "")):
        answer = signup(client, w.live_event.id, name=name, email=email, accessibility_needs=needs)
        assert answer.status_code == 303
    db.session.expire_all()
    aino = db.session.scalar(select(Registration).join(Person).where(Person.email == AINO))
    assert aino.answers == {str(meal.id): "yes", str(which.id): FREE_TEXT[1]}
    assert [c.person.name for c in aino.companions] == [KAARLO, PEKKA_NAME]
    assert (aino.gender, aino.companions[0].age_band) == ("woman", "under_18")
    assert db.session.scalar(select(TeamSeeker.note)) == FREE_TEXT[2]
    assert db.session.scalar(select(SeriesEnrolment.id)) is not None

    # The old project's events took place: check-ins, a door tap, a walk-in; then it ended.
    for event in (w.training, w.hackathon, *w.sessions):
        event.starts_at = utcnow() - timedelta(days=400)
        event.ends_at = event.starts_at + timedelta(hours=2)
    db.session.flush()
    for registration in (aino, *aino.companions):
        attendance.check_in(w.admin, registration)
    db.session.add(
        DoorTap(tap_id="tap-1", event_id=w.training.id, kind=TapKind.PRESENT,
                registration_id=aino.id, outcome=TapOutcome.ALREADY, tapped_at=utcnow())
    )  # fmt: skip
    attendance.add_walk_in(w.admin, w.training, OLLI_NAME, email=OLLI)
    attendance.add_walk_in(w.admin, w.sessions[0], "Nimetön Nelli")
    for event in (w.training, w.hackathon, *w.sessions):
        attendance.close_event(w.admin, event)
    w.old.ends_on = utcnow().date() - timedelta(days=200)
    w.old.retention_days = 30
    db.session.commit()
    w.kaarlo = aino.companions[0].person_id
    return w


def test_retention_clears_everything_the_participants_gave_and_keeps_every_figure(app):
    client = app.test_client()
    w = build(client)
    # Everything is there before (so the scan below can find it).
    assert {v for v in GONE if rows_naming([v])} == set(GONE)
    before = all_indicators()
    esf = before[w.old.id].esf  # the ESF+ answers are counted, so keeping them is checked
    assert (esf["gender"]["woman"], esf["age_band"]["under_18"]) == (1, 1)
    leo_before = rows_naming([LEO, LEO_NAME, LEO_NEEDS])
    assert {t for t, _ in leo_before} == {"person", "registration", "outbox_message"}

    report = retention.anonymise_expired()
    db.session.commit()

    assert rows_naming(GONE) == set(), "left after retention"
    assert all_indicators() == before
    # The live project keeps its own; Maija still takes part in it, so keeps name and address.
    assert rows_naming([LEO, LEO_NAME, LEO_NEEDS]) == leo_before
    maija = db.session.scalar(select(Person).where(Person.email == MAIJA))
    assert maija.name == MAIJA_NAME and maija.anonymised_at is None
    # The companion without an address went with his lead's project.
    kaarlo = db.session.get(Person, w.kaarlo)
    assert kaarlo.anonymised_at is not None and kaarlo.name == ""
    # A registered attendance keeps no walk-in name (NULL stays NULL): the figures say so too.
    # Persons: Aino, Kaarlo, Pekka, Liis, Līga, Olli and Nelli (a walk-in's own person).
    assert report.projects == 1 and report.walk_ins == 2 and report.persons == 7
    # Registrations: Aino, her two companions, Maija, Liis, Līga in two sessions.
    assert report.registrations == 7 and report.other_rows == 1  # the team-search note
    again = retention.anonymise_expired()
    assert again == retention.RetentionReport(projects=1)
    assert all_indicators() == before


def test_a_table_declared_personal_is_cleared_by_retention_and_erasure_alike(app):
    """The rule is COLUMNS: what it declares personal is what retention clears."""
    client = app.test_client()
    build(client)
    declared = personal_data.COLUMNS["team_seeker"]
    personal_data.COLUMNS["team_seeker"] = {"note": personal_data.Keep("pretend")}
    try:
        retention.anonymise_expired()
        db.session.commit()
        assert {t for t, _ in rows_naming(GONE)} == {"team_seeker"}
    finally:
        personal_data.COLUMNS["team_seeker"] = declared


def test_a_later_table_of_data_per_project_is_cleared_when_its_project_expires(app):
    """A table another branch adds (say follow-up answers per person and project) is cleared
    by retention once declared, for the expired project only, even for a person who still
    takes part elsewhere."""
    followup = Table(
        "x_followup", db.metadata,
        Column("id", Integer, primary_key=True),
        Column("person_id", ForeignKey("person.id")),
        Column("project_id", ForeignKey("project.id")),
        Column("answer", Text),
    )  # fmt: skip
    followup.create(db.engine)
    try:
        w = build(app.test_client())
        maija = db.session.scalar(select(Person.id).where(Person.email == MAIJA))
        db.session.execute(followup.insert(), [
            {"person_id": maija, "project_id": w.old.id, "answer": "Työllistyin syksyllä"},
            {"person_id": maija, "project_id": w.live.id, "answer": "Opiskelen nyt"},
        ])  # fmt: skip
        db.session.commit()
        personal_data.COLUMNS["x_followup"] = {"answer": personal_data.Clear("")}
        assert personal_data.undeclared() == []
        before = all_indicators()
        retention.anonymise_expired()
        db.session.commit()
        assert rows_naming(["Työllistyin"]) == set()
        assert {t for t, _ in rows_naming(["Opiskelen nyt", MAIJA_NAME])} >= {"x_followup"}
        assert all_indicators() == before
    finally:
        personal_data.COLUMNS.pop("x_followup", None)
        db.session.rollback()
        db.session.close()
        followup.drop(db.engine)
        db.metadata.remove(followup)
    assert personal_data.undeclared() == []
