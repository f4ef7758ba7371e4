"""Workshop series: one form for several sessions, certificates, and the series' figures."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    EventKind,
    EventQuestion,
    Person,
    QuestionType,
    Registration,
    RegistrationStatus,
    Role,
    WorkshopSeries,
)
from eventhub.core.services import tokens, workshops
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import manage_link, post_form, sign_in


def series_with_sessions(threshold=2, capacities=(10, 10, 10), **kw):
    project = factories.project(name="Mēs darām kopā!", organiser="Gulbenes novada pašvaldība")
    series = WorkshopSeries(
        name="Apkaimju darbnīcas", project=project, certificate_threshold=threshold
    )
    db.session.add(series)
    db.session.flush()
    sessions = []
    for i, capacity in enumerate(capacities):
        event = factories.event(
            title=f"Apkaimju darbnīca {i + 1}",
            kind=EventKind.WORKSHOP,
            timezone="Europe/Riga",
            capacity=capacity,
            project=project,
            series_id=series.id,
            starts_at=utcnow().replace(microsecond=0) + timedelta(days=10 + i),
            **kw,
        )
        sessions.append(event)
    return series, sessions


def take_place(event, email):
    person = db.session.scalar(select(Person).where(Person.email_normalised == email))
    person = person or Person(name=email, email=email, email_normalised=email)
    reg = Registration(
        event=event,
        person=person,
        status=RegistrationStatus.CONFIRMED,
        manage_token_hash=tokens.new_token()[1],
    )
    db.session.add(reg)
    db.session.flush()
    return reg


def series_signup(client, series, session_ids, **fields):
    url = f"/workshops/series/{series.id}"
    data = {
        "csrf_token": csrf_token(client, url),
        "name": "Līga Ozola",
        "email": "liga@example.lv",
        "consent": "y",
        "sessions": [str(i) for i in session_ids],
    }
    data.update(fields)
    return client.post(f"{url}/register", data=data)


def test_series_page_lists_sessions_with_places_left(client):
    series, (first, second, third) = series_with_sessions(capacities=(10, 1, None))
    take_place(second, "a@example.lv")
    db.session.commit()
    page = client.get(f"/workshops/series/{series.id}").get_data(as_text=True)
    assert "Apkaimju darbnīcas" in page
    assert "10 places left" in page and "Full – waiting list open" in page
    assert "Places available" in page
    # The session's own page points to the series.
    assert f"/workshops/series/{series.id}" in client.get(f"/events/{first.id}").get_data(
        as_text=True
    )


def test_several_sessions_in_one_form_with_one_full(client, mailbox):
    series, (first, full, waiting) = series_with_sessions(capacities=(10, 1, 1))
    full.waitlist_enabled = False
    take_place(full, "a@example.lv")
    take_place(waiting, "b@example.lv")
    db.session.commit()

    response = series_signup(client, series, [waiting.id, full.id, first.id])
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your email" in page
    assert 'id="refused-sessions"' in page
    assert "Apkaimju darbnīca 2: The event is full and has no waiting list." in page

    regs = {
        r.event_id: r.status
        for r in db.session.scalars(
            select(Registration).where(Registration.person.has(email="liga@example.lv"))
        )
    }
    assert regs == {
        first.id: RegistrationStatus.CONFIRMED,
        waiting.id: RegistrationStatus.WAITLISTED,
    }
    subjects = sorted(m["Subject"] for m in mailbox.to("liga@example.lv"))
    assert subjects == [
        "Registration confirmed: Apkaimju darbnīca 1",
        "You are on the waiting list: Apkaimju darbnīca 3",
    ]


def test_registering_again_gives_the_same_answer_page(client, mailbox):
    series, (first, second, _third) = series_with_sessions()
    db.session.commit()
    series_signup(client, series, [first.id])
    again = series_signup(client, series, [first.id, second.id])
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Apkaimju darbnīca 1" in page and "Apkaimju darbnīca 2" in page
    assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 2


def test_when_no_session_can_take_the_person_nothing_is_registered(client, mailbox):
    series, (first, full, _third) = series_with_sessions(capacities=(10, 1, 10))
    full.waitlist_enabled = False
    take_place(full, "a@example.lv")
    db.session.commit()
    response = series_signup(client, series, [full.id])
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "None of the sessions you chose can take your registration" in page
    assert 'value="Līga Ozola"' in page
    assert mailbox.to("liga@example.lv") == []
    assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 1


def test_the_form_needs_a_session_and_a_csrf_token(client):
    series, _sessions = series_with_sessions()
    db.session.commit()
    response = series_signup(client, series, [])
    assert response.status_code == 422
    assert "Please choose at least one session." in response.get_data(as_text=True)
    no_token = client.post(
        f"/workshops/series/{series.id}/register",
        data={"name": "X", "email": "x@example.lv", "consent": "y", "sessions": ["1"]},
    )
    assert no_token.status_code == 400
    assert db.session.scalar(select(db.func.count()).select_from(Registration)) == 0


def test_a_question_asked_by_several_sessions_is_asked_once(client, mailbox):
    series, (first, second, third) = series_with_sessions()
    for event in (first, second):
        event.questions.append(
            EventQuestion(label="Jūsu pagasts", type=QuestionType.SHORT_TEXT, required=True)
        )
    db.session.flush()
    q_first, q_second = first.questions[0], second.questions[0]
    db.session.commit()
    page = client.get(f"/workshops/series/{series.id}").get_data(as_text=True)
    assert page.count("Jūsu pagasts") == 1

    missing = series_signup(client, series, [first.id, second.id])
    assert missing.status_code == 422
    series_signup(client, series, [first.id, second.id, third.id], **{f"q_{q_first.id}": "Tirza"})
    answers = {
        r.event_id: r.answers
        for r in db.session.scalars(select(Registration).order_by(Registration.event_id))
    }
    assert answers == {
        first.id: {str(q_first.id): "Tirza"},
        second.id: {str(q_second.id): "Tirza"},
        third.id: {},
    }


def attend(event, person, registration=None):
    db.session.add(
        Attendance(
            event_id=event.id,
            person_id=person.id,
            registration_id=registration.id if registration else None,
        )
    )


def test_certificate_needs_the_threshold_of_sessions(client, mailbox):
    series, sessions = series_with_sessions(threshold=2)
    manager = factories.user(projects=[series.project])
    db.session.commit()
    series_signup(client, series, [e.id for e in sessions])
    links = [manage_link(m) for m in mailbox.to("liga@example.lv")]
    liga = db.session.scalar(select(Person).where(Person.email == "liga@example.lv"))
    regs = db.session.scalars(
        select(Registration).where(Registration.person_id == liga.id).order_by(Registration.id)
    ).all()
    eero = take_place(sessions[0], "eero@example.lv")
    attend(sessions[0], liga, regs[0])
    attend(sessions[0], eero.person, eero)
    db.session.commit()

    manage_page = client.get(links[0]).get_data(as_text=True)
    token = re.search(r'href="/workshops/certificate/([^"]+)"', manage_page).group(1)
    below = client.get(f"/workshops/certificate/{token}")
    assert below.status_code == 200
    assert "You have attended 1 session so far." in below.get_data(as_text=True)

    attend(sessions[2], liga, regs[2])
    db.session.commit()
    certificate = client.get(f"/workshops/certificate/{token}").get_data(as_text=True)
    assert 'id="certificate-name">Līga Ozola<' in certificate
    assert "has taken part in 2 sessions" in certificate
    assert "Apkaimju darbnīca 1" in certificate and "Apkaimju darbnīca 3" in certificate
    assert "Apkaimju darbnīca 2" not in certificate

    assert [(p.name, n) for p, n in workshops.certificate_holders(series)] == [("Līga Ozola", 2)]
    sign_in(client, manager.email)
    overview = client.get(f"/workshops/organiser/series/{series.id}").get_data(as_text=True)
    assert f"/workshops/organiser/series/{series.id}/certificates/{liga.id}" in overview
    assert "eero@example.lv" not in overview.split('id="certificate-holders"')[1].split("</ul>")[0]
    url = f"/workshops/organiser/series/{series.id}/certificates"
    assert client.get(f"{url}/{liga.id}").status_code == 200
    assert client.get(f"{url}/{eero.person_id}").status_code == 404


def test_series_figures_follow_the_indicator_rules(client):
    series, (first, second, third) = series_with_sessions(threshold=2)
    a = take_place(first, "a@example.lv")
    b = take_place(first, "b@example.lv")
    a2 = take_place(second, "a@example.lv")
    attend(first, a.person, a)
    attend(first, b.person, b)
    attend(second, a.person, a2)
    db.session.add(Attendance(event_id=second.id, walk_in_name="Walk In"))
    first.closed_at = utcnow()
    second.closed_at = utcnow()
    b3 = take_place(third, "b@example.lv")
    attend(third, b.person, b3)  # not closed yet
    db.session.commit()

    figures = workshops.series_indicators(series)
    assert figures.sessions == 3
    assert figures.sessions_held == 2
    assert figures.participations == 4
    assert figures.unique_persons == 3  # a, b and the walk-in
    assert figures.certificates == 2  # a at two held sessions; b at one held and one open

    # Retention anonymises the people; the certificates they earned stay counted.
    for person in (a.person, b.person):
        person.anonymised_at, person.email, person.email_normalised = utcnow(), None, None
    db.session.commit()
    assert workshops.series_indicators(series).certificates == 2


def test_organiser_creates_a_series_and_chooses_its_sessions(client):
    project = factories.project(name="Mēs darām kopā!")
    sessions = [
        factories.event(title=f"Darbnīca {i}", kind=EventKind.WORKSHOP, project=project)
        for i in range(3)
    ]
    other = factories.event(title="Elsewhere", project=factories.project())
    factories.user(projects=[project])
    factories.user("root@example.fi", role=Role.ADMIN)
    db.session.commit()
    sign_in(client, "anne@example.fi")
    response = post_form(
        client,
        "/workshops/organiser/series",
        {"name": "Apkaimju darbnīcas", "project": project.id, "certificate_threshold": "0"},
    )
    assert response.status_code == 422
    assert "At least one session." in response.get_data(as_text=True)
    response = post_form(
        client,
        "/workshops/organiser/series",
        {"name": "Apkaimju darbnīcas", "project": project.id, "certificate_threshold": "2"},
    )
    assert response.status_code == 303
    series = db.session.scalar(select(WorkshopSeries))
    url = f"/workshops/organiser/series/{series.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Darbnīca 0" in page and "Elsewhere" not in page
    response = post_form(
        client,
        url,
        {
            "name": "Apkaimju darbnīcas",
            "project": project.id,
            "certificate_threshold": "2",
            "sessions": [str(sessions[0].id), str(sessions[2].id)],
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert [e.id for e in series.sessions] == [sessions[0].id, sessions[2].id]
    assert other.series_id is None
    assert f"/workshops/organiser/series/{series.id}" in client.get(
        f"/organiser/events/{sessions[0].id}"
    ).get_data(as_text=True)


def test_demo_has_every_format_and_its_pages_work(runner, client):
    from eventhub.core.models import Challenge, Event, ProgrammeItem, Team

    assert runner.invoke(args=["eventhub", "demo"]).exit_code == 0
    series = db.session.scalar(select(WorkshopSeries))
    assert len(series.sessions) == 14
    assert workshops.series_indicators(series).sessions_held > 0
    spring = db.session.scalar(
        select(Event).where(Event.kind == EventKind.HACKATHON).order_by(Event.starts_at)
    )
    assert db.session.scalar(select(db.func.count()).select_from(Team)) >= 6
    assert db.session.scalar(select(db.func.count()).select_from(Challenge)) >= 3
    from eventhub.core.services import hackathons

    figures = hackathons.hackathon_indicators(spring.id)
    assert figures.mentoring_sessions_held >= 3 and figures.initiatives_by_status["launched"]
    forum = db.session.scalar(select(Event).where(Event.kind == EventKind.FORUM))
    items = db.session.scalars(select(ProgrammeItem).where(ProgrammeItem.event_id == forum.id))
    assert any(item.groups for item in items)
    db.session.commit()
    for url in (
        f"/workshops/series/{series.id}",
        f"/hackathons/{spring.id}",
        f"/events/{forum.id}",
        f"/api/v1/events/{forum.id}",
        f"/calendar/events/{forum.id}.ics",
    ):
        assert client.get(url).status_code == 200, url
    assert "Diskusiju grupas I" in client.get(f"/events/{forum.id}").get_data(as_text=True)


def test_a_series_is_managed_only_within_its_project(client):
    """Series scope is decided by access.series_to_manage: a manager of another project
    neither sees the series in the list nor opens it, and a series without a project is the
    admins' alone."""
    series, _sessions = series_with_sessions()
    loose = WorkshopSeries(name="Without a project", certificate_threshold=1)
    db.session.add(loose)
    factories.user("other@example.fi", projects=[factories.project()])
    factories.user("mine@example.fi", projects=[series.project])
    db.session.commit()
    sign_in(client, "other@example.fi")
    assert "Apkaimju darbnīcas" not in client.get("/workshops/organiser/series").get_data(
        as_text=True
    )
    assert client.get(f"/workshops/organiser/series/{series.id}").status_code == 404
    assert client.get(f"/workshops/organiser/series/{loose.id}").status_code == 404
    mine = client.application.test_client()
    sign_in(mine, "mine@example.fi")
    assert mine.get(f"/workshops/organiser/series/{series.id}").status_code == 200
    assert mine.get(f"/workshops/organiser/series/{loose.id}").status_code == 404
