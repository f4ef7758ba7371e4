"""Participation indicators: small scenarios where every figure is known in advance.

The scenario (:func:`scenario`) is a project with three held trainings and info sessions, an
event not closed yet, and an event of another project; the docstring of each test says which
rule it checks. Everything runs on SQLite and, with EVENTHUB_TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from eventhub.core.models import (
    AgeBand,
    Attendance,
    Country,
    EventKind,
    EventStatus,
    Gender,
    GuidanceSession,
    GuidanceTopic,
    Headcount,
    OutboxMessage,
    Person,
    ProjectTarget,
    Registration,
    RegistrationStatus,
    Role,
    SurveyAnswer,
    SurveyInstrument,
    SurveyResponse,
    normalise_email,
)
from eventhub.core.services import indicators as ind
from eventhub.core.services import retention, surveys
from eventhub.core.services.tokens import new_token
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import post_form, sign_in

CONFIRMED = RegistrationStatus.CONFIRMED


# --- building blocks ------------------------------------------------------------------------


def person(name: str) -> Person:
    email = f"{name.lower()}@example.fi"
    p = Person(name=name, email=email, email_normalised=normalise_email(email))
    db.session.add(p)
    db.session.flush()
    return p


def register(event, who, status=CONFIRMED, org=None, **background) -> Registration:
    reg = Registration(
        event=event,
        person=who,
        organisation=org,
        municipality_id=event.municipality_id,
        status=status,
        manage_token_hash=new_token()[1],
        answers={"1": "something personal"},
        dietary_needs="no nuts",
        **background,
    )
    db.session.add(reg)
    db.session.flush()
    return reg


def attend(reg: Registration) -> Attendance:
    a = Attendance(
        event_id=reg.event_id,
        registration=reg,
        person_id=reg.person_id,
        organisation_id=reg.organisation_id,
        municipality_id=reg.municipality_id,
    )
    db.session.add(a)
    db.session.flush()
    return a


def walk_in(event, name: str, org=None) -> Attendance:
    a = Attendance(event_id=event.id, walk_in_name=name, organisation=org)
    db.session.add(a)
    db.session.flush()
    return a


def close(event) -> None:
    event.status = EventStatus.HELD
    event.closed_at = event.ends_at + timedelta(hours=1)
    db.session.flush()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Scenario:
    project: object
    other: object
    events: dict
    people: dict
    orgs: dict
    places: dict
    topics: dict

    @property
    def scope(self) -> ind.Scope:
        return ind.Scope((self.project.id,))


def scenario() -> Scenario:
    """What the tests below know the answers for.

    E1 training in Joensuu, March: Aino, Eero and Helmi from association A, Juha from B,
       all present; Kaisa confirmed but absent (a no-show); Lauri cancelled; a walk-in from B.
    E2 training in Lieksa, April: Aino again (A), Maija (no organisation) present; Niko on the
       waiting list, Riikka rejected; a walk-in with no organisation.
    E3 info session in Joensuu starting 30 April 21:30 UTC, which is 1 May 00:30 in Helsinki:
       Eero present; 40 + 10 people counted without names.
    E4 training not closed yet: Aino present (must not count).
    E5 an event of another project, closed: Aino present (must not count).
    """
    joensuu = factories.municipality("Joensuu", "Pohjois-Karjala", Country.FI)
    lieksa = factories.municipality("Lieksa", "Pohjois-Karjala", Country.FI)
    gulbene = factories.municipality("Gulbenes novads", "Vidzeme", Country.LV)
    project = factories.project(code="KANTO", name="KANTO", funder="ESR+", planned_participants=10)
    project.targets = [
        ProjectTarget(kind=EventKind.TRAINING, planned_events=3),
        ProjectTarget(kind=EventKind.INFO_SESSION, planned_events=2),
        ProjectTarget(kind=EventKind.GUIDANCE, planned_events=4),
    ]
    other = factories.project(code="OTHER", name="Other project")
    a = factories.organisation("Yhdistys A ry")
    b = factories.organisation("Yhdistys B ry")
    c = factories.organisation("Yhdistys C ry")
    names = ["Aino", "Eero", "Helmi", "Juha", "Kaisa", "Lauri", "Maija", "Niko", "Riikka"]
    people = {n: person(n) for n in names}
    e1 = factories.event(
        title="E1", project=project, municipality=joensuu, capacity=10,
        starts_at=at("2025-03-10T08:00:00"),
    )  # fmt: skip
    e2 = factories.event(
        title="E2", project=project, municipality=lieksa, capacity=None,
        starts_at=at("2025-04-05T08:00:00"),
    )  # fmt: skip
    e3 = factories.event(
        title="E3", project=project, municipality=joensuu, capacity=20,
        kind=EventKind.INFO_SESSION, starts_at=at("2025-04-30T21:30:00"),
    )  # fmt: skip
    e4 = factories.event(
        title="E4", project=project, municipality=joensuu, starts_at=at("2025-06-01T08:00:00")
    )
    e5 = factories.event(
        title="E5", project=other, municipality=gulbene, starts_at=at("2025-03-12T08:00:00")
    )
    p = people
    attend(register(e1, p["Aino"], org=a, gender=Gender.WOMAN, age_band=AgeBand.AGE_18_29))
    attend(register(e1, p["Eero"], org=a))
    attend(register(e1, p["Helmi"], org=a, gender=Gender.WOMAN))
    attend(register(e1, p["Juha"], org=b, gender=Gender.UNDISCLOSED))
    register(e1, p["Kaisa"], gender=Gender.MAN)  # no-show
    register(e1, p["Lauri"], status=RegistrationStatus.CANCELLED)
    walk_in(e1, "Ovensuu Olli", org=b)
    # Aino answers differently the second time: her latest answer counts (man), and her age
    # band, not given this time, stays the one she gave before.
    attend(register(e2, p["Aino"], org=a, gender=Gender.MAN))
    attend(register(e2, p["Maija"], gender=Gender.WOMAN))
    register(e2, p["Niko"], status=RegistrationStatus.WAITLISTED)
    register(e2, p["Riikka"], status=RegistrationStatus.REJECTED)
    walk_in(e2, "Tuntematon Tiina")
    attend(register(e3, p["Eero"], org=a))
    db.session.add_all([Headcount(event=e3, count=40), Headcount(event=e3, count=10)])
    attend(register(e4, p["Aino"], org=a, gender=Gender.NON_BINARY))
    attend(register(e5, p["Aino"], org=a, gender=Gender.NON_BINARY))
    for event in (e1, e2, e3, e5):
        close(event)
    topics = {
        name: GuidanceTopic(project=project, name=name, position=i)
        for i, name in enumerate(["Rahoituskelpoisuus", "Budjetti", "EURA 2021"])
    }
    t = topics
    db.session.add_all(
        [
            GuidanceSession(project=project, organisation=a, held_on=date(2025, 3, 1),
                            topics=[t["Rahoituskelpoisuus"]]),
            GuidanceSession(project=project, organisation=a, held_on=date(2025, 3, 20),
                            topics=[t["Rahoituskelpoisuus"], t["Budjetti"]],
                            duration_minutes=45),
            GuidanceSession(project=project, organisation=b, held_on=date(2025, 4, 2),
                            topics=[t["EURA 2021"]], duration_minutes=30),
            GuidanceSession(project=project, organisation=c, held_on=date(2025, 6, 2),
                            topics=[t["Rahoituskelpoisuus"]]),
            GuidanceSession(project=other, organisation=c, held_on=date(2025, 4, 2)),
        ]
    )  # fmt: skip
    db.session.flush()
    return Scenario(
        project, other, {"E1": e1, "E2": e2, "E3": e3, "E4": e4, "E5": e5}, people,
        {"A": a, "B": b, "C": c}, {"Joensuu": joensuu, "Lieksa": lieksa}, topics,
    )  # fmt: skip


# --- figures --------------------------------------------------------------------------------


def test_participations_persons_and_organisations(app):
    """Walk-ins count as participations; a person at two events is one unique person; a
    walk-in without a person is one person each; three people of one association at one
    training are one organisation participation; headcounts stay beside; events not closed
    and events of other projects do not count."""
    s = scenario()
    p = ind.participation(s.scope)
    assert p == ind.Participation(
        events_held=3,
        participations=9,
        registered_participations=7,
        walk_ins=2,
        unique_persons=7,  # Aino, Eero, Helmi, Juha, Maija + two anonymous walk-ins
        unique_organisations=2,
        organisation_participations=4,  # E1: A and B; E2: A; E3: A
        headcount=50,
        headcount_events=1,
    )


def test_registrations_no_shows_and_fill_rate(app):
    s = scenario()
    r = ind.registrations(s.scope)
    assert r.by_status == {
        RegistrationStatus.PENDING: 0,
        RegistrationStatus.CONFIRMED: 8,
        RegistrationStatus.WAITLISTED: 1,
        RegistrationStatus.CANCELLED: 1,
        RegistrationStatus.REJECTED: 1,
    }
    assert r.total == 11
    assert r.no_shows == 1  # Kaisa
    # Events with a limit: E1 (10 places, 5 confirmed, 1 walk-in) and E3 (20 places, 1
    # confirmed). A walk-in fills a seat too.
    assert (r.places, r.confirmed_in_limited, r.walk_ins_in_limited) == (30, 6, 1)
    assert r.fill_rate == pytest.approx(7 / 30)


def test_breakdowns_by_month_in_the_events_timezone_and_by_place(app):
    s = scenario()
    dims = ind.breakdowns(s.scope, list(ind.Dimension), with_persons=True)

    def rows(dim):
        return [
            (r.key, r.events, r.participations, r.organisation_participations, r.headcount,
             r.unique_persons)
            for r in dims[dim]
        ]  # fmt: skip

    # E3 starts on 30 April in UTC but on 1 May in Helsinki: it belongs to May.
    assert rows(ind.Dimension.MONTH) == [
        ("2025-03", 1, 5, 2, 0, 5),
        ("2025-04", 1, 3, 1, 0, 3),
        ("2025-05", 1, 1, 1, 50, 1),
    ]
    joensuu, lieksa = str(s.places["Joensuu"].id), str(s.places["Lieksa"].id)
    assert sorted(rows(ind.Dimension.MUNICIPALITY)) == sorted(
        [(joensuu, 2, 6, 3, 50, 5), (lieksa, 1, 3, 1, 0, 3)]
    )
    assert rows(ind.Dimension.KIND) == [
        ("info_session", 1, 1, 1, 50, 1),
        ("training", 2, 8, 3, 0, 7),
    ]
    assert rows(ind.Dimension.REGION) == [("Pohjois-Karjala", 3, 9, 4, 50, 7)]
    assert rows(ind.Dimension.COUNTRY) == [("FI", 3, 9, 4, 50, 7)]


def test_scope_filters_period_kind_and_place(app):
    s = scenario()
    april = s.scope.narrowed(date_from=date(2025, 4, 1), date_to=date(2025, 4, 30))
    # E3 started on 30 April UTC, but on 1 May local time: not in April.
    assert ind.participation(april).events_held == 1
    assert ind.participation(april).participations == 3
    info = ind.participation(s.scope.narrowed(kind=EventKind.INFO_SESSION))
    assert (info.events_held, info.participations, info.headcount) == (1, 1, 50)
    lieksa = ind.participation(s.scope.narrowed(municipality_id=s.places["Lieksa"].id))
    assert (lieksa.participations, lieksa.unique_persons) == (3, 3)
    assert ind.participation(s.scope.narrowed(country=Country.LV)).participations == 0
    assert ind.participation(s.scope.narrowed(region="Pohjois-Karjala")).participations == 9
    both = ind.participation(ind.Scope((s.project.id, s.other.id)))
    assert (both.events_held, both.participations, both.unique_persons) == (4, 10, 7)


def test_planned_vs_realised(app):
    s = scenario()
    t = ind.planned_vs_realised(s.scope)
    assert [(r.kind, r.planned, r.held) for r in t.events] == [
        (EventKind.TRAINING, 3, 2),
        (EventKind.INFO_SESSION, 2, 1),
        (EventKind.GUIDANCE, 4, 4),  # the logged guidance sessions
    ]
    assert (t.planned_participants, t.unique_persons) == (10, 7)
    assert (t.planned_events, t.planned_guidance) == (5, 4)


def test_esf_background_uses_the_latest_answer_and_counts_not_answered(app):
    s = scenario()
    esf = ind.esf_background(s.scope)
    # Aino: woman at E1, man at E2 (latest) -> man. Helmi and Maija women, Juha prefers not
    # to say; Eero never answered, nor did the two walk-ins.
    assert esf["gender"] == {
        "woman": 2, "man": 1, "non_binary": 0, "undisclosed": 1, None: 3,
    }  # fmt: skip
    assert esf["age_band"] == {"under_18": 0, "18_29": 1, "30_54": 0, "55_plus": 0, None: 6}
    for counts in esf.values():
        assert sum(counts.values()) == 7  # every unique person once


def test_guidance_sessions_topics_and_organisations(app):
    s = scenario()
    g = ind.guidance(s.scope)
    assert (g.sessions, g.organisations, g.minutes) == (4, 3, 75)
    # A session on two topics counts under both: the topics add up to more than the sessions.
    assert [(name, n) for _id, name, n in g.by_topic] == [
        ("Rahoituskelpoisuus", 3),
        ("Budjetti", 1),
        ("EURA 2021", 1),
    ]
    march = ind.guidance(s.scope.narrowed(date_from=date(2025, 3, 1), date_to=date(2025, 3, 31)))
    assert (march.sessions, march.organisations) == (2, 1)
    assert ind.guidance(s.scope.narrowed(kind=EventKind.TRAINING)).sessions == 0


def _answers(instrument, event, values_per_response):
    for values in values_per_response:
        db.session.add(
            SurveyResponse(
                instrument=instrument,
                event=event,
                answers=[SurveyAnswer(statement_no=n, value=v) for n, v in enumerate(values, 1)],
            )
        )
    db.session.flush()


def test_survey_results_hidden_below_five_and_thl_score(app):
    s = scenario()
    thl = SurveyInstrument(
        project=s.project,
        name="THL",
        is_thl_participation=True,
        statements=[f"Statement {n}" for n in range(1, 11)],
    )
    own = SurveyInstrument(project=s.project, name="Palaute", statements=["A", "B"])
    db.session.add_all([thl, own])
    _answers(thl, s.events["E1"], [[2] * 10] * 4)  # four answers: not shown
    _answers(thl, s.events["E2"], [[v] * 10 for v in (5, 4, 4, 3, 4)])  # mean 4
    _answers(own, s.events["E2"], [[5, 1]] * 5)
    results = {(r.instrument_id, r.event_id): r for r in ind.survey_results(s.scope)}

    e1 = results[(thl.id, s.events["E1"].id)]
    assert (e1.answers, e1.shown, e1.means, e1.thl_score) == (4, False, None, None)
    e2 = results[(thl.id, s.events["E2"].id)]
    assert e2.answers == 5 and e2.means == [pytest.approx(4.0)] * 10
    assert e2.thl_score == pytest.approx(75.0)  # (4 - 1) / 4 * 100
    whole = results[(thl.id, None)]
    # 50 answers of 4 on average and 40 answers of 2: mean 280 / 90.
    assert whole.answers == 9
    assert whole.thl_score == pytest.approx((280 / 90 - 1) / 4 * 100)
    mine = results[(own.id, s.events["E2"].id)]
    assert mine.means == [pytest.approx(5.0), pytest.approx(1.0)] and mine.thl_score is None


def test_every_figure_lists_the_records_behind_it(app):
    s = scenario()
    scope = s.scope
    p, r, g = ind.participation(scope), ind.registrations(scope), ind.guidance(scope)
    expected = {
        "events_held": p.events_held,
        "participations": p.participations,
        "registered_participations": p.registered_participations,
        "walk_ins": p.walk_ins,
        "unique_persons": p.unique_persons,
        "unique_organisations": p.unique_organisations,
        "organisation_participations": p.organisation_participations,
        "headcount": 2,  # two headcount records, 50 people
        "registrations": r.total,
        "no_shows": r.no_shows,
        "guidance_sessions": g.sessions,
        "guidance_organisations": g.organisations,
    }
    for figure, value in expected.items():
        assert ind.count(ind.records(scope, figure)) == value, figure
    assert ind.count(ind.records(scope, "participations", month="2025-05")) == 1
    topic = s.topics["Rahoituskelpoisuus"].id
    assert ind.count(ind.records(scope, "guidance_sessions", topic_id=topic)) == 3
    esf = ind.esf_background(scope)
    for value, n in esf["gender"].items():
        listed = ind.records(scope, "esf", esf_field="gender", esf_value=value)
        assert ind.count(listed) == n, value
    names = {row.name for row in db.session.execute(ind.records(scope, "unique_persons"))}
    assert names == {"Aino", "Eero", "Helmi", "Juha", "Maija", "Ovensuu Olli", "Tuntematon Tiina"}


def test_retention_anonymises_and_every_figure_stays_the_same(app):
    s = scenario()
    s.project.ends_on = date(2025, 7, 1)
    s.project.retention_days = 30
    thl = SurveyInstrument(
        project=s.project, name="THL", is_thl_participation=True,
        statements=[f"S{n}" for n in range(1, 11)],
    )  # fmt: skip
    db.session.add(thl)
    _answers(thl, s.events["E1"], [[3] * 10] * 6)
    db.session.commit()
    before = ind.report(s.scope)
    report = retention.anonymise_expired(today=date(2026, 1, 1))
    db.session.commit()
    after = ind.report(s.scope)
    assert after == before
    assert (report.projects, report.registrations, report.walk_ins) == (1, 12, 2)
    # Everyone but Aino, who still takes part in a live project, loses name and email.
    kept = db.session.scalars(select(Person.name).where(Person.anonymised_at.is_(None))).all()
    assert kept == ["Aino"]
    assert report.persons == 8
    helmi = db.session.get(Person, s.people["Helmi"].id)
    assert (helmi.name, helmi.email, helmi.email_normalised) == ("", None, None)
    regs = db.session.scalars(
        select(Registration).where(Registration.event_id == s.events["E1"].id)
    ).all()
    assert all(r.answers == {} and r.dietary_needs == "" for r in regs)
    assert all(r.manage_token_hash.startswith("anonymised-") for r in regs)
    walk_ins = db.session.scalars(select(Attendance.walk_in_name).where(
        Attendance.registration_id.is_(None))).all()  # fmt: skip
    assert walk_ins == ["", ""]
    again = retention.anonymise_expired(today=date(2026, 1, 1))
    assert (again.registrations, again.walk_ins, again.persons) == (0, 0, 0)
    assert ind.report(s.scope) == before


def test_nothing_expires_before_the_retention_period(app):
    s = scenario()
    s.project.ends_on = date(2025, 12, 1)
    s.project.retention_days = 365
    assert retention.anonymise_expired(today=date(2026, 6, 1)).registrations == 0


# --- pages and exports ----------------------------------------------------------------------


def _signed_in_manager(client, s):
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[s.project])
    sign_in(client, "anne@example.fi")


def test_dashboard_and_report_render_for_a_manager_and_404_across_projects(client):
    s = scenario()
    _signed_in_manager(client, s)
    page = client.get(f"/organiser/indicators/?project={s.project.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:  # drawn on the server, accessible, nothing to run or fetch
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        assert "<script" not in svg and "style=" not in svg and "http" not in svg.split(">", 1)[1]
    assert f"/organiser/indicators/records/participations?project={s.project.id}" in html
    assert client.get("/organiser/indicators/").status_code == 200
    assert client.get(f"/organiser/indicators/report?project={s.project.id}").status_code == 200
    other = s.other.id
    for url in (
        f"/organiser/indicators/?project={other}",
        f"/organiser/indicators/report?project={other}",
        f"/organiser/indicators/records/participations?project={other}",
        f"/organiser/indicators/export.xlsx?project={other}",
        f"/organiser/indicators/export.csv?project={other}",
        f"/organiser/indicators/projects/{other}/guidance",
        f"/organiser/indicators/projects/{other}/surveys",
        "/organiser/indicators/records/no_such_figure",
    ):
        assert client.get(url).status_code == 404, url


def test_drill_down_lists_the_people_behind_a_figure(client):
    s = scenario()
    _signed_in_manager(client, s)
    page = client.get(
        f"/organiser/indicators/records/participations?project={s.project.id}&month=2025-03"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "5 records" in html
    assert "Ovensuu Olli" in html and "Yhdistys A ry" in html and ">E2<" not in html
    assert "@example.fi" not in html  # names, never contact details
    esf = client.get(f"/organiser/indicators/records/esf?project={s.project.id}&question=gender")
    assert esf.status_code == 200 and "Aino" not in esf.get_data(as_text=True)


def test_bad_scope_comes_back_with_a_message(client):
    s = scenario()
    _signed_in_manager(client, s)
    page = client.get(
        f"/organiser/indicators/?project={s.project.id}&date_from=2025-05-01&date_to=2025-04-01"
    )
    assert page.status_code == 422
    assert "The end of the period must not be before its start." in page.get_data(as_text=True)


def test_check_in_staff_see_no_indicators(client):
    s = scenario()
    factories.user(email="door@example.fi", role=Role.CHECKIN, events=[s.events["E1"]])
    sign_in(client, "door@example.fi")
    assert client.get("/organiser/indicators/").status_code == 404


def test_xlsx_export_has_a_summary_and_a_sheet_per_breakdown_with_real_types(client):
    s = scenario()
    _signed_in_manager(client, s)
    response = client.get(f"/organiser/indicators/export.xlsx?project={s.project.id}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[0] == "Summary"
    assert {"By month", "By municipality", "By region", "By country", "By kind"} <= set(
        book.sheetnames
    )
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["Participations (attendance records)"][0] == 9
    assert summary["Unique persons"] == (7, 10)
    assert summary["Organisation participations (event and organisation pairs)"][0] == 4
    assert isinstance(summary["Compiled on"][0], datetime)  # a real date cell
    months = list(book["By month"].iter_rows(min_row=2, values_only=True))
    assert months[2][0] == datetime(2025, 5, 1) and months[2][2] == 1
    assert book["By month"]["A2"].number_format == "yyyy-mm"


def test_csv_export_per_sheet(client):
    s = scenario()
    _signed_in_manager(client, s)
    response = client.get(f"/organiser/indicators/export.csv?project={s.project.id}&sheet=by_month")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Month", "Events held", "Participations"]
    assert rows[1:] == [
        ["2025-03", "1", "5", "2", "5", "0"],
        ["2025-04", "1", "3", "1", "3", "0"],
        ["2025-05", "1", "1", "1", "1", "50"],
    ]
    bad = client.get(f"/organiser/indicators/export.csv?project={s.project.id}&sheet=nope")
    assert bad.status_code == 404


def test_exports_never_write_formulas(client):
    s = scenario()
    s.orgs["A"].name = '=HYPERLINK("http://evil")'
    s.topics["Budjetti"].name = "=1+1"
    _signed_in_manager(client, s)
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/organiser/indicators/export.xlsx?project={s.project.id}").data)
    )
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    text = client.get(
        f"/organiser/indicators/export.csv?project={s.project.id}&sheet=guidance"
    ).data.decode("utf-8-sig")
    assert "'=1+1" in text


def test_manager_logs_guidance_with_several_topics(client):
    s = scenario()
    _signed_in_manager(client, s)
    url = f"/organiser/indicators/projects/{s.project.id}/guidance"
    topics = [s.topics["Budjetti"].id, s.topics["EURA 2021"].id]
    response = post_form(
        client,
        url,
        {"organisation": "Uusi Kyläyhdistys ry", "held_on": "2025-05-05", "topics": topics,
         "duration_minutes": "60", "municipality": ""},
    )  # fmt: skip
    assert response.status_code == 303
    g = ind.guidance(s.scope)
    assert (g.sessions, g.organisations) == (5, 4)
    assert {n: c for _id, n, c in g.by_topic} == {
        "Rahoituskelpoisuus": 3, "Budjetti": 2, "EURA 2021": 2,
    }  # fmt: skip
    missing = post_form(client, url, {"organisation": "X ry", "held_on": "2025-05-05"})
    assert missing.status_code == 422
    assert "Please choose at least one topic." in missing.get_data(as_text=True)
    assert ind.guidance(s.scope).sessions == 5
    added = post_form(client, f"{url}/topics", {"name": "Muut rahoituskanavat"}, token_from=url)
    assert added.status_code == 303
    assert len(s.project.id and db.session.scalars(select(GuidanceTopic)).all()) == 4


def test_manager_sets_up_a_thl_instrument_with_ten_statements(client):
    s = scenario()
    _signed_in_manager(client, s)
    url = f"/organiser/indicators/projects/{s.project.id}/surveys"
    nine = "\n".join(f"Väittämä {n}" for n in range(1, 10))
    refused = post_form(client, url, {"name": "THL", "is_thl": "y", "statements": nine})
    assert refused.status_code == 422
    assert "exactly 10 statements" in refused.get_data(as_text=True)
    ten = nine + "\nVäittämä 10"
    assert (
        post_form(client, url, {"name": "THL", "is_thl": "y", "statements": ten}).status_code == 303
    )
    instrument = db.session.scalars(select(SurveyInstrument)).one()
    assert instrument.is_thl_participation and len(instrument.statements) == 10


def test_participant_answers_once_anonymously(client):
    s = scenario()
    instrument = SurveyInstrument(project=s.project, name="Palaute", statements=["A", "B"])
    db.session.add(instrument)
    db.session.flush()
    reg = db.session.scalars(
        select(Registration).where(Registration.person_id == s.people["Maija"].id)
    ).one()
    url = f"/survey/{surveys.survey_token(reg.id, instrument.id)}"
    page = client.get(url)
    assert page.status_code == 200 and "E2" in page.get_data(as_text=True)
    token = csrf_token(client, url)
    assert client.post(url, data={"s1": "4", "s2": "5"}).status_code == 400  # no CSRF token
    incomplete = client.post(url, data={"csrf_token": token, "s1": "4"})
    assert incomplete.status_code == 422
    done = client.post(url, data={"csrf_token": token, "s1": "4", "s2": "5"})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    response = db.session.scalars(select(SurveyResponse)).one()
    assert response.event_id == s.events["E2"].id
    assert [a.value for a in response.answers] == [4, 5]
    again = client.post(url, data={"csrf_token": token, "s1": "1", "s2": "1"})
    assert again.status_code == 410
    assert db.session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    assert client.get("/survey/not-a-token").status_code == 410


def test_send_surveys_mails_each_attended_registration_once(runner, mailbox):
    s = scenario()
    db.session.add(SurveyInstrument(project=s.project, name="Palaute", statements=["A"]))
    recent = datetime.now(UTC) - timedelta(days=1)
    for name in ("E1", "E2", "E3", "E4", "E5"):
        if s.events[name].closed_at:
            s.events[name].closed_at = recent
    db.session.commit()
    first = runner.invoke(args=["eventhub", "send-surveys"])
    assert first.exit_code == 0, first.output
    # Present and registered at the project's closed events: 4 + 2 + 1; E5's project has
    # no survey and E4 is not closed.
    assert "7 survey invitations queued" in first.output
    again = runner.invoke(args=["eventhub", "send-surveys"])
    assert "0 survey invitations queued" in again.output
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 7
    [message] = mailbox.to("maija@example.fi")
    body = message.get_body(("plain",)).get_content()
    assert "/survey/" in body


def test_retention_command(runner):
    s = scenario()
    s.project.ends_on = date(2020, 1, 1)
    s.project.retention_days = 10
    db.session.commit()
    dry = runner.invoke(args=["eventhub", "retention", "--dry-run"])
    assert dry.exit_code == 0 and "would be anonymised" in dry.output
    assert db.session.scalar(select(func.count()).where(Person.anonymised_at.is_not(None))) == 0
    done = runner.invoke(args=["eventhub", "retention"])
    assert done.exit_code == 0 and "8 persons were anonymised" in done.output


def test_demo_indicators_look_like_a_report(runner):
    """The demo data's KANTO project reports held trainings, participations, guidance by
    topic and a THL score, and the other projects have held events too."""
    assert runner.invoke(args=["eventhub", "demo"]).exit_code == 0
    from eventhub.core.models import Project

    kanto = db.session.scalar(select(Project).where(Project.code == "KANTO"))
    report = ind.report(ind.Scope((kanto.id,)))
    p = report.participation
    assert p.events_held >= 3 and p.participations > p.unique_persons > 0
    assert 0 < p.organisation_participations < p.participations
    assert report.guidance.sessions == 150 and report.guidance.organisations > 10
    topics = [n for _id, _name, n in report.guidance.by_topic]
    assert topics[0] == max(topics) and sum(topics) >= report.guidance.sessions
    assert any(r.thl_score is not None for r in report.surveys)
    assert any(not r.shown for r in report.surveys)  # one event with too few answers
    everything = ind.participation(ind.Scope(tuple(db.session.scalars(select(Project.id)))))
    assert everything.events_held > p.events_held


def test_xlsx_export_cleans_control_characters_pasted_into_titles_and_topics(client):
    """A vertical tab or a form feed pasted from a word processor is not allowed in an XLSX
    file: the export leaves it out (as the registration export does) instead of failing."""
    s = scenario()
    s.project.name = "Kanto\x0bhanke\x0c"
    s.topics["Budjetti"].name = "Budjetti\x01"
    _signed_in_manager(client, s)
    response = client.get(f"/organiser/indicators/export.xlsx?project={s.project.id}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    texts = {c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row}
    assert "Budjetti" in texts
    assert any(isinstance(t, str) and "Kantohanke" in t for t in texts)
    assert not any(isinstance(t, str) and ("\x0b" in t or "\x01" in t) for t in texts)
