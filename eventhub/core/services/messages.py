"""The mail a participant receives, in their own language, queued in the outbox.

Each function renders ``templates/mail/<kind>.txt`` and ``.html`` in the registrant's locale
and queues the message in the current transaction; nothing leaves before the commit. A
signup's own mail (:func:`registration_received`) is queued unrendered, as what to send
(kind and registration): it is queued under the event's lock, and the sender renders it
when it sends (:func:`render_later`), outside any transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from eventhub.core import labels
from eventhub.core.models import Event, EventStatus, Person, Registration, RegistrationStatus
from eventhub.core.services import outbox
from eventhub.core.services.capacity import waitlist_position
from eventhub.core.services.outbox import MailAttachment, Rendered, enqueue
from eventhub.core.services.tokens import mail_link_token
from eventhub.extensions import db
from eventhub.urls import external_url


def registration_received(registration: Registration) -> None:
    """Confirmation, waiting-list placement or pending-approval notice, by status.

    Queued unrendered: the sender renders it (:func:`render_later`), with the lasting
    signed manage link of later mail (the signup's own token is kept only as its hash)."""
    kind = {
        RegistrationStatus.CONFIRMED: "confirmation",
        RegistrationStatus.WAITLISTED: "waitlisted",
        RegistrationStatus.PENDING: "pending",
    }[registration.status]
    person = _addressee(kind, registration)
    if person is None or person.email is None:
        return  # a companion without an address: named in the mail to who signed them up
    enqueue(kind=kind, recipient=person.email, render={"registration_id": registration.id})


def render_later(kind: str, args: dict) -> Rendered | None:
    """Render a message queued unrendered, from the registration as it stands now; None
    when it is gone. Called by the sender (:func:`outbox.deliver`), outside any request."""
    registration = db.session.get(Registration, args["registration_id"])
    person = _addressee(kind, registration) if registration is not None else None
    if registration is None or person is None or person.email is None:
        return None
    return _render(kind, registration, person)


def manage_link(registration: Registration, token: str) -> None:
    """Someone registered again with this address: send the manage link to the address (a
    lasting one: links sent before keep working)."""
    _send("manage_link", registration, token=token)


def lost_links(
    person: Person | None, links: Sequence[tuple[Registration, str]], locale: str
) -> None:
    """Somebody asked for the links of every registration of an address ("lost your
    link?"), in the language of the page they asked on. The mail is rendered even when the
    address has no registrations (``person`` None), so both answers take the same work;
    only then is nothing queued. Delivered after the response (see outbox.enqueue)."""
    with force_locale(locale):
        items = [
            {
                "event": registration.event,
                "status": str(labels.REGISTRATION_STATUS_LABELS[registration.status]),
                "url": external_url("registration.manage", token=token),
            }
            for registration, token in links
        ]
        subject = _("Your registration links")
        context = {"subject": subject, "name": person.name if person else "", "items": items}
        text = render_template("mail/lost_links.txt", **context)
        html = render_template("mail/lost_links.html", locale=locale, **context)
    if person is None or not person.email or not items:
        return  # an anonymised person has no address and no links
    enqueue(
        kind="lost_links",
        recipient=person.email,
        subject=subject,
        body_text=text,
        body_html=html,
        after_response=True,
    )


def cancellation_receipt(registration: Registration) -> None:
    _send("cancelled", registration)


def promoted(registration: Registration) -> None:
    _send("promoted", registration)


def decided(registration: Registration) -> None:
    """An organiser approved or rejected a pending registration."""
    _send("approved" if registration.status == RegistrationStatus.CONFIRMED else "rejected",
          registration)  # fmt: skip


def reminder(registration: Registration) -> None:
    _send("reminder", registration)


def event_changed(registration: Registration) -> None:
    """The time, place or status of the event changed: the new details and calendar file."""
    _send("event_changed", registration)


def event_cancelled(registration: Registration) -> None:
    _send("event_cancelled", registration)


def _subject(kind: str, event: Event) -> str:
    subjects = {
        "confirmation": _("Registration confirmed: %(title)s", title=event.title),
        "waitlisted": _("You are on the waiting list: %(title)s", title=event.title),
        "pending": _("Registration received, awaiting approval: %(title)s", title=event.title),
        "manage_link": _("Your registration: %(title)s", title=event.title),
        "cancelled": _("Registration cancelled: %(title)s", title=event.title),
        "promoted": _("A place opened up for you: %(title)s", title=event.title),
        "approved": _("Registration approved: %(title)s", title=event.title),
        "rejected": _("Registration not accepted: %(title)s", title=event.title),
        "reminder": _("Reminder: %(title)s", title=event.title),
        "event_changed": _("Changed: %(title)s", title=event.title),
        "event_cancelled": _("Cancelled: %(title)s", title=event.title),
    }
    return subjects[kind]


# Messages after which the participant holds a place get the event as a calendar file.
_WITH_CALENDAR = {
    "confirmation",
    "promoted",
    "approved",
    "reminder",
    "manage_link",
    "event_changed",
    "event_cancelled",
}


# Messages that give a confirmed place carry the QR code staff scan at the door.
_GROUP_SHOWN = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.PENDING,
    RegistrationStatus.WAITLISTED,
)
_WITH_CHECKIN_QR = {"confirmation", "promoted", "approved", "reminder"}
CHECKIN_QR_CID = "checkin-qr@eventhub"


# Places one can still give back from a mail (two taps: the link, then the confirmation).
_GIVE_BACK = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.PENDING,
    RegistrationStatus.WAITLISTED,
)


def links(registration: Registration, token: str | None = None) -> dict[str, str | None]:
    """The links every mail about a registration carries: the manage page, and the page
    that gives the place back while there is one to give. ``token`` is the signup's own
    token when there is one; later mail carries a signed one (see ``tokens``)."""
    token = token or mail_link_token(registration.id, registration.manage_token_hash)
    gives_back = (
        registration.status in _GIVE_BACK and registration.event.status != EventStatus.CANCELLED
    )
    return {
        "manage_url": external_url("registration.manage", token=token),
        "cancel_url": external_url("registration.cancel", token=token) if gives_back else None,
    }


# What a companion without an address is told through the person who signed them up: the
# changes to their own place. Everything else (confirmation, reminders, changes of the
# event) goes to that person once, naming the whole group.
_THROUGH_LEAD = {"promoted", "approved", "rejected"}


def _addressee(kind: str, registration: Registration) -> Person | None:
    """Whom a message about the registration goes to: its person, or, for a companion
    without an address, the person who signed them up (for the kinds in ``_THROUGH_LEAD``
    only; None: nobody is written to)."""
    if registration.person.email is not None:
        return registration.person
    if registration.lead is not None and kind in _THROUGH_LEAD:
        return registration.lead.person
    return None


def _send(kind: str, registration: Registration, token: str | None = None) -> None:
    person = _addressee(kind, registration)
    if person is None or person.email is None:
        return
    rendered = _render(kind, registration, person, token)
    enqueue(
        kind=kind,
        recipient=person.email,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        attachments=rendered.attachments,
    )


def _render(
    kind: str, registration: Registration, person: Person, token: str | None = None
) -> Rendered:
    """The message to ``person`` (see :func:`_addressee`) about the registration."""
    event = registration.event
    qr = _checkin_qr_attachment(registration) if kind in _WITH_CHECKIN_QR else None
    with force_locale(registration.locale):
        context = {
            "registration": registration,
            "event": event,
            "person": person,
            # A companion told through the lead: whom the message is about.
            "about": registration.person.name if person is not registration.person else None,
            "group": [c for c in registration.companions if c.status in _GROUP_SHOWN],
            "event_url": external_url("events.detail", event_id=event.id),
            "position": waitlist_position(registration),
            "checkin_qr_cid": qr.content_id if qr else None,
            **links(registration, token),
        }
        subject = _subject(kind, event)
        text = render_template(f"mail/{kind}.txt", subject=subject, **context)
        html = render_template(f"mail/{kind}.html", subject=subject, **context)
    attachments = []
    if kind == "event_cancelled":
        attachments.append(_calendar_attachment(event, registration, cancel=True))
    elif kind in _WITH_CALENDAR and registration.status in (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.PENDING,
    ):
        attachments.append(_calendar_attachment(event, registration))
    if qr is not None:
        attachments.append(qr)
    return Rendered(subject, text, html, attachments)


def organiser_message(
    registration: Registration, subject: str, body: str, body_html: str, reply_to: str | None
) -> None:
    """An organiser's own words to a participant, with the event's details and the manage
    link around them. The organiser greets (or not) in their own words, so the message adds
    no greeting of its own; replies go to ``reply_to``."""
    event = registration.event
    with force_locale(registration.locale):
        context = {
            "registration": registration,
            "event": event,
            "person": registration.person,
            "subject": subject,
            "event_url": external_url("events.detail", event_id=event.id),
            **links(registration),
        }
        text = render_template("mail/organiser_message.txt", body=body, **context)
        html = render_template("mail/organiser_message.html", body=body_html, **context)
    assert registration.person.email is not None  # registered people have an address
    enqueue(
        kind="organiser_message",
        recipient=registration.person.email,
        subject=subject,
        body_text=text,
        body_html=html,
        reply_to=reply_to,
    )


def _calendar_attachment(
    event: Event, registration: Registration, *, cancel: bool = False
) -> MailAttachment:
    """The event as an iTIP message (RFC 5546): PUBLISH, or CANCEL when the event is
    cancelled, so that mail programs update or remove the copy they keep by UID."""
    from eventhub.core.services import ical

    method = "CANCEL" if cancel else "PUBLISH"
    return MailAttachment(
        filename="event.ics",
        content_type=f"text/calendar; charset=utf-8; method={method}",
        data=ical.mail_calendar(event, method=method, attendee=registration.person.email).decode(),
    )


def _checkin_qr_attachment(registration: Registration) -> MailAttachment | None:
    """The registration's check-in QR code as an inline image, for confirmed places."""
    from eventhub.core.services import attendance

    if not attendance.offers_checkin_qr(registration):
        return None
    return MailAttachment(
        filename="check-in.png",
        content_type="image/png",
        data=attendance.checkin_url(registration),
        encoding="qr",  # drawn by the sender, outside this transaction
        content_id=CHECKIN_QR_CID,
    )


def data_request_link(person: Person | None, token: str, locale: str) -> None:
    """The link to confirm a request for one's data, in the language of the page it was
    asked on. Rendered even for an unknown address (``person`` None) so that both answers
    take the same work; only then nothing is queued. Delivered after the response."""
    with force_locale(locale):
        subject = _("Your data at eventhub: confirm your request")
        context = {
            "subject": subject,
            "name": person.name if person else "",
            "url": external_url("registration.my_data", token=token),
        }
        text = render_template("mail/data_request.txt", **context)
        html = render_template("mail/data_request.html", locale=locale, **context)
    if person is None or not person.email:
        return
    enqueue(
        kind="data_request",
        recipient=person.email,
        subject=subject,
        body_text=text,
        body_html=html,
        after_response=True,
    )


outbox.set_renderer(render_later)
