"""Each rule of eventhub.core.services.access, seen from the pages: who sees which events,
projects and check-in lists. Every rule here was broken by hand once and one of these tests
failed (see the report of issue 15); scopes outside one's own look like absence (404)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from eventhub.core.models import EventStatus, Role
from eventhub.extensions import db
from tests import factories
from tests.helpers import sign_in


@dataclass
class World:
    ours: object  # published, in the manager's project, the door volunteer's assignment
    our_draft: object
    our_other: object  # published, in the manager's project, not assigned to the volunteer
    theirs: object  # published, another project
    their_draft: object


@pytest.fixture
def world(app) -> World:
    mine = factories.project(code="MINE", name="Kylät kuntoon")
    other = factories.project(code="OTHER", name="Toisen hanke")
    w = World(
        ours=factories.event(project=mine, title="Oma ilta"),
        our_draft=factories.event(project=mine, title="Oma luonnos", status=EventStatus.DRAFT),
        our_other=factories.event(project=mine, title="Oma toinen ilta"),
        theirs=factories.event(project=other, title="Vieras ilta"),
        their_draft=factories.event(
            project=other, title="Vieras luonnos", status=EventStatus.DRAFT
        ),
    )
    factories.user(email="boss@example.fi", role=Role.ADMIN)
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[mine])
    factories.user(email="door@example.fi", role=Role.CHECKIN, events=[w.ours])
    db.session.commit()
    return w


TITLES = ("Oma ilta", "Oma luonnos", "Oma toinen ilta", "Vieras ilta", "Vieras luonnos")


def _as(app, email: str):
    """A browser of its own, signed in as ``email``."""
    client = app.test_client()
    sign_in(client, email)
    return client


def _titles_listed(client) -> set[str]:
    pages = client.get("/organiser/").get_data(as_text=True)
    pages += client.get("/organiser/?show=drafts").get_data(as_text=True)
    return {t for t in TITLES if t in pages}


def test_each_role_lists_exactly_the_events_in_its_scope(app, world):
    door, anne, boss = (_as(app, f"{n}@example.fi") for n in ("door", "anne", "boss"))
    # Check-in staff: only their assignment, never another project's events or drafts.
    assert _titles_listed(door) == {"Oma ilta"}
    assert _titles_listed(anne) == {"Oma ilta", "Oma luonnos", "Oma toinen ilta"}
    assert _titles_listed(boss) == set(TITLES)

    # Only those who manage get links to the event pages; the volunteer gets the check-in.
    index = door.get("/organiser/").get_data(as_text=True)
    assert f"/organiser/events/{world.ours.id}/checkin" in index
    assert f'href="/organiser/events/{world.ours.id}"' not in index
    index = anne.get("/organiser/").get_data(as_text=True)
    assert f'href="/organiser/events/{world.ours.id}"' in index


def test_an_event_is_managed_and_its_attendance_taken_only_within_ones_scope(app, world):
    clients = {n: _as(app, f"{n}@example.fi") for n in ("door", "anne", "boss")}
    manage = {
        ("anne", "ours"): 200,
        ("anne", "our_draft"): 200,
        ("anne", "theirs"): 404,
        ("anne", "their_draft"): 404,
        ("boss", "theirs"): 200,
        ("door", "ours"): 404,  # the volunteer takes attendance, nothing more
    }
    for (who, event), status in manage.items():
        event_id = getattr(world, event).id
        for url in (f"/organiser/events/{event_id}", f"/organiser/events/{event_id}/registrations"):
            assert clients[who].get(url).status_code == status, (who, event, url)
    checkin = {
        ("door", "ours"): 200,
        ("door", "our_other"): 404,
        ("door", "theirs"): 404,
        ("door", "their_draft"): 404,
        ("anne", "our_other"): 200,
        ("anne", "theirs"): 404,
        ("boss", "theirs"): 200,
    }
    for (who, event), status in checkin.items():
        url = f"/organiser/events/{getattr(world, event).id}/checkin"
        assert clients[who].get(url).status_code == status, (who, event, url)


def test_projects_are_chosen_and_reported_only_within_ones_own(app, world):
    other, ours = world.theirs.project_id, world.ours.project_id
    anne, boss = _as(app, "anne@example.fi"), _as(app, "boss@example.fi")
    form = anne.get("/organiser/events/new").get_data(as_text=True)
    assert "Kylät kuntoon" in form and "Toisen hanke" not in form
    assert "Toisen hanke" not in anne.get("/organiser/indicators/").get_data(as_text=True)
    assert anne.get(f"/organiser/indicators/?project={other}").status_code == 404
    assert anne.get(f"/organiser/indicators/?project={ours}").status_code == 200

    form = boss.get("/organiser/events/new").get_data(as_text=True)
    assert "Kylät kuntoon" in form and "Toisen hanke" in form
    assert boss.get(f"/organiser/indicators/?project={other}").status_code == 200
