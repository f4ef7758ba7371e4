"""Several people in one signup: a family or a few colleagues take a place each, wait as one
entry, are promoted whole (or split, when the organiser allows it), are checked in one by one
and are managed through the link of the person who signed them up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from eventhub.core.models import Person, Registration, RegistrationStatus
from eventhub.core.services import attendance, capacity, indicators
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import manage_link, signup

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED


def companions(*names: str, **extra) -> dict:
    """The form fields of companions ``names`` (fieldsets 0, 1, ...)."""
    fields = {f"companion_{i}_name": name for i, name in enumerate(names)}
    fields.update(extra)
    return fields


def group_signup(client, event_id: int, email: str, *names: str, **extra):
    return signup(
        client, event_id, name=f"Lead {email}", email=email, **companions(*names, **extra)
    )


def statuses(event_id: int) -> dict[str, RegistrationStatus]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Person.name, Registration.status)
        .join(Person, Person.id == Registration.person_id)
        .where(Registration.event_id == event_id)
    ).all()
    return dict(rows)


def lead_of(email: str) -> Registration:
    return db.session.scalars(
        select(Registration).join(Person).where(Person.email_normalised == email)
    ).one()


def cancel_via_link(client, link: str):
    return client.post(link + "/cancel", data={"csrf_token": csrf_token(client, link + "/cancel")})


def test_a_family_of_four_takes_four_places_and_hears_about_them_in_one_mail(client, mailbox):
    event = factories.event(capacity=10, max_companions=3)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert page.count('class="companion"') == 3  # fixed fieldsets: no JavaScript needed

    answer = group_signup(
        client,
        event.id,
        "aino@example.fi",
        "Eero",
        "Ilona",
        "Pekka",
        companion_1_age="under_18",
        companion_2_email="pekka@example.fi",
    )
    assert answer.status_code == 303
    assert capacity.count_taken(event.id) == 4
    assert set(statuses(event.id).values()) == {CONFIRMED}
    lead = lead_of("aino@example.fi")
    assert [c.person.name for c in lead.companions] == ["Eero", "Ilona", "Pekka"]
    assert lead.companions[1].age_band.value == "under_18"
    # The companions without an address are named in the signer's mail and get none of
    # their own; the one with an address gets their own confirmation.
    [mail] = mailbox.to("aino@example.fi")
    body = mail.get_body(("plain",)).get_content()
    assert "Coming with you" in body and "Eero" in body and "Ilona" in body
    [own] = mailbox.to("pekka@example.fi")
    assert "confirmed" in own["Subject"]
    assert len(mailbox.messages) == 2


def test_more_companions_than_allowed_or_none_allowed_are_refused(client):
    event = factories.event(capacity=10, max_companions=1)
    answer = group_signup(client, event.id, "a@example.fi", "Eero", companion_1_name="Ilona")
    # The form has one fieldset only: the second is not a field and is ignored.
    assert answer.status_code == 303 and capacity.count_taken(event.id) == 2

    plain = factories.event(capacity=10)
    assert 'class="companion"' not in client.get(f"/events/{plain.id}").get_data(as_text=True)
    group_signup(client, plain.id, "b@example.fi", "Eero")
    assert capacity.count_taken(plain.id) == 1


def test_a_group_of_three_waits_whole_for_two_places_and_is_promoted_whole(client, mailbox):
    event = factories.event(capacity=4, max_companions=2)
    signup(client, event.id, name="Holder A", email="a@example.fi")
    signup(client, event.id, name="Holder B", email="b@example.fi")
    holder_link = manage_link(mailbox.to("a@example.fi")[0])
    answer = group_signup(client, event.id, "family@example.fi", "Eero", "Ilona")
    assert answer.status_code == 303
    # Two places are free, the group needs three: it waits whole, as one entry.
    assert capacity.count_taken(event.id) == 2
    got = statuses(event.id)
    assert [got[n] for n in ("Lead family@example.fi", "Eero", "Ilona")] == [WAITLISTED] * 3
    assert capacity.waitlist_position(lead_of("family@example.fi")) == 1
    [waiting_mail] = mailbox.to("family@example.fi")
    assert "waiting list" in waiting_mail["Subject"]

    # A single person behind them does not take the two free places (first come, first
    # served): they wait behind the group.
    signup(client, event.id, name="Late Single", email="late@example.fi")
    assert statuses(event.id)["Late Single"] == WAITLISTED
    assert capacity.count_taken(event.id) == 2

    # A third place frees: the group is promoted whole; the single still waits.
    mailbox.clear()
    assert cancel_via_link(client, holder_link).status_code == 303
    got = statuses(event.id)
    assert [got[n] for n in ("Lead family@example.fi", "Eero", "Ilona")] == [CONFIRMED] * 3
    assert got["Late Single"] == WAITLISTED
    assert capacity.count_taken(event.id) == 4
    promoted = [m for m in mailbox.to("family@example.fi") if "opened up" in m["Subject"]]
    assert len(promoted) == 1  # one mail for the group, to the person who signed it up
    assert "Eero" in promoted[0].get_body(("plain",)).get_content()


def test_a_group_is_split_only_when_the_organiser_allows_it(client, mailbox):
    whole = factories.event(capacity=2, max_companions=2)
    split = factories.event(capacity=2, max_companions=2, groups_may_split=True)
    for event in (whole, split):
        group_signup(client, event.id, f"g{event.id}@example.fi", "Eero", "Ilona")
    got = statuses(whole.id)
    assert sorted(got.values()) == [WAITLISTED] * 3
    got = statuses(split.id)
    # The places left go to the first members; the rest waits at the head of the list.
    assert [got[n] for n in (f"Lead g{split.id}@example.fi", "Eero", "Ilona")] == [
        CONFIRMED,
        CONFIRMED,
        WAITLISTED,
    ]
    assert capacity.count_taken(split.id) == 2

    # A later single waits behind the rest of the group, which is promoted first.
    signup(client, split.id, name="Late Single", email="late@example.fi")
    lead = lead_of(f"g{split.id}@example.fi")
    link = manage_link(mailbox.to(f"g{split.id}@example.fi")[0])
    page = client.get(link).get_data(as_text=True)
    eero = lead.companions[0]
    token = csrf_token(client, link)
    answer = client.post(f"{link}/companions/{eero.id}/cancel", data={"csrf_token": token})
    assert answer.status_code == 303
    got = statuses(split.id)
    assert got["Eero"] == CANCELLED and got["Ilona"] == CONFIRMED
    assert got["Late Single"] == WAITLISTED
    assert "Ilona" in page


def test_the_signer_changes_and_cancels_companions_from_the_manage_link(client, mailbox):
    event = factories.event(capacity=10, max_companions=2)
    group_signup(client, event.id, "aino@example.fi", "Eero", "Ilona", companion_1_age="18_29")
    link = manage_link(mailbox.to("aino@example.fi")[0])
    page = client.get(link).get_data(as_text=True)
    assert "Eero" in page and "Ilona" in page
    lead = lead_of("aino@example.fi")
    eero, ilona = lead.companions
    token = csrf_token(client, link)
    answer = client.post(
        f"{link}/companions/{eero.id}",
        data={"csrf_token": token, "name": "Eero Korhonen", "age_band": "under_18"},
    )
    assert answer.status_code == 303
    db.session.expire_all()
    assert eero.person.name == "Eero Korhonen" and eero.age_band.value == "under_18"

    bad = client.post(f"{link}/companions/{eero.id}", data={"csrf_token": token, "name": " "})
    assert bad.status_code == 422
    db.session.expire_all()
    assert eero.person.name == "Eero Korhonen"

    # Another group's companion is not reachable through this link.
    group_signup(client, event.id, "other@example.fi", "Stranger")
    stranger = lead_of("other@example.fi").companions[0]
    assert (
        client.post(
            f"{link}/companions/{stranger.id}/cancel", data={"csrf_token": token}
        ).status_code
        == 404
    )

    assert (
        client.post(f"{link}/companions/{ilona.id}/cancel", data={"csrf_token": token}).status_code
        == 303
    )
    assert statuses(event.id)["Ilona"] == CANCELLED
    assert capacity.count_taken(event.id) == 4  # aino, eero, other, stranger

    # Cancelling one's own registration cancels the group one signed up.
    cancel_via_link(client, link)
    got = statuses(event.id)
    assert got["Lead aino@example.fi"] == CANCELLED and got["Eero Korhonen"] == CANCELLED
    assert got["Stranger"] == CONFIRMED


def test_a_companion_already_registered_is_refused_and_nothing_is_written(client, mailbox):
    event = factories.event(capacity=10, max_companions=2)
    signup(client, event.id, name="Pekka", email="pekka@example.fi")
    answer = group_signup(
        client, event.id, "aino@example.fi", "Eero", "Pekka", companion_1_email="PEKKA@example.fi"
    )
    assert answer.status_code == 409
    assert "Pekka is already registered" in answer.get_data(as_text=True)
    assert capacity.count_taken(event.id) == 1
    missing_name = group_signup(client, event.id, "aino@example.fi", companion_0_age="18_29")
    assert missing_name.status_code == 422
    assert "Please give the companion" in missing_name.get_data(as_text=True)
    assert capacity.count_taken(event.id) == 1


def test_companions_are_checked_in_one_by_one_and_count_in_the_indicators(client, mailbox):
    from eventhub.core.db import utcnow
    from eventhub.core.models import Role
    from tests.helpers import sign_in

    project = factories.project()
    manager = factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[project])
    event = factories.event(
        project=project,
        capacity=10,
        max_companions=2,
        starts_at=utcnow().replace(microsecond=0) - timedelta(minutes=30),
        hours=3,
    )
    db.session.commit()
    group_signup(client, event.id, "aino@example.fi", "Eero", "Ilona", companion_1_age="under_18")
    lead = lead_of("aino@example.fi")
    eero, ilona = lead.companions
    sign_in(client, "anne@example.fi")
    door = client.get(f"/organiser/events/{event.id}/checkin").get_data(as_text=True)
    assert "Eero" in door and "Ilona" in door and "Lead aino@example.fi" in door
    for person in (lead, ilona):
        url = f"/organiser/events/{event.id}/checkin/{person.id}/present"
        token = csrf_token(client, f"/organiser/events/{event.id}/checkin")
        assert client.post(url, data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    attendance.close_event(manager, db.session.get(type(event), event.id))
    db.session.commit()
    figures = indicators.participation_at([event.id])
    # Two of the three came: each is a participation and a person of their own.
    assert (figures.participations, figures.unique_persons) == (2, 2)
    assert ilona.age_band.value == "under_18"
