"""Attendance at the door: check-in, walk-ins, headcounts, QR codes, the printed sheet, closing.

Everything goes through the organiser pages with CSRF on, signed in as the role that does it
at a real event: check-in staff at the door, the project manager afterwards.
"""

from __future__ import annotations

import base64
import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    AuditEntry,
    Event,
    EventStatus,
    Headcount,
    Organisation,
    Person,
    Registration,
    RegistrationStatus,
    Role,
    User,
)
from eventhub.core.services import attendance, indicators, registration
from eventhub.core.services.registration import SignupData
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import manage_link, post_form, sign_in, signup

STAFF = "ovella@example.fi"
MANAGER = "anne@example.fi"


def _setup(*, started: bool = True, capacity: int | None = 20, **event_kw):
    """A project, its manager, an event that has begun, and check-in staff assigned to it."""
    project = factories.project()
    factories.user(email=MANAGER, role=Role.MANAGER, projects=[project])
    starts_at = utcnow().replace(microsecond=0) + (
        timedelta(minutes=-30) if started else timedelta(days=5)
    )
    event = factories.event(
        project=project, starts_at=starts_at, hours=3, capacity=capacity, venue="Kylätalo",
        **event_kw,
    )  # fmt: skip
    factories.user(email=STAFF, role=Role.CHECKIN, events=[event])
    db.session.commit()
    return event


def _register(event: Event, name: str, email: str, organisation: str | None = None):
    result = registration.register(
        event.id, SignupData(name=name, email=email, locale="fi", organisation_name=organisation)
    )
    db.session.commit()
    return result.registration


def _present_ids(event_id: int) -> set[int]:
    db.session.expire_all()
    return attendance.attended_registration_ids(event_id)


def _attendance_rows(event_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Attendance).where(Attendance.event_id == event_id)
    )


def _actions(event_id: int) -> list[str]:
    """What the audit log says happened to the event, in order."""
    return db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.event_id == event_id).order_by(AuditEntry.id)
    ).all()


def _checkin_url(event: Event, **query) -> str:
    url = f"/organiser/events/{event.id}/checkin"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


# --- the check-in list --------------------------------------------------------------------


@pytest.mark.parametrize(("started", "warned"), [(True, False), (False, True)])
def test_the_door_list_says_plainly_when_the_event_is_not_today(client, started, warned):
    event = _setup(started=started)
    sign_in(client, STAFF)
    html = client.get(_checkin_url(event)).get_data(as_text=True)
    assert ("This event is not today." in html) is warned


def test_check_in_undo_and_double_tap_without_javascript(client):
    event = _setup()
    aino = _register(event, "Aino Korhonen", "aino@example.fi", "Kyläyhdistys ry")
    _register(event, "Pekka Mäkinen", "pekka@example.fi")
    sign_in(client, STAFF)

    page = client.get(_checkin_url(event))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Aino Korhonen" in html and "Pekka Mäkinen" in html and "Kyläyhdistys ry" in html
    assert 'src="/static/checkin.js"' in html and "style=" not in html  # CSP: no inline style
    assert '<dd data-count="confirmed">2</dd>' in html

    present = f"/organiser/events/{event.id}/checkin/{aino.id}/present"
    token = csrf_token(client, _checkin_url(event, q="aino"))
    response = client.post(present, data={"csrf_token": token, "q": "aino"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/organiser/events/{event.id}/checkin?q=aino#r{aino.id}"
    assert _present_ids(event.id) == {aino.id}

    again = client.post(present, data={"csrf_token": token, "q": "aino"}, follow_redirects=True)
    assert "Aino Korhonen was already marked present." in again.get_data(as_text=True)
    assert _attendance_rows(event.id) == 1  # a double tap is one participation

    html = client.get(_checkin_url(event)).get_data(as_text=True)
    assert '<dd data-count="present">1</dd>' in html
    assert f"/checkin/{aino.id}/undo" in html

    undo = client.post(
        f"/organiser/events/{event.id}/checkin/{aino.id}/undo",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Aino Korhonen is no longer marked present." in undo.get_data(as_text=True)
    assert _present_ids(event.id) == set()
    assert _actions(event.id) == ["checked_in", "check_in_undone"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.event_id == event.id)).first()
    assert entry.details["via"] == "list" and "Aino" not in str(entry.details)


def test_a_tap_with_javascript_gets_the_new_row_and_counts(client):
    event = _setup()
    aino = _register(event, "Aino Korhonen", "aino@example.fi")
    sign_in(client, STAFF)
    token = csrf_token(client, _checkin_url(event))

    response = client.post(
        f"/organiser/events/{event.id}/checkin/{aino.id}/present",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["message"] == "Aino Korhonen is marked present."
    assert data["counts"] == {
        "confirmed": 1, "present": 1, "walk_ins": 0, "headcount": 0, "participations": 1,
    }  # fmt: skip
    assert f'id="r{aino.id}"' in data["row"] and "is-present" in data["row"]
    assert f"/checkin/{aino.id}/undo" in data["row"]

    # Without the token the tap is refused like any form.
    refused = client.post(
        f"/organiser/events/{event.id}/checkin/{aino.id}/undo",
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 400
    assert _present_ids(event.id) == {aino.id}


def test_two_taps_at_the_same_moment_record_one_participation(app):
    event = _setup()
    aino = _register(event, "Aino Korhonen", "aino@example.fi")
    url = f"/organiser/events/{event.id}/checkin/{aino.id}/present"
    clients = [app.test_client() for _ in range(4)]
    tokens = []
    for c in clients:
        sign_in(c, STAFF)
        tokens.append(csrf_token(c, _checkin_url(event)))
    start = threading.Barrier(len(clients))
    outcomes: list[int | str] = []

    def tap(i: int) -> None:
        start.wait()
        try:
            outcomes.append(clients[i].post(url, data={"csrf_token": tokens[i]}).status_code)
        except Exception as exc:  # noqa: BLE001 - any exception is a failure to report
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=tap, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == [303] * len(clients)
    assert _attendance_rows(event.id) == 1


def test_search_ignores_case_and_accents(client):
    event = _setup()
    _register(event, "Liisa Äijälä", "liisa@example.fi")
    _register(event, "Jānis Bērziņš", "janis@example.lv", "Gulbenes biedrība")
    _register(event, "Pekka Mäkinen", "pekka@example.fi")
    sign_in(client, STAFF)

    html = client.get(_checkin_url(event, q="aijala")).get_data(as_text=True)
    assert "Liisa Äijälä" in html and "Pekka" not in html and "Jānis" not in html
    html = client.get(_checkin_url(event, q="berzins")).get_data(as_text=True)
    assert "Jānis Bērziņš" in html and "Liisa" not in html
    html = client.get(_checkin_url(event, q="gulbenes")).get_data(as_text=True)
    assert "Jānis Bērziņš" in html
    html = client.get(_checkin_url(event, q="Virtanen")).get_data(as_text=True)
    assert "Nobody on the list matches" in html
    assert f"/organiser/events/{event.id}/walk-in?name=Virtanen" in html


def test_waiting_and_pending_people_can_be_let_in_cancelled_ones_cannot(client):
    event = _setup(capacity=1)
    first = _register(event, "Aino Korhonen", "aino@example.fi")
    waiting = _register(event, "Pekka Mäkinen", "pekka@example.fi")
    assert waiting.status == RegistrationStatus.WAITLISTED
    registration.cancel(first)
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.status == RegistrationStatus.CONFIRMED  # promoted
    late = _register(event, "Liisa Lehto", "liisa@example.fi")
    assert late.status == RegistrationStatus.WAITLISTED
    sign_in(client, STAFF)

    html = client.get(_checkin_url(event)).get_data(as_text=True)
    assert "Liisa Lehto" in html and "On the waiting list" in html
    assert "Aino Korhonen" not in html  # cancelled: not expected at the door

    post_form(client, f"/organiser/events/{event.id}/checkin/{late.id}/present",
              token_from=_checkin_url(event))  # fmt: skip
    refused = client.post(
        f"/organiser/events/{event.id}/checkin/{first.id}/present",
        data={"csrf_token": csrf_token(client, _checkin_url(event))},
        follow_redirects=True,
    )
    assert "This registration is cancelled or was not accepted." in refused.get_data(as_text=True)
    assert _present_ids(event.id) == {late.id}
    assert db.session.get(Registration, late.id).status == RegistrationStatus.WAITLISTED


# --- walk-ins -----------------------------------------------------------------------------


def test_walk_ins_with_and_without_email(client):
    event = _setup()
    known = factories.organisation("Joensuun kyläyhdistys ry")
    municipality = factories.municipality("Joensuu")
    aino = _register(event, "Aino Korhonen", "aino@example.fi")
    db.session.commit()
    sign_in(client, STAFF)
    url = f"/organiser/events/{event.id}/walk-in"

    form = client.get(url + "?name=Matti").get_data(as_text=True)
    assert 'value="Matti"' in form and "Joensuun kyläyhdistys ry" in form

    # Without an email: a new person, recorded as present at once.
    response = post_form(client, url, {"name": " Matti  Virtanen ", "organisation": "Uusi seura"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/organiser/events/{event.id}/checkin"
    # The same form sent twice by a double tap is one walk-in.
    post_form(client, url, {"name": "Matti Virtanen", "organisation": "Uusi seura"})
    walk_ins = db.session.scalars(
        select(Attendance).where(Attendance.registration_id.is_(None))
    ).all()
    assert [w.walk_in_name for w in walk_ins] == ["Matti Virtanen"]
    new_org = db.session.scalars(
        select(Organisation).where(Organisation.name == "Uusi seura")
    ).one()
    assert new_org.confirmed is False and walk_ins[0].organisation_id == new_org.id

    # With an email: the person of that address, the known organisation, the municipality.
    post_form(client, url, {"name": "Sanna Laine", "email": "Sanna.Laine@Example.fi",
                            "organisation": "joensuun KYLÄYHDISTYS ry",
                            "municipality": str(municipality.id)})  # fmt: skip
    post_form(client, url, {"name": "Sanna L.", "email": "sanna.laine@example.fi "})
    sanna = db.session.scalars(
        select(Person).where(Person.email_normalised == "sanna.laine@example.fi")
    ).one()
    rows = db.session.scalars(select(Attendance).where(Attendance.person_id == sanna.id)).all()
    assert len(rows) == 1  # the same person twice is one participation
    assert rows[0].organisation_id == known.id and rows[0].municipality_id == municipality.id

    # A "walk-in" who had registered after all: their registration is checked in.
    done = post_form(client, url, {"name": "Aino K.", "email": "AINO@example.fi"})
    assert done.status_code == 303
    assert _present_ids(event.id) == {aino.id}
    page = client.get(_checkin_url(event)).get_data(as_text=True)
    assert "Aino Korhonen had registered: they are now marked present." in page
    assert '<dd data-count="walk_ins">2</dd>' in page and '<dd data-count="present">1</dd>' in page
    assert "Matti Virtanen" in page and "Walk-in" in page

    bad = post_form(client, url, {"name": "", "email": "not an address"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Please write the person" in html and "not an address" in html

    # A walk-in recorded by mistake is taken back from the list.
    matti = walk_ins[0]
    removed = client.post(
        f"/organiser/events/{event.id}/walk-ins/{matti.id}/remove",
        data={"csrf_token": csrf_token(client, _checkin_url(event))},
        headers={"Accept": "application/json"},
    )
    assert removed.get_json()["row"] == "" and removed.get_json()["counts"]["walk_ins"] == 1
    assert _actions(event.id) == ["walk_in_added", "walk_in_added", "checked_in", "walk_in_removed"]


def test_a_walk_in_who_registers_afterwards_is_one_participation(client):
    """Recorded at the door with their email, then registered and checked in (or the other
    way round, added as a walk-in again): one attendance row, one participation."""
    event = _setup()
    user = db.session.scalar(select(User).where(User.email == STAFF))
    first = attendance.add_walk_in(user, event, "Liisa Mäkelä", email="liisa@example.fi")
    db.session.commit()
    assert first.was_registered is False and first.repeated is False

    liisa = _register(event, "Liisa Mäkelä", "Liisa@Example.fi", organisation="Kyläseura")
    assert attendance.check_in(user, liisa) is True
    db.session.commit()
    assert attendance.check_in(user, liisa) is False  # already present
    # Added as a walk-in once more: found, nothing new.
    again = attendance.add_walk_in(user, event, "Liisa M.", email="liisa@example.fi")
    db.session.commit()
    assert again.repeated is True and again.attendance.id == first.attendance.id

    rows = db.session.scalars(select(Attendance).where(Attendance.event_id == event.id)).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.id == first.attendance.id  # the walk-in row took the registration
    assert row.registration_id == liisa.id and row.walk_in_name is None
    assert row.organisation_id == liisa.organisation_id
    summary = attendance.attendance_summary(event.id)
    assert (summary.present, summary.walk_ins, summary.participations) == (1, 0, 1)

    manager = db.session.scalar(select(User).where(User.email == MANAGER))
    assert attendance.close_event(manager, event) is True
    db.session.commit()
    figures = indicators.participation(indicators.Scope((event.project_id,)))
    assert (figures.participations, figures.walk_ins, figures.unique_persons) == (1, 0, 1)

    # Undoing the check-in takes the person off the list altogether, like any check-in.
    assert attendance.reopen_event(manager, event) is True
    assert attendance.undo_check_in(user, liisa) is True
    db.session.commit()
    assert _attendance_rows(event.id) == 0


def test_a_registered_person_recorded_as_walk_in_first_is_checked_in_once(client):
    """Registered earlier, typed in at the door as a walk-in by the email, then found on the
    list and ticked: still one row. And the database refuses a second row outright."""
    event = _setup()
    user = db.session.scalar(select(User).where(User.email == STAFF))
    # A walk-in row for the person made before they registered (the other order).
    person_walk_in = attendance.add_walk_in(user, event, "Olli Ojala", email="olli@example.fi")
    db.session.commit()
    olli = _register(event, "Olli Ojala", "olli@example.fi")
    result = attendance.record_sheet(user, event, [olli.id])
    db.session.commit()
    assert result.added == 1
    assert _attendance_rows(event.id) == 1
    assert _present_ids(event.id) == {olli.id}
    assert person_walk_in.attendance.id in {
        a.id for a in db.session.scalars(select(Attendance).where(Attendance.event_id == event.id))
    }

    db.session.add(
        Attendance(event_id=event.id, person_id=olli.person_id, walk_in_name="Olli again")
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- headcounts ---------------------------------------------------------------------------


def test_headcount_is_added_corrected_and_removed(client):
    event = _setup(kind="forum")
    sign_in(client, STAFF)
    url = f"/organiser/events/{event.id}/headcount"

    assert post_form(client, url, {"count": "35", "note": "Avauspuheenvuoro"}).status_code == 303
    post_form(client, url, {"count": "12", "note": "Paneeli"})
    assert post_form(client, url, {"count": "-3"}).status_code == 422
    assert post_form(client, url, {"count": ""}).status_code == 422
    page = client.get(_checkin_url(event)).get_data(as_text=True)
    assert '<dd data-count="headcount">47</dd>' in page

    first, second = db.session.scalars(select(Headcount).order_by(Headcount.id)).all()
    post_form(client, f"{url}/{first.id}", {"count": "40", "note": "Avaus"}, token_from=url)
    post_form(client, f"{url}/{second.id}/remove", token_from=url)
    assert attendance.attendance_summary(event.id).headcount == 40
    assert attendance.attendance_summary(event.id).participations == 0  # never added
    html = client.get(url).get_data(as_text=True)
    assert "Counted so far: 40" in html and "Avaus" in html


# --- QR check-in --------------------------------------------------------------------------


def test_confirmation_mail_carries_the_check_in_qr_code_that_staff_scan(client, mailbox):
    event = _setup(capacity=1)
    signup(client, event.id, name="Aino Korhonen", email="aino@example.fi")
    signup(client, event.id, name="Pekka Mäkinen", email="pekka@example.fi")
    aino = db.session.scalars(select(Registration).order_by(Registration.id)).first()

    [mail] = mailbox.to("aino@example.fi")
    related = next(p for p in mail.walk() if p.get_content_type() == "multipart/related")
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    content_id = image["Content-ID"].strip("<>")
    assert image.get_content_disposition() == "inline"
    html = mail.get_body(("html",)).get_content()
    assert f'src="cid:{content_id}"' in html
    # The image is the code of this registration's check-in link (generation is
    # deterministic), and it is not listed among the attachments beside the calendar file.
    assert image.get_content() == attendance.checkin_qr_png(aino)
    assert [p.get_filename() for p in mail.iter_attachments()] == ["event.ics"]
    [waiting_mail] = mailbox.to("pekka@example.fi")
    assert "image/png" not in [p.get_content_type() for p in waiting_mail.walk()]

    # The participant's own page shows the same code.
    page = client.get(manage_link(mail)).get_data(as_text=True)
    assert "data:image/svg+xml" in page and "Check-in code" in page

    link = urlsplit(attendance.checkin_url(aino)).path
    assert link.startswith("/organiser/checkin/")
    assert client.get(link).status_code == 302  # staff sign in first

    sign_in(client, STAFF)
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Aino Korhonen" in html and "Mark present" in html
    assert _present_ids(event.id) == set()  # opening the link marks nobody
    confirmed = post_form(client, link)
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == link
    html = client.get(link).get_data(as_text=True)
    assert "Aino Korhonen is marked present." in html and "Present since" in html
    assert _present_ids(event.id) == {aino.id}
    post_form(client, link)  # scanned twice
    assert _attendance_rows(event.id) == 1
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "checked_in")).one()
    assert entry.details["via"] == "qr"

    assert client.get(link[:-3] + "abc").status_code == 404  # a forged signature


def test_check_in_tokens_are_signed_registration_references(app):
    event = _setup()
    aino = _register(event, "Aino Korhonen", "aino@example.fi")
    token = attendance.checkin_token(aino)
    assert attendance.registration_for_token(token) == aino
    assert attendance.registration_for_token(token + "x") is None
    assert attendance.registration_for_token("") is None
    from itsdangerous import URLSafeSerializer

    other_salt = URLSafeSerializer(app.secret_key, salt="eventhub.other").dumps(aino.id)
    assert attendance.registration_for_token(other_salt) is None
    assert attendance.checkin_url(aino) == f"http://eventhub.test/organiser/checkin/{token}"


def test_online_only_events_send_no_qr_code(client, mailbox):
    project = factories.project()
    event = factories.event(project=project, online_url="https://meet.example/x", venue="")
    db.session.commit()
    signup(client, event.id, email="aino@example.fi")
    [mail] = mailbox.to("aino@example.fi")
    assert "image/png" not in [p.get_content_type() for p in mail.walk()]


# --- the printed sheet and its ticks ------------------------------------------------------


def test_sign_in_sheet_and_ticks_entered_afterwards(client):
    event = _setup()
    aino = _register(event, "Aino Korhonen", "aino@example.fi", "Kyläyhdistys ry")
    pekka = _register(event, "Pekka Mäkinen", "pekka@example.fi")
    liisa = _register(event, "Liisa Äijälä", "liisa@example.fi")
    sign_in(client, STAFF)

    sheet = client.get(f"/organiser/events/{event.id}/sheet")
    html = sheet.get_data(as_text=True)
    assert sheet.status_code == 200
    assert "Signature" in html and "Kyläyhdistys ry" in html and "Not registered" in html
    assert html.index("Aino Korhonen") < html.index("Liisa Äijälä") < html.index("Pekka")
    assert 'href="/static/attendance.css"' in html and "data-print" in html

    ticks = f"/organiser/events/{event.id}/ticks"
    token = csrf_token(client, ticks)
    response = client.post(
        ticks, data={"csrf_token": token, "present": [str(aino.id), str(liisa.id), "99999"]}
    )
    assert response.status_code == 303
    assert _present_ids(event.id) == {aino.id, liisa.id}
    page = client.get(ticks).get_data(as_text=True)
    assert re.search(rf'value="{aino.id}"\s+checked', page)
    assert not re.search(rf'value="{pekka.id}"\s+checked', page)

    # A correction: Liisa's tick was Pekka's.
    client.post(ticks, data={"csrf_token": token, "present": [str(aino.id), str(pekka.id)]})
    assert _present_ids(event.id) == {aino.id, pekka.id}
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "sheet_recorded").order_by(AuditEntry.id)
    ).all()
    assert [(e.details["added"], e.details["removed"]) for e in entries] == [(2, 0), (1, 1)]


# --- closing ------------------------------------------------------------------------------


def test_closing_makes_attendance_final_until_reopened(client):
    event = _setup()
    aino = _register(event, "Aino Korhonen", "aino@example.fi")
    pekka = _register(event, "Pekka Mäkinen", "pekka@example.fi")
    sign_in(client, STAFF)
    checkin = _checkin_url(event)
    post_form(client, f"/organiser/events/{event.id}/checkin/{aino.id}/present", token_from=checkin)
    # Check-in staff take attendance but do not close the event.
    assert client.get(f"/organiser/events/{event.id}/close").status_code == 404
    token = csrf_token(client, checkin)
    refused = client.post(f"/organiser/events/{event.id}/close", data={"csrf_token": token})
    assert refused.status_code == 404
    assert "/close" not in client.get(checkin).get_data(as_text=True)

    manager = client.application.test_client()
    sign_in(manager, MANAGER)
    close = f"/organiser/events/{event.id}/close"
    page = manager.get(close).get_data(as_text=True)
    assert "Attendance is complete: close the event" in page
    response = post_form(manager, close, {"report": "Hyvä keskustelu, 2 uutta yhdistystä."})
    assert response.status_code == 303
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.status == EventStatus.HELD and event.closed_at is not None
    assert event.closing_report == "Hyvä keskustelu, 2 uutta yhdistystä."
    assert "Hyvä keskustelu" in manager.get(close).get_data(as_text=True)

    # After closing nothing changes, each with a clear message.
    refused = client.post(
        f"/organiser/events/{event.id}/checkin/{pekka.id}/present",
        data={"csrf_token": csrf_token(client, checkin)},
        follow_redirects=True,
    )
    assert "Attendance of this event has been closed." in refused.get_data(as_text=True)
    json_refusal = client.post(
        f"/organiser/events/{event.id}/checkin/{aino.id}/undo",
        data={"csrf_token": csrf_token(client, checkin)},
        headers={"Accept": "application/json"},
    )
    assert json_refusal.status_code == 409 and json_refusal.get_json()["error"] == "closed"
    walk_in = post_form(client, f"/organiser/events/{event.id}/walk-in", {"name": "Matti"})
    assert walk_in.status_code == 303
    headcount = post_form(client, f"/organiser/events/{event.id}/headcount", {"count": "5"})
    assert headcount.status_code == 303
    link = urlsplit(attendance.checkin_url(pekka)).path
    assert "Mark present" not in client.get(link).get_data(as_text=True)
    assert _present_ids(event.id) == {aino.id} and _attendance_rows(event.id) == 1
    assert attendance.attendance_summary(event.id).headcount == 0
    page = client.get(checkin).get_data(as_text=True)
    assert "Attendance was closed on" in page and "/present" not in page

    # A manager reopens it to correct the attendance, then closes it again.
    assert post_form(manager, f"/organiser/events/{event.id}/reopen",
                     token_from=close).status_code == 303  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.PUBLISHED
    post_form(client, f"/organiser/events/{event.id}/checkin/{pekka.id}/present",
              token_from=checkin)  # fmt: skip
    assert _present_ids(event.id) == {aino.id, pekka.id}
    post_form(manager, close, {"report": ""})
    assert _actions(event.id) == [
        "checked_in", "event_closed", "event_reopened", "checked_in", "event_closed",
    ]  # fmt: skip
    closed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event_closed"))
    assert closed.first().details == {"participations": 1, "headcount": 0}


def test_an_event_is_closed_only_once_it_has_begun(client):
    event = _setup(started=False)
    sign_in(client, MANAGER)
    close = f"/organiser/events/{event.id}/close"
    assert "The event has not started yet." in client.get(close).get_data(as_text=True)
    refused = client.post(
        close, data={"csrf_token": csrf_token(client, close), "report": "x"}, follow_redirects=True
    )
    assert "The event has not started yet. Close it once it has begun." in refused.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Event, event.id).closed_at is None


# --- scope --------------------------------------------------------------------------------


def test_staff_and_managers_reach_only_their_own_events(client):
    event = _setup()
    aino = _register(event, "Aino Korhonen", "aino@example.fi")
    other_project = factories.project()
    other = factories.event(project=other_project, venue="Muualla")
    factories.user(email="other-staff@example.fi", role=Role.CHECKIN, events=[other])
    factories.user(email="other-manager@example.fi", role=Role.MANAGER, projects=[other_project])
    db.session.commit()
    link = urlsplit(attendance.checkin_url(aino)).path
    pages = [
        _checkin_url(event),
        f"/organiser/events/{event.id}/walk-in",
        f"/organiser/events/{event.id}/headcount",
        f"/organiser/events/{event.id}/sheet",
        f"/organiser/events/{event.id}/ticks",
        link,
    ]

    for email in ("other-staff@example.fi", "other-manager@example.fi"):
        outsider = client.application.test_client()
        sign_in(outsider, email)
        for url in pages:
            assert outsider.get(url).status_code == 404, (email, url)
        token = csrf_token(outsider, "/organiser/")
        tap = outsider.post(
            f"/organiser/events/{event.id}/checkin/{aino.id}/present", data={"csrf_token": token}
        )
        assert tap.status_code == 404
        assert outsider.post(link, data={"csrf_token": token}).status_code == 404
    assert _present_ids(event.id) == set()

    # A registration of another event cannot be checked in through this one.
    sign_in(client, STAFF)
    foreign = _register(other, "Pekka Mäkinen", "pekka@example.fi")
    tap = post_form(client, f"/organiser/events/{event.id}/checkin/{foreign.id}/present",
                    token_from=_checkin_url(event))  # fmt: skip
    assert tap.status_code == 404
    assert client.get(f"/organiser/events/{other.id}/checkin").status_code == 404

    # The staff's own pages all open, and the event list links to the check-in.
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert _checkin_url(event) in client.get("/organiser/").get_data(as_text=True)


def test_results_are_available_to_lists_exports_and_indicators(client):
    event = _setup()
    aino = _register(event, "Aino Korhonen", "aino@example.fi")
    _register(event, "Pekka Mäkinen", "pekka@example.fi")
    sign_in(client, STAFF)
    checkin = _checkin_url(event)
    post_form(client, f"/organiser/events/{event.id}/checkin/{aino.id}/present", token_from=checkin)
    post_form(client, f"/organiser/events/{event.id}/walk-in", {"name": "Matti Virtanen"})
    post_form(client, f"/organiser/events/{event.id}/headcount", {"count": "30"})

    assert attendance.attended_registration_ids(event.id) == {aino.id}
    summary = attendance.attendance_summary(event.id)
    assert (summary.confirmed, summary.present, summary.walk_ins) == (2, 1, 1)
    assert summary.headcount == 30
    assert summary.participations == 2
    empty = factories.event()
    db.session.commit()
    summaries = attendance.attendance_summaries([event.id, empty.id])
    assert summaries[empty.id] == attendance.AttendanceSummary()
    html = client.get(checkin).get_data(as_text=True)
    for name, value in (("confirmed", 2), ("present", 1), ("walk_ins", 1), ("headcount", 30)):
        assert f'<dd data-count="{name}">{value}</dd>' in html


def test_the_outbox_sends_binary_attachments_and_keeps_text_ones(app, mailbox):
    from eventhub.core.services import outbox

    png = attendance.outbox.qr_png("https://eventhub.test/x")
    outbox.enqueue(
        kind="test",
        recipient="aino@example.fi",
        subject="Liitteet",
        body_text="Teksti",
        body_html='<p><img src="cid:kuva@eventhub"></p>',
        attachments=[
            outbox.MailAttachment("notes.txt", "text/plain; charset=utf-8", "Äijälä"),
            outbox.MailAttachment(
                "kuva.png", "image/png", base64.b64encode(png).decode(), encoding="base64"
            ),
            outbox.MailAttachment(
                "qr.png", "image/png", "https://eventhub.test/x", encoding="qr",
                content_id="kuva@eventhub",
            ),
        ],
    )  # fmt: skip
    db.session.commit()
    assert outbox.deliver().sent == 1
    [mail] = mailbox.messages
    files = {p.get_filename(): p for p in mail.iter_attachments()}
    assert sorted(files) == ["kuva.png", "notes.txt"]  # the inline image is not a file
    assert files["kuva.png"].get_content() == png
    assert files["notes.txt"].get_content().strip() == "Äijälä"
    related = next(p for p in mail.walk() if p.get_content_type() == "multipart/related")
    inline = [p for p in related.iter_parts() if p["Content-ID"] == "<kuva@eventhub>"]
    assert inline[0].get_content() == png
