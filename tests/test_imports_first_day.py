"""A project's first day, from an empty database: the first admin from the CLI, then
everything through HTTP with CSRF on: the project, its municipalities, an organisation and
its guidance topics on the set-up pages, a manager invited by mail, and the manager's imports
of past events, a sign-in sheet and a guidance log. The dashboard and the XLSX export (read
back with openpyxl) must show exactly what the files say."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import Event, Municipality, Project
from eventhub.extensions import db
from tests import setup_flow as flow
from tests.helpers import post_form, sign_in
from tests.test_imports import confirm, preview_of, upload


def _day(n: int) -> str:
    return (utcnow().date() - timedelta(days=n)).isoformat()


def figure(page: str, label: str) -> str:
    """The headline figure shown under a label on the dashboard."""
    match = re.search(re.escape(label) + r"</dt>\s*<dd class=\"figure\"><a [^>]*>([^<]+)<", page)
    assert match, label
    return match.group(1)


def test_first_day_imports_show_up_exactly_in_dashboard_and_export(app, client, runner, mailbox):
    admin_email, admin_password = flow.create_admin(runner, "admin@kanto.fi")
    assert sign_in(client, admin_email, admin_password).status_code == 303
    project_id = flow.create_project(
        client,
        code="2024.KANTO/ESR/001",
        name="KANTO",
        country="FI",
        region="Pohjois-Karjala",
        timezone="Europe/Helsinki",
        language="fi",
        collects_background="y",
        target_workshop="",
        target_info_session="4",
    )
    for name in ("Joensuu", "Lieksa", "Outokumpu"):
        flow.add_municipality(client, name, "Pohjois-Karjala", country="FI")
    joensuu = db.session.scalar(select(Municipality).where(Municipality.name == "Joensuu"))
    flow.add_organisation(client, "Kyläyhdistys ry", "", joensuu.id)
    guidance_page = f"/organiser/indicators/projects/{project_id}/guidance"
    for name in ("Funding", "Budget", "Reporting"):
        added = post_form(client, f"{guidance_page}/topics", {"name": name}, guidance_page)
        assert added.status_code == 303
    flow.invite(client, "maija@kanto.fi", "Maija Manager", "manager", [project_id])
    (invitation,) = mailbox.to("maija@kanto.fi")
    client.post("/logout", data={"csrf_token": flow.csrf_token(client, "/organiser/")})
    assert flow.accept_invitation(client, flow.invitation_path(invitation), "maijan salasana")
    assert sign_in(client, "maija@kanto.fi", "maijan salasana").status_code == 303
    project = db.session.get(Project, project_id)
    assert project.collects_background

    # The manager brings in the project's records.
    # 1. Past events: two info sessions and a training of the project's own, and a talk at
    # another organiser's fair (outreach).
    past = (
        "Date;Title;Kind of event;Municipality;Venue;Headcount;At another organiser's event\r\n"
        f"{_day(120)};Rahoitusinfo Joensuu;Info session;Joensuu;Kirjasto;25;no\r\n"
        f"{_day(90)};Rahoitusinfo Lieksa;Info session;Lieksa;;;no\r\n"
        f"{_day(60)};Hankekoulutus;Training;Outokumpu;;;no\r\n"
        f"{_day(30)};Talk at Kylämarkkinat;Info session;Joensuu;;120;yes\r\n"
    ).encode()
    token, _page = preview_of(client, upload(client, project, past, "past.csv", "past_events"))
    assert confirm(client, token).status_code == 303
    training = db.session.scalar(select(Event).where(Event.title == "Hankekoulutus"))

    # 2. The training's sign-in sheet: four people, three organisations.
    sheet = openpyxl.Workbook()
    for row in [
        ["Name", "Email", "Organisation", "Municipality", "Gender", "Age band"],
        ["Aino Korhonen", "aino@example.fi", "Kyläyhdistys ry", "Joensuu", "Woman", "30-54"],
        ["Pekka Virtanen", "pekka@example.fi", "Kyläyhdistys ry", "Joensuu", "Man", None],
        ["Liisa Laine", None, "Nuorisoseura", "Lieksa", None, None],
        ["Olli Outinen", None, None, None, None, None],
    ]:
        sheet.active.append(row)
    data = io.BytesIO()
    sheet.save(data)
    token, page = preview_of(
        client, upload(client, project, data.getvalue(), "sheet.xlsx", "attendance", training)
    )
    assert "Rows to add: 4" in page
    confirm(client, token)

    # 3. The guidance log: six sessions, two of them on two topics; one organisation's
    # municipality is not known.
    guidance = (
        "Date,Organisation,Municipality,Topics,Duration (minutes),Notes\r\n"
        f"{_day(50)},Kyläyhdistys ry,Joensuu,Funding,60,\r\n"
        f'{_day(45)},Kyläyhdistys ry,,"Budget; Reporting",90,\r\n'
        f'{_day(40)},Nuorisoseura,Lieksa,"Funding; Budget",30,\r\n'
        f"{_day(35)},Nuorisoseura,,Reporting,,\r\n"
        f"{_day(30)},Metsästysseura,,Funding,45,\r\n"
        f"{_day(25)},Kyläyhdistys ry,Joensuu,Reporting,,\r\n"
    ).encode()
    token, page = preview_of(client, upload(client, project, guidance, "guidance.csv"))
    assert "Rows to add: 6" in page
    confirm(client, token)

    # The dashboard.
    page = client.get(f"/organiser/indicators/?project={project.id}").get_data(as_text=True)
    assert figure(page, "Events held") == "3"  # the outreach talk is not one of them
    assert figure(page, "Participations") == "4"
    assert figure(page, "Unique persons") == "4"
    assert figure(page, "Unique organisations") == "2"
    assert figure(page, "Counted without names") == "25"  # the fair's 120 are reported apart
    assert figure(page, "Guidance sessions") == "6"
    places = page.split('id="guidance-places"')[1].split("</table>")[0]
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', places))
    assert rows == {
        "Joensuu": "3",
        "Lieksa": "2",
        "No municipality recorded": "1",
        "Sessions in all": "6",
    }
    assert "1 events, 120 people counted there" in page

    # The XLSX export, read back by openpyxl.
    export = client.get(f"/organiser/indicators/export.xlsx?project={project.id}")
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(export.data))
    summary = {
        str(r[0].value).strip(): r[1].value
        for r in book["Summary"].iter_rows(min_row=2)
        if r[0].value
    }
    assert summary["Events held"] == 3
    assert summary["Info session"] == 2  # of the 4 planned; the talk at the fair is outreach
    assert summary["Training"] == 1
    assert summary["Participations (attendance records)"] == 4
    assert summary["of which registered participants"] == 0
    assert summary["of which walk-ins"] == 4
    assert summary["Unique persons"] == 4
    assert summary["Guidance sessions"] == 6
    assert summary["Funding"] == 3 and summary["Budget"] == 2 and summary["Reporting"] == 3
    assert summary["Outreach: talks at other organisers' events (not in the events held)"] == 1
    assert summary["people counted there"] == 120
    by_place = {
        r[0].value: r[1].value for r in book["Guidance by municipality"].iter_rows(min_row=2)
    }
    assert by_place == {
        "Joensuu": 3,
        "Lieksa": 2,
        "No municipality recorded": 1,
        "Sessions in all": 6,
    }
    assert by_place["Joensuu"] + by_place["Lieksa"] + by_place["No municipality recorded"] == 6
    gender = {r[0].value: r[1].value for r in book["ESF+ gender"].iter_rows(min_row=2)}
    assert (gender["Woman"], gender["Man"], gender["Not answered"]) == (1, 1, 2)
