"""Signing up, cancelling and the waiting list: the rules of who gets a place.

The low-level pieces (the lock, the seat decision, the person) are in
:mod:`eventhub.core.services.signup`; this module puts them together and calls the event's
format hooks through the registry (:mod:`eventhub.core.services.formats`).

Every change of places happens under the event's lock: ``SELECT ... FOR UPDATE`` of the event
row on PostgreSQL, an IMMEDIATE write transaction on SQLite. The lock is taken late (the
person and organisation are resolved first) and held until the caller's commit, so seats
left is checked and the registration inserted with no other registration in between. Queue
numbers record arrival order; the waiting list is served strictly first come, first served.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import select

from eventhub.core import metrics
from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import (
    Event,
    EventStatus,
    Organisation,
    Person,
    Place,
    Registration,
    RegistrationStatus,
    normalise_email,
)
from eventhub.core.services import capacity, formats, messages, webhooks

# The low-level pieces live in eventhub.core.services.signup; they are named here too because
# callers of register() use them with it.
from eventhub.core.services.signup import (
    ACTIVE,
    Placement,
    RegistrationRefused,
    SignupData,
    lock_event,
    organisation_for,
    organiser_status,
    person_for,
    places_and_queue,
    places_queue_and_existing,
    public_status,
)
from eventhub.core.services.tokens import (
    hash_token,
    mail_link_token,
    matches_hash,
    new_token,
    read_mail_link_token,
)
from eventhub.extensions import db

__all__ = [
    "ACTIVE",
    "Outcome",
    "Placement",
    "RegistrationRefused",
    "SignupData",
    "SignupResult",
    "by_token",
    "cancel",
    "fill_from_waitlist",
    "lock_event",
    "register",
    "register_by_organiser",
    "update_details",
]


class Outcome(enum.StrEnum):
    CREATED = "created"
    ALREADY_REGISTERED = "already_registered"


@dataclass(frozen=True)
class SignupResult:
    outcome: Outcome
    registration: Registration
    # What the participant should be told beside the registration itself, e.g. that a chosen
    # discussion group was full (the rest of the choice was kept).
    notes: tuple[str, ...] = ()
    # The manage link's secret of a new registration, for the page that shows it at once to
    # the browser that made it; None for a repeat (that link goes by mail only).
    token: str | None = None


def register(event_id: int, data: SignupData) -> SignupResult:
    """Register a person for an event, or re-send the link of their existing registration.

    The caller commits. Raises :class:`RegistrationRefused` when the event takes no
    registrations (closed, cancelled, full without a waiting list).
    """
    return _register(event_id, data, public_status, blocking=(*ACTIVE, RegistrationStatus.REJECTED))


def register_by_organiser(
    event_id: int, data: SignupData, placement: Placement, *, notify: bool = True
) -> SignupResult:
    """An organiser registers someone by hand (a phone call, a paper form).

    The same rules as :func:`register` except: the registration window does not apply and no
    approval is needed (the organiser is the one who approves). Capacity does apply: the
    person is confirmed only into a free place; when the event is full they go to the waiting
    list only if the organiser chose :attr:`Placement.PLACE_OR_WAITLIST` (even when the event
    has no public waiting list), otherwise :class:`RegistrationRefused` (``FULL``). Drafts and
    cancelled events are refused. A cancelled or rejected registration of the same person is
    taken up again; an active one is returned as ``ALREADY_REGISTERED``, with no mail. With
    ``notify`` False the person is sent nothing (a past event entered from paper). The
    caller commits.
    """
    decide = partial(organiser_status, placement=placement)
    return _register(event_id, data, decide, blocking=ACTIVE, resend_link=False, notify=notify)


def _register(
    event_id: int,
    data: SignupData,
    decide: Callable[[Event, int], RegistrationStatus],
    *,
    blocking: tuple[RegistrationStatus, ...],
    resend_link: bool = True,
    notify: bool = True,
) -> SignupResult:
    """The one way a registration is made: ``decide`` gives its status from the event and
    its places taken, under the event's lock, or raises :class:`RegistrationRefused`."""
    begin_write(db.session)
    person = person_for(data)
    organisation = organisation_for(data.organisation_name)

    event = lock_event(event_id)
    if event is None:
        raise LookupError(event_id)
    # One query under the lock: places held, the last queue number, and whether this person
    # is registered already (the rare case loads that registration).
    taken, last_queue_no, existing_id = places_queue_and_existing(event.id, person.id)
    existing = db.session.get(Registration, existing_id) if existing_id is not None else None
    if existing is not None and existing.status in blocking:
        if resend_link:
            # The link goes to the address, never to the page: whoever typed it learns
            # nothing, and links sent before keep working (see lasting_token).
            messages.manage_link(existing, lasting_token(existing))
        notes = formats.after_register(existing, data, created=False)
        return SignupResult(Outcome.ALREADY_REGISTERED, existing, notes)

    try:
        status = decide(event, taken)
    except RegistrationRefused:
        metrics.registration_refused()
        raise

    registration = existing or Registration(event=event, person=person)
    token, token_hash = new_token()
    registration.status = status
    registration.queue_no = last_queue_no + 1
    registration.manage_token_hash = token_hash
    _apply_details(registration, data, organisation)
    registration.locale = data.locale
    registration.consent_at = utcnow()
    registration.cancelled_at = None
    registration.confirmed_at = utcnow() if status == RegistrationStatus.CONFIRMED else None
    db.session.add(registration)
    db.session.flush()
    # The format's part (groups, team) in the same transaction, still under the event's lock.
    notes = formats.after_register(registration, data, created=True)
    if notify:
        messages.registration_received(registration, token)
    webhooks.emit(webhooks.Action.REGISTRATION_CREATED, event, registration_id=registration.id)
    metrics.registration_made(status.value)
    return SignupResult(Outcome.CREATED, registration, notes, token)


def cancel(registration: Registration, *, notify: bool = True) -> list[Registration]:
    """Cancel a registration and give its place to the waiting list at once. With
    ``notify`` False the person is sent no receipt (an integration tells them itself).

    Returns the registrations promoted. The caller commits.
    """
    lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status not in ACTIVE:
        return []
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = utcnow()
    db.session.flush()
    if notify:
        messages.cancellation_receipt(registration)
    webhooks.emit(
        webhooks.Action.REGISTRATION_CANCELLED, registration.event, registration_id=registration.id
    )
    return fill_from_waitlist(registration.event)


def fill_from_waitlist(event: Event) -> list[Registration]:
    """Promote waiting people, first come first served, while the event has places.

    Must be called with the event locked (see :func:`lock_event`). Nobody is promoted into
    an event that is cancelled, closed or over: a place given then would help nobody and would
    change the figures of an event already reported.
    """
    if event.status != EventStatus.PUBLISHED or event.closed_at or utcnow() >= event.ends_at:
        return []
    taken, _ = places_and_queue(event.id)
    left = capacity.seats_left(event, taken)
    if left == 0:
        return []
    stmt = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.queue_no, Registration.id)
    )
    if left is not None:
        stmt = stmt.limit(left)
    promoted = list(db.session.scalars(stmt))
    for registration in promoted:
        if event.requires_approval:
            registration.status = RegistrationStatus.PENDING
        else:
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = utcnow()
    db.session.flush()
    for registration in promoted:
        messages.promoted(registration)
        webhooks.emit(webhooks.Action.REGISTRATION_PROMOTED, event, registration_id=registration.id)
    return promoted


def by_token(token: str) -> Registration | None:
    """The registration a manage link names: by the random token given at signup, or by a
    signed token in later mail (:func:`tokens.mail_link_token`)."""
    if not token or len(token) > 100:
        return None
    found = db.session.scalar(
        select(Registration).where(Registration.manage_token_hash == hash_token(token))
    )
    if found is not None or "." not in token:
        return found
    signed = read_mail_link_token(token)
    if signed is None:
        return None
    registration = db.session.get(Registration, signed[0])
    if registration is None or not matches_hash(signed[1], registration.manage_token_hash):
        return None
    return registration


def lasting_token(registration: Registration) -> str:
    """A manage link that can be mailed again and again without revoking any other: a repeat
    signup or "lost your link?" never breaks a link the participant already has, and a
    stranger who types their address can only make them receive another mail. It is the
    signed link of later mail (:func:`tokens.mail_link_token`), bound to the stored hash, so
    anonymising a registration (retention) ends it too."""
    return mail_link_token(registration.id, registration.manage_token_hash)


def registrations_of(email: str) -> list[Registration]:
    """Every registration of an address that still has a manage link, newest event first."""
    return list(
        db.session.scalars(
            select(Registration)
            .join(Person)
            .join(Event, Registration.event_id == Event.id)
            .where(
                Person.email_normalised == normalise_email(email),
                Registration.manage_token_hash.not_like("anonymised-%"),
            )
            .order_by(Event.starts_at.desc(), Registration.id)
        )
    )


def send_lost_links(email: str, locale: str) -> None:
    """Mail the manage links of every registration of ``email``, if it has any.

    The caller answers the same whatever happened. The mail is queued in the outbox and
    never delivered within the request (see :func:`outbox.enqueue`'s ``after_response``),
    so the answer takes as long for a known address as for an unknown one. The caller
    commits."""
    registrations = registrations_of(email)
    links = [(r, lasting_token(r)) for r in registrations]
    messages.lost_links(registrations[0].person if registrations else None, links, locale)


def update_details(registration: Registration, data: SignupData) -> None:
    """A participant edits their own registration from the manage link. The caller commits."""
    registration.person.name = data.name
    registration.person.phone = data.phone
    _apply_details(registration, data, organisation_for(data.organisation_name))
    db.session.flush()
    webhooks.emit(
        webhooks.Action.REGISTRATION_CHANGED, registration.event, registration_id=registration.id
    )


def _apply_details(
    registration: Registration, data: SignupData, organisation: Organisation | None
) -> None:
    """What the participant tells about this registration, from the signup or manage form."""
    registration.organisation = organisation
    registration.municipality_id = data.municipality_id
    registration.place_id = data.place_id
    if data.place_id is not None and data.municipality_id is None:
        place = db.session.get(Place, data.place_id)
        registration.municipality_id = place.municipality_id if place else None
    registration.answers = data.answers
    registration.accessibility_needs = data.accessibility_needs
    registration.dietary_needs = data.dietary_needs
    registration.gender = data.gender
    registration.age_band = data.age_band
    registration.labour_status = data.labour_status
