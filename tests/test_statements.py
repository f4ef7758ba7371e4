"""The signup hot path does only what it must: a count of its SQL statements.

Speed is measured in bench/ (docs/performance.md); these tests count what the database is
asked, through the test client, session and CSRF included, so a lazy load or a per-request
query that creeps back into the event page or the signup POST fails here.
"""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event as sa_event
from sqlalchemy import select

from eventhub.core.models import (
    EventKind,
    EventQuestion,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    Role,
)
from eventhub.core.services import places
from eventhub.extensions import db
from tests import factories
from tests.conftest import CSRF_RE
from tests.helpers import post_form, sign_in

# The issue asked for at most 5 and 8; the seat counter made both one fewer again (the page
# reads places taken from the event row, the POST claims its seat with one UPDATE).
PAGE_STATEMENTS = 3
SIGNUP_STATEMENTS = 7


@contextmanager
def statements():
    """The SQL statements the engine runs inside the block (every connection of the pool)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    sa_event.listen(engine, "after_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "after_cursor_execute", record)


def _workshop(**kw):
    # With a municipality: the page names it and the form offers its country's places, both
    # read with the event (a lazy load of it would be one statement more on each request).
    place = factories.municipality()
    factories.organisation(confirmed=True)
    event = factories.event(kind=EventKind.WORKSHOP, capacity=10, municipality=place, **kw)
    db.session.commit()
    return event.id


def _signup(client, event_id: int, i: int, name: str = "", headers=None):
    page = client.get(f"/events/{event_id}", headers=headers)
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    return client.post(
        f"/events/{event_id}/register",
        data={
            "csrf_token": token,
            "name": name or f"Person {i}",
            "email": f"person{i}@example.fi",
            "consent": "y",
        },
        headers=headers,
    )


def test_event_page_and_signup_run_few_statements(app):
    app.config["MAIL_DELIVERY"] = "worker"  # sending is the sender's work, not the request's
    event_id = _workshop()
    # The first visitor of a fresh process fills the caches; count a later one.
    assert _signup(app.test_client(), event_id, 0).status_code == 303

    client = app.test_client()
    with statements() as page_sql:
        page = client.get(f"/events/{event_id}")
    assert page.status_code == 200
    assert len(page_sql) <= PAGE_STATEMENTS, "\n".join(page_sql)

    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    with statements() as post_sql:
        answer = client.post(
            f"/events/{event_id}/register",
            data={
                "csrf_token": token,
                "name": "Pia Virtanen",
                "email": "pia@example.fi",
                "consent": "y",
            },
        )
    assert answer.status_code == 303
    assert len(post_sql) <= SIGNUP_STATEMENTS, "\n".join(post_sql)

    # Fewer statements, the same result: the registration and its mail are stored.
    stored = db.session.scalars(select(Registration).where(Registration.event_id == event_id)).all()
    assert len(stored) == 2 and {r.status for r in stored} == {RegistrationStatus.CONFIRMED}
    mail = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert sorted(mail) == ["person0@example.fi", "pia@example.fi"]


def test_a_question_added_or_removed_shows_at_once_though_the_form_is_cached(app, client):
    """The signup form is cached per event revision: the organiser's change is the new
    revision, so the very next page (in this process or any other) shows it."""
    project = factories.project()
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[project])
    event = factories.event(project=project)
    db.session.commit()
    public = f"/events/{event.id}"
    assert "Tuotko pullaa?" not in client.get(public).get_data(as_text=True)  # now cached

    sign_in(client, "anne@example.fi")
    url = f"/organiser/events/{event.id}/questions"
    added = post_form(client, url, {"label": "Tuotko pullaa?", "type": "yes_no", "required": "y"})
    assert added.status_code == 303
    page = client.get(public)
    assert "Tuotko pullaa?" in page.get_data(as_text=True)
    # The required answer is asked of the next signup, too (the POST builds the same form).
    token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
    form = {"csrf_token": token, "name": "Pia", "email": "pia@example.fi", "consent": "y"}
    assert client.post(f"/events/{event.id}/register", data=form).status_code == 422

    question = db.session.scalars(select(EventQuestion)).one()
    removed = post_form(client, f"{url}/{question.id}/delete", {}, token_from=url)
    assert removed.status_code == 303
    assert "Tuotko pullaa?" not in client.get(public).get_data(as_text=True)
    assert client.post(f"/events/{event.id}/register", data=form).status_code == 303


def test_an_edit_shows_at_once_though_the_event_page_is_kept_rendered(app, client):
    """The event page keeps its description, facts and untouched form fields rendered per
    revision of the event, the places and the project, in each language: the organiser's edit
    is a new revision, so the very next page shows it, in every language."""
    project = factories.project(name="Kylähanke")
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[project])
    joensuu = factories.municipality()
    event = factories.event(
        project=project,
        title="Työpaja",
        description="Vanha kuvaus.",
        venue="Kylätalo",
        municipality=joensuu,
    )
    db.session.commit()
    public = f"/events/{event.id}"
    finnish = {"Accept-Language": "fi"}
    for headers in ({}, finnish):  # both languages' parts are now kept
        page = client.get(public, headers=headers).get_data(as_text=True)
        assert "Vanha kuvaus." in page and "Kylätalo, Joensuu" in page and "Kylähanke" in page
    start = event.local_start

    sign_in(client, "anne@example.fi")
    edit = {
        "project": project.id,
        "title": "Työpaja",
        "kind": "training",
        "description": "Uusi kuvaus.",
        "timezone": event.timezone,
        "starts": f"{start:%Y-%m-%d}T17:15",
        "ends": f"{start:%Y-%m-%d}T19:00",
        "venue": "Seurantalo",
        "address": "",
        "online_url": "",
        "municipality": str(joensuu.id),
        "language": "fi",
        "capacity": "20",
    }
    assert post_form(client, f"/organiser/events/{event.id}/edit", edit).status_code == 303
    for headers, time in (({}, "17:15"), (finnish, "17.15")):
        page = client.get(public, headers=headers).get_data(as_text=True)
        assert "Uusi kuvaus." in page and "Seurantalo, Joensuu" in page and time in page
        assert "Vanha kuvaus." not in page and "Kylätalo" not in page

    # The municipality's name is the places' revision, the project's read with the event.
    places.rename_municipality(None, joensuu, name="Joensuun kaupunki", region="Pohjois-Karjala")
    db.session.commit()
    page = client.get(public, headers=finnish).get_data(as_text=True)
    assert "Seurantalo, Joensuun kaupunki" in page
    project.name = "Kyläverkosto"
    db.session.commit()
    page = client.get(public, headers=finnish).get_data(as_text=True)
    assert "Kyläverkosto" in page and "Kylähanke" not in page
    # The calendars linked: the project's confirmed organisations, read per request.
    organisation = factories.organisation(name="Kyläyhdistys ry", confirmed=True)
    project.organisations.append(organisation)
    db.session.commit()
    page = client.get(public, headers=finnish).get_data(as_text=True)
    assert f"/calendar/organisation/{organisation.id}.ics" in page


def test_wtforms_own_messages_are_in_the_readers_language(app, client):
    """WTForms' messages are read once per language and process (not from disk per request),
    and still in the reader's language."""
    event_id = _workshop()
    for language, message in (("fi", "Ei voi olla pidempi kuin 200 merkkiä."),
                              ("et", "Väli ei tohi olla üle 200 tähemärgi pikk."),
                              ("en", "Field cannot be longer than 200 characters.")):  # fmt: skip
        answer = _signup(client, event_id, 0, name="x" * 201, headers={"Accept-Language": language})
        assert answer.status_code == 422
        assert message in answer.get_data(as_text=True)
