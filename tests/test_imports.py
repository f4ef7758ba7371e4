"""Import by file: guidance logs, sign-in sheets and past events, through the organiser's
pages with CSRF on. Files are written here by hand or by openpyxl, as an organiser's
spreadsheet would write them; nothing is written until the organiser confirms."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    AuditEntry,
    Event,
    EventKind,
    EventStatus,
    GuidanceSession,
    GuidanceTopic,
    Headcount,
    ImportBatch,
    ImportStatus,
    Municipality,
    Organisation,
    OutboxMessage,
    Person,
    Place,
    Registration,
    RegistrationStatus,
    Role,
    SurveyInstrument,
    normalise_email,
)
from eventhub.core.services import surveys
from eventhub.core.services.tokens import new_token
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import sign_in

TOKEN_RE = re.compile(r"/organiser/imports/([A-Za-z0-9_-]+)")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def setup(app, client):
    """A project with three guidance topics, two municipalities, a manager signed in."""
    project = factories.project(name="KANTO", collects_background=True)
    joensuu = factories.municipality("Joensuu")
    factories.municipality("Lieksa")
    for position, name in enumerate(["Funding", "Budget", "Reporting"], 1):
        db.session.add(GuidanceTopic(project_id=project.id, name=name, position=position))
    factories.user("anne@example.fi", projects=[project])
    db.session.commit()
    sign_in(client, "anne@example.fi")
    return project, joensuu


def upload(client, project, data: bytes, filename: str, kind: str = "guidance", event=None):
    url = f"/organiser/projects/{project.id}/imports"
    form = {
        "csrf_token": csrf_token(client, url),
        "kind": kind,
        "file": FileStorage(io.BytesIO(data), filename=filename),
    }
    if event is not None:
        form["event"] = str(event.id)
    # Encoded here, as a browser would send it: the test client would spool a large body to
    # a temporary file that a refused (413) request leaves open.
    boundary, body = encode_multipart(form)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def preview_of(client, response) -> tuple[str, str]:
    """Follow the upload to its preview; the preview's token and text."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    token = TOKEN_RE.search(response.headers["Location"]).group(1)
    page = client.get(f"/organiser/imports/{token}")
    assert page.status_code == 200
    return token, page.get_data(as_text=True)


def confirm(client, token: str):
    return client.post(
        f"/organiser/imports/{token}/confirm",
        data={"csrf_token": csrf_token(client, f"/organiser/imports/{token}")},
    )


def days_ago(n: int) -> date:
    return utcnow().date() - timedelta(days=n)


def guidance_csv(
    rows: list[str], header="Date;Organisation;Municipality;Topics;Duration (minutes);Notes"
):
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()


def test_guidance_file_previews_then_imports_once_and_can_be_undone(setup, client):
    project, _joensuu = setup
    d1, d2 = days_ago(30).isoformat(), days_ago(20).strftime("%d.%m.%Y")
    data = guidance_csv(
        [
            f"{d1};Kyläyhdistys ry;Joensuu;Funding;60;first call",
            f'{d2};Nuorisoseura;Lieksa;"Funding; Budget";90;',
            f"{d2};kyläyhdistys RY;;Reporting;;",
        ]
    )
    token, page = preview_of(client, upload(client, project, data, "guidance.csv"))
    assert "Rows to add: 3" in page
    assert "Funding; Budget" in page
    assert count(GuidanceSession) == 0  # a preview writes nothing

    assert confirm(client, token).status_code == 303
    sessions = db.session.scalars(select(GuidanceSession).order_by(GuidanceSession.id)).all()
    assert [len(s.topics) for s in sessions] == [1, 2, 1]
    assert [s.duration_minutes for s in sessions] == [60, 90, None]
    assert sessions[0].organisation is sessions[2].organisation  # one organisation, any case
    assert sessions[0].organisation.municipality.name == "Joensuu"
    assert (
        db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "import_confirmed")
        ).details["rows_added"]
        == 3
    )

    # The same file again: every row is there already, nothing to add.
    token2, page = preview_of(client, upload(client, project, data, "guidance.csv"))
    assert "Rows already there (not added again): 3" in page
    assert "Rows to add: 0" in page
    confirm(client, token2)
    assert count(GuidanceSession) == 3

    # A second confirm of the first preview adds nothing either.
    again = confirm(client, token)
    assert again.status_code == 303
    assert count(GuidanceSession) == 3

    undo = client.post(
        f"/organiser/imports/{token}/undo",
        data={"csrf_token": csrf_token(client, f"/organiser/projects/{project.id}/imports")},
    )
    assert undo.status_code == 303
    assert count(GuidanceSession) == 0
    assert db.session.scalar(select(ImportBatch.status).where(ImportBatch.token == token)) == (
        ImportStatus.UNDONE
    )
    # Organisations the import created went with it.
    assert count(Organisation) == 0
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "import_undone")) == 1
    # After undo, the same file imports again.
    token3, page = preview_of(client, upload(client, project, data, "guidance.csv"))
    assert "Rows to add: 3" in page


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_dates_and_formula_cells_keeps_formulas_as_text(setup, client):
    project, _ = setup
    formula = '=HYPERLINK("http://evil.example","<b>click</b>")'
    data = _xlsx(
        [
            ["Date", "Organisation", "Municipality", "Topics", "Duration (minutes)", "Notes"],
            [days_ago(10), "Kyläyhdistys ry", "Joensuu", "Budget", 45, formula],
            [days_ago(9), "@SUM(A1)", None, "Budget", None, "+1"],
        ]
    )
    token, page = preview_of(client, upload(client, project, data, "log.xlsx"))
    assert "<b>click</b>" not in page  # shown as text, never as markup
    assert "&lt;b&gt;click&lt;/b&gt;" in page
    confirm(client, token)
    notes = db.session.scalars(select(GuidanceSession.note).order_by(GuidanceSession.id)).all()
    assert notes == [formula, "+1"]  # kept as typed, not evaluated
    assert db.session.scalar(select(Organisation.name).where(Organisation.name.like("@%"))) == (
        "@SUM(A1)"
    )


def test_template_comes_in_the_ui_language_and_reads_back(setup, client):
    project, _ = setup
    client.get("/language/fi")
    response = client.get(f"/organiser/projects/{project.id}/imports/template/guidance.xlsx")
    header = [c.value for c in openpyxl.load_workbook(io.BytesIO(response.data)).active[1]]
    assert header[0] == "Päivämäärä"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    book.active.append([days_ago(3), "Kyläyhdistys ry", "Joensuu", "Funding|Budget", "1:30", ""])
    out = io.BytesIO()
    book.save(out)
    token, _page = preview_of(client, upload(client, project, out.getvalue(), "fi.xlsx"))
    confirm(client, token)
    session = db.session.scalar(select(GuidanceSession))
    assert session.duration_minutes == 90
    assert sorted(t.name for t in session.topics) == ["Budget", "Funding"]

    csv_template = client.get(f"/organiser/projects/{project.id}/imports/template/attendance.csv")
    text = csv_template.data.decode("utf-8-sig")
    assert text.startswith("Nimi,")
    assert "Sukupuoli" in text  # the project collects ESF+ background


# --- malformed files: a message, and nothing written -----------------------------------------

D = days_ago(5).isoformat()
MALFORMED = {
    "wrong_encoding": (
        "Date;Organisation;Municipality;Topics\r\n{D};Yhdistys Ä;Joensuu;Funding\r\n",
        "latin-1",
        "not in UTF-8",
    ),
    "missing_columns": ("Date;Organisation\r\n{D};Yhdistys\r\n", "utf-8", "Topics"),
    "bad_date": (
        "Date;Organisation;Municipality;Topics\r\n31.2.2025;Yhdistys;Joensuu;Funding\r\n",
        "utf-8",
        "<td>2</td><td>“31.2.2025” is not a date",
    ),
    "unknown_topic": (
        'Date;Organisation;Municipality;Topics\r\n{D};Yhdistys;Joensuu;"Funding; Astrology"\r\n',
        "utf-8",
        "<td>2</td><td>Unknown topic “Astrology”",
    ),
    "duplicate_rows": (
        "Date,Organisation,Municipality,Topics\r\n{D},Yhdistys,Joensuu,Funding\r\n"
        "{D},Yhdistys,Joensuu,Funding\r\n",
        "utf-8",
        "<td>3</td><td>This row repeats row 2",
    ),
    "unknown_municipality": (
        "Date;Organisation;Municipality;Topics\r\n{D};Yhdistys;Atlantis;Funding\r\n",
        "utf-8",
        "Unknown municipality “Atlantis”",
    ),
    "formula_in_a_date": (
        "Date;Organisation;Municipality;Topics\r\n=TODAY();Yhdistys;Joensuu;Funding\r\n",
        "utf-8",
        "“=TODAY()” is not a date",
    ),
    "not_a_spreadsheet": ("%PDF-1.4\x00\x00binary", "latin-1", "not a CSV or XLSX"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_guidance_files_get_a_message_and_write_nothing(setup, client, case):
    project, _ = setup
    text, encoding, message = MALFORMED[case]
    data = text.replace("{D}", D).encode(encoding)
    response = upload(client, project, data, "bad.csv")
    if response.status_code == 303:  # row-level: a preview that lists the errors
        token, page = preview_of(client, response)
        refused = confirm(client, token)
        assert refused.status_code == 303
        assert f"/organiser/imports/{token}/confirm" not in page  # no button to confirm
        page = client.get(f"/organiser/imports/{token}").get_data(as_text=True)
    else:  # file-level: the form comes back with the message
        assert response.status_code == 422
        page = response.get_data(as_text=True)
    assert message in page.replace("&#34;", '"').replace("&#39;", "'"), page[-3000:]
    assert count(GuidanceSession) == 0
    assert count(Organisation) == 0
    assert (
        db.session.scalar(select(func.count()).where(ImportBatch.status == ImportStatus.IMPORTED))
        == 0
    )


def test_a_20_mb_file_gets_a_clear_message_not_a_500(setup, client):
    project, _ = setup
    data = guidance_csv([f"{D};Yhdistys;Joensuu;Funding;;" + "x" * 1000] * 21_000)
    assert len(data) > 20 * 1024 * 1024
    response = upload(client, project, data, "huge.csv")
    assert response.status_code == 413
    assert "The largest file accepted is 5 MB" in response.get_data(as_text=True)
    assert count(ImportBatch) == 0


def test_too_many_rows_get_a_clear_message(app, setup, client):
    project, _ = setup
    app.config["IMPORT_MAX_ROWS"] = 3
    data = guidance_csv([f"{D};Yhdistys {n};Joensuu;Funding;;" for n in range(4)])
    response = upload(client, project, data, "many.csv")
    assert response.status_code == 422
    assert "more than 3 rows" in response.get_data(as_text=True)
    assert count(ImportBatch) == 0


# --- attendance and past events ---------------------------------------------------------------


def test_attendance_sheet_adds_walk_ins_and_checks_in_the_registered_without_mail(
    setup, client, mailbox
):
    project, joensuu = setup
    event = factories.event(
        project_id=project.id, starts_at=utcnow() - timedelta(days=7), municipality_id=joensuu.id
    )
    known = Person(name="Aino", email="aino@example.fi", email_normalised="aino@example.fi")
    db.session.add(known)
    db.session.flush()
    registration = Registration(
        event=event,
        person=known,
        status=RegistrationStatus.CONFIRMED,
        manage_token_hash=new_token()[1],
    )
    db.session.add(registration)
    db.session.commit()
    mailbox.clear()
    data = (
        "Name,Email,Organisation,Municipality,Gender,Age band,Labour-market status\r\n"
        "Aino Korhonen,AINO@example.fi,Kyläyhdistys ry,Joensuu,,,\r\n"
        "Pekka Virtanen,pekka@example.fi,,Lieksa,Man,30-54,Employed\r\n"
        "Liisa,,,,nainen,,\r\n"
    ).encode()
    token, page = preview_of(
        client, upload(client, project, data, "sheet.csv", "attendance", event)
    )
    assert "Rows to add: 3" in page
    confirm(client, token)
    rows = db.session.scalars(select(Attendance).order_by(Attendance.id)).all()
    assert rows[0].registration_id == registration.id  # the registered person is checked in
    assert rows[1].person.email_normalised == normalise_email("pekka@example.fi")
    assert (rows[1].gender, rows[1].age_band, rows[1].labour_status) == (
        "man",
        "30_54",
        "employed",
    )
    assert rows[2].walk_in_name == "Liisa" and rows[2].gender == "woman"  # Finnish label
    assert count(OutboxMessage) == 0 and mailbox.messages == []  # imported people get no mail
    # Not even the survey after the event, though Aino registered herself.
    db.session.add(SurveyInstrument(project_id=project.id, name="Palaute", statements=["Hyvä"]))
    db.session.get(Event, event.id).closed_at = utcnow()
    db.session.commit()
    assert surveys.queue_invitations() == 0

    # Once recorded, the same sheet adds nobody.
    _t, page = preview_of(client, upload(client, project, data, "sheet.csv", "attendance", event))
    assert "Rows already there (not added again): 3" in page


def test_attendance_places_are_found_within_their_municipality(setup, client):
    project, joensuu = setup
    lieksa = db.session.scalar(select(Municipality).where(Municipality.name == "Lieksa"))
    reijola = Place(municipality=joensuu, name="Reijola")
    db.session.add_all([reijola, Place(municipality=lieksa, name="Pankakoski")])
    event = factories.event(project_id=project.id, starts_at=utcnow() - timedelta(days=7))
    db.session.commit()
    template = client.get(f"/organiser/projects/{project.id}/imports/template/attendance.csv")
    assert "Municipality,Place," in template.data.decode("utf-8-sig")

    # A place of another municipality, an unknown one, one without a municipality: each is
    # its row's error, and nothing of the file is written (the good row neither).
    bad = (
        b"Name,Municipality,Place\r\n"
        b"Aino,JOENSUU,reijola\r\n"
        b"Pekka,Joensuu,Pankakoski\r\n"
        b"Liisa,Joensuu,Atlantis\r\n"
        b"Matti,,Reijola\r\n"
    )
    token, page = preview_of(client, upload(client, project, bad, "s.csv", "attendance", event))
    page = page.replace("&#34;", '"')
    assert "There is no place “Pankakoski” in Joensuu." in page
    assert "There is no place “Atlantis” in Joensuu." in page
    assert "The place “Reijola” needs its municipality in the same row." in page
    assert f"/organiser/imports/{token}/confirm" not in page
    confirm(client, token)
    assert count(Attendance) == 0 and count(Person) == 0

    # Accents and case aside, a place of the row's municipality is taken onto the row.
    good = "Name,Municipality,Place\r\nAino,JOENSUU,réijola\r\nPekka,Lieksa,\r\n".encode()
    token, page = preview_of(client, upload(client, project, good, "s.csv", "attendance", event))
    assert "Reijola" in page  # the preview names the place found
    confirm(client, token)
    rows = db.session.scalars(select(Attendance).order_by(Attendance.id)).all()
    assert [(a.walk_in_name, a.municipality_id, a.place_id) for a in rows] == [
        ("Aino", joensuu.id, reijola.id),
        ("Pekka", lieksa.id, None),
    ]


def test_past_events_with_headcounts_and_outreach(setup, client):
    project, _ = setup
    data = (
        "Date;Title;Kind of event;Municipality;Venue;Headcount;At another organiser's event\r\n"
        f"{days_ago(200)};Rahoitusinfo;Info session;Joensuu;Kirjasto;25;no\r\n"
        f"{days_ago(150)};Talk at the village fair;info_session;Lieksa;;120;yes\r\n"
        f"{days_ago(100)};Koulutus;Koulutus;Joensuu;;;\r\n"
    ).encode()
    token, page = preview_of(client, upload(client, project, data, "past.csv", "past_events"))
    assert "Rows to add: 3" in page
    confirm(client, token)
    events = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
    assert [e.kind for e in events] == [
        EventKind.INFO_SESSION,
        EventKind.INFO_SESSION,
        EventKind.TRAINING,
    ]
    assert all(e.status == EventStatus.HELD and e.closed_at for e in events)
    assert [e.is_outreach for e in events] == [False, True, False]
    assert sorted(db.session.scalars(select(Headcount.count))) == [25, 120]
    assert events[0].local_start.date() == days_ago(200)

    client.post(
        f"/organiser/imports/{token}/undo",
        data={"csrf_token": csrf_token(client, f"/organiser/projects/{project.id}/imports")},
    )
    assert count(Event) == 0 and count(Headcount) == 0


def test_imports_of_another_project_are_not_found(setup, client):
    project, _ = setup
    token, _page = preview_of(
        client, upload(client, project, guidance_csv([f"{D};Y;;Funding;;"]), "g.csv")
    )
    other = factories.project(name="Other")
    factories.user("olli@example.fi", projects=[other])
    factories.user("check@example.fi", role=Role.CHECKIN)
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/organiser/")})
    sign_in(client, "olli@example.fi")
    assert client.get(f"/organiser/projects/{project.id}/imports").status_code == 404
    assert client.get(f"/organiser/imports/{token}").status_code == 404
    assert (
        client.get(f"/organiser/projects/{project.id}/imports/template/guidance.csv").status_code
        == 404
    )
    assert client.get(f"/organiser/projects/{other.id}/imports").status_code == 200


def test_a_confirm_that_fails_half_way_writes_none_of_the_rows(setup, client):
    """All rows or none: the second row's person was recorded at the event between the
    preview and the confirm, so the first row is not kept either."""
    project, _ = setup
    event = factories.event(project_id=project.id, starts_at=utcnow() - timedelta(days=2))
    db.session.commit()
    data = b"Name,Email\r\nAino,aino@example.fi\r\nPekka,pekka@example.fi\r\n"
    token, _page = preview_of(client, upload(client, project, data, "s.csv", "attendance", event))
    pekka = Person(name="Pekka", email="pekka@example.fi", email_normalised="pekka@example.fi")
    db.session.add(pekka)
    db.session.flush()
    db.session.add(Attendance(event_id=event.id, person_id=pekka.id, walk_in_name="Pekka"))
    db.session.commit()
    refused = confirm(client, token)
    assert refused.status_code == 303
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Row 3: this person has been recorded at the event meanwhile" in page
    assert count(Attendance) == 1  # only the walk-in recorded meanwhile
    assert db.session.scalar(select(func.count()).where(Person.name == "Aino")) == 0
    assert db.session.scalar(select(ImportBatch.status).where(ImportBatch.token == token)) == (
        ImportStatus.STAGED
    )
