"""The check-in app in a real Chromium on a 360 px phone: the village hall's Wi-Fi goes.

The organiser opens the app from the check-in page, the roster loads, the network goes
(``context.set_offline``), 50 people are checked in, three walk-ins and a headcount are
added, the page is reloaded offline (it opens from the service worker), the network comes
back: the server holds exactly those attendances, once each, with the times they were
tapped. A second, enrolled phone taps some of the same people offline: nobody is counted
twice. Then the phone is revoked and syncs nothing; after the event its roster is erased.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
import segno
from playwright.sync_api import expect
from sqlalchemy import func, select

from eventhub.core.db import utcnow
from eventhub.extensions import db
from tests.browser.support import (
    ARTIFACTS,
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    PHONE,
    requires_chromium,
    t,
)

pytestmark = requires_chromium

PEOPLE = 60


@pytest.fixture(scope="module")
def door_event(site):
    """An event that began half an hour ago with 60 confirmed registrations."""
    from eventhub.core.services import registration

    event_id = site.event(
        title="Kylätalon ilta", starts_at=utcnow().replace(microsecond=0) - timedelta(minutes=30),
        capacity=100, venue="Kylätalo",
    )  # fmt: skip
    with site.app.test_request_context():
        for i in range(PEOPLE):
            registration.register(
                event_id,
                registration.SignupData(
                    name=f"Osallistuja {i:02}", email=f"door{i}@example.fi", locale="fi",
                    dietary_needs="Gluteeniton" if i == 0 else "",
                ),
            )  # fmt: skip
        db.session.commit()
    return event_id


def sign_in(page, site, locale="en"):
    page.goto("/login")
    page.get_by_label(t(site, locale, "Email"), exact=True).fill(ORGANISER_EMAIL)
    page.get_by_label(t(site, locale, "Password"), exact=True).fill(ORGANISER_PASSWORD)
    page.get_by_role("button", name=t(site, locale, "Sign in"), exact=True).click()


def device_taps(page) -> list[dict]:
    """The taps the app keeps in IndexedDB (those not yet sent)."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("eventhub-door");
            open.onsuccess = () => {
                const request = open.result.transaction("taps").objectStore("taps").getAll();
                request.onsuccess = () => resolve(request.result);
                request.onerror = () => reject(request.error);
            };
        })"""
    )


def present_button(page, site, name: str, locale="en"):
    row = page.locator(".door-row").filter(has=page.get_by_text(name, exact=True))
    return row.get_by_role("button", name=t(site, locale, "Present"))


def wait_until_sent(page, site, locale="en"):
    expect(page.locator("#door-pending")).to_have_text(
        t(site, locale, "Everything has been sent."), timeout=15_000
    )


def server_state(site, event_id):
    from eventhub.core.models import Attendance, DoorTap, Headcount, Registration

    with site.app.app_context():
        present = dict(
            db.session.execute(
                select(Registration.person_id, Attendance.recorded_at)
                .join(Attendance, Attendance.registration_id == Registration.id)
                .where(Attendance.event_id == event_id)
            ).all()
        )
        names = dict(
            db.session.execute(
                select(Attendance.walk_in_name, Attendance.recorded_at).where(
                    Attendance.event_id == event_id, Attendance.registration_id.is_(None)
                )
            ).all()
        )
        rows = db.session.scalar(
            select(func.count()).select_from(Attendance).where(Attendance.event_id == event_id)
        )
        counts = db.session.scalars(
            select(Headcount.count).where(Headcount.event_id == event_id)
        ).all()
        taps = db.session.scalar(select(func.count()).select_from(DoorTap))
        db.session.remove()
    return present, names, rows, counts, taps


def person_ids(site, event_id) -> dict[str, int]:
    from eventhub.core.models import Person, Registration

    with site.app.app_context():
        ids = dict(
            db.session.execute(
                select(Person.name, Person.id)
                .join(Registration, Registration.person_id == Person.id)
                .where(Registration.event_id == event_id)
            ).all()
        )
        db.session.remove()
    return ids


def test_the_door_keeps_working_without_a_network(site, pages, door_event):
    names = [f"Osallistuja {i:02}" for i in range(PEOPLE)]
    page = pages.open("en", viewport=PHONE)
    context = page.context
    sign_in(page, site)

    # The organiser enrols a second phone for the door.
    page.goto(f"/organiser/events/{door_event}/devices")
    pages.check(page, "door-devices")
    page.get_by_label("Name of the device", exact=True).fill("Ovi 2")
    page.get_by_role("button", name="Enrol the device", exact=True).click()
    enrol_link = page.locator("[data-enrol-link]").get_attribute("href")
    pages.check(page, "door-device-enrolled")

    # The app opens from the check-in page and loads the roster.
    page.goto(f"/organiser/events/{door_event}/checkin")
    page.get_by_role("link", name="Open the check-in app (works offline)").click()
    expect(page.locator("#door-list .door-row")).to_have_count(PEOPLE)
    expect(page.locator("#door-event-title")).to_have_text("Kylätalon ilta")
    expect(page.locator("#door-online")).to_have_text("Online")
    # Polled from here: wait_for_function's predicate is compiled in the page, which the
    # page's CSP (no 'unsafe-eval') rightly refuses once it has to poll.
    deadline = time.monotonic() + 30
    while not page.evaluate("navigator.serviceWorker.controller !== null"):
        assert time.monotonic() < deadline, "the service worker never took control of the page"
        page.wait_for_timeout(100)
    expect(page.locator("#row-r1")).to_contain_text("Has needs")
    assert "Gluteeniton" not in page.content()  # a flag, never the needs themselves
    pages.check(page, "door-app-online")

    # The Wi-Fi goes.
    context.set_offline(True)
    for name in names[:50]:
        present_button(page, site, name).click()
    expect(page.locator("#door-message")).to_have_text(f"{names[49]} is marked present.")
    expect(page.locator("#door-online")).to_have_text(
        "Offline: taps are kept on this device and sent later."
    )
    page.get_by_text("Add a walk-in", exact=True).click()
    for walk_in in ("Kävijä Yksi", "Kävijä Kaksi", "Kävijä Kolme"):
        page.get_by_label("Name", exact=True).fill(walk_in)
        page.get_by_role("button", name="Add as present", exact=True).click()
        expect(page.locator("#door-message")).to_contain_text(walk_in)
    page.locator("summary", has_text="Headcount").click()
    page.get_by_label("People counted", exact=True).fill("17")
    page.get_by_role("button", name="Save the count", exact=True).click()
    expect(page.locator("#door-pending")).to_have_text("Waiting to be sent: 54")
    expect(page.locator('[data-count="present"]')).to_have_text("50")
    expect(page.locator('[data-count="walk_ins"]')).to_have_text("3")
    expect(page.locator('[data-count="headcount"]')).to_have_text("17")
    pages.check(page, "door-app-offline")

    # Reloaded without a network, the app still opens, from the service worker.
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("#door-list .door-row")).to_have_count(PEOPLE + 3)
    expect(page.locator("#door-pending")).to_have_text("Waiting to be sent: 54")
    expect(page.locator(".door-row.is-present")).to_have_count(53)
    tapped = {tap["id"]: tap for tap in device_taps(page)}
    assert len(tapped) == 54

    # The second phone, enrolled, taps ten of the same people (and two others) offline.
    phone = pages.open("en", viewport=PHONE)
    phone.goto(enrol_link.replace("http://eventhub.test", site.url))
    expect(phone.locator("#door-list .door-row")).to_have_count(PEOPLE)
    assert "enrol" not in phone.url  # the token left the address bar
    phone.context.set_offline(True)
    for name in names[:10] + names[55:57]:
        present_button(phone, site, name).click()
    expect(phone.locator("#door-pending")).to_have_text("Waiting to be sent: 12")
    phone.context.set_offline(False)
    wait_until_sent(phone, site)

    # The first phone's network comes back: everything goes, once.
    context.set_offline(False)
    wait_until_sent(page, site)
    expect(page.locator("#door-online")).to_have_text("Online")
    present, walk_ins, rows, counts, taps = server_state(site, door_event)
    ids = person_ids(site, door_event)
    first = {tap["key"]: tap["at"] for tap in tapped.values() if tap["kind"] == "present"}
    assert len(first) == 50
    # Each once, at the time it was tapped on the first phone (before the second phone's).
    by_key = {f"r{rid}": at for rid, at in _registration_times(site, door_event).items()}
    assert {k: by_key[k] for k in first} == {k: _instant(v) for k, v in first.items()}
    assert set(present) == {ids[n] for n in names[:50] + names[55:57]}
    walk_in_taps = [tap for tap in tapped.values() if tap["kind"] == "walk_in"]
    assert walk_ins == {tap["name"]: _instant(tap["at"]) for tap in walk_in_taps}
    assert rows == 52 + 3 and counts == [17]
    assert taps == 54 + 12
    page.reload()
    expect(page.locator('[data-count="present"]')).to_have_text("52")
    expect(page.locator(".door-row.is-present")).to_have_count(55)

    # The organiser's own pages see them.
    page.goto(f"/organiser/events/{door_event}/checkin")
    expect(page.locator('[data-count="present"]')).to_have_text("52")
    expect(page.locator('[data-count="walk_ins"]')).to_have_text("3")

    # The second phone is revoked: it syncs nothing more.
    page.goto(f"/organiser/events/{door_event}/devices")
    page.get_by_role("button", name=re.compile(r"^Revoke\W+Ovi 2$")).click()
    expect(page.locator(".flash")).to_contain_text("Ovi 2")
    present_button(phone, site, names[58]).click()
    expect(phone.locator("#door-problem")).to_have_text(
        "This device may no longer take attendance. Ask the organiser to enrol it again."
    )
    expect(phone.locator("#door-pending")).to_have_text("Waiting to be sent: 1")
    assert ids[names[58]] not in server_state(site, door_event)[0]

    # After the event the roster leaves the phone.
    later = utcnow() + timedelta(days=1)
    phone.clock.install(time=later)
    phone.reload()
    expect(phone.locator("#door-problem")).to_have_text(
        "The event is over: its list has been removed from this device."
    )
    rosters = phone.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("eventhub-door");
            open.onsuccess = () => {
                const r = open.result.transaction("rosters").objectStore("rosters").count();
                r.onsuccess = () => resolve(r.result);
            };
        })"""
    )
    assert rosters == 0
    expect(phone.locator("#door-list .door-row")).to_have_count(0)
    # The API's refusals reach the console as failed loads; they are this test's point. The
    # revoked phone keeps trying in the background: it is closed first, so that no refusal
    # can arrive after they are cleared.
    phone.close()
    pages.console_errors[:] = [e for e in pages.console_errors if not e.startswith("401 for")]


def test_a_qr_code_from_the_mail_checks_a_person_in(site, pages, door_event, tmp_path):
    """Without the camera permission: a photo of the confirmation mail's QR code, read by the
    vendored jsQR (headless Chromium has no BarcodeDetector)."""
    from eventhub.core.models import Registration
    from eventhub.core.services import attendance

    with site.app.test_request_context():
        registration = db.session.scalars(
            select(Registration)
            .where(Registration.event_id == door_event)
            .order_by(Registration.id.desc())
        ).first()
        name = registration.person.name
        url = attendance.checkin_url(registration)
        db.session.remove()
    image = tmp_path / "qr.png"
    segno.make(url, error="m").save(str(image), scale=8, border=4)

    page = pages.open("fi", viewport=PHONE)
    sign_in(page, site, "fi")
    page.goto(f"/door/#event={door_event}")
    expect(page.locator("#door-list .door-row")).not_to_have_count(0)
    pages.check(page, "door-app", "fi", data=("Kylätalon ilta", "Osallistuja", "Kävijä"))
    page.locator("#door-photo").set_input_files(str(image))
    expect(page.locator("#door-message")).to_have_text(
        t(site, "fi", "%(name)s is marked present.", name=name)
    )
    wait_until_sent(page, site, "fi")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    unknown = tmp_path / "other.png"
    segno.make("https://example.org/checkin/nobody", error="m").save(str(unknown), scale=8)
    page.locator("#door-photo").set_input_files(str(unknown))
    expect(page.locator("#door-message")).to_have_text(
        t(site, "fi", "This code is not on the list of this event.")
    )


def _registration_times(site, event_id) -> dict[int, datetime]:
    from eventhub.core.models import Attendance

    with site.app.app_context():
        times = dict(
            db.session.execute(
                select(Attendance.registration_id, Attendance.recorded_at).where(
                    Attendance.event_id == event_id, Attendance.registration_id.is_not(None)
                )
            ).all()
        )
        db.session.remove()
    return times


def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(re.sub("Z$", "+00:00", iso))
