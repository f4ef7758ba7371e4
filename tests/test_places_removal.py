"""Deleting a mistyped municipality or place on the set-up pages, or merging it into the
right one when records use it."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from eventhub.core.models import (
    AuditEntry,
    Municipality,
    Place,
    Project,
    Registration,
    Role,
)
from eventhub.core.models.project import project_municipality
from eventhub.core.services import indicators as ind
from eventhub.core.services import places
from eventhub.extensions import db
from tests import factories
from tests.helpers import post_form, sign_in
from tests.test_indicators import attend, close, person, register


def test_the_references_counted_and_moved_include_every_table_that_names_one():
    tables = {(t.name, c.name) for c, t in places.references(Municipality)}
    assert {
        ("event", "municipality_id"),
        ("registration", "municipality_id"),
        ("attendance", "municipality_id"),
        ("project_municipality", "municipality_id"),
        ("person", "municipality_id"),
    } <= tables
    assert ("place", "municipality_id") not in tables  # its places go with it
    assert {(t.name, c.name) for c, t in places.references(Place)} >= {
        ("registration", "place_id"),
        ("attendance", "place_id"),
    }


def test_an_unused_municipality_is_deleted_after_confirmation_and_the_form_drops_it(client):
    factories.user("admin@x.fi", Role.ADMIN)
    joensuu = factories.municipality("Joensuu")
    typo = factories.municipality("Joensu")
    db.session.add(Place(municipality=typo, name="Hukanhauta"))
    event = factories.event(project=factories.project(country="FI"), municipality_id=joensuu.id)
    db.session.flush()
    signup = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Joensu<" in signup  # cached by the form for the next signups

    typo_id = typo.id
    sign_in(client, "admin@x.fi")
    url = f"/organiser/places/{typo_id}/delete"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Nothing refers to this municipality" in confirm.get_data(as_text=True)
    assert db.session.get(Municipality, typo_id) is not None  # a GET deletes nothing
    response = post_form(client, url)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Municipality, typo_id) is None
    assert db.session.scalar(select(func.count()).select_from(Place)) == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "municipality_deleted"))
    assert entry.details["deleted_name"] == "Joensu"

    signup = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Joensuu<" in signup and "Joensu<" not in signup


def test_a_used_municipality_is_not_deleted_and_the_page_says_what_uses_it(client):
    factories.user("admin@x.fi", Role.ADMIN)
    typo = factories.municipality("Joensu")
    factories.municipality("Joensuu")
    project = factories.project()
    event = factories.event(project=project, municipality_id=typo.id)
    register(event, person("Aino"))
    register(event, person("Eero"))
    db.session.flush()

    sign_in(client, "admin@x.fi")
    url = f"/organiser/places/{typo.id}/delete"
    page = client.get(url).get_data(as_text=True)
    assert "it is in use (1 event, 2 registrations)" in page
    assert "Merge it into another instead" in page and "Joensuu" in page
    response = post_form(client, url)
    assert response.status_code == 409
    assert "1 event, 2 registrations" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Municipality, typo.id) is not None


def _comparable(report, renames: dict):
    """The report as plain data, with the dropped municipality's id and name read as the kept
    one's: what a merge may change is whom the figures are attributed to, nothing else."""

    def walk(value):
        if isinstance(value, dict):
            return {walk(k): walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(walk(v) for v in value)
        return renames.get(value, value) if isinstance(value, (int, str)) else value

    return walk(dataclasses.asdict(report))


def test_merging_moves_every_reference_and_keeps_the_indicators(client):
    admin = factories.user("admin@x.fi", Role.ADMIN)
    keep = factories.municipality("Joensuu")
    drop = factories.municipality("Joensu")
    kept_place = Place(municipality=keep, name="Kylä")
    dropped_place = Place(municipality=drop, name="Kylä")
    other_place = Place(municipality=drop, name="Reijola")
    db.session.add_all([kept_place, dropped_place, other_place])
    project = factories.project()
    both = factories.project(code="BOTH")
    db.session.flush()
    db.session.execute(
        project_municipality.insert(),
        [
            {"project_id": project.id, "municipality_id": drop.id},
            {"project_id": both.id, "municipality_id": drop.id},
            {"project_id": both.id, "municipality_id": keep.id},
        ],
    )
    keep_id, kept_place_id, other_place_id = keep.id, kept_place.id, other_place.id
    e1 = factories.event(project=project, municipality_id=drop.id)
    e2 = factories.event(project=project, title="Toinen", municipality_id=drop.id)
    attend(register(e1, person("Aino"), place_id=dropped_place.id))
    attend(register(e1, person("Eero"), place_id=other_place.id))
    attend(register(e2, person("Helmi")))
    register(e2, person("Kaisa"))
    close(e1)
    close(e2)
    db.session.flush()
    drop_id, dropped_place_id = drop.id, dropped_place.id
    scope = ind.Scope((project.id,))
    renames = {
        drop_id: keep.id,
        str(drop_id): str(keep.id),
        dropped_place_id: kept_place.id,
        "Joensu": "Joensuu",
    }
    before = _comparable(ind.report(scope), renames)

    sign_in(client, "admin@x.fi")
    response = post_form(
        client,
        f"/organiser/places/{drop_id}/merge",
        {"other": str(keep.id)},
        token_from=f"/organiser/places/{drop_id}/delete",
    )
    assert response.status_code == 303
    db.session.expire_all()

    assert db.session.get(Municipality, drop_id) is None
    assert db.session.get(Place, dropped_place_id) is None
    for column, table in places.references(Municipality):
        assert db.session.scalar(select(func.count()).where(column == drop_id)) == 0, table.name
    assert db.session.get(Place, other_place_id).municipality_id == keep_id
    assert (
        db.session.scalar(select(func.count()).where(Registration.place_id == kept_place_id)) == 1
    )
    listed = db.session.execute(select(project_municipality).order_by("project_id")).all()
    assert [tuple(r) for r in listed] == [(project.id, keep_id), (both.id, keep_id)]
    assert _comparable(ind.report(scope), renames) == before
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "municipalities_merged")
    )
    assert entry.user_id == admin.id and entry.details["merged_id"] == drop_id
    # a project list, 2 events, 4 registrations, 3 attendances, 1 registration by its place
    assert entry.details["moved"] == 11


def test_a_place_merges_only_into_a_place_of_its_own_municipality(client):
    factories.user("admin@x.fi", Role.ADMIN)
    joensuu, kitee = factories.municipality("Joensuu"), factories.municipality("Kitee")
    right = Place(municipality=joensuu, name="Reijola")
    typo = Place(municipality=joensuu, name="Reijla")
    elsewhere = Place(municipality=kitee, name="Puhos")
    db.session.add_all([right, typo, elsewhere])
    event = factories.event(project=factories.project(), municipality_id=joensuu.id)
    db.session.flush()
    register(event, person("Aino"), place_id=typo.id)
    db.session.flush()
    typo_id, right_id = typo.id, right.id
    sign_in(client, "admin@x.fi")
    url = f"/organiser/places/{joensuu.id}/places/{typo_id}"
    page = client.get(f"{url}/delete").get_data(as_text=True)
    assert "it is in use (1 registration)" in page and "Puhos" not in page
    wrong = post_form(client, f"{url}/merge", {"other": str(elsewhere.id)}, f"{url}/delete")
    assert wrong.status_code == 422
    merged = post_form(client, f"{url}/merge", {"other": str(right.id)}, f"{url}/delete")
    assert merged.status_code == 303
    db.session.expire_all()
    assert db.session.get(Place, typo_id) is None
    assert db.session.scalar(select(Registration.place_id)) == right_id


def test_another_projects_manager_can_neither_delete_nor_merge(client):
    a = factories.project(code="A", name="Project A")
    b = factories.project(code="B", name="Project B")
    factories.user("anne@a.fi", Role.MANAGER, projects=[a])
    factories.user("bert@b.fi", Role.MANAGER, projects=[b])
    typo = factories.municipality("Joensu")
    keep = factories.municipality("Joensuu")
    factories.event(project=a, municipality_id=typo.id)
    db.session.flush()
    typo_id = typo.id

    sign_in(client, "bert@b.fi")
    assert client.get(f"/organiser/places/{typo_id}/delete").status_code == 404
    refused = post_form(
        client, f"/organiser/places/{typo_id}/merge", {"other": str(keep.id)}, "/organiser/places/"
    )
    assert refused.status_code == 404
    db.session.expire_all()
    assert db.session.get(Municipality, typo_id) is not None

    post_form(client, "/logout", token_from="/organiser/places/")
    sign_in(client, "anne@a.fi")  # project A's own manager may
    merged = post_form(
        client,
        f"/organiser/places/{typo_id}/merge",
        {"other": str(keep.id)},
        f"/organiser/places/{typo_id}/delete",
    )
    assert merged.status_code == 303
    db.session.expire_all()
    assert db.session.get(Municipality, typo_id) is None
    assert db.session.scalar(select(func.count()).select_from(Project)) == 2
