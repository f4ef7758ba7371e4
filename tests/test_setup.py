"""A real project's first day: from an empty database and one admin made by the CLI, the
set-up pages make everything else; no shell, no demo."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from eventhub.core.models import (
    AuditEntry,
    Event,
    EventStatus,
    Municipality,
    Organisation,
    Place,
    Project,
    Registration,
    User,
)
from eventhub.extensions import db
from tests import setup_flow as flow
from tests.helpers import sign_in, signup


def test_a_project_starts_from_an_empty_database_through_the_set_up_pages(client, runner, mailbox):
    admin_email, admin_password = flow.create_admin(runner)
    assert sign_in(client, admin_email, admin_password).status_code == 303

    home = client.get("/organiser/").get_data(as_text=True)
    assert "Getting started" in home and "Create a project" in home

    project_id = flow.create_project(client)
    project = db.session.get(Project, project_id)
    assert project.code == "2024.LV/NVOF/MAC/003" and project.timezone == "Europe/Riga"
    assert project.contact_email == "projekts@gulbene.example"
    assert {t.kind.value: t.planned_events for t in project.targets} == {"workshop": 14}
    assert project.planned_organisations == 14

    flow.add_municipality(client, "Gulbenes novads", "Vidzeme")
    gulbene = db.session.scalar(select(Municipality))
    flow.add_places(client, gulbene.id, ["Lizuma pagasts", "Tirzas pagasts", "Lizuma pagasts"])
    assert sorted(p.name for p in db.session.scalars(select(Place))) == [
        "Lizuma pagasts",
        "Tirzas pagasts",
    ]
    org_id = flow.add_organisation(client, "Lizuma biedrība", "40008000001", gulbene.id)
    assert db.session.get(Organisation, org_id).confirmed

    flow.invite(client, "ilze@gulbene.example", "Ilze Bērziņa", "manager", [project_id])
    (invitation,) = mailbox.to("ilze@gulbene.example")
    link = flow.invitation_path(invitation)
    client.post("/logout", data={"csrf_token": flow.csrf_token(client, "/organiser/")})

    # The invited manager cannot sign in before choosing a password, then can.
    assert sign_in(client, "ilze@gulbene.example", "a guessed password").status_code == 422
    assert flow.accept_invitation(client, link, "ilzes parole 2026").status_code == 303
    again = client.get(link)
    assert again.status_code == 303  # single-use: the link is spent
    assert sign_in(client, "ilze@gulbene.example", "ilzes parole 2026").status_code == 303

    # The manager creates and publishes the first event; it starts in the project's timezone.
    new_page = client.get("/organiser/events/new").get_data(as_text=True)
    assert re.search(
        r"<option selected value=\"Europe/Riga\"|value=\"Europe/Riga\" selected", new_page
    ), new_page[new_page.find("timezone") :][:600]
    event_id = flow.create_event(client, project_id)
    flow.publish(client, event_id)
    assert db.session.get(Event, event_id).status == EventStatus.PUBLISHED

    # A participant finds the places of the event's country on the signup form.
    client.post("/logout", data={"csrf_token": flow.csrf_token(client, "/organiser/")})
    form = client.get(f"/events/{event_id}").get_data(as_text=True)
    assert "Lizuma pagasts (Gulbenes novads)" in form
    lizums = db.session.scalar(select(Place).where(Place.name == "Lizuma pagasts"))
    response = signup(
        client,
        event_id,
        name="Anna Kalniņa",
        email="anna@example.lv",
        organisation="Lizuma biedrība",
        place=str(lizums.id),
    )
    assert response.status_code == 303
    registration = db.session.scalar(select(Registration))
    assert registration.place_id == lizums.id
    assert registration.municipality_id == gulbene.id  # taken from the place
    assert registration.organisation_id == org_id
    assert mailbox.to("anna@example.lv")

    # The checklist is gone for the admin: every step is done.
    sign_in(client, admin_email, admin_password)
    assert "Getting started" not in client.get("/organiser/").get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {
        "project_created",
        "municipality_added",
        "place_added",
        "organisation_added",
        "user_invited",
        "invitation_accepted",
        "event_created",
        "event_published",
    } <= actions
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
