"""The set-up pages: who may change what, bad input, organisations kept clean, accounts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, true

from eventhub.core.models import (
    AuditEntry,
    GuidanceSession,
    Municipality,
    Organisation,
    Place,
    Project,
    Registration,
    Role,
    User,
)
from eventhub.core.services import indicators as ind
from eventhub.core.services import organisations
from eventhub.extensions import db
from tests import factories
from tests import setup_flow as flow
from tests.conftest import csrf_token
from tests.helpers import post_form, sign_in
from tests.test_indicators import attend, close, person, register, walk_in


def _two_projects():
    a = factories.project(code="A", name="Project A")
    b = factories.project(code="B", name="Project B")
    anne = factories.user("anne@a.fi", Role.MANAGER, projects=[a])
    bert = factories.user("bert@b.fi", Role.MANAGER, projects=[b])
    return a, b, anne, bert


# --- access ---------------------------------------------------------------------------------


def test_a_manager_sees_and_changes_only_their_own_projects_set_up(client):
    a, b, _anne, bert = _two_projects()
    carl = factories.user("carl@b.fi", Role.CHECKIN, projects=[b])
    b_org = factories.organisation("Bertin yhdistys ry", confirmed=False)
    b_event = factories.event(project=b)
    reg = register(b_event, person("Bella"), org=b_org)
    assert reg.id
    sign_in(client, "anne@a.fi")

    assert client.get(f"/organiser/projects/{b.id}/edit").status_code == 404
    assert client.get(f"/organiser/projects/{a.id}/edit").status_code == 200
    edit_b = client.post(
        f"/organiser/projects/{b.id}/edit",
        data={"csrf_token": csrf_token(client, f"/organiser/projects/{a.id}/edit"), "code": "X"},
    )
    assert edit_b.status_code == 404
    assert "Project B" not in client.get("/organiser/projects/").get_data(as_text=True)

    users = client.get("/organiser/users/").get_data(as_text=True)
    assert "bert@b.fi" not in users and "carl@b.fi" not in users
    assert client.get(f"/organiser/users/{bert.id}").status_code == 404
    token = csrf_token(client, "/organiser/users/")
    for action in ("deactivate", "resend"):
        response = client.post(f"/organiser/users/{carl.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 404
    assert db.session.get(User, carl.id).active

    orgs = client.get("/organiser/organisations/").get_data(as_text=True)
    assert "Bertin yhdistys" not in orgs
    assert client.get(f"/organiser/organisations/?project={b.id}").status_code == 404
    own = client.get(f"/organiser/organisations/?project={a.id}").get_data(as_text=True)
    assert "Bertin yhdistys" not in own
    assert client.get(f"/organiser/organisations/{b_org.id}").status_code == 404
    confirm = client.post(
        f"/organiser/organisations/{b_org.id}/confirm", data={"csrf_token": token}
    )
    assert confirm.status_code == 404
    assert not db.session.get(Organisation, b_org.id).confirmed

    # Bert, who manages B, sees the organisation his project's participant typed.
    client.post("/logout", data={"csrf_token": token})
    sign_in(client, "bert@b.fi")
    assert "Bertin yhdistys" in client.get("/organiser/organisations/").get_data(as_text=True)
    by_project = client.get(f"/organiser/organisations/?project={b.id}").get_data(as_text=True)
    assert "Bertin yhdistys" in by_project


def test_only_an_admin_creates_projects(client):
    a, _b, _anne, _bert = _two_projects()
    factories.user("carl@a.fi", Role.CHECKIN, projects=[a])
    sign_in(client, "anne@a.fi")
    assert client.get("/organiser/projects/new").status_code == 404
    token = csrf_token(client, "/organiser/projects/")
    refused = client.post("/organiser/projects/new", data={"csrf_token": token, **flow.PROJECT})
    assert refused.status_code == 404
    assert "New project" not in client.get("/organiser/projects/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, "carl@a.fi")  # check-in staff see no set-up page at all
    for url in ("/organiser/projects/", "/organiser/places/", "/organiser/organisations/",
                "/organiser/users/", "/organiser/projects/new"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert db.session.scalar(select(func.count()).select_from(Project)) == 2


def test_a_manager_invites_only_into_their_own_projects_and_never_an_admin(client, mailbox):
    a, b, _anne, _bert = _two_projects()
    sign_in(client, "anne@a.fi")
    form = client.get("/organiser/users/invite").get_data(as_text=True)
    assert 'value="admin"' not in form and "Project B" not in form
    for role, projects in (("admin", [a.id]), ("manager", [b.id]), ("manager", [])):
        response = post_form(
            client,
            "/organiser/users/invite",
            {"email": "x@a.fi", "name": "X", "role": role, "projects": projects},
        )
        assert response.status_code == 422, (role, projects)
    assert "A project manager needs at least one project." in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "x@a.fi")) is None
    assert mailbox.messages == []


def test_a_post_without_the_csrf_token_is_refused(client):
    factories.user("admin@x.fi", Role.ADMIN)
    sign_in(client, "admin@x.fi")
    response = client.post("/organiser/projects/new", data=flow.PROJECT)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


# --- bad input --------------------------------------------------------------------------------


def test_a_bad_project_form_says_what_is_wrong_and_saves_nothing(client):
    factories.project(code="2024.LV/NVOF/MAC/003")
    factories.user("admin@x.fi", Role.ADMIN)
    sign_in(client, "admin@x.fi")
    bad = {
        **flow.PROJECT,
        "name": "",
        "starts_on": "2026-05-01",
        "ends_on": "2026-04-01",
        "contact_email": "not an address",
        "target_workshop": "-3",
        "retention_days": "0",
    }
    response = post_form(client, "/organiser/projects/new", bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in (
        "Please give the project a name.",
        "The project cannot end before it starts.",
        "Please enter a valid email address",
        "Please give a number from 0 up.",
        "Please give a number of days from 1 up.",
    ):
        assert message in html, message
    assert "Gulbenes novada biedrība" in html  # what was typed comes back
    same_code = {**flow.PROJECT, "starts_on": "2026-01-01", "ends_on": "2027-01-01"}
    response = post_form(client, "/organiser/projects/new", same_code)
    assert response.status_code == 422
    assert "Another project has this code already." in response.get_data(as_text=True)
    # "all" names the widget's list across projects (/embed/all/): no project may take it.
    reserved = {**same_code, "code": "all"}
    response = post_form(client, "/organiser/projects/new", reserved)
    assert response.status_code == 422
    assert "used by eventhub&#39;s own addresses" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Project)) == 1


def test_places_refuse_a_second_municipality_of_the_same_name(client):
    factories.user("admin@x.fi", Role.ADMIN)
    sign_in(client, "admin@x.fi")
    flow.add_municipality(client, "Gulbenes novads", "Vidzeme")
    again = post_form(
        client,
        "/organiser/places/municipalities",
        {"country": "LV", "name": "gulbenes novads", "region": "Vidzeme"},
        token_from="/organiser/places/?country=LV",
    )
    assert again.status_code == 422
    assert "This country has a municipality of that name already." in again.get_data(as_text=True)
    # The same name in another country is another municipality.
    flow.add_municipality(client, "Gulbenes novads", "Lõuna-Eesti", country="EE")


def test_signup_offers_the_municipalities_of_the_events_country_only(client):
    riga = factories.municipality("Rīga", "Rīga", country="LV")
    factories.municipality("Joensuu", "Pohjois-Karjala", country="FI")
    project = factories.project(country="LV")
    event = factories.event(project=project)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Rīga" in page and "Joensuu" not in page
    assert "Place (optional)" not in page  # no places below municipalities in Latvia yet
    assert riga.id


# --- organisations ---------------------------------------------------------------------------


def test_possible_duplicates_unconfirmed_and_unplaced_organisations_are_found(client):
    factories.user("admin@x.fi", Role.ADMIN)
    joensuu = factories.municipality()
    factories.organisation("Kylä ry", municipality_id=joensuu.id)
    factories.organisation("kylä r.y.", confirmed=False)
    factories.organisation("Kylätalo Oy", municipality_id=joensuu.id)
    sign_in(client, "admin@x.fi")

    def names(**args):
        rows = organisations.listing(
            true(), query=args.get("q", ""), which=args.get("which", "all")
        )
        return sorted(r.organisation.name for r in rows)

    assert names(which=organisations.Filter.DUPLICATES) == ["Kylä ry", "kylä r.y."]
    assert names(which=organisations.Filter.UNCONFIRMED) == ["kylä r.y."]
    assert names(which=organisations.Filter.NO_MUNICIPALITY) == ["kylä r.y."]
    assert names(q="kylätalo") == ["Kylätalo Oy"]
    page = client.get("/organiser/organisations/?show=duplicates").get_data(as_text=True)
    assert "Possible duplicate of" in page and "Kylätalo" not in page


def test_the_references_a_merge_moves_include_every_table_that_names_an_organisation():
    tables = {(table.name, column.name) for column, table in organisations.references()}
    assert {
        ("registration", "organisation_id"),
        ("attendance", "organisation_id"),
        ("guidance_session", "organisation_id"),
    } <= tables


def test_merging_moves_every_reference_and_changes_only_the_organisation_counts(client):
    project = factories.project()
    admin = factories.user("admin@x.fi", Role.ADMIN)
    joensuu = factories.municipality()
    keep = factories.organisation("Kylä ry", business_id="1234567-8")
    drop = factories.organisation("kylä r.y.", confirmed=False, municipality_id=joensuu.id)
    other = factories.organisation("Toinen ry")
    e1 = factories.event(project=project)
    e2 = factories.event(project=project, title="Toinen")
    attend(register(e1, person("Aino"), org=keep))
    attend(register(e1, person("Eero"), org=drop))
    attend(register(e2, person("Helmi"), org=drop))
    attend(register(e2, person("Juha"), org=other))
    register(e2, person("Kaisa"), org=drop)  # registered, not present
    walk_in(e2, "Lauri", org=drop)
    close(e1)
    close(e2)
    db.session.add_all(
        GuidanceSession(project_id=project.id, organisation_id=org.id, held_on=date(2026, 3, 1))
        for org in (keep, drop, drop)
    )
    db.session.flush()
    scope = ind.Scope((project.id,))
    drop_id = drop.id
    before, guidance_before = ind.participation(scope), ind.guidance(scope)
    by_kind_before = ind.breakdowns(scope, [ind.Dimension.KIND])

    sign_in(client, "admin@x.fi")
    response = post_form(
        client,
        f"/organiser/organisations/{drop.id}/merge",
        {"other": str(keep.id)},
        token_from=f"/organiser/organisations/{drop.id}",
    )
    assert response.status_code == 303
    db.session.expire_all()

    assert db.session.get(Organisation, drop_id) is None
    for column, table in organisations.references():
        left = db.session.scalar(select(func.count()).where(column == drop_id))
        assert left == 0, table.name
    kept = db.session.get(Organisation, keep.id)
    assert kept.municipality_id == joensuu.id and kept.business_id == "1234567-8"
    assert (
        db.session.scalar(select(func.count()).where(Registration.organisation_id == keep.id)) == 4
    )

    after, guidance_after = ind.participation(scope), ind.guidance(scope)
    # Two organisations became one: the unique organisations fall by one, and so do the
    # organisation participations at E1, where both took part. Nothing else moves.
    assert after.unique_organisations == before.unique_organisations - 1
    assert after.organisation_participations == before.organisation_participations - 1
    assert (after.participations, after.walk_ins, after.unique_persons, after.events_held) == (
        before.participations,
        before.walk_ins,
        before.unique_persons,
        before.events_held,
    )
    assert guidance_after.sessions == guidance_before.sessions == 3
    assert guidance_after.organisations == guidance_before.organisations - 1
    assert [
        r.participations for r in ind.breakdowns(scope, [ind.Dimension.KIND])[ind.Dimension.KIND]
    ] == [r.participations for r in by_kind_before[ind.Dimension.KIND]]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisations_merged"))
    assert entry.user_id == admin.id and entry.details["merged_id"] == drop_id


def test_a_business_id_cannot_belong_to_two_organisations(client):
    factories.user("admin@x.fi", Role.ADMIN)
    factories.organisation("Kylä ry", business_id="1234567-8")
    other = factories.organisation("Toinen ry")
    sign_in(client, "admin@x.fi")
    response = post_form(
        client,
        f"/organiser/organisations/{other.id}",
        {"name": "Toinen ry", "business_id": "1234567-8", "municipality": ""},
    )
    assert response.status_code == 422
    assert "Kylä ry has this business ID already." in response.get_data(as_text=True)
    assert db.session.get(Organisation, other.id).business_id is None


# --- accounts ---------------------------------------------------------------------------------


def test_a_deactivated_users_session_stops_working(client, app):
    a, _b, _anne, _bert = _two_projects()
    factories.user("admin@x.fi", Role.ADMIN)
    other = app.test_client()
    sign_in(other, "anne@a.fi")
    assert other.get("/organiser/").status_code == 200

    sign_in(client, "admin@x.fi")
    anne = db.session.scalar(select(User).where(User.email == "anne@a.fi"))
    response = post_form(
        client, f"/organiser/users/{anne.id}/deactivate", token_from="/organiser/users/"
    )
    assert response.status_code == 303

    assert other.get("/organiser/").status_code == 302  # back to the login page
    assert sign_in(other, "anne@a.fi").status_code == 422
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user_deactivated"))
    assert entry.object_id == anne.id


def test_an_invitation_link_expires_and_a_new_one_replaces_the_old(client, app, mailbox):
    a, _b, _anne, _bert = _two_projects()
    sign_in(client, "anne@a.fi")
    flow.invite(client, "dina@a.fi", "Dina", "checkin", [a.id])
    first = flow.invitation_path(mailbox.to("dina@a.fi")[0])
    dina = db.session.scalar(select(User).where(User.email == "dina@a.fi"))
    assert dina.invited_at is not None and [p.code for p in dina.projects] == ["A"]

    post_form(client, f"/organiser/users/{dina.id}/resend", token_from="/organiser/users/")
    second = flow.invitation_path(mailbox.to("dina@a.fi")[1])
    assert client.get(first).status_code == 303  # replaced by the second
    app.config["INVITATION_MAX_AGE"] = -1
    assert client.get(second).status_code == 303  # expired
    app.config["INVITATION_MAX_AGE"] = 3600
    assert client.get(second).status_code == 200


def test_an_invited_colleague_must_choose_a_real_password(client, mailbox):
    a, _b, _anne, _bert = _two_projects()
    sign_in(client, "anne@a.fi")
    flow.invite(client, "dina@a.fi", "Dina", "manager", [a.id])
    link = flow.invitation_path(mailbox.to("dina@a.fi")[0])
    response = flow.accept_invitation(client, link, "short")
    assert response.status_code == 422
    assert "Use at least 10 characters." in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "dina@a.fi")).invited_at


def test_check_in_staff_given_a_project_take_attendance_at_its_events_only(client, mailbox):
    a, b, _anne, _bert = _two_projects()
    mine = factories.event(project=a, title="Kylien digipäivä")
    theirs = factories.event(project=b, title="Toisen hankkeen ilta")
    sign_in(client, "anne@a.fi")
    flow.invite(client, "dina@a.fi", "Dina", "checkin", [a.id])
    link = flow.invitation_path(mailbox.to("dina@a.fi")[0])
    client.post("/logout", data={"csrf_token": csrf_token(client, "/organiser/")})
    assert flow.accept_invitation(client, link, "dinan salasana 1").status_code == 303

    sign_in(client, "dina@a.fi", "dinan salasana 1")
    home = client.get("/organiser/").get_data(as_text=True)
    assert "Kylien digipäivä" in home and "Toisen hankkeen ilta" not in home
    assert client.get(f"/organiser/events/{mine.id}/checkin").status_code == 200
    assert client.get(f"/organiser/events/{theirs.id}/checkin").status_code == 404
    assert client.get(f"/organiser/events/{mine.id}/edit").status_code == 404


def test_a_mistyped_municipality_or_place_is_corrected_on_its_page(client):
    factories.user("admin@x.fi", Role.ADMIN)
    sign_in(client, "admin@x.fi")
    flow.add_municipality(client, "Gulbnes novads", "Vidzeme")
    gulbene = db.session.scalar(select(Municipality))
    flow.add_places(client, gulbene.id, ["Lizuma pagasts", "Tirza pagasts"])
    tirza = db.session.scalar(select(Place).where(Place.name == "Tirza pagasts"))
    url = f"/organiser/places/{gulbene.id}"

    response = post_form(
        client, url, {"country": "LV", "name": "Gulbenes novads", "region": "Vidzeme"}
    )
    assert response.status_code == 303
    clash = post_form(
        client, f"{url}/places/{tirza.id}", {"name": "lizuma pagasts"}, token_from=url
    )
    assert clash.status_code == 422
    assert "The municipality has a place of that name already." in clash.get_data(as_text=True)
    fixed = post_form(
        client, f"{url}/places/{tirza.id}", {"name": "Tirzas pagasts"}, token_from=url
    )
    assert fixed.status_code == 303
    db.session.expire_all()
    assert gulbene.name == "Gulbenes novads" and tirza.name == "Tirzas pagasts"
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["municipality_edited", "place_edited"]
