"""The check-in app's server side: the roster a device keeps, taps uploaded once each with
their scan time, enrolled devices and their revocation, and what organisers see.

Signed-in staff sync with their session (taps carry the CSRF token the roster hands out);
an enrolled device with its bearer token. The browser side is in
tests/browser/test_door_app.py.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select, update

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    AuditEntry,
    DoorDevice,
    DoorTap,
    Event,
    Headcount,
    Person,
    Registration,
    Role,
)
from eventhub.core.services import attendance, door, indicators, registration
from eventhub.core.services.registration import SignupData
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import post_form, sign_in

STAFF = "ovella@example.fi"
MANAGER = "anne@example.fi"
CLIENT = "device-one-0001"


def _setup(**event_kw) -> Event:
    project = factories.project()
    factories.user(email=MANAGER, role=Role.MANAGER, projects=[project])
    event_kw.setdefault("starts_at", utcnow().replace(microsecond=0) - timedelta(minutes=30))
    event = factories.event(project=project, hours=3, capacity=400, venue="Kylätalo", **event_kw)
    factories.user(email=STAFF, role=Role.CHECKIN, events=[event])
    db.session.commit()
    return event


def _register(event: Event, name: str, email: str, **kw) -> Registration:
    result = registration.register(event.id, SignupData(name=name, email=email, locale="fi", **kw))
    db.session.commit()
    return result.registration


def _people(event: Event, n: int) -> list[Registration]:
    return [_register(event, f"Osallistuja {i:03}", f"p{i}@example.fi") for i in range(n)]


def _roster(client, event: Event, token: str | None = None, **query):
    params = urlencode(query)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = "/door/api/roster?" + (f"event={event.id}&" if not token else "") + params
    return client.get(url, headers=headers)


def _upload(client, event: Event, taps: list[dict], token: str | None = None, pending=0):
    if token:
        headers = {"Authorization": f"Bearer {token}"}
        url = "/door/api/taps"
    else:
        csrf = _roster(client, event).get_json()["csrf_token"]
        headers = {"X-CSRFToken": csrf, "X-Door-Client": CLIENT}
        url = f"/door/api/taps?event={event.id}"
    return client.post(url, json={"taps": taps, "pending": pending}, headers=headers)


def _tap(kind: str, at: datetime, **fields) -> dict:
    return {"id": str(uuid.uuid4()), "kind": kind, "at": at.isoformat(), **fields}


def _present(event: Event) -> dict[int, datetime]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(Attendance.registration_id, Attendance.recorded_at).where(
                Attendance.event_id == event.id, Attendance.registration_id.is_not(None)
            )
        ).all()
    )


def _as(client, email: str) -> None:
    """Sign in as ``email``, signing out whoever was signed in first."""
    page = client.get("/organiser/")
    if page.status_code == 200:
        client.post("/logout", data={"csrf_token": csrf_token(client, "/organiser/")})
    sign_in(client, email)


def _enrol(client, event: Event, label: str = "Ovi 1") -> str:
    """Enrol a device through the organiser page; the token from the link it shows."""
    _as(client, MANAGER)
    page = post_form(client, f"/organiser/events/{event.id}/devices", {"label": label})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    match = re.search(r'href="http://eventhub\.test/door/#enrol=([A-Za-z0-9_-]+)"', html)
    assert match, "no enrolment link on the page"
    assert 'src="data:image/svg+xml' in html  # the QR code to scan
    client.post("/logout", data={"csrf_token": csrf_token(client, "/organiser/")})
    return match.group(1)


# --- the roster ----------------------------------------------------------------------------


def test_roster_holds_what_the_door_needs_and_nothing_more(client):
    event = _setup()
    aino = _register(
        event, "Aino Korhonen", "aino@example.fi", organisation_name="Kyläyhdistys ry",
        accessibility_needs="Pyörätuoli", dietary_needs="Gluteeniton",
    )  # fmt: skip
    pekka = _register(event, "Pekka Mäkinen", "pekka@example.fi")
    gone = _register(event, "Lähtenyt Henkilö", "gone@example.fi")
    registration.cancel(gone)
    db.session.commit()

    assert _roster(client, event).status_code == 401  # signed out: nothing
    _as(client, STAFF)
    response = _roster(client, event)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_json()
    rows = {row["key"]: row for row in body["rows"]}
    assert set(rows) == {f"r{aino.id}", f"r{pekka.id}"}  # no cancelled registration
    assert rows[f"r{aino.id}"] == {
        "key": f"r{aino.id}",
        "name": "Aino Korhonen",
        "org": "Kyläyhdistys ry",
        "status": "confirmed",
        "code": attendance.checkin_token(aino),
        "needs": True,
    }
    assert rows[f"r{pekka.id}"]["needs"] is False
    text = response.get_data(as_text=True)
    for private in ("aino@example.fi", "Pyörätuoli", "Gluteeniton"):
        assert private not in text
    assert body["present"] == [] and sorted(body["keys"]) == sorted(rows)
    assert body["full"] is True and body["more"] is False and body["csrf_token"]
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires == event.ends_at + door.ROSTER_KEEP


def test_roster_is_incremental_and_resumes_page_by_page(client):
    event = _setup()
    people = _people(event, 5)
    an_hour_ago = utcnow() - timedelta(hours=1)  # registered a while before the door opened
    db.session.execute(update(Registration).values(updated_at=an_hour_ago))
    db.session.execute(update(Person).values(updated_at=an_hour_ago))
    _as(client, STAFF)

    seen, cursor, pages = [], None, 0
    for _request in range(10):  # a slow connection: two rows a request, resuming each time
        body = _roster(client, event, limit=2, **({"cursor": cursor} if cursor else {})).get_json()
        seen += [row["key"] for row in body["rows"]]
        cursor, pages = body["cursor"], pages + 1
        if not body["more"]:
            break
    assert pages == 3 and sorted(seen) == sorted(f"r{p.id}" for p in people)
    assert len(seen) == len(set(seen))

    # Later: only what changed since the cursor travels (plus the short overlap).
    later = _roster(client, event, cursor=cursor).get_json()
    assert later["full"] is False and later["rows"] == []
    newcomer = _register(event, "Uusi Tulija", "uusi@example.fi")
    again = _roster(client, event, cursor=cursor).get_json()
    assert [row["key"] for row in again["rows"]] == [f"r{newcomer.id}"]

    # A check-in on another device reaches this one, even one made long ago and uploaded
    # late: who is present travels whole on every sync.
    long_ago = utcnow() - timedelta(hours=1)
    _upload(client, event, [_tap("present", long_ago, key=f"r{people[0].id}")])
    body = _roster(client, event, cursor=again["cursor"]).get_json()
    assert body["present"] == [f"r{people[0].id}"]

    # A garbled cursor is no cursor: everything comes again.
    assert len(_roster(client, event, cursor="garbage").get_json()["rows"]) == 6


def test_roster_is_for_the_event_staff_only_and_ends_after_the_event(client):
    event = _setup()
    other = factories.event(project=event.project, starts_at=utcnow() - timedelta(hours=1))
    db.session.commit()
    _as(client, STAFF)
    assert _roster(client, other).status_code == 404  # not assigned to that event
    assert client.get("/door/api/roster?event=abc").status_code == 404

    event.starts_at = utcnow() - timedelta(days=2)
    event.ends_at = utcnow() - door.ROSTER_KEEP - timedelta(minutes=1)
    db.session.commit()
    response = _roster(client, event)
    assert response.status_code == 410 and response.get_json() == {"error": "expired"}


# --- taps ----------------------------------------------------------------------------------


def test_an_upload_sent_twice_counts_once_and_keeps_the_scan_times(client):
    event = _setup()
    people = _people(event, 4)
    _as(client, STAFF)
    start = utcnow().replace(microsecond=0) - timedelta(minutes=20)
    taps = [
        _tap("present", start + timedelta(seconds=i), key=f"r{p.id}") for i, p in enumerate(people)
    ]
    taps += [
        _tap("walk_in", start + timedelta(minutes=1), name="Kävijä Ilman", org="Kylä ry"),
        _tap("walk_in", start + timedelta(minutes=2), name="Kävijä Ilman"),  # a namesake
        _tap("headcount", start + timedelta(minutes=3), count=12, note="Yleisö"),
    ]

    first = _upload(client, event, taps, pending=3)
    assert first.status_code == 200
    assert [r["outcome"] for r in first.get_json()["results"]] == ["applied"] * 7
    again = _upload(client, event, taps)  # the answer got lost: the device sends it all again
    assert again.get_json()["results"] == first.get_json()["results"]

    present = _present(event)
    assert present == {p.id: start + timedelta(seconds=i) for i, p in enumerate(people)}
    walk_ins = db.session.scalars(
        select(Attendance).where(
            Attendance.event_id == event.id, Attendance.registration_id.is_(None)
        )
    ).all()
    assert len(walk_ins) == 2  # two taps, two visitors: not taken for a double tap
    assert {w.recorded_at for w in walk_ins} == {
        start + timedelta(minutes=1),
        start + timedelta(minutes=2),
    }
    counts = db.session.scalars(select(Headcount).where(Headcount.event_id == event.id)).all()
    assert [(c.count, c.recorded_at) for c in counts] == [(12, start + timedelta(minutes=3))]
    assert db.session.scalar(select(func.count()).select_from(DoorTap)) == 7
    assert again.get_json()["counts"] == {
        "confirmed": 4, "present": 4, "walk_ins": 2, "headcount": 12
    }  # fmt: skip

    # Organiser pages and indicators count them at once.
    summary = attendance.attendance_summary(event.id)
    assert summary.participations == 6
    html = client.get(f"/organiser/events/{event.id}/checkin").get_data(as_text=True)
    assert '<dd data-count="present">4</dd>' in html and "Kävijä Ilman" in html
    device = db.session.scalar(select(DoorDevice).where(DoorDevice.client_id == CLIENT))
    assert device.pending_count == 0 and device.last_sync_at is not None


def test_two_devices_tapping_one_person_make_one_attendance_and_both_are_audited(client):
    event = _setup()
    aino, pekka = _people(event, 2)
    token = _enrol(client, event)
    _as(client, STAFF)
    early = utcnow().replace(microsecond=0) - timedelta(minutes=10)

    mine = _upload(
        client, event, [_tap("present", early + timedelta(minutes=2), key=f"r{aino.id}")]
    )
    theirs = _upload(client, event, [_tap("present", early, key=f"r{aino.id}")], token=token)
    assert mine.get_json()["results"][0]["outcome"] == "applied"
    assert theirs.get_json()["results"][0]["outcome"] == "already"
    assert _present(event) == {aino.id: early}  # one attendance, from the first scan
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(["checked_in", "door_tap"]))
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.object_id, e.details.get("outcome")) for e in entries] == [
        ("checked_in", aino.id, None), ("door_tap", aino.id, "already")
    ]  # fmt: skip
    first, second = (e.details["tap"] for e in entries)
    assert {first, second} == set(db.session.scalars(select(DoorTap.tap_id)))
    devices = db.session.scalars(select(DoorTap.device_id).order_by(DoorTap.id)).all()
    assert entries[1].details["device"] == devices[1] != devices[0]

    # The latest tap decides: an undo at 10:05 beats a present made at 10:03 but uploaded
    # after it.
    undo = _upload(client, event, [_tap("undo", early + timedelta(minutes=5), key=f"r{aino.id}")])
    late = _upload(
        client, event, [_tap("present", early + timedelta(minutes=3), key=f"r{aino.id}")],
        token=token,
    )  # fmt: skip
    assert undo.get_json()["results"][0]["outcome"] == "applied"
    assert late.get_json()["results"][0]["outcome"] == "superseded"
    assert _present(event) == {}


def test_unreadable_taps_are_refused_alone_and_others_go_through(client):
    event = _setup()
    (aino,) = _people(event, 1)
    elsewhere = factories.event(project=event.project, starts_at=utcnow() - timedelta(hours=1))
    db.session.commit()
    stranger = _register(elsewhere, "Muu Tapahtuma", "muu@example.fi")
    _as(client, STAFF)
    now = utcnow()
    taps = [
        {"id": "x", "kind": "present", "at": now.isoformat(), "key": f"r{aino.id}"},
        _tap("teleport", now),
        _tap("present", now.replace(tzinfo=None), key=f"r{aino.id}"),  # no timezone
        _tap("present", now, key=f"r{stranger.id}"),  # another event's registration
        _tap("walk_in", now, name="   "),
        _tap("headcount", now, count=-1),
        _tap("present", now + timedelta(days=1), key=f"r{aino.id}"),  # a clock a day ahead
    ]
    results = _upload(client, event, taps).get_json()["results"]
    assert [(r["outcome"], r["reason"]) for r in results] == [
        ("refused", "invalid"), ("refused", "invalid"), ("refused", "invalid"),
        ("refused", "unknown"), ("refused", "invalid"), ("refused", "invalid"),
        ("applied", ""),
    ]  # fmt: skip
    recorded = _present(event)[aino.id]
    assert abs(recorded - utcnow()) < timedelta(minutes=1)  # not tomorrow
    assert _upload(client, event, "not a list").status_code == 200
    bad = client.post(
        f"/door/api/taps?event={event.id}", data="{", content_type="application/json",
        headers={"X-CSRFToken": _roster(client, event).get_json()["csrf_token"],
                 "X-Door-Client": CLIENT},
    )  # fmt: skip
    assert bad.status_code == 400


def test_a_signed_in_upload_needs_the_csrf_token(client):
    event = _setup()
    (aino,) = _people(event, 1)
    _as(client, STAFF)
    tap = _tap("present", utcnow(), key=f"r{aino.id}")
    response = client.post(
        f"/door/api/taps?event={event.id}",
        json={"taps": [tap]},
        headers={"X-Door-Client": CLIENT},
    )
    assert response.status_code == 400 and response.get_json() == {"error": "csrf"}
    assert _present(event) == {}
    assert db.session.scalar(select(func.count()).select_from(DoorTap)) == 0


def test_a_closed_event_refuses_taps_and_closing_warns_about_unsent_ones(client):
    event = _setup()
    aino, pekka = _people(event, 2)
    _as(client, STAFF)
    _upload(client, event, [_tap("present", utcnow(), key=f"r{aino.id}")], pending=5)

    _as(client, MANAGER)
    page = client.get(f"/organiser/events/{event.id}/close").get_data(as_text=True)
    assert "Some devices still hold taps they have not sent" in page
    assert "Waiting to be sent: 5" in page and STAFF in page
    post_form(client, f"/organiser/events/{event.id}/close", {"report": ""})

    _as(client, STAFF)
    result = _upload(client, event, [_tap("present", utcnow(), key=f"r{pekka.id}")])
    (answer,) = result.get_json()["results"]
    assert answer["outcome"] == "refused" and answer["reason"] == "closed"
    assert "closed" in answer["message"]
    assert set(_present(event)) == {aino.id}


# --- enrolled devices ----------------------------------------------------------------------


def test_an_enrolled_device_syncs_with_its_token_until_it_is_revoked(client):
    event = _setup()
    aino, pekka = _people(event, 2)
    _as(client, STAFF)  # check-in staff do not enrol devices
    assert client.get(f"/organiser/events/{event.id}/devices").status_code == 404
    token = _enrol(client, event, "Ovipuhelin")

    device = db.session.scalar(select(DoorDevice).where(DoorDevice.label == "Ovipuhelin"))
    assert device.token_hash != token and token not in device.token_hash
    body = _roster(client, event, token=token).get_json()
    assert {row["key"] for row in body["rows"]} == {f"r{aino.id}", f"r{pekka.id}"}
    assert "csrf_token" not in body
    done = _upload(client, event, [_tap("present", utcnow(), key=f"r{aino.id}")], token=token)
    assert done.get_json()["results"][0]["outcome"] == "applied"
    assert _roster(client, event, token="not-the-token").status_code == 401

    _as(client, MANAGER)
    page = client.get(f"/organiser/events/{event.id}/devices").get_data(as_text=True)
    assert "Ovipuhelin" in page and token not in page  # the token is shown once only
    post_form(
        client, f"/organiser/events/{event.id}/devices/{device.id}/revoke",
        token_from=f"/organiser/events/{event.id}/devices",
    )  # fmt: skip
    client.post("/logout", data={"csrf_token": csrf_token(client, "/organiser/")})

    refused = _roster(client, event, token=token)
    assert refused.status_code == 401 and refused.get_json() == {"error": "revoked"}
    upload = _upload(client, event, [_tap("present", utcnow(), key=f"r{pekka.id}")], token=token)
    assert upload.status_code == 401
    assert set(_present(event)) == {aino.id}
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "door_device_enrolled" in actions and actions[-1] == "door_device_revoked"


def test_a_device_token_ends_with_its_manager_and_after_the_event(client):
    event = _setup()
    token = _enrol(client, event)
    assert _roster(client, event, token=token).status_code == 200
    manager = db.session.scalar(select(DoorDevice)).user
    manager.projects = []  # the manager who enrolled it leaves the project
    db.session.commit()
    assert _roster(client, event, token=token).status_code == 401

    manager.projects = [event.project]
    event.starts_at = utcnow() - timedelta(days=4)
    event.ends_at = utcnow() - door.TOKEN_GRACE - timedelta(minutes=1)
    db.session.commit()
    assert _roster(client, event, token=token).status_code == 401


# --- the app itself ------------------------------------------------------------------------


def test_the_app_shell_worker_and_manifest_hold_no_personal_data(client):
    event = _setup()
    _register(event, "Aino Korhonen", "aino@example.fi")
    _as(client, STAFF)
    checkin = client.get(f"/organiser/events/{event.id}/checkin").get_data(as_text=True)
    assert f'href="/door/#event={event.id}"' in checkin

    shell = client.get("/door/", headers={"Accept-Language": "fi"})
    html = shell.get_data(as_text=True)
    assert shell.status_code == 200 and "Aino" not in html and STAFF not in html
    assert 'lang="fi"' in html and "csrf_token" not in html
    config = json.loads(re.search(r'id="door-config">(.*?)</script>', html, re.S).group(1))
    assert config["strings"]["present"] == "Paikalla"

    worker = client.get("/door/sw.js")
    assert worker.mimetype == "text/javascript"
    assets = json.loads(
        re.search(r"const ASSETS = (\[.*?\]);", worker.get_data(as_text=True)).group(1)
    )
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        response.close()
    manifest = client.get("/door/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.get_json()["scope"] == "/door/"


def test_indicators_count_uploaded_taps(client):
    event = _setup()
    people = _people(event, 3)
    _as(client, STAFF)
    _upload(client, event, [_tap("present", utcnow(), key=f"r{p.id}") for p in people])
    _upload(client, event, [_tap("walk_in", utcnow(), name="Ovelta Tullut")])
    _as(client, MANAGER)
    post_form(client, f"/organiser/events/{event.id}/close", {"report": ""})
    figures = indicators.participation(indicators.Scope((event.project_id,)))
    assert (figures.registered_participations, figures.walk_ins) == (3, 1)


def test_an_upload_takes_a_few_statements_a_tap(client, app):
    """Taps of one upload share the event's lock and their look-ups: no query per tap beyond
    the few that record it (a regression here is what makes a big offline batch slow)."""
    event = _setup()
    people = _people(event, 40)
    _as(client, STAFF)
    csrf = _roster(client, event).get_json()["csrf_token"]
    taps = [_tap("present", utcnow(), key=f"r{p.id}") for p in people]
    statements = []
    listen = lambda *args, **kw: statements.append(args[2])  # noqa: E731
    sqlalchemy_event.listen(db.engine, "before_cursor_execute", listen)
    try:
        client.post(
            f"/door/api/taps?event={event.id}", json={"taps": taps, "pending": 0},
            headers={"X-CSRFToken": csrf, "X-Door-Client": CLIENT},
        )  # fmt: skip
    finally:
        sqlalchemy_event.remove(db.engine, "before_cursor_execute", listen)
    assert len(_present(event)) == 40
    assert len(statements) <= 6 * 40 + 25, len(statements)
