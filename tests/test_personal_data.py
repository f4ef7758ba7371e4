"""Each person's rights over their data (GDPR art. 15-17): ask, confirm by mail, see and
download everything, correct, erase at once with every indicator unchanged; organisers see
the requests of their own projects only; requests expire.

The comparisons are generic: what a participant is shown is checked against a query over
every table of the metadata that refers to a person (or to their registrations and
attendance), and against a scan of every text column of every table for their name,
address, phone and free text. A table a later model adds is covered or fails here.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import Column, ForeignKey, Integer, Table, Text, select, update

from eventhub.core.db import utcnow
from eventhub.core.models import (
    AgeBand,
    Attendance,
    AuditEntry,
    DataRequest,
    DataRequestStatus,
    DoorTap,
    Event,
    EventQuestion,
    Gender,
    LabourStatus,
    Person,
    Project,
    Registration,
    Role,
    SurveyAnswer,
    SurveyInstrument,
    SurveyInvitation,
    SurveyResponse,
    TapKind,
    TapOutcome,
    TeamSeeker,
)
from eventhub.core.services import attendance, data_requests, jobs, personal_data, retention
from eventhub.core.services import registration as registrations
from eventhub.core.services.signup import Companion, SignupData
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import post_form, sign_in
from tests.scans import all_indicators, pk, rows_naming

DATA_LINK = re.compile(r"https?://[^\s\"<>]+(/my-data/[A-Za-z0-9_.\-]+)")

AINO = "Aino.Korhonen@example.fi"
AINO_NAME = "Aino Korhonen"
AINO_PHONE = "+358 40 123 4567"
COMPANION = "Kaarlo Korhonen"  # signed up by Aino, without an address of his own
FREE_TEXT = [
    "Tarvitsen pyörätuolipaikan",
    "Gluteeniton ruokavalio",
    "Osaan Pythonia ja kylätoimintaa",
    "Kyläkoulun tulevaisuus",
]


class World:
    pass


def _register(event: Event, name: str, email: str, **kw) -> Registration:
    data = SignupData(name=name, email=email, locale="fi", **kw)
    return registrations.register(event.id, data).registration


def build() -> World:
    """Aino takes part in two projects: registrations in both (one with a door tap, a team
    note, a survey mail), a walk-in with her address in the second, mail, audit entries.
    Eero and a nameless walk-in take part too and must stay as they are."""
    w = World()
    joensuu = factories.municipality()
    w.p1 = factories.project(code="KANTO", name="KANTO", collects_background=True)
    w.p2 = factories.project(code="VERSO", name="Verso")
    w.p3 = factories.project(code="MUU", name="Muu hanke")
    w.m1 = factories.user("m1@example.fi", role=Role.MANAGER, projects=[w.p1])
    w.m3 = factories.user("m3@example.fi", role=Role.MANAGER, projects=[w.p3])
    w.admin = factories.user("admin@example.fi", role=Role.ADMIN)
    w.e1 = factories.event(title="Kylätalo-ilta", project=w.p1, max_companions=1)
    w.e2 = factories.event(title="Hankeklinikka", project=w.p2)
    w.e3 = factories.event(title="Verso-kahvila", project=w.p2, capacity=None)
    w.e1.questions.append(EventQuestion(label="Mistä aiheesta haluat puhua?", type="short_text"))
    db.session.flush()
    q = w.e1.questions[0].id
    w.r1 = _register(
        w.e1, AINO_NAME, AINO, phone=AINO_PHONE, accessibility_needs=FREE_TEXT[0],
        dietary_needs=FREE_TEXT[1], answers={str(q): FREE_TEXT[3]}, gender=Gender.WOMAN,
        age_band=AgeBand.AGE_18_29, organisation_name="Kylätalo ry", municipality_id=joensuu.id,
        companions=[Companion(name=COMPANION)],
    )  # fmt: skip
    w.r2 = _register(
        w.e2, "Aino K.", AINO.lower(), labour_status=LabourStatus.UNEMPLOYED, gender=Gender.MAN
    )
    w.eero = _register(w.e1, "Eero Eskola", "eero@example.fi", dietary_needs="Vegaani")
    db.session.commit()
    # The events took place: check-ins, walk-ins, the door app, then closed.
    for event in (w.e1, w.e2, w.e3):
        event.starts_at = utcnow() - timedelta(days=3)
        event.ends_at = event.starts_at + timedelta(hours=2)
    db.session.flush()
    attendance.check_in(w.m1, w.r1)
    attendance.check_in(w.m1, w.r1.companions[0])
    attendance.check_in(w.admin, w.r2, via="qr")
    attendance.check_in(w.m1, w.eero)
    attendance.add_walk_in(w.admin, w.e3, AINO_NAME, email=AINO)
    attendance.add_walk_in(w.admin, w.e3, "Ovensuu Olli")
    db.session.add(TeamSeeker(registration_id=w.r2.id, note=FREE_TEXT[2]))
    db.session.add(SurveyInvitation(registration_id=w.r1.id))
    db.session.add(
        DoorTap(tap_id="tap-1", event_id=w.e1.id, kind=TapKind.PRESENT, registration_id=w.r1.id,
                outcome=TapOutcome.ALREADY, tapped_at=utcnow())
    )  # fmt: skip
    survey = SurveyInstrument(project=w.p1, name="Palaute", statements=["Hyödyllinen"])
    db.session.add(survey)
    response = SurveyResponse(instrument=survey, event=w.e1)
    response.answers = [SurveyAnswer(statement_no=1, value=4)]
    db.session.add(response)
    for event in (w.e1, w.e2, w.e3):
        attendance.close_event(w.admin, event)
    db.session.commit()
    w.aino = db.session.scalar(select(Person).where(Person.email_normalised == AINO.lower()))
    return w


# --- generic views of the database, written apart from the service ---------------------------


def rows_referring_to(person_id: int) -> set[tuple[str, tuple]]:
    """Every row of every table with a foreign key to the person, or to a row found so (their
    registrations and attendance...), repeated until nothing new turns up. Rows owned by
    another person (their own person column says so) are theirs, not hers, unless that
    person has no address of their own (a companion she signed up by name)."""

    def has_address(owner: int) -> bool:
        other = db.session.get(Person, owner)
        return other.email_normalised is not None or other.anonymised_at is not None

    found: dict[str, set] = {"person": {person_id}}
    result = {("person", (person_id,))}
    grew = True
    while grew:
        grew = False
        for table in db.metadata.sorted_tables:
            for fk in table.foreign_keys:
                ids = found.get(fk.column.table.name)
                if not ids:
                    continue
                for row in db.session.execute(select(table).where(fk.parent.in_(ids))):
                    owners = [
                        row._mapping[f.parent.name]
                        for f in table.foreign_keys
                        if f.column.table.name == "person"
                    ]
                    if any(o not in (None, person_id) and has_address(o) for o in owners):
                        continue
                    key = (table.name, pk(table, row))
                    if key not in result:
                        result.add(key)
                        grew = True
                        if len(key[1]) == 1:
                            found.setdefault(table.name, set()).add(key[1][0])
    # A companion without an address named in her rows, and nowhere else, is hers too.
    for name, owner in {
        (t.name, f.parent.name)
        for t in db.metadata.sorted_tables
        for f in t.foreign_keys
        if f.column.table.name == "person"
    }:
        table = db.metadata.tables[name]
        for row in db.session.execute(select(table).where(table.c[owner] != person_id)):
            if (name, pk(table, row)) in result and not has_address(row._mapping[owner]):
                result.add(("person", (row._mapping[owner],)))
    return result


def exported_keys(data: dict) -> set[tuple[str, tuple]]:
    keys = set()
    tables = db.metadata.tables
    for name, rows in data["records"].items():
        cols = [c.name for c in tables[name].primary_key.columns]
        keys |= {(name, tuple(r[c] for c in cols)) for r in rows}
    keys |= {("outbox_message", (m["id"],)) for m in data["mail"]}
    keys |= {("audit_entry", (a["id"],)) for a in data["audit"]}
    return keys


# --- through the pages, as a participant ------------------------------------------------------


def ask(client, email: str):
    token = csrf_token(client, "/my-data")
    response = client.post("/my-data", data={"csrf_token": token, "email": email})
    return response.status_code, response.get_data(as_text=True)


def data_link(mailbox, address: str) -> str:
    [mail] = [m for m in mailbox.to(address) if "/my-data/" in m.get_body(("plain",)).get_content()]
    return DATA_LINK.search(mail.get_body(("plain",)).get_content()).group(1)


def open_and_confirm(client, link: str) -> str:
    page = client.get(link)
    assert page.status_code == 200 and "Show my data" in page.get_data(as_text=True)
    post_form(client, f"{link}/confirm", token_from=link)
    page = client.get(link)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_every_table_that_can_hold_a_person_is_declared(app):
    assert personal_data.undeclared() == []
    # A table a later branch adds without saying what it holds fails loudly.
    notes = Table(
        "x_companion_note", db.metadata,
        Column("id", Integer, primary_key=True),
        Column("registration_id", ForeignKey("registration.id")),
        Column("note", Text),
    )  # fmt: skip
    try:
        assert any("x_companion_note" in p for p in personal_data.undeclared())
        personal_data.COLUMNS["x_companion_note"] = {}
        assert personal_data.undeclared() == ["column x_companion_note.note: declare it in COLUMNS"]
    finally:
        personal_data.COLUMNS.pop("x_companion_note", None)
        db.metadata.remove(notes)
    assert personal_data.undeclared() == []


def test_the_export_holds_every_row_that_names_the_participant(app, mailbox):
    w = build()
    client = app.test_client()
    status, _body = ask(client, "aino.korhonen@EXAMPLE.fi")
    assert status == 200
    link = data_link(mailbox, AINO)
    page = open_and_confirm(client, link)
    for shown in (AINO_NAME, "Kylätalo-ilta", "Hankeklinikka", "Verso-kahvila", FREE_TEXT[0],
                  FREE_TEXT[2], FREE_TEXT[3], "KANTO", "Verso"):  # fmt: skip
        assert shown in page, shown
    assert "Eero" not in page and "Ovensuu" not in page and "Vegaani" not in page
    download = client.get(f"{link}/data.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.get_data(as_text=True))

    keys = exported_keys(data)
    referring = rows_referring_to(w.aino.id)
    assert {k for k in keys if k[0] not in ("outbox_message", "audit_entry")} == referring
    # Both projects, the walk-in, the door tap, the team note, the survey mail: all there.
    assert {t for t, _ in referring} >= {
        "person",
        "registration",
        "attendance",
        "door_tap",
        "team_seeker",
        "survey_invitation",
        "data_request",
    }
    # Her two registrations and the companion's she made, her three participations and his.
    assert len(data["records"]["registration"]) == 3 and len(data["records"]["attendance"]) == 4
    assert [p["name"] for p in data["records"]["person"]] == [AINO_NAME, COMPANION]
    # Every row of any table whose text names her (mail, audit...) is in the export.
    naming = rows_naming([AINO, AINO_NAME, AINO_PHONE, COMPANION, *FREE_TEXT])
    assert naming and naming <= keys, naming - keys
    assert any(m["kind"] == "confirmation" for m in data["mail"])
    checked_in = {a["action"] for a in data["audit"]}
    assert {"checked_in", "walk_in_added", "data_request_made", "data_request_confirmed"} <= (
        checked_in
    )
    assert "manage_token_hash" not in json.dumps(data)  # secrets stay out
    # Survey answers are anonymous: no row of them is tied to her, none is exported.
    assert "survey_response" not in data["records"]
    exported = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "personal_data_exported")
    ).all()
    assert exported == ["personal_data_exported"]


def test_erasure_removes_every_trace_and_keeps_every_indicator(app, mailbox):
    w = build()
    before = all_indicators()
    eero_before = rows_naming(["Eero Eskola", "Vegaani"])
    first_manage_link = "/manage/" + registrations.lasting_token(w.r1)
    client = app.test_client()
    # Asked from a manage link this time.
    assert client.get(first_manage_link).status_code == 200
    response = post_form(client, f"{first_manage_link}/my-data", token_from=first_manage_link)
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    link = data_link(mailbox, AINO)
    open_and_confirm(client, link)
    response = post_form(client, f"{link}/erase", token_from=link)
    assert response.status_code == 422  # the box must be ticked
    assert "Please tick the box" in response.get_data(as_text=True)
    response = post_form(client, f"{link}/erase", {"sure": "y"}, token_from=link)
    assert response.status_code == 303
    done = client.get(link).get_data(as_text=True)
    assert "Your data has been erased" in done

    assert all_indicators() == before
    assert rows_naming([AINO, AINO_NAME, "Aino K.", AINO_PHONE, COMPANION, *FREE_TEXT]) == set()
    assert rows_naming(["Eero Eskola", "Vegaani"]) == eero_before  # nobody else's
    assert client.get(first_manage_link).status_code == 404
    request = db.session.scalar(select(DataRequest))
    assert request.status == DataRequestStatus.ERASED
    # The request stays as the record that it was answered: ids only.
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "datarequest")
    ).all()
    assert actions == ["data_request_made", "data_request_confirmed", "personal_data_erased"]
    # Retention later finds nothing left to do for her, and the figures still hold.
    db.session.execute(update(Project).values(ends_on=utcnow().date() - timedelta(days=3650)))
    retention.anonymise_expired()
    db.session.commit()
    assert rows_naming([AINO, AINO_NAME]) == set()


def test_the_public_page_answers_the_same_for_known_and_unknown_addresses(app, mailbox):
    build()
    mailbox.clear()
    known = ask(app.test_client(), AINO)
    unknown = ask(app.test_client(), "nobody@example.fi")
    assert known == unknown and known[0] == 200
    assert mailbox.to("nobody@example.fi") == [] and len(mailbox.to(AINO)) == 1
    assert db.session.scalar(select(DataRequest.person_id)) is not None
    assert len(db.session.scalars(select(DataRequest)).all()) == 1  # nothing for the unknown


def test_the_public_page_checks_the_address_and_is_rate_limited(app, mailbox):
    app.config["SIGNUP_RATE_LIMIT"] = "2 per minute"
    client = app.test_client()
    status, body = ask(client, "not an address")
    assert status == 422 and "Please enter a valid email address" in body
    ask(client, "a@example.fi")
    assert ask(client, "b@example.fi")[0] == 429


def test_corrections_are_saved_and_audited_and_a_taken_address_is_refused(app, mailbox):
    w = build()
    client = app.test_client()
    ask(client, AINO)
    link = data_link(mailbox, AINO)
    open_and_confirm(client, link)
    taken = post_form(
        client, f"{link}/correct", {"name": AINO_NAME, "email": "eero@example.fi"}, token_from=link
    )
    assert taken.status_code == 422 and "has registrations of its own" in taken.get_data(
        as_text=True
    )
    response = post_form(
        client, f"{link}/correct",
        {"name": "Aino Virtanen", "phone": "040 765 4321", "email": "aino.v@example.fi"},
        token_from=link,
    )  # fmt: skip
    assert response.status_code == 303
    person = db.session.get(Person, w.aino.id)
    assert (person.name, person.phone, person.email) == (
        "Aino Virtanen", "040 765 4321", "aino.v@example.fi"
    )  # fmt: skip
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "personal_data_corrected")
    )
    assert entry.details == {"fields": ["name", "phone", "email"]}
    assert "Aino Virtanen" in client.get(link).get_data(as_text=True)


def test_a_companion_named_elsewhere_too_keeps_their_person_row(app):
    """A companion without an address goes with the person who signed them up only when
    nothing else names them: here an organiser also recorded him as a walk-in elsewhere."""
    w = build()
    kaarlo = w.r1.companions[0]
    db.session.add(Attendance(event_id=w.e3.id, person_id=kaarlo.person_id, walk_in_name=COMPANION))
    db.session.commit()
    before = all_indicators()
    found = personal_data.find([w.aino.id], AINO)
    assert ("person", (kaarlo.person_id,)) not in {
        (t, pk) for t, pks in found.rows.items() for pk in pks
    }
    assert (kaarlo.id,) in found.rows["registration"]  # what she gave about him is hers
    personal_data.erase(found)
    db.session.commit()
    assert all_indicators() == before
    assert db.session.get(Person, kaarlo.person_id).name == COMPANION
    assert db.session.get(Registration, kaarlo.id).manage_token_hash.startswith("anonymised-")
    assert {t for t, _ in rows_naming([COMPANION])} == {"person", "attendance"}


def test_a_place_at_an_event_to_come_is_given_back_before_erasure(app, mailbox):
    w = build()
    upcoming = factories.event(title="Tuleva ilta", project=w.p1)
    _register(upcoming, AINO_NAME, AINO)
    db.session.commit()
    client = app.test_client()
    ask(client, AINO)
    link = data_link(mailbox, AINO)
    page = open_and_confirm(client, link)
    assert "Tuleva ilta" in page and 'id="upcoming-places"' in page
    response = post_form(client, f"{link}/erase", {"sure": "y"}, token_from=link)
    assert response.status_code == 422 and "Cancel it first" in response.get_data(as_text=True)
    assert db.session.get(Person, w.aino.id).name == AINO_NAME  # nothing half done


def test_organisers_see_requests_of_their_projects_only_and_act_on_what_is_kept(app, mailbox):
    w = build()
    before = all_indicators()
    reason = (
        "ESR+-hankkeen osallistujalistat säilytetään tarkastusta varten (EU 2021/1060, 82 art.)"
    )
    m1 = app.test_client()
    sign_in(m1, "m1@example.fi")
    assert post_form(m1, f"/organiser/projects/{w.p1.id}/erasure-hold", {"reason": reason},
                     token_from="/organiser/data-requests").status_code == 303  # fmt: skip
    participant = app.test_client()
    ask(participant, AINO)
    link = data_link(mailbox, AINO)
    open_and_confirm(participant, link)
    post_form(participant, f"{link}/erase", {"sure": "y"}, token_from=link)
    done = participant.get(link).get_data(as_text=True)
    assert reason in done
    request = db.session.scalar(select(DataRequest))
    assert request.status == DataRequestStatus.KEPT
    assert request.kept_reasons == {str(w.p1.id): reason}
    # Verso's records are gone; KANTO keeps its own, and with them her name.
    r2 = db.session.get(Registration, w.r2.id)
    r1 = db.session.get(Registration, w.r1.id)
    assert r2.manage_token_hash.startswith("anonymised-")
    assert r1.accessibility_needs == FREE_TEXT[0]
    assert db.session.scalar(select(TeamSeeker.note)) == ""
    assert all_indicators() == before

    page = m1.get("/organiser/data-requests").get_data(as_text=True)
    assert f"#{request.id}" in page and reason in page and "a project keeps records" in page
    # The reference, the dates and the projects; never who asked (the kept records still
    # hold her name, the page does not show it).
    assert db.session.get(Person, w.aino.id).name == AINO_NAME
    assert AINO_NAME not in page and AINO not in page and AINO.lower() not in page
    assert all(f"<dt>{step}</dt>" in page for step in ("Asked", "Confirmed", "Erased"))
    other = app.test_client()
    sign_in(other, "m3@example.fi")
    page = other.get("/organiser/data-requests")
    assert page.status_code == 200 and f"#{request.id}" not in page.get_data(as_text=True)
    assert AINO_NAME not in page.get_data(as_text=True)
    refused = post_form(
        other, f"/organiser/data-requests/{request.id}/release/{w.p1.id}",
        token_from="/organiser/data-requests",
    )  # fmt: skip
    assert refused.status_code == 404
    assert db.session.get(Registration, w.r1.id).accessibility_needs == FREE_TEXT[0]

    released = post_form(m1, f"/organiser/data-requests/{request.id}/release/{w.p1.id}",
                         token_from="/organiser/data-requests")  # fmt: skip
    assert released.status_code == 303
    assert rows_naming([AINO, AINO_NAME, AINO_PHONE, COMPANION, *FREE_TEXT]) == set()
    assert db.session.get(DataRequest, request.id).status == DataRequestStatus.ERASED
    assert all_indicators() == before
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert {"erasure_hold_set", "personal_data_erased", "erasure_released"} <= set(actions)


def test_links_expire_and_requests_close(app, mailbox):
    [job] = [j for j in jobs.periodic_jobs() if j.name == "data_requests"]
    assert job.run == data_requests.close_expired  # the worker runs it hourly
    build()
    client = app.test_client()
    ask(client, AINO)
    link = data_link(mailbox, AINO)
    request = db.session.scalar(select(DataRequest))
    request.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert client.get(link).status_code == 404  # not confirmed within a day
    assert data_requests.close_expired() == "data requests: 1 links expired, 0 requests closed"
    assert db.session.get(DataRequest, request.id).status == DataRequestStatus.EXPIRED

    mailbox.clear()
    ask(client, AINO)
    link = data_link(mailbox, AINO)
    open_and_confirm(client, link)
    second = db.session.scalar(select(DataRequest).where(DataRequest.id != request.id))
    second.created_at = utcnow() - timedelta(days=29)
    db.session.commit()
    assert client.get(link).status_code == 200  # confirmed: open for 30 days
    second.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert client.get(link).status_code == 404
    closing = app.test_cli_runner().invoke(args=["eventhub", "close-data-requests"])
    assert closing.exit_code == 0 and "1 requests closed" in closing.output
    assert db.session.get(DataRequest, second.id).status == DataRequestStatus.CLOSED
    assert client.get("/my-data/forged.token").status_code == 404


@pytest.mark.parametrize("locale", ["fi", "lv", "et"])
def test_the_confirmation_mail_speaks_the_page_language(app, mailbox, locale):
    build()
    client = app.test_client()
    client.get(f"/language/{locale}")
    ask(client, AINO)
    [mail] = mailbox.to(AINO)
    assert "24" in mail.get_body(("plain",)).get_content()
    assert "Somebody (probably you)" not in mail.get_body(("plain",)).get_content()
