"""Organisers run an event's registrations: decide, move, cancel, add, search, export, message."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
from sqlalchemy import func, select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    AuditEntry,
    EventQuestion,
    OutboxMessage,
    Person,
    QuestionType,
    Registration,
    RegistrationStatus,
    Role,
)
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import manage_link, post_form, sign_in, signup


def _manager(project, email="anne@example.fi"):
    return factories.user(email=email, role=Role.MANAGER, projects=[project])


def _registration(email: str) -> Registration:
    db.session.expire_all()
    return db.session.scalars(
        select(Registration).join(Person).where(Person.email_normalised == email.lower())
    ).one()


def _status(email: str) -> RegistrationStatus:
    return _registration(email).status


def _list(event) -> str:
    return f"/organiser/events/{event.id}/registrations"


def _act(client, event, email: str, action: str, follow: bool = False):
    """Press an action button on the list page, as the organiser would."""
    registration = _registration(email)
    url = f"{_list(event)}/{registration.id}/{action}"
    response = post_form(client, url, {"next": _list(event)}, token_from=_list(event))
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"] == _list(event)
    if follow:
        return client.get(response.headers["Location"]).get_data(as_text=True)
    return response


def _actions() -> list[str]:
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def _subjects(mailbox, email: str) -> list[str]:
    return [m["Subject"] for m in mailbox.to(email)]


def test_approve_and_reject_tell_people_and_rejecting_promotes_the_first_waiting(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=2, requires_approval=True, title="Työpaja")
    for name in ("first", "second", "third", "fourth"):
        signup(client, event.id, email=f"{name}@example.fi", name=name.title())
    assert [_status(f"{n}@example.fi") for n in ("first", "second", "third", "fourth")] == [
        "pending", "pending", "waitlisted", "waitlisted",
    ]  # fmt: skip
    mailbox.clear()
    sign_in(client, "anne@example.fi")

    page = client.get(f"{_list(event)}?status=pending").get_data(as_text=True)
    assert "First" in page and "Third" not in page and "Approve" in page

    _act(client, event, "first@example.fi", "approve")
    assert _status("first@example.fi") == RegistrationStatus.CONFIRMED
    assert _registration("first@example.fi").confirmed_at is not None
    assert _subjects(mailbox, "first@example.fi") == ["Registration approved: Työpaja"]

    _act(client, event, "second@example.fi", "reject")
    assert _status("second@example.fi") == RegistrationStatus.REJECTED
    assert _subjects(mailbox, "second@example.fi") == ["Registration not accepted: Työpaja"]
    # The freed place went to the first person waiting, who now awaits approval in turn.
    assert _status("third@example.fi") == RegistrationStatus.PENDING
    assert _subjects(mailbox, "third@example.fi") == ["A place opened up for you: Työpaja"]
    assert _status("fourth@example.fi") == RegistrationStatus.WAITLISTED
    assert mailbox.to("fourth@example.fi") == []

    # Deciding twice is refused clearly and changes nothing.
    page = _act(client, event, "second@example.fi", "approve", follow=True)
    assert "Only registrations waiting for approval can be approved." in page
    assert _status("second@example.fi") == RegistrationStatus.REJECTED
    assert _actions()[-2:] == ["registration_approved", "registration_rejected"]
    rejected = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "registration_rejected")
    ).one()
    assert rejected.details == {"promoted": [_registration("third@example.fi").id]}


def test_promote_is_refused_when_full_and_fills_a_free_place(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=1, title="Kyläilta")
    for name in ("going", "early", "chosen"):
        signup(client, event.id, email=f"{name}@example.fi")
    mailbox.clear()
    sign_in(client, "anne@example.fi")

    assert "Give a place" not in client.get(_list(event)).get_data(as_text=True)
    page = _act(client, event, "chosen@example.fi", "promote", follow=True)
    assert "The event is full, so nobody can move up from the waiting list." in page
    assert _status("chosen@example.fi") == RegistrationStatus.WAITLISTED
    assert mailbox.messages == []

    # A free place beside a waiting list (here: capacity raised straight in the database,
    # bypassing the service that would fill it first come first served) can go to anyone.
    event.capacity = 2
    db.session.commit()
    assert "Give a place" in client.get(_list(event)).get_data(as_text=True)
    _act(client, event, "chosen@example.fi", "promote")
    assert _status("chosen@example.fi") == RegistrationStatus.CONFIRMED
    assert _status("early@example.fi") == RegistrationStatus.WAITLISTED
    assert _subjects(mailbox, "chosen@example.fi") == ["A place opened up for you: Kyläilta"]
    assert _actions()[-1] == "registration_promoted"


def test_cancel_on_behalf_tells_the_person_and_promotes_the_waiting_list(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=1, title="Kyläilta")
    signup(client, event.id, email="going@example.fi", name="Ville Virtanen")
    signup(client, event.id, email="waiting@example.fi")
    mailbox.clear()
    sign_in(client, "anne@example.fi")

    going = _registration("going@example.fi")
    url = f"{_list(event)}/{going.id}/cancel"
    confirm = client.get(f"{url}?next={_list(event)}?status=confirmed")
    assert confirm.status_code == 200
    assert "Cancel the registration of Ville Virtanen?" in confirm.get_data(as_text=True)
    response = post_form(client, url, {"next": f"{_list(event)}?status=confirmed"})
    assert response.headers["Location"] == f"{_list(event)}?status=confirmed"
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 person moved up from the waiting list." in after

    assert _status("going@example.fi") == RegistrationStatus.CANCELLED
    assert _subjects(mailbox, "going@example.fi") == ["Registration cancelled: Kyläilta"]
    assert _status("waiting@example.fi") == RegistrationStatus.CONFIRMED
    assert _subjects(mailbox, "waiting@example.fi") == ["A place opened up for you: Kyläilta"]
    assert _actions()[-1] == "registration_cancelled_by_organiser"

    # A redirect elsewhere is never followed.
    again = post_form(client, url, {"next": "https://evil.example/"}, token_from=_list(event))
    assert again.headers["Location"] == _list(event)


def test_nobody_is_promoted_into_a_cancelled_event(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=1, title="Kyläilta")
    signup(client, event.id, email="going@example.fi")
    signup(client, event.id, email="waiting@example.fi")
    sign_in(client, "anne@example.fi")
    post_form(client, f"/organiser/events/{event.id}/cancel")
    mailbox.clear()

    going = _registration("going@example.fi")
    post_form(client, f"{_list(event)}/{going.id}/cancel")
    assert _status("going@example.fi") == RegistrationStatus.CANCELLED
    assert _status("waiting@example.fi") == RegistrationStatus.WAITLISTED
    assert mailbox.to("waiting@example.fi") == []


def _add(client, event, **fields):
    data = {"name": "Eino Leino", "email": "eino@example.fi", "locale": "fi",
            "placement": "place", "send_mail": "y", "consent": "y"}  # fmt: skip
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return post_form(client, f"{_list(event)}/new", data)


def test_add_by_hand_ignores_the_window_but_not_capacity(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(
        project=project, capacity=1, title="Kyläilta",
        registration_closes_at=utcnow() - timedelta(days=1),
    )  # fmt: skip
    db.session.add(EventQuestion(event=event, label="Tuotko pullaa?", type=QuestionType.YES_NO))
    db.session.commit()
    question = event.questions[0]
    sign_in(client, "anne@example.fi")

    form = client.get(f"{_list(event)}/new").get_data(as_text=True)
    assert "Tuotko pullaa?" in form and "Language of the messages" in form

    missing = _add(client, event, email="", consent=None, name="Keep this name")
    assert missing.status_code == 422
    page = missing.get_data(as_text=True)
    assert "Please enter the person's email address." in page and "Keep this name" in page
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0

    added = _add(client, event, organisation="Kylätoimikunta", **{f"q_{question.id}": "yes"})
    assert added.status_code == 303
    registration = _registration("eino@example.fi")
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.answers == {str(question.id): "yes"}
    assert registration.organisation.name == "Kylätoimikunta" and registration.locale == "fi"
    [confirmation] = mailbox.to("eino@example.fi")
    assert client.get(manage_link(confirmation)).status_code == 200  # their own link works
    assert _actions()[-1] == "registration_added"

    full = _add(client, event, email="second@example.fi")
    assert full.status_code == 409
    assert "The event is full. Choose the waiting list" in full.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1

    waiting = _add(
        client, event, email="second@example.fi", placement="place_or_waitlist", locale="en"
    )
    assert waiting.status_code == 303
    assert _status("second@example.fi") == RegistrationStatus.WAITLISTED
    assert "position 1" in client.get(waiting.headers["Location"]).get_data(as_text=True)
    assert "waiting list" in mailbox.to("second@example.fi")[0]["Subject"]

    twice = _add(client, event, email="EINO@example.fi")
    assert twice.status_code == 409
    assert "already registered" in twice.get_data(as_text=True)
    assert len(mailbox.to("eino@example.fi")) == 1


def test_add_by_hand_mails_for_events_to_come_and_not_for_past_ones_unless_asked(client, mailbox):
    project = factories.project()
    _manager(project)
    future = factories.event(project=project, title="Tuleva")
    past = factories.event(project=project, title="Mennyt", starts_at=utcnow() - timedelta(days=30))
    db.session.commit()
    sign_in(client, "anne@example.fi")
    checkbox = re.compile(r'<input[^>]*name="send_mail"[^>]*>')
    assert "checked" in checkbox.search(client.get(f"{_list(future)}/new").text).group(0)
    assert "checked" not in checkbox.search(client.get(f"{_list(past)}/new").text).group(0)
    mailbox.clear()

    # As a browser sends the forms untouched: the box ticked for the future event only.
    assert _add(client, future, email="tuleva@example.fi").status_code == 303
    assert _add(client, past, email="mennyt@example.fi", send_mail=None).status_code == 303
    assert _status("mennyt@example.fi") == RegistrationStatus.CONFIRMED
    assert len(mailbox.to("tuleva@example.fi")) == 1
    assert mailbox.to("mennyt@example.fi") == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1

    # The organiser may still choose to mail someone added to a past event.
    assert _add(client, past, email="haluaa@example.fi").status_code == 303
    assert len(mailbox.to("haluaa@example.fi")) == 1


def test_search_and_status_filters(client):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=2)
    signup(client, event.id, name="Matti Äijälä", email="matti@example.fi",
           organisation="Kontiolahden Kyläyhdistys")  # fmt: skip
    signup(client, event.id, name="Anna Bērziņa", email="Anna.Berzina@example.lv")
    signup(client, event.id, name="Jaan Tamm", email="jaan@example.ee")
    other = factories.event(project=project)
    signup(client, other.id, name="Other Event Person", email="other@example.fi")
    sign_in(client, "anne@example.fi")

    def names(query: str) -> set[str]:
        page = client.get(f"{_list(event)}?{query}").get_data(as_text=True)
        return {n for n in ("Matti", "Anna", "Jaan", "Other Event") if n in page}

    assert names("") == {"Matti", "Anna", "Jaan"}
    assert names("q=äijälä") == {"Matti"}  # any letter case, also beyond ASCII
    assert names("q=KYLÄYHDISTYS") == {"Matti"}  # organisation
    assert names("q=anna.berz") == {"Anna"}  # email
    assert names("q=BĒRZ") == {"Anna"}
    assert names("q=%25") == set()  # a LIKE wildcard is only a character
    assert names("status=waitlisted") == {"Jaan"}
    assert names("status=confirmed&q=jaan") == set()
    assert names("status=nonsense") == {"Matti", "Anna", "Jaan"}
    page = client.get(_list(event)).get_data(as_text=True)
    assert "Confirmed (2)" in page and "On the waiting list (1)" in page and "All (3)" in page


def _export_setup(client):
    """An ESF+ event in Riga with questions, three people, one of whom came."""
    project = factories.project(collects_background=True)
    _manager(project)
    event = factories.event(project=project, capacity=2, timezone="Europe/Riga", title="Forums")
    db.session.add_all(
        [
            EventQuestion(event=event, position=1, label="Tēma", type=QuestionType.SINGLE_CHOICE,
                          choices=["Budžets", "Atskaites"]),
            EventQuestion(event=event, position=2, label="Topics",
                          type=QuestionType.MULTIPLE_CHOICE, choices=["A", "B"]),
            EventQuestion(event=event, position=3, label="Lunch?", type=QuestionType.YES_NO),
        ]
    )  # fmt: skip
    db.session.commit()
    q1, q2, q3 = (str(q.id) for q in event.questions)
    signup(client, event.id, name="=HYPERLINK(\"http://evil\")", email="inject@example.lv",
           phone="+371 2000 0000", organisation="@Org", dietary_needs="-vegan",
           gender="woman", age_band="55_plus", labour_status="unemployed",
           **{f"q_{q1}": "Atskaites", f"q_{q2}": ["A", "B"], f"q_{q3}": "yes"})  # fmt: skip
    answers = {f"q_{q1}": "Budžets", f"q_{q3}": "no"}
    signup(client, event.id, name="Līga Ozola", email="liga@example.lv",
           accessibility_needs="Hearing loop", **answers)  # fmt: skip
    signup(client, event.id, name="Pēteris Waiting", email="peteris@example.lv")
    liga = _registration("liga@example.lv")
    db.session.add(Attendance(event_id=event.id, registration_id=liga.id, person_id=liga.person_id))
    db.session.commit()
    sign_in(client, "anne@example.fi")
    return event, liga


HEADERS = [
    "Name", "Email", "Phone", "Organisation", "Municipality", "Status", "Waiting list position",
    "Registered at (Europe/Riga)", "Attended", "Accessibility needs", "Dietary needs",
    "Tēma", "Topics", "Lunch?",
]  # fmt: skip


def _download_headers(response, extension: str, event) -> None:
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(
        rf'attachment; filename="registrations-{event.id}-forums-\d{{4}}-\d\d-\d\d\.{extension}"',
        disposition,
    ), disposition
    assert response.headers["Cache-Control"] == "private, no-store"


def test_csv_export_has_answers_attendance_and_no_formulas_or_background(client):
    event, liga = _export_setup(client)
    response = client.get(f"{_list(event)}/export.csv")
    _download_headers(response, "csv", event)
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    by_email = {row[1]: dict(zip(HEADERS, row, strict=True)) for row in rows[1:]}
    assert list(by_email) == ["inject@example.lv", "liga@example.lv", "peteris@example.lv"]

    injected = by_email["inject@example.lv"]
    assert injected["Name"] == '\'=HYPERLINK("http://evil")'
    assert injected["Organisation"] == "'@Org" and injected["Dietary needs"] == "'-vegan"
    assert injected["Phone"] == "'+371 2000 0000"
    assert (injected["Tēma"], injected["Topics"], injected["Lunch?"]) == (
        "Atskaites",
        "A, B",
        "Yes",
    )
    assert injected["Attended"] == "No" and injected["Status"] == "Confirmed"

    ozola = by_email["liga@example.lv"]
    assert ozola["Attended"] == "Yes" and ozola["Accessibility needs"] == "Hearing loop"
    assert (ozola["Tēma"], ozola["Topics"], ozola["Lunch?"]) == ("Budžets", "", "No")
    local = liga.consent_at.astimezone(ZoneInfo("Europe/Riga"))
    assert ozola["Registered at (Europe/Riga)"] == local.strftime("%Y-%m-%d %H:%M")

    waiting = by_email["peteris@example.lv"]
    assert waiting["Status"] == "On the waiting list" and waiting["Waiting list position"] == "1"

    # The voluntary ESF+ answers never leave person by person.
    text = raw.decode("utf-8-sig")
    assert "woman" not in text and "unemployed" not in text.lower()
    assert "55_plus" not in text and "55 and over" not in text  # not "55": a time may hold it

    only_waiting = client.get(f"{_list(event)}/export.csv?status=waitlisted").get_data()
    assert len(list(csv.reader(io.StringIO(only_waiting.decode("utf-8-sig"))))) == 2
    exported = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "registrations_exported")
    ).all()
    assert [e.details for e in exported] == [
        {"rows": 3, "status": None},
        {"rows": 1, "status": "waitlisted"},
    ]


def test_the_table_shows_answers_and_needs_on_screen(client):
    event, liga = _export_setup(client)
    html = client.get(f"/organiser/events/{event.id}/registrations").get_data(as_text=True)
    row = html[html.index(f'id="registration-{liga.id}"') :]
    row = row[: row.index("</tr>")]
    assert "<dt>Tēma</dt><dd>Budžets</dd>" in row
    assert "<dt>Lunch?</dt><dd>No</dd>" in row
    assert "<dt>Accessibility needs</dt><dd>Hearing loop</dd>" in row
    assert "Topics" not in row and "Dietary needs" not in row  # not answered: not shown
    assert "<dt>Topics</dt><dd>A, B</dd>" in html and "<dd>-vegan</dd>" in html
    assert "55_plus" not in html and "unemployed" not in html  # background never shown


def test_xlsx_export_has_real_dates_a_frozen_bold_header_and_text_not_formulas(client):
    event, liga = _export_setup(client)
    response = client.get(f"{_list(event)}/export.xlsx")
    _download_headers(response, "xlsx", event)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:N{sheet.max_row}"
    rows = {r[1].value: dict(zip(HEADERS, r, strict=True)) for r in sheet.iter_rows(min_row=2)}

    injected = rows["inject@example.lv"]
    assert injected["Name"].value == '=HYPERLINK("http://evil")'
    assert injected["Name"].data_type == "s"  # stored as text, never run
    assert injected["Topics"].value == "A, B" and injected["Lunch?"].value == "Yes"

    ozola = rows["liga@example.lv"]
    registered = ozola["Registered at (Europe/Riga)"].value
    assert isinstance(registered, datetime)
    local = liga.consent_at.astimezone(ZoneInfo("Europe/Riga"))
    assert registered == local.replace(tzinfo=None, microsecond=0)
    assert ozola["Registered at (Europe/Riga)"].is_date
    assert ozola["Attended"].value == "Yes"
    assert rows["peteris@example.lv"]["Waiting list position"].value == 1
    values = [str(c.value) for row in sheet.iter_rows() for c in row]
    assert "woman" not in values and "unemployed" not in values


def test_message_reaches_only_confirmed_participants_after_a_confirm_step(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project, capacity=2, title="Kyläilta")
    for name in ("one", "two", "waiting", "gone"):
        signup(client, event.id, email=f"{name}@example.fi")
    gone = _registration("gone@example.fi")
    sign_in(client, "anne@example.fi")
    post_form(client, f"{_list(event)}/{gone.id}/cancel")
    mailbox.clear()

    url = f"{_list(event)}/message"
    assert "2 people have a confirmed place" in client.get(url).get_data(as_text=True)
    words = {
        "subject": "Parking\r\nBcc: x@evil.example",
        "body": "Park behind the hall.\n\n<b>Bring</b> a mug.",
    }
    check = post_form(client, url, {**words, "action": "preview"})
    assert check.status_code == 200
    assert "This message is sent by email to 2 people" in check.get_data(as_text=True)
    assert mailbox.messages == []  # nothing before the organiser confirms

    token = csrf_token(client, url)
    sent = client.post(
        url,
        data={"csrf_token": token, "action": "send", "subject": "Parking Bcc: x@evil.example",
              "body": words["body"]},
    )  # fmt: skip
    assert sent.status_code == 303
    assert "on its way to 2 people" in client.get(sent.headers["Location"]).get_data(True)
    assert sorted(m["To"] for m in mailbox.messages) == ["one@example.fi", "two@example.fi"]
    message = mailbox.to("one@example.fi")[0]
    assert message["Subject"] == "Parking Bcc: x@evil.example" and message["Bcc"] is None
    text = message.get_body(("plain",)).get_content()
    assert "Park behind the hall." in text and "Kyläilta" in text
    html = message.get_body(("html",)).get_content()
    assert "<p>&lt;b&gt;Bring&lt;/b&gt; a mug.</p>" in html
    kinds = db.session.scalars(select(OutboxMessage.kind).distinct()).all()
    assert "organiser_message" in kinds
    messaged = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "registrations_messaged")
    ).one()
    assert messaged.details == {"recipients": 2}


def test_message_with_nobody_confirmed_is_refused(client, mailbox):
    project = factories.project()
    _manager(project)
    event = factories.event(project=project)
    sign_in(client, "anne@example.fi")
    url = f"{_list(event)}/message"
    response = post_form(client, url, {"subject": "Hei", "body": "Tervetuloa", "action": "send"})
    assert response.status_code == 409
    assert "nobody to message" in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_other_projects_and_other_roles_get_404_and_posts_need_csrf(app, client):
    mine, theirs = factories.project(code="A"), factories.project(code="B")
    _manager(mine)
    my_event = factories.event(project=mine)
    their_event = factories.event(project=theirs)
    signup(client, their_event.id, email="theirs@example.fi")
    signup(client, my_event.id, email="mine@example.fi")
    theirs_id = _registration("theirs@example.fi").id
    factories.user(email="door@example.fi", role=Role.CHECKIN, events=[my_event])

    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("manage.")
             and "/registrations" in r.rule]  # fmt: skip
    assert len(rules) >= 8

    def urls(event_id: int, registration_id: int):
        for rule in rules:
            url = rule.rule.replace("<int:event_id>", str(event_id))
            url = url.replace("<int:registration_id>", str(registration_id))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url

    anonymous_token = csrf_token(client, "/login")
    for method, url in urls(my_event.id, theirs_id):
        response = client.open(url, method=method, data={"csrf_token": anonymous_token})
        assert response.status_code == 302, url  # to the sign-in page
        assert response.headers["Location"].startswith("/login")

    sign_in(client, "anne@example.fi")
    token = csrf_token(client, _list(my_event))
    for method, url in urls(their_event.id, theirs_id):
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, url, response.status_code)
    # Nor through an event of one's own.
    for rule in rules:
        if "<int:registration_id>" in rule.rule:
            url = rule.rule.replace("<int:event_id>", str(my_event.id))
            url = url.replace("<int:registration_id>", str(theirs_id))
            response = client.post(url, data={"csrf_token": token})
            assert response.status_code == 404, url
    mine_id = _registration("mine@example.fi").id
    no_token = client.post(f"{_list(my_event)}/{mine_id}/cancel")
    assert no_token.status_code == 400
    assert _status("mine@example.fi") == RegistrationStatus.CONFIRMED
    assert _status("theirs@example.fi") == RegistrationStatus.CONFIRMED

    door = app.test_client()
    sign_in(door, "door@example.fi")
    door_token = csrf_token(door, "/organiser/")
    for method, url in urls(my_event.id, mine_id):
        response = door.open(url, method=method, data={"csrf_token": door_token})
        assert response.status_code == 404, url
