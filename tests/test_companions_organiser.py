"""Groups as organisers meet them: questions asked of each companion too, approving and
cancelling a group as one entry, the door app naming whom a companion came with, and a
series' session published late taking those enrolled in the whole series."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Event,
    EventQuestion,
    Person,
    Registration,
    RegistrationStatus,
    Role,
    WorkshopSeries,
)
from eventhub.core.services import capacity, workshops
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import manage_link, post_form, sign_in, signup

CONFIRMED = RegistrationStatus.CONFIRMED
PENDING = RegistrationStatus.PENDING
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED
MANAGER = "anne@example.fi"
DIET = "Erityisruokavalio"


def _organiser_event(**kw) -> Event:
    project = factories.project()
    factories.user(email=MANAGER, role=Role.MANAGER, projects=[project])
    event = factories.event(project=project, **kw)
    db.session.commit()
    return event


def _status(name: str) -> RegistrationStatus:
    db.session.expire_all()
    return db.session.scalars(
        select(Registration.status).join(Person).where(Person.name == name)
    ).one()


def _registration(name: str) -> Registration:
    db.session.expire_all()
    return db.session.scalars(select(Registration).join(Person).where(Person.name == name)).one()


def _group(client, event, lead: str, *names: str, **extra):
    fields = {f"companion_{i}_name": n for i, n in enumerate(names)}
    fields.update(extra)
    return signup(client, event.id, name=lead, email=f"{lead.lower()}@example.fi", **fields)


# -- questions asked of each companion too ---------------------------------------------------


def _add_question(client, event, **fields):
    url = f"/organiser/events/{event.id}/questions"
    return post_form(client, url, {"label": DIET, "type": "short_text", **fields})


def test_a_question_for_everyone_is_asked_of_each_companion_and_stored_on_their_own(
    client, mailbox
):
    event = _organiser_event(capacity=10, max_companions=2)
    sign_in(client, MANAGER)
    assert _add_question(client, event, for_companions="y", required="y").status_code == 303
    lead_only = _add_question(client, event, label="Kotikunta")
    assert lead_only.status_code == 303
    question = db.session.scalars(select(EventQuestion).where(EventQuestion.label == DIET)).one()
    assert question.for_companions
    assert "Asked of each companion too." in client.get(
        f"/organiser/events/{event.id}/questions"
    ).get_data(as_text=True)

    # The public form asks it in every companion fieldset, without JavaScript.
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    fieldsets = page.split('class="companion"')[1:]
    assert len(fieldsets) == 2
    assert all(DIET in part.split("</fieldset>")[0] for part in fieldsets)
    assert all("Kotikunta" not in part.split("</fieldset>")[0] for part in fieldsets)

    # Required of a named companion; an empty fieldset is no companion and asks nothing.
    missing = _group(client, event, "Aino", "Eero", **{f"q_{question.id}": "Kasvis"})
    assert missing.status_code == 422
    assert "Please answer this question." in missing.get_data(as_text=True)
    assert capacity.count_taken(event.id) == 0

    answer = _group(
        client,
        event,
        "Aino",
        "Eero",
        **{f"q_{question.id}": "Kasvis", f"companion_0_q_{question.id}": "Gluteeniton"},
    )
    assert answer.status_code == 303
    assert _registration("Aino").answers[str(question.id)] == "Kasvis"
    assert _registration("Eero").answers == {str(question.id): "Gluteeniton"}

    # The person who signed up corrects it from the manage link; a named companion must
    # answer a required question there too.
    link = manage_link(mailbox.to("aino@example.fi")[0])
    eero = _registration("Eero")
    manage_page = client.get(link).get_data(as_text=True)
    assert 'value="Gluteeniton"' in manage_page
    token = csrf_token(client, link)
    url = f"{link}/companions/{eero.id}"
    empty = client.post(url, data={"csrf_token": token, "name": "Eero", f"q_{question.id}": ""})
    assert empty.status_code == 422
    assert _registration("Eero").answers == {str(question.id): "Gluteeniton"}
    fixed = client.post(
        url, data={"csrf_token": token, "name": "Eero", f"q_{question.id}": "Laktoositon"}
    )
    assert fixed.status_code == 303
    assert _registration("Eero").answers == {str(question.id): "Laktoositon"}
    client.post(url, data={"csrf_token": token, "name": "Eero", f"q_{question.id}": "Gluteeniton"})

    # The organiser reads the companion's answer in the list and the export, like anyone's.
    listing = client.get(f"/organiser/events/{event.id}/registrations").get_data(as_text=True)
    assert "Gluteeniton" in listing
    raw = client.get(f"/organiser/events/{event.id}/registrations/export.csv").get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    column = rows[0].index(DIET)
    by_name = {
        row[rows[0].index(next(h for h in rows[0] if "name" in h.lower()))]: row for row in rows[1:]
    }
    assert by_name["Eero"][column] == "Gluteeniton"
    assert by_name["Aino"][column] == "Kasvis"


def test_a_question_for_companions_cannot_be_conditional(client):
    event = _organiser_event(capacity=10, max_companions=2)
    sign_in(client, MANAGER)
    _add_question(client, event, label="Tarvitsetko aterian?", type="yes_no")
    meal = db.session.scalars(select(EventQuestion)).one()
    refused = _add_question(client, event, for_companions="y", condition=[f"{meal.id}:yes"])
    assert refused.status_code == 422
    assert "cannot depend on another answer" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(EventQuestion)).all() == [meal]


# -- approving and cancelling a group ---------------------------------------------------------


def _act(client, event, name: str, action: str):
    listing = f"/organiser/events/{event.id}/registrations"
    url = f"{listing}/{_registration(name).id}/{action}"
    response = post_form(client, url, {"next": listing}, token_from=listing)
    assert response.status_code == 303, response.status_code
    return response


def test_approving_the_person_who_signed_up_approves_the_group(client, mailbox):
    event = _organiser_event(capacity=10, max_companions=2, requires_approval=True)
    _group(client, event, "Aino", "Eero", "Ilona", companion_1_email="ilona@example.fi")
    assert [_status(n) for n in ("Aino", "Eero", "Ilona")] == [PENDING] * 3
    sign_in(client, MANAGER)
    _act(client, event, "Aino", "approve")
    assert [_status(n) for n in ("Aino", "Eero", "Ilona")] == [CONFIRMED] * 3
    assert capacity.count_taken(event.id) == 3
    # The companion with an address of her own hears of it herself.
    assert any("approved" in m["Subject"] for m in mailbox.to("ilona@example.fi"))


def test_rejecting_the_person_who_signed_up_rejects_the_group_and_frees_its_places(client):
    event = _organiser_event(capacity=3, max_companions=2, requires_approval=True)
    _group(client, event, "Aino", "Eero", "Ilona")
    signup(client, event.id, name="Dan", email="dan@example.fi")
    assert _status("Dan") == WAITLISTED
    sign_in(client, MANAGER)
    _act(client, event, "Aino", "reject")
    rejected = RegistrationStatus.REJECTED
    assert [_status(n) for n in ("Aino", "Eero", "Ilona")] == [rejected] * 3
    assert _status("Dan") == PENDING  # promoted into a freed place, still to be approved
    assert capacity.count_taken(event.id) == 1


def test_a_split_group_is_approved_as_far_as_it_holds_places(client):
    event = _organiser_event(
        capacity=2, max_companions=2, requires_approval=True, groups_may_split=True
    )
    _group(client, event, "Aino", "Eero", "Ilona")
    assert [_status(n) for n in ("Aino", "Eero", "Ilona")] == [PENDING, PENDING, WAITLISTED]
    sign_in(client, MANAGER)
    _act(client, event, "Aino", "approve")
    assert [_status(n) for n in ("Aino", "Eero", "Ilona")] == [CONFIRMED, CONFIRMED, WAITLISTED]
    assert capacity.count_taken(event.id) == 2


def test_an_organiser_cancelling_the_lead_cancels_the_group_and_promotes_whole_groups_in_order(
    client,
):
    event = _organiser_event(capacity=3, max_companions=2)
    _group(client, event, "Aino", "Eero", "Ilona")  # holds all three places
    _group(client, event, "Bea", "Bruno")  # waits first, whole
    _group(client, event, "Cia", "Cecil", "Cilla")  # waits second, whole
    signup(client, event.id, name="Dan", email="dan@example.fi")  # waits third
    sign_in(client, MANAGER)
    _act(client, event, "Aino", "cancel")
    assert [_status(n) for n in ("Aino", "Eero", "Ilona")] == [CANCELLED] * 3
    # The first group waiting is promoted whole; the next group does not fit in the one
    # place left and nobody behind it jumps it.
    assert [_status(n) for n in ("Bea", "Bruno")] == [CONFIRMED] * 2
    assert [_status(n) for n in ("Cia", "Cecil", "Cilla", "Dan")] == [WAITLISTED] * 4
    assert capacity.count_taken(event.id) == 2


def test_moving_a_waiting_group_up_by_hand_moves_it_whole_or_not_at_all(client):
    event = _organiser_event(capacity=4, max_companions=2)
    signup(client, event.id, name="Holder A", email="a@example.fi")
    signup(client, event.id, name="Holder B", email="b@example.fi")
    _group(client, event, "Aino", "Eero", "Ilona")  # three wait for two free places
    sign_in(client, MANAGER)
    refused = _act(client, event, "Aino", "promote")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "This group of 3 waits as one entry" in page
    assert [_status(n) for n in ("Aino", "Eero", "Ilona")] == [WAITLISTED] * 3

    event.groups_may_split = True
    db.session.commit()
    _act(client, event, "Aino", "promote")
    assert [_status(n) for n in ("Aino", "Eero", "Ilona")] == [CONFIRMED, CONFIRMED, WAITLISTED]
    assert capacity.count_taken(event.id) == 4


# -- the door app -------------------------------------------------------------------------------


def test_the_door_roster_and_the_checkin_list_say_whom_a_companion_came_with(client):
    event = _organiser_event(
        capacity=10, max_companions=1, starts_at=utcnow() - timedelta(minutes=30), hours=3
    )
    _group(client, event, "Aino", "Eero")
    sign_in(client, MANAGER)
    rows = {r["name"]: r for r in client.get(f"/door/api/roster?event={event.id}").json["rows"]}
    assert rows["Eero"]["lead"] == "Aino"
    assert "lead" not in rows["Aino"]
    # The organiser's check-in list online says it too, and finds him by her name.
    checkin = client.get(f"/organiser/events/{event.id}/checkin?q=aino").get_data(as_text=True)
    assert "with Aino" in checkin and "Eero" in checkin
    page = client.get(f"/door/?event={event.id}").get_data(as_text=True)
    assert '"with_lead": "with %(name)s"' in page or "with %(name)s" in page


# -- a series' session published late ------------------------------------------------------


def test_a_session_published_after_being_added_as_a_draft_takes_the_whole_series(client):
    project = factories.project()
    factories.user(email=MANAGER, role=Role.MANAGER, projects=[project])
    series = WorkshopSeries(name="Kylätyöpajat", project=project)
    db.session.add(series)
    first = factories.event(kind=factories.EventKind.WORKSHOP, project=project, capacity=5)
    db.session.commit()
    workshops.set_sessions(None, series, [first])
    db.session.commit()
    url = f"/workshops/series/{series.id}"
    client.post(
        f"{url}/register",
        data={
            "csrf_token": csrf_token(client, url),
            "name": "Aino Korhonen",
            "email": "aino@example.fi",
            "consent": "y",
            "whole_series": "y",
        },
    )
    draft = factories.event(
        kind=factories.EventKind.WORKSHOP,
        project=project,
        capacity=5,
        status=factories.EventStatus.DRAFT,
        starts_at=utcnow() + timedelta(days=20),
    )
    db.session.commit()
    workshops.set_sessions(None, series, [first, draft])
    db.session.commit()
    assert _places("aino@example.fi", draft.id) == 0  # a draft takes nobody

    sign_in(client, MANAGER)
    published = post_form(
        client, f"/organiser/events/{draft.id}/publish", token_from=f"/organiser/events/{draft.id}"
    )
    assert published.status_code == 303
    assert _places("aino@example.fi", draft.id) == 1


def _places(email: str, event_id: int) -> int:
    db.session.expire_all()
    return len(
        db.session.scalars(
            select(Registration)
            .join(Person)
            .where(
                Registration.event_id == event_id,
                Person.email_normalised == email,
                Registration.status == CONFIRMED,
            )
        ).all()
    )


def test_the_flash_after_creating_dates_counts_one_session_or_several(client):
    project = factories.project()
    factories.user(email=MANAGER, role=Role.MANAGER, projects=[project])
    series = WorkshopSeries(name="Kylätyöpajat", project=project)
    db.session.add(series)
    db.session.commit()
    sign_in(client, MANAGER)
    url = f"/workshops/organiser/series/{series.id}/dates"
    monday = utcnow().date() + timedelta(days=7)
    monday -= timedelta(days=monday.weekday())

    def create(last_day):
        data = {
            "first_day": monday.isoformat(),
            "last_day": last_day.isoformat(),
            "starts": "17:00",
            "ends": "19:00",
            "repeat": "weekly",
            "every": "1",
            "weekdays": ["1"],
            "nth": "1",
            "capacity": "12",
            "venue": "Kylätalo",
            "action": "create",
            "csrf_token": csrf_token(client, url),
        }
        answer = client.post(url, data=data, follow_redirects=True)
        return answer.get_data(as_text=True)

    assert "1 session has been created." in create(monday + timedelta(days=6))
    assert "2 sessions have been created." in create(monday + timedelta(days=13))
