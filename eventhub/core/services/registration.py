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
from itertools import groupby

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventhub.core import metrics
from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import (
    AgeBand,
    Event,
    EventStatus,
    Organisation,
    Person,
    Place,
    Registration,
    RegistrationStatus,
    normalise_email,
)
from eventhub.core.services import annex, capacity, formats, messages, questions, webhooks
from eventhub.core.services.errors import Refused

# The low-level pieces live in eventhub.core.services.signup; they are named here too because
# callers of register() use them with it.
from eventhub.core.services.signup import (
    ACTIVE,
    Companion,
    Placement,
    RegistrationRefused,
    SignupData,
    group_fit,
    group_statuses,
    lock_event,
    organisation_for,
    organiser_status,
    person_and_registration,
    person_for,
    public_status,
    someone_waiting,
    take_seat,
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
    "Companion",
    "CompanionRefused",
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


# The most companions an organiser may allow on one signup (the form's fieldsets).
MAX_COMPANIONS = 10


class CompanionRefused(Refused):
    """A companion cannot come with this signup (too many, or already registered)."""


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

    The person's registration is looked up before the lock, so two signups of the same
    address at the same moment may both try to insert one: the second fails on the
    (event, person) unique constraint, and is then run again, once, in a new transaction,
    where it finds the first one's registration and answers as a repeat.
    """
    blocking = (*ACTIVE, RegistrationStatus.REJECTED)
    try:
        return _register(event_id, data, public_status, blocking=blocking)
    except IntegrityError:
        db.session.rollback()
        return _register(event_id, data, public_status, blocking=blocking)


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
    # Everything that needs no lock first: the person (and their registration, if any) and
    # the organisation. The lock is taken by the seat decision, as late as it can be.
    person, existing = person_and_registration(data, event_id)
    organisation = organisation_for(data.organisation_name)
    # Companions with an address are people of their own (deduplicated like anyone);
    # the ones without are created once the group is decided.
    with_address = {
        i: person_for(SignupData(name=c.name, email=c.email, locale=data.locale))
        for i, c in enumerate(data.companions)
        if c.email
    }
    if existing is not None and existing.status in blocking:
        if resend_link:
            # The link goes to the address, never to the page: whoever typed it learns
            # nothing, and links sent before keep working (see lasting_token).
            messages.manage_link(existing, lasting_token(existing))
        notes = formats.after_register(existing, data, created=False)
        return SignupResult(Outcome.ALREADY_REGISTERED, existing, notes)

    try:
        event, statuses, companion_rows = _seats(
            event_id, person, data, decide, with_address, group=bool(data.companions)
        )
    except RegistrationRefused:
        metrics.registration_refused()
        raise
    status = statuses[0]

    # A new registration has no companions but those added below: its mail lists them
    # without asking the database.
    registration = existing or Registration(event=event, person=person, companions=[])
    token, token_hash = new_token()
    registration.status = status
    registration.queue_no = event.queue_last
    registration.manage_token_hash = token_hash
    _apply_details(registration, data, organisation)
    registration.locale = data.locale
    registration.consent_at = utcnow()
    registration.cancelled_at = None
    registration.confirmed_at = utcnow() if status == RegistrationStatus.CONFIRMED else None
    db.session.add(registration)
    db.session.flush()
    annex.apply(registration, data.annex, data.special)
    group = zip(data.companions, statuses[1:], strict=True)
    for i, (companion, companion_status) in enumerate(group):
        row = _add_companion(
            registration, companion, companion_status, with_address.get(i), companion_rows
        )
        if notify and row.person.email:
            # A companion with an address of their own hears from us and may manage their
            # own place; the others are named in the mail to the person who signed up.
            messages.registration_received(row)
    # The format's part (groups, team) in the same transaction, still under the event's lock.
    notes = formats.after_register(registration, data, created=True)
    if notify:
        messages.registration_received(registration)
    # Each companion is a registration of their own: an integration hears of each.
    for made in (registration, *registration.companions):
        webhooks.emit(webhooks.Action.REGISTRATION_CREATED, event, registration_id=made.id)
    metrics.registration_made(status.value)
    return SignupResult(Outcome.CREATED, registration, notes, token)


def _seats(
    event_id: int,
    person: Person,
    data: SignupData,
    decide: Callable[[Event, int], RegistrationStatus],
    with_address: dict[int, Person],
    *,
    group: bool,
) -> tuple[Event, list[RegistrationStatus], dict[int, Registration]]:
    """The seat decision for the person signing up and their companions, under the event's
    lock: the event read afresh, one status per person, and the companions' earlier rows.

    One person at an event that takes no groups claims a place with one conditional
    ``UPDATE`` (:func:`take_seat`). A group, and anyone at an event that takes groups (where
    a newcomer must not take the places a waiting group waits for), is decided on the event
    locked as it stands; the flush then counts the places its rows hold."""
    known = db.session.get(Event, event_id)  # the form's event: no query
    if not group and (known is None or not known.max_companions):
        event, status = take_seat(event_id, decide)
        return event, [status], {}
    locked = capacity.queue_up(event_id)
    if locked is None:
        raise LookupError(event_id)
    if len(data.companions) > locked.max_companions:
        raise CompanionRefused(_too_many(locked.max_companions))
    taken = locked.places_taken
    # Somebody already waiting keeps their turn: a newcomer never takes the places a
    # waiting group is waiting for (only events that take groups can have both).
    waiting = bool(locked.max_companions) and capacity.seats_left(locked, taken) != 0
    statuses = group_statuses(
        locked,
        taken,
        1 + len(data.companions),
        decide,
        queue_waiting=waiting and someone_waiting(locked.id),
    )
    return locked, statuses, _companion_rows(locked, person, with_address)


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
    # The person who signed a group up cancels for the whole group (each companion can be
    # cancelled alone from the manage page, see cancel_companion).
    for companion in registration.companions:
        if companion.status in ACTIVE:
            companion.status = RegistrationStatus.CANCELLED
            companion.cancelled_at = utcnow()
    db.session.flush()
    if notify:
        messages.cancellation_receipt(registration)
    webhooks.emit(
        webhooks.Action.REGISTRATION_CANCELLED, registration.event, registration_id=registration.id
    )
    return fill_from_waitlist(registration.event)


def fill_from_waitlist(event: Event) -> list[Registration]:
    """Promote waiting people, first come first served, while the event has places.

    A group (a signup with companions, one queue number) is one entry: it is promoted whole
    when it fits. When it does not, it stays at the head of the list and nobody behind it is
    promoted past it (what a waiting list promises is the order), unless the organiser lets
    groups be split: then the places left go to the head group's first members and the rest
    of it keeps waiting at the head (see :func:`signup.group_fit`).

    Must be called with the event locked (see :func:`lock_event`). Nobody is promoted into
    an event that is cancelled, closed or over: a place given then would help nobody and would
    change the figures of an event already reported.
    """
    if event.status != EventStatus.PUBLISHED or event.closed_at or utcnow() >= event.ends_at:
        return []
    left = capacity.seats_left(event, event.places_taken)
    if left == 0:
        return []
    stmt = (
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.queue_no, Registration.lead_id.is_not(None), Registration.id)
    )
    if left is not None:
        # Enough rows for the entries the places can take and the whole of the next group.
        stmt = stmt.limit(left + 1 + max(event.max_companions, MAX_COMPANIONS))
    promoted: list[Registration] = []
    for _queue_no, entry in groupby(db.session.scalars(stmt), key=lambda r: r.queue_no):
        members = list(entry)
        fit = group_fit(left, len(members), event.groups_may_split)
        promoted += members[:fit]
        if left is not None:
            left -= fit
        if fit < len(members) or left == 0:
            break
    for registration in promoted:
        if event.requires_approval:
            registration.status = RegistrationStatus.PENDING
        else:
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = utcnow()
    db.session.flush()
    told = {r.id for r in promoted}
    for registration in promoted:
        if registration.lead_id in told and not registration.person.email:
            continue  # the mail to the person who signed up names them
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


def _too_many(most: int) -> str:
    if most == 0:
        return _("This event takes no companions.")
    return ngettext(
        "You can bring at most %(num)d companion.",
        "You can bring at most %(num)d companions.",
        most,
    )


def _companion_rows(
    event: Event, lead: Person, people: dict[int, Person]
) -> dict[int, Registration]:
    """The registrations (any status) the companions with an address already have at the
    event, by person id. An active one refuses the signup: that person is registered."""
    ids = {p.id for p in people.values()}
    if lead.id in ids or len(ids) < len(people):
        raise CompanionRefused(_("Each companion needs an email address of their own."))
    if not ids:
        return {}
    rows = {
        r.person_id: r
        for r in db.session.scalars(
            select(Registration).where(
                Registration.event_id == event.id, Registration.person_id.in_(ids)
            )
        )
    }
    for row in rows.values():
        if row.status in ACTIVE:
            raise CompanionRefused(
                _("%(name)s is already registered for this event.", name=row.person.name)
            )
    return rows


def _add_companion(
    lead: Registration,
    companion: Companion,
    status: RegistrationStatus,
    person: Person | None,
    earlier: dict[int, Registration],
) -> Registration:
    """One companion's own registration: a place, a waiting-list spot and a check-in of
    their own, in the lead's queue entry. Their mail carries a signed link of its own (the
    token made here is kept only as its hash)."""
    answers = questions.companion_answers(lead.event.questions, companion.answers)
    if person is None:
        # No address: a person of their own, reached through the lead.
        person = Person(name=companion.name, locale=lead.locale)
        db.session.add(person)
    row = earlier.get(person.id) if person.id is not None else None
    row = row or Registration(event=lead.event, person=person)
    row.lead = lead
    row.status = status
    row.queue_no = lead.queue_no
    _token, row.manage_token_hash = new_token()  # also managed through the lead's link
    row.organisation = None
    row.municipality_id = lead.municipality_id
    row.place_id = lead.place_id
    row.answers = answers
    row.age_band = companion.age_band
    row.locale = lead.locale
    row.consent_at = lead.consent_at
    row.cancelled_at = None
    row.confirmed_at = utcnow() if status == RegistrationStatus.CONFIRMED else None
    db.session.add(row)
    db.session.flush()
    return row


def group_of(registration: Registration) -> list[Registration]:
    """The companions a lead registration brought, still active or not, in signup order."""
    return list(registration.companions)


def update_companion(
    lead: Registration,
    companion_id: int,
    name: str,
    age_band: AgeBand | None,
    answers: dict[str, object] | None = None,
) -> None:
    """The person who signed up corrects a companion: name, age band and the answers to the
    questions asked of each companion too (``answers`` None: left as they are). A companion
    with an address of their own is that person's record: their name is not changed here.
    The caller commits."""
    companion = _companion(lead, companion_id)
    if companion.status not in ACTIVE:
        raise CompanionRefused(_("This companion's registration has been cancelled."))
    if not companion.person.email:
        companion.person.name = name
    companion.age_band = age_band
    if answers is not None:
        companion.answers = questions.companion_answers(lead.event.questions, answers)
    db.session.flush()


def cancel_companion(lead: Registration, companion_id: int) -> list[Registration]:
    """The person who signed up cancels one companion; the place goes to the waiting list
    at once. Returns the registrations promoted. The caller commits."""
    lock_event(lead.event_id)
    companion = _companion(lead, companion_id)
    db.session.refresh(companion)
    if companion.status not in ACTIVE:
        return []
    companion.status = RegistrationStatus.CANCELLED
    companion.cancelled_at = utcnow()
    db.session.flush()
    return fill_from_waitlist(lead.event)


def _companion(lead: Registration, companion_id: int) -> Registration:
    companion = db.session.get(Registration, companion_id)
    if companion is None or companion.lead_id != lead.id:
        raise LookupError(companion_id)
    return companion


def update_details(registration: Registration, data: SignupData) -> None:
    """A participant edits their own registration from the manage link. The caller commits."""
    registration.person.name = data.name
    registration.person.phone = data.phone
    _apply_details(registration, data, organisation_for(data.organisation_name))
    db.session.flush()
    annex.apply(registration, data.annex, data.special)
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
    # An answer to a question that the answers did not show is never stored (the form
    # may send one: without JavaScript every question shows).
    registration.answers = (
        questions.keep_shown(registration.event.questions, data.answers) if data.answers else {}
    )
    registration.accessibility_needs = data.accessibility_needs
    registration.dietary_needs = data.dietary_needs
    registration.gender = data.gender
    registration.age_band = data.age_band
    registration.labour_status = data.labour_status
