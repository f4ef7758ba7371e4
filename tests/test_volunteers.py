"""Volunteer (talkoo) hours: recorded at the door or afterwards, claimed per project and
period with date, person or organisation, task, hours and total."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
from sqlalchemy import func, select

from eventhub.core.models import Role, VolunteerWork
from eventhub.extensions import db
from tests import factories
from tests.helpers import post_form, sign_in
from tests.test_indicators import at, person, register


def _setup():
    project = factories.project(code="LEADER", name="Kylätalo")
    other = factories.project(code="OTHER", name="Other")
    e1 = factories.event(title="Talkoot", project=project, starts_at=at("2025-05-10T06:00:00"))
    e2 = factories.event(title="Syystalkoot", project=project, starts_at=at("2025-09-20T06:00:00"))
    foreign = factories.event(title="Vieras", project=other)
    aino = register(e1, person("Aino"))
    eero = register(e2, person("Eero"))
    stranger = register(foreign, person("Stranger"))
    door = factories.user(email="door@example.fi", role=Role.CHECKIN, events=[e1])
    manager = factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[project])
    db.session.commit()
    return project, other, e1, e2, aino, eero, stranger, door, manager


def test_check_in_staff_record_hours_at_the_door(client):
    project, _o, e1, _e2, aino, _eero, stranger, _door, _m = _setup()
    sign_in(client, "door@example.fi")
    url = f"/organiser/events/{e1.id}/volunteer-hours"
    page = client.get(url)
    assert page.status_code == 200 and "Aino" in page.get_data(as_text=True)
    assert 'value="2025-05-10"' in page.get_data(as_text=True)  # the event's local day
    ok = post_form(client, url, {"registration": str(aino.id), "task": "Kahvitus",
                                 "hours": "2,5", "worked_on": "2025-05-10"})  # fmt: skip
    assert ok.status_code == 303
    org = post_form(client, url, {"organisation": "Kyläyhdistys ry", "task": "Polun raivaus",
                                  "hours": "12", "worked_on": "2025-05-10"})  # fmt: skip
    assert org.status_code == 303
    rows = db.session.scalars(select(VolunteerWork).order_by(VolunteerWork.id)).all()
    assert [(r.person_id, r.organisation_id is not None, str(r.hours)) for r in rows] == [
        (aino.person_id, False, "2.50"),
        (None, True, "12.00"),
    ]
    # Bad input: a clear message, nothing written.
    for data, message in [
        ({"registration": str(aino.id), "task": "x", "hours": "25", "worked_on": "2025-05-10"},
         "between 0.25 and 24 hours"),
        ({"registration": str(aino.id), "task": "x", "hours": "abc", "worked_on": "2025-05-10"},
         "as a number"),
        ({"task": "x", "hours": "2", "worked_on": "2025-05-10"}, "name the organisation"),
        ({"registration": str(stranger.id), "task": "x", "hours": "2",
          "worked_on": "2025-05-10"}, "Not a valid choice"),
    ]:  # fmt: skip
        bad = post_form(client, url, data)
        assert bad.status_code == 422 and message in bad.get_data(as_text=True), message
    assert db.session.scalar(select(func.count()).select_from(VolunteerWork)) == 2
    # Staff of another event see nothing of this one.
    foreign_event = stranger.event_id
    assert client.get(f"/organiser/events/{foreign_event}/volunteer-hours").status_code == 404


def test_the_claim_lists_each_row_with_a_total_per_period_and_exports(client):
    project, other, e1, e2, aino, eero, _s, _door, manager = _setup()
    from decimal import Decimal

    from eventhub.core.services import volunteers

    volunteers.record(
        manager,
        e1,
        registration_id=aino.id,
        organisation_name=None,
        task="Kahvitus",
        hours=Decimal("2.5"),
        worked_on=date(2025, 5, 10),
    )
    volunteers.record(
        manager,
        e1,
        registration_id=None,
        organisation_name="Kyläyhdistys ry",
        task="=HYPERLINK(1)",
        hours=Decimal("12"),
        worked_on=date(2025, 5, 11),
    )
    volunteers.record(manager, e2, registration_id=eero.id, organisation_name=None,
                      task="Siivous", hours=Decimal("4"), worked_on=date(2025, 9, 20))  # fmt: skip
    db.session.commit()
    sign_in(client, "anne@example.fi")
    registrations = client.get(f"/organiser/events/{e1.id}/registrations").get_data(as_text=True)
    assert f"/organiser/events/{e1.id}/volunteer-hours" in registrations  # afterwards, too
    url = f"/organiser/indicators/projects/{project.id}/volunteer-hours"
    may = client.get(f"{url}?date_from=2025-05-01&date_to=2025-05-31").get_data(as_text=True)
    assert "Kahvitus" in may and "Siivous" not in may and "14,5" not in may  # English: 14.5
    assert "14.5" in may
    rows = list(csv.reader(io.StringIO(client.get(f"{url}.csv").data.decode("utf-8-sig"))))
    assert rows[0] == ["Date", "Event", "Person", "Organisation", "Task", "Hours"]
    assert rows[1] == ["2025-05-10", "Talkoot", "Aino", "", "Kahvitus", "2.5"]
    assert rows[2][3:] == ["Kyläyhdistys ry", "'=HYPERLINK(1)", "12.0"]
    assert rows[-1][-2:] == ["Total", "18.5"]
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}.xlsx?date_to=2025-05-31").data))
    values = list(book.active.iter_rows(min_row=2, values_only=True))
    assert values[-1][-1] == 14.5 and values[0][0].date() == date(2025, 5, 10)
    assert (
        client.get(f"/organiser/indicators/projects/{other.id}/volunteer-hours").status_code == 404
    )
    bad = client.get(f"{url}?date_from=2025-06-01&date_to=2025-05-01")
    assert bad.status_code == 422


def test_anonymised_volunteers_keep_their_hours_without_a_name(client):
    project, _o, e1, _e2, aino, _eero, _s, _door, manager = _setup()
    from decimal import Decimal

    from eventhub.core.services import retention, volunteers

    volunteers.record(manager, e1, registration_id=aino.id, organisation_name=None,
                      task="Kahvitus", hours=Decimal("3"), worked_on=date(2025, 5, 10))  # fmt: skip
    project.ends_on = project.starts_on
    project.retention_days = 0
    retention.anonymise_expired()
    claim = volunteers.claim((project.id,), None, None)
    assert claim.total == Decimal("3.00") and claim.rows[0].person == ""
