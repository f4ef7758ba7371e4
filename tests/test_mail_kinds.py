"""Every kind of mail about a registration, as it arrives at a real SMTP server: its links
are followed, its headers read, its HTML and text compared, its calendar file parsed.

From an empty database, through the pages people use: participants sign up, wait, are
promoted, give a place back, are approved or not; the organiser messages them, moves the
event and cancels it; the reminder command runs.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser

import icalendar
from sqlalchemy import select

from eventhub.core.db import utcnow
from eventhub.core.models import Event, Registration, RegistrationStatus, Role
from eventhub.core.services import outbox
from eventhub.core.services import registration as service
from eventhub.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.helpers import post_form, sign_in, signup

SITE = "http://eventhub.test"
CONTACT = "hanke@kanto.example"
URL = re.compile(r"https?://[^\s\"<>]+")
WORD = re.compile(r"\w+")


class _Html(HTMLParser):
    """The words a reader sees, and the links, of an HTML part."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._skip = False

    def handle_starttag(self, tag, attrs):
        self._skip = tag in ("title", "style")
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _parts(message: EmailMessage) -> tuple[str, _Html]:
    text = message.get_body(("plain",)).get_content()
    html = _Html()
    html.feed(message.get_body(("html",)).get_content())
    return text, html


def _calendar(message: EmailMessage) -> icalendar.Calendar | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
            assert part.get_param("method") == str(calendar["METHOD"])
            return calendar
    return None


def _check_mail(client, message: EmailMessage, *, greeting: int = 1) -> dict:
    """What every mail about a registration must hold; returns its links by purpose."""
    assert message["From"] and message["Auto-Submitted"] == "auto-generated"
    text, html = _parts(message)
    # The two parts say the same: the same words and the same links.
    text_words = set(WORD.findall(URL.sub("", text))) - {"--"}
    html_words = set(WORD.findall(URL.sub("", " ".join(html.text))))
    assert text_words == html_words, (message["Subject"], text_words ^ html_words)
    text_links = set(URL.findall(text))
    assert text_links == {h for h in html.links if not h.startswith("cid:")}, message["Subject"]
    assert text.count("Hello ") == greeting, (message["Subject"], text)
    links = {"manage": None, "cancel": None}
    for link in text_links:
        if "/manage/" in link:
            links["cancel" if link.endswith("/cancel") else "manage"] = link
    assert links["manage"], f"no manage link in {message['Subject']}"
    page = client.get(links["manage"].removeprefix(SITE))
    assert page.status_code == 200, message["Subject"]
    return links


def test_every_mail_carries_its_links_headers_and_calendar(app, client, runner, mailbox):
    project = factories.project(code="KANTO", name="Kanto", organiser="Kanto ry")
    project.contact_email = CONTACT
    factories.user(email="anne@example.fi", role=Role.MANAGER, projects=[project])
    soon = utcnow().replace(microsecond=0) + timedelta(hours=20)  # reminders go a day ahead
    full = factories.event(title="Työpaja", project=project, capacity=1, starts_at=soon)
    vetted = factories.event(title="Mentorointi", project=project, requires_approval=True)
    db.session.commit()

    checked: dict[str, dict] = {}  # each mail's links, checked (and followed) on arrival

    def arrived(address: str, subject: str) -> EmailMessage:
        found = [m for m in mailbox.to(address) if m["Subject"].startswith(subject)]
        assert len(found) == 1, (address, subject, [m["Subject"] for m in mailbox.to(address)])
        greeting = 0 if found[0]["Reply-To"] else 1  # the organiser greets in their own words
        checked[found[0]["Message-ID"]] = _check_mail(client, found[0], greeting=greeting)
        return found[0]

    signup(client, full.id, email="aino@example.fi", name="Aino")
    signup(client, full.id, email="pekka@example.fi", name="Pekka")
    signup(client, full.id, email="liisa@example.fi", name="Liisa")
    signup(client, vetted.id, email="ville@example.fi", name="Ville")
    signup(client, vetted.id, email="outi@example.fi", name="Outi")
    confirmation = arrived("aino@example.fi", "Registration confirmed")
    waiting = arrived("pekka@example.fi", "You are on the waiting list")
    pending = arrived("ville@example.fi", "Registration received")
    signup(client, full.id, email="aino@example.fi", name="Aino")  # lost the first mail
    again = arrived("aino@example.fi", "Your registration")

    # Aino cannot come after all: from her mail, the link and one button.
    cancel_link = checked[again["Message-ID"]]["cancel"]
    assert cancel_link
    path = cancel_link.removeprefix(SITE)
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 303
    cancelled = arrived("aino@example.fi", "Registration cancelled")
    promoted = arrived("pekka@example.fi", "A place opened up")

    # Pekka, promoted, gives the place back in two taps: the mail's link, then confirm.
    page = client.get(checked[promoted["Message-ID"]]["cancel"].removeprefix(SITE))
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert client.post(page.request.path, data={"csrf_token": token.group(1)}).status_code == 303
    pekka = db.session.scalar(
        select(Registration).join(Registration.person).where(Registration.event_id == full.id)
        .order_by(Registration.id).offset(1).limit(1)
    )  # fmt: skip
    assert pekka.status == RegistrationStatus.CANCELLED
    liisa_promoted = arrived("liisa@example.fi", "A place opened up")

    sign_in(client, "anne@example.fi")
    ville, outi = db.session.scalars(
        select(Registration).where(Registration.event_id == vetted.id).order_by(Registration.id)
    ).all()
    base = f"/organiser/events/{vetted.id}/registrations"
    post_form(client, f"{base}/{ville.id}/approve", token_from=base)
    post_form(client, f"{base}/{outi.id}/reject", token_from=base)
    approved = arrived("ville@example.fi", "Registration approved")
    rejected = arrived("outi@example.fi", "Registration not accepted")

    message_url = f"/organiser/events/{full.id}/registrations/message"
    note = {"subject": "Bring a laptop", "body": "Hei Liisa,\n\nbring a laptop.\n\nAnne"}
    assert post_form(client, message_url, {**note, "action": "send"}).status_code == 303
    organiser_message = arrived("liisa@example.fi", "Bring a laptop")

    assert runner.invoke(args=["eventhub", "send-reminders"]).exit_code == 0
    reminder = arrived("liisa@example.fi", "Reminder")

    edit = f"/organiser/events/{full.id}/edit"
    form = {
        "title": "Työpaja",
        "kind": "training",
        "project": project.id,
        "timezone": "Europe/Helsinki",
        "starts": f"{soon + timedelta(days=2):%Y-%m-%dT%H:%M}",
        "ends": f"{soon + timedelta(days=2, hours=2):%Y-%m-%dT%H:%M}",
        "language": "fi",
        "capacity": "1",
        "waitlist_enabled": "y",
    }
    assert post_form(client, edit, form).status_code == 303
    changed = arrived("liisa@example.fi", "Changed")
    post_form(client, f"/organiser/events/{full.id}/cancel")
    called_off = arrived("liisa@example.fi", "Cancelled")

    every = {
        "confirmation": confirmation,
        "waitlisted": waiting,
        "pending": pending,
        "manage_link": again,
        "cancelled": cancelled,
        "promoted": promoted,
        "promoted (Liisa)": liisa_promoted,
        "approved": approved,
        "rejected": rejected,
        "organiser_message": organiser_message,
        "reminder": reminder,
        "event_changed": changed,
        "event_cancelled": called_off,
    }
    for kind, message in every.items():
        links = checked[message["Message-ID"]]
        gives_back = kind not in ("cancelled", "rejected", "event_cancelled")
        assert bool(links["cancel"]) == gives_back, kind

    # An organiser's message: replies reach the project, the organiser's greeting is the
    # only one, and the details and links follow it.
    assert organiser_message["Reply-To"] == CONTACT
    text, _html = _parts(organiser_message)
    assert text.startswith("Hei Liisa,") and "Hello" not in text
    assert all(m["Reply-To"] is None for k, m in every.items() if k != "organiser_message")

    # Calendar files: the same UID throughout, a higher SEQUENCE with each change, PUBLISH
    # while the event stands and CANCEL when it is called off; an ORGANIZER whenever a
    # METHOD is written.
    db.session.refresh(full)
    sequences = []
    for kind in ("promoted (Liisa)", "reminder", "event_changed", "event_cancelled"):
        calendar = _calendar(every[kind])
        assert calendar is not None, kind
        (vevent,) = calendar.walk("VEVENT")
        assert str(vevent["UID"]) == full.uid
        assert str(vevent["ORGANIZER"]) == f"mailto:{CONTACT}"
        sequences.append(int(vevent["SEQUENCE"]))
        expected = "CANCEL" if kind == "event_cancelled" else "PUBLISH"
        assert str(calendar["METHOD"]) == expected, kind
    assert sequences[0] == sequences[1] < sequences[2] < sequences[3] == full.sequence
    cancel_event = _calendar(called_off).walk("VEVENT")[0]
    assert str(cancel_event["STATUS"]) == "CANCELLED"
    assert str(cancel_event["ATTENDEE"]) == "mailto:liisa@example.fi"
    for kind in ("waitlisted", "cancelled", "rejected"):
        assert _calendar(every[kind]) is None, kind
    assert db.session.get(Event, full.id).status == "cancelled"


def test_a_signed_mail_link_opens_the_registration_and_a_forged_one_does_not(client, mailbox):
    event = factories.event(capacity=1)
    db.session.commit()
    signup(client, event.id, email="aino@example.fi")
    signup(client, event.id, email="pekka@example.fi")
    registration = db.session.scalars(select(Registration).order_by(Registration.id)).first()
    service.cancel(registration)
    db.session.commit()
    # Pekka's promotion mail carries a signed link (his signup token is long gone).
    outbox.deliver()
    (promoted,) = [m for m in mailbox.to("pekka@example.fi") if "opened up" in m["Subject"]]
    link = next(
        u for u in URL.findall(promoted.get_body(("plain",)).get_content()) if "/manage/" in u
    )
    assert client.get(link.removeprefix(SITE)).status_code == 200
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert client.get(forged.removeprefix(SITE)).status_code == 404
    # A repeat signup mails the link again and never breaks the one Pekka has (issue 14).
    signup(client, event.id, email="pekka@example.fi")
    assert client.get(link.removeprefix(SITE)).status_code == 200
