"""The check-in app that keeps working without a network: devices, the roster they keep, and
the taps they upload.

**Devices.** Signed-in check-in staff open the app from the event's check-in page; the app
names itself with a random ``client_id`` and syncs with the session. A manager can also
enrol a phone with a QR code carrying a device token: the token is event-scoped, stored
only as its SHA-256, acts on behalf of the manager who enrolled it (and only while that
manager may still take the event's attendance), and stops working the moment it is revoked
or :data:`TOKEN_GRACE` after the event has ended.

**The roster** is what the door needs and nothing more: name, organisation, registration
status, the check-in code of the confirmation mail's QR, whether there are needs (a flag,
never the needs), whether the person is present. The device asks for the changes since a
cursor the server gave it; a long roster comes in pages, each with the cursor to resume
from. Row details travel when they change; who is on the list and who is present travel
whole on the last page (a few bytes a person), so that a check-in made on another device,
even one uploaded late with an old scan time, reaches every device. The device erases the
roster at :func:`roster_expires_at`, and the server hands out none after it.

**Taps** (present, undo, walk-in, headcount) are made on the device first, each with its
own id and the time it was made, and uploaded when the network allows. Each tap id is
applied once (:class:`~eventhub.core.models.DoorTap`, unique on ``tap_id``): an upload sent
again changes nothing and gets the same answers. Taps are applied in the order they were
made. On one person the latest tap decides: a present tap older than an undo already
applied is *superseded*; two devices marking the same person present make one attendance
(the earlier scan time is kept) and both taps are in the audit log. Attendance itself is
recorded through :mod:`eventhub.core.services.attendance`, the one definition of a
participation, so indicators and organiser pages see uploaded taps at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    DoorDevice,
    DoorTap,
    Event,
    Registration,
    TapKind,
    TapOutcome,
    User,
)
from eventhub.core.services import access, attendance, audit, tokens
from eventhub.core.services.attendance import CHECKABLE, AttendanceRefused
from eventhub.extensions import db

# How long after its end the event's roster may stay on a device; then it is erased there.
ROSTER_KEEP = timedelta(hours=12)
# How long after its end an enrolled device may still upload taps it made offline.
TOKEN_GRACE = timedelta(days=2)
# Rows changed this long before a sync are sent again on the next one: a transaction that
# began before the sync may commit after it with an earlier time.
CURSOR_OVERLAP = timedelta(seconds=30)
ROSTER_PAGE = 500
MAX_TAPS = 500
# A device clock ahead of the server's by more than this is not believed.
CLOCK_SKEW = timedelta(minutes=5)
MAX_NAME = 200


# --- devices -----------------------------------------------------------------------------


def enrol_device(user: User, event: Event, label: str) -> tuple[DoorDevice, str]:
    """A new device for the event's door and its token (shown once as a QR code, never
    stored). Only the event's managers enrol devices."""
    if not access.may_manage_event(user, event):
        raise AttendanceRefused(attendance.Refusal.NOT_ALLOWED)
    token, token_hash = tokens.new_token()
    device = DoorDevice(
        event_id=event.id, label=" ".join(label.split())[:100], token_hash=token_hash, user=user
    )
    db.session.add(device)
    db.session.flush()
    audit.record("door_device_enrolled", event=event, obj=device, user=user)
    return device, token


def revoke_device(user: User, device: DoorDevice) -> bool:
    """Stop a device's token at once; returns False when it was revoked already."""
    if not access.may_manage_event(user, device.event):
        raise AttendanceRefused(attendance.Refusal.NOT_ALLOWED)
    if device.revoked_at is not None:
        return False
    device.revoked_at = utcnow()
    db.session.flush()
    audit.record("door_device_revoked", event=device.event, obj=device, user=user)
    return True


def device_for_token(token: str) -> DoorDevice | None:
    """The enrolled device holding ``token``, while the token still works."""
    if not token or len(token) > 100:
        return None
    device = db.session.scalar(
        select(DoorDevice).where(DoorDevice.token_hash == tokens.hash_token(token))
    )
    if device is None or device.revoked_at is not None or device.user is None:
        return None
    if utcnow() > device.event.ends_at + TOKEN_GRACE:
        return None
    if not access.may_check_in(device.user, device.event):
        return None  # the manager who enrolled it has lost the event
    return device


def signed_in_device(user: User, event: Event, client_id: str) -> DoorDevice:
    """The row of the app a signed-in person opened on a device, made on its first sync."""
    client_id = client_id[:64]
    device = db.session.scalar(
        select(DoorDevice).where(DoorDevice.event_id == event.id, DoorDevice.client_id == client_id)
    )
    if device is None:
        device = DoorDevice(event_id=event.id, client_id=client_id, user_id=user.id)
        db.session.add(device)
    device.user_id = user.id
    db.session.flush()
    return device


def report_sync(device: DoorDevice, pending: int | None) -> None:
    """The device synced and still holds ``pending`` unsent taps (None: it did not say)."""
    device.last_sync_at = utcnow()
    if pending is not None:
        device.pending_count = max(0, min(pending, 1_000_000))
    db.session.flush()


def devices(event: Event) -> list[DoorDevice]:
    return list(
        db.session.scalars(
            select(DoorDevice)
            .where(DoorDevice.event_id == event.id)
            .options(joinedload(DoorDevice.user))
            .order_by(DoorDevice.id)
        )
    )


def devices_with_unsent_taps(event: Event) -> list[DoorDevice]:
    """Devices that said on their last sync that they still hold taps not yet uploaded."""
    return [d for d in devices(event) if d.pending_count > 0 and d.revoked_at is None]


# --- the roster --------------------------------------------------------------------------


def roster_expires_at(event: Event) -> datetime:
    return event.ends_at + ROSTER_KEEP


@dataclass(frozen=True)
class RosterRow:
    key: str  # r<registration id>, or w<attendance id> for a walk-in
    name: str
    organisation: str
    status: str  # the registration's status, or "walk_in"
    code: str  # the check-in code in the confirmation mail's QR; "" for walk-ins
    needs: bool
    changed_at: datetime
    # A companion: the name of the person who signed them up ("with ..."); "" otherwise.
    lead: str = ""

    def as_json(self) -> dict:
        row = {
            "key": self.key,
            "name": self.name,
            "org": self.organisation,
            "status": self.status,
            "code": self.code,
            "needs": self.needs,
        }
        if self.lead:  # only companions carry it: the roster stays small
            row["lead"] = self.lead
        return row


@dataclass(frozen=True)
class RosterPage:
    rows: list[RosterRow]
    cursor: str
    more: bool
    # On the last page only: every key on the list, and the keys of those present.
    keys: list[str] | None = None
    present: list[str] | None = None
    full: bool = False


def roster(event: Event, cursor: str | None = None, limit: int = ROSTER_PAGE) -> RosterPage:
    """The rows changed since ``cursor`` (everything without one), at most ``limit``."""
    since = _parse_cursor(cursor)
    now = utcnow()
    rows = _roster_rows(event)
    changed = sorted(
        (r for r in rows if since is None or (r.changed_at, r.key) > since),
        key=lambda r: (r.changed_at, r.key),
    )
    limit = max(1, min(limit, ROSTER_PAGE))
    page, more = changed[:limit], len(changed) > limit
    if more:
        last = page[-1]
        return RosterPage(page, _cursor(last.changed_at, last.key), True, full=since is None)
    present = attendance.attended_registration_ids(event.id)
    walk_ins = {r.key for r in rows if r.status == "walk_in"}
    return RosterPage(
        page,
        _cursor(now - CURSOR_OVERLAP, ""),
        False,
        keys=[r.key for r in rows],
        present=sorted([f"r{i}" for i in present] + sorted(walk_ins)),
        full=since is None,
    )


def _roster_rows(event: Event) -> list[RosterRow]:
    attendances = db.session.scalars(
        select(Attendance)
        .where(Attendance.event_id == event.id)
        .options(joinedload(Attendance.organisation))
    ).all()
    present = {a.registration_id for a in attendances if a.registration_id}
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(joinedload(Registration.person), joinedload(Registration.organisation))
    ).all()
    # A companion's lead is a registration of the same event: already read here.
    leads = {r.id: r for r in registrations}
    rows = [
        RosterRow(
            key=f"r{r.id}",
            name=r.person.name,
            organisation=r.organisation.name if r.organisation else "",
            status=r.status.value,
            code=attendance.checkin_token(r),
            needs=bool(r.accessibility_needs.strip() or r.dietary_needs.strip()),
            # The lead's renaming changes the companion's row too.
            changed_at=max(
                r.updated_at, r.person.updated_at, *([lead.person.updated_at] if lead else [])
            ),
            lead=lead.person.name if lead else "",
        )
        for r in registrations
        if r.status in CHECKABLE or r.id in present
        for lead in [leads.get(r.lead_id) if r.lead_id else None]
    ]
    # A walk-in uploaded late carries its old scan time: it changed when it arrived.
    arrived = dict(
        db.session.execute(
            select(DoorTap.attendance_id, DoorTap.received_at).where(
                DoorTap.event_id == event.id,
                DoorTap.kind == TapKind.WALK_IN,
                DoorTap.attendance_id.is_not(None),
            )
        ).all()
    )
    rows += [
        RosterRow(
            key=f"w{a.id}",
            name=a.walk_in_name or "",
            organisation=a.organisation.name if a.organisation else "",
            status="walk_in",
            code="",
            needs=False,
            changed_at=max(a.recorded_at, arrived.get(a.id, a.recorded_at)),
        )
        for a in attendances
        if a.registration_id is None
    ]
    return rows


def _cursor(at: datetime, key: str) -> str:
    return f"{at.isoformat()}|{key}"


def _parse_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """A cursor this module gave out; anything else means "from the start"."""
    if not cursor or len(cursor) > 100:
        return None
    at, sep, key = cursor.partition("|")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    if not sep or moment.tzinfo is None:
        return None
    return moment, key


# --- taps --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TapIn:
    """One tap as the device sent it, checked for shape (see :func:`parse_taps`)."""

    tap_id: str
    kind: TapKind
    at: datetime
    registration_id: int | None = None
    name: str = ""
    organisation: str = ""
    count: int = 0
    note: str = ""


@dataclass(frozen=True)
class TapResult:
    tap_id: str
    outcome: TapOutcome
    reason: str = ""
    message: str = ""


@dataclass
class TapBatch:
    taps: list[TapIn] = field(default_factory=list)
    # Taps the server could not read: answered as refused and never stored.
    invalid: list[TapResult] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # the tap ids as sent


def parse_taps(items: object) -> TapBatch:
    """Read the taps of an upload. A tap that cannot be read is refused on its own; the
    rest of the batch goes on (one bad tap must not hold up the queue behind it)."""
    batch = TapBatch()
    if not isinstance(items, list):
        return batch
    now = utcnow()
    for item in items[:MAX_TAPS]:
        tap = _parse_tap(item, now)
        batch.order.append(tap.tap_id)
        if isinstance(tap, TapIn):
            batch.taps.append(tap)
        else:
            batch.invalid.append(tap)
    return batch


def _parse_tap(item: object, now: datetime) -> TapIn | TapResult:
    if not isinstance(item, dict):
        return TapResult("", TapOutcome.REFUSED, "invalid")
    tap_id = item.get("id")
    if not isinstance(tap_id, str) or not (8 <= len(tap_id) <= 64) or not tap_id.isascii():
        return TapResult(str(tap_id)[:64], TapOutcome.REFUSED, "invalid")
    bad = TapResult(tap_id, TapOutcome.REFUSED, "invalid")
    try:
        kind = TapKind(str(item.get("kind")))
        at = datetime.fromisoformat(str(item.get("at")))
    except ValueError:
        return bad
    if at.tzinfo is None:
        return bad
    at = min(at, now) if at <= now + CLOCK_SKEW else now
    if kind in (TapKind.PRESENT, TapKind.UNDO):
        key = item.get("key")
        if not isinstance(key, str) or not key.startswith("r") or not key[1:].isdigit():
            return bad
        if len(key) > 12:
            return bad
        return TapIn(tap_id, kind, at, registration_id=int(key[1:]))
    if kind == TapKind.WALK_IN:
        name = " ".join(str(item.get("name") or "").split())
        if not name or len(name) > MAX_NAME:
            return bad
        organisation = " ".join(str(item.get("org") or "").split())[:MAX_NAME]
        return TapIn(tap_id, kind, at, name=name, organisation=organisation)
    count = item.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100_000:
        return bad
    return TapIn(tap_id, kind, at, count=count, note=str(item.get("note") or "")[:200])


def apply_taps(user: User, device: DoorDevice, batch: TapBatch) -> list[TapResult]:
    """Apply the taps of an upload once each, in the order they were made; the results in
    the order sent. ``user`` acts: who is signed in, or the manager who enrolled the device.
    The caller commits."""
    try:
        event, closed = attendance.lock_open_event(device.event_id), None
    except AttendanceRefused as refusal:
        event, closed = device.event, refusal
    results: dict[str, TapResult] = {r.tap_id: r for r in batch.invalid}
    seen = _applied(t.tap_id for t in batch.taps)
    registrations = _registrations(event, [t.registration_id for t in batch.taps])
    latest = _latest_taps(registrations.keys())
    for tap in sorted(batch.taps, key=lambda t: t.at):
        if tap.tap_id in results:
            continue  # sent twice in one upload
        if (known := seen.get(tap.tap_id)) is not None:
            results[tap.tap_id] = TapResult(tap.tap_id, known.outcome, known.reason)
            continue
        if closed is not None:
            result = _store(device, event, tap, TapOutcome.REFUSED, closed.reason.value)
        else:
            result = _apply(user, device, event, tap, registrations, latest)
        results[tap.tap_id] = result
    return [_with_message(results[tap_id]) for tap_id in dict.fromkeys(batch.order)]


def _apply(
    user: User,
    device: DoorDevice,
    event: Event,
    tap: TapIn,
    registrations: dict[int, Registration],
    latest: dict[int, tuple[datetime, TapKind]],
) -> TapResult:
    try:
        if tap.kind in (TapKind.PRESENT, TapKind.UNDO):
            registration = registrations.get(tap.registration_id or 0)
            if registration is None:
                return _store(device, event, tap, TapOutcome.REFUSED, "unknown")
            return _apply_person(user, device, event, tap, registration, latest)
        if tap.kind == TapKind.WALK_IN:
            result = attendance.add_walk_in(
                user, event, tap.name, organisation_name=tap.organisation or None,
                at=tap.at, once=True,
            )  # fmt: skip
            return _store(device, event, tap, TapOutcome.APPLIED, attendance=result.attendance)
        attendance.add_headcount(user, event, tap.count, tap.note, at=tap.at)
        return _store(device, event, tap, TapOutcome.APPLIED)
    except AttendanceRefused as refusal:
        return _store(device, event, tap, TapOutcome.REFUSED, refusal.reason.value)


def _apply_person(
    user: User,
    device: DoorDevice,
    event: Event,
    tap: TapIn,
    registration: Registration,
    latest: dict[int, tuple[datetime, TapKind]],
) -> TapResult:
    """A present or undo tap on one person: the latest tap decides."""
    last = latest.get(registration.id)
    if last is not None and last[0] > tap.at:
        if last[1] != tap.kind:
            return _store(device, event, tap, TapOutcome.SUPERSEDED, registration=registration)
        # The same as the later tap said: only an earlier arrival time to keep, below.
    else:
        latest[registration.id] = (tap.at, tap.kind)
    if tap.kind == TapKind.UNDO:
        done = attendance.undo_check_in_locked(user, registration, tap=tap.tap_id)
        outcome = TapOutcome.APPLIED if done else TapOutcome.ALREADY
        return _store(device, event, tap, outcome, registration=registration)
    row, done = attendance.check_in_locked(
        user, registration, via="door", at=tap.at, tap=tap.tap_id
    )
    if not done and tap.at < row.recorded_at:
        row.recorded_at = tap.at  # seen earlier at another door: they came then
    outcome = TapOutcome.APPLIED if done else TapOutcome.ALREADY
    return _store(device, event, tap, outcome, registration=registration, attendance=row)


def _store(
    device: DoorDevice,
    event: Event,
    tap: TapIn,
    outcome: TapOutcome,
    reason: str = "",
    *,
    registration: Registration | None = None,
    attendance: Attendance | None = None,
) -> TapResult:
    db.session.add(
        DoorTap(
            tap_id=tap.tap_id,
            event_id=event.id,
            device_id=device.id,
            kind=tap.kind,
            registration_id=registration.id if registration is not None else None,
            attendance_id=attendance.id if attendance is not None else None,
            outcome=outcome,
            reason=reason,
            tapped_at=tap.at,
        )
    )
    if outcome != TapOutcome.APPLIED or tap.kind in (TapKind.WALK_IN, TapKind.HEADCOUNT):
        # A check-in or undo that changed something is in the log already, with its tap id.
        audit.record(
            "door_tap", event=event, obj=registration or attendance or event, user=device.user,
            tap=tap.tap_id, kind=tap.kind.value, outcome=outcome.value, reason=reason,
            device=device.id, tapped_at=tap.at.isoformat(),
        )  # fmt: skip
    return TapResult(tap.tap_id, outcome, reason)


def _with_message(result: TapResult) -> TapResult:
    if result.outcome != TapOutcome.REFUSED:
        return result
    try:
        message = AttendanceRefused(attendance.Refusal(result.reason)).message
    except ValueError:
        message = ""
    return TapResult(result.tap_id, result.outcome, result.reason, message)


def _applied(tap_ids: Iterable[str]) -> dict[str, DoorTap]:
    ids = list(dict.fromkeys(tap_ids))
    if not ids:
        return {}
    return {t.tap_id: t for t in db.session.scalars(select(DoorTap).where(DoorTap.tap_id.in_(ids)))}


def _registrations(event: Event, ids: Sequence[int | None]) -> dict[int, Registration]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        r.id: r
        for r in db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.id.in_(wanted))
            .options(joinedload(Registration.person))
        )
    }


def _latest_taps(registration_ids: Iterable[int]) -> dict[int, tuple[datetime, TapKind]]:
    """When each person was last tapped present or undone by a tap that counted, and which."""
    ids = list(registration_ids)
    if not ids:
        return {}
    latest: dict[int, tuple[datetime, TapKind]] = {}
    for registration_id, at, kind in db.session.execute(
        select(DoorTap.registration_id, DoorTap.tapped_at, DoorTap.kind)
        .where(
            DoorTap.registration_id.in_(ids),
            DoorTap.outcome.in_([TapOutcome.APPLIED, TapOutcome.ALREADY]),
        )
        .order_by(DoorTap.tapped_at, DoorTap.id)
    ):
        if registration_id is not None:
            latest[registration_id] = (at, kind)
    return latest
