"""A participant's request to see, correct or erase their data, from asking to closing.

1. *Asked*, from a manage link or by address on the public page. The answer is the same
   whether or not the address is known: the mail is rendered either way, queued (and sent
   after the response) only for a known address, and nothing else is stored for an unknown
   one.
2. *Confirmed* by opening the mailed link and pressing the button (a POST: a mail scanner
   that fetches links confirms nothing) within :data:`CONFIRM_WITHIN`; a link not used in
   time expires.
3. *Open*: the participant sees everything eventhub holds about them
   (:mod:`personal_data`), downloads it as JSON, corrects name, phone and address, and may
   erase it, at once.
4. *Closed* :data:`OPEN_FOR` after it was asked; the link then stops working. A request is
   never deleted: it holds no address and no name (only the person's id), so it stays the
   record that the request was answered.

Every step is audited (``core/audit_text.py``). Organisers see the requests of persons who
took part in their projects, and may erase records their project kept for a legal reason
once that reason no longer applies (``release``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import CompoundSelect, Select, and_, or_, select, update

from eventhub.core.db import begin_write, utcnow
from eventhub.core.models import (
    Attendance,
    DataRequest,
    DataRequestStatus,
    Event,
    Person,
    Project,
    Registration,
    User,
    normalise_email,
)
from eventhub.core.models.user import user_project
from eventhub.core.services import access, audit, messages, personal_data
from eventhub.core.services.errors import Refused
from eventhub.core.services.tokens import hash_token, new_token
from eventhub.extensions import db

CONFIRM_WITHIN = timedelta(hours=24)
OPEN_FOR = timedelta(days=30)
_SALT = "eventhub.data-request"


class _Nobody:
    """The participant, or the job: no account (audit entries without a user)."""

    is_authenticated = False


NOBODY = _Nobody()


class RequestRefused(Refused):
    pass


def _links() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


# --- asking -------------------------------------------------------------------------------------


def ask(email: str, locale: str) -> None:
    """Somebody typed an address on the public page. The caller answers the same whatever
    happened, and commits."""
    person = db.session.scalar(
        select(Person).where(Person.email_normalised == normalise_email(email))
    )
    _ask(person, locale)


def ask_for(registration: Registration, locale: str) -> None:
    """The holder of a manage link asked: the link goes to the registration's address."""
    _ask(registration.person, locale)


def _ask(person: Person | None, locale: str) -> None:
    request = None
    secret, secret_hash = new_token()
    request_id = 0  # an unknown address: the same work, a link to nothing, never sent
    if person is not None and person.email:
        request = DataRequest(person=person, token_hash=secret_hash, locale=locale)
        db.session.add(request)
        db.session.flush()
        request_id = request.id
        audit.record("data_request_made", obj=request, user=NOBODY)
    token = _links().dumps([request_id, secret])
    messages.data_request_link(person if request else None, token, locale)


# --- the link ----------------------------------------------------------------------------------


def by_token(token: str) -> DataRequest | None:
    """The request a mailed link names, while it may be used; None otherwise."""
    if not token or len(token) > 200:
        return None
    try:
        payload = _links().loads(token, max_age=int(OPEN_FOR.total_seconds()))
    except BadSignature:  # also an expired signature
        return None
    if not (isinstance(payload, list) and len(payload) == 2 and type(payload[0]) is int
            and isinstance(payload[1], str)):  # fmt: skip
        return None
    request = db.session.get(DataRequest, payload[0])
    if request is None or request.token_hash != hash_token(payload[1]):
        return None
    now = utcnow()
    if request.status in (DataRequestStatus.EXPIRED, DataRequestStatus.CLOSED):
        return None
    if request.status == DataRequestStatus.AWAITING and now > request.created_at + CONFIRM_WITHIN:
        return None
    if now > request.created_at + OPEN_FOR:
        return None
    return request


def confirm(request: DataRequest) -> None:
    """The participant opened the mailed link and confirmed. The caller commits."""
    if request.status == DataRequestStatus.AWAITING:
        request.status = DataRequestStatus.OPEN
        request.confirmed_at = utcnow()
        audit.record("data_request_confirmed", obj=request, user=NOBODY)
        db.session.flush()


def _open(request: DataRequest) -> None:
    if request.status != DataRequestStatus.OPEN:
        raise RequestRefused(_l("This request is no longer open. Ask again for a new link."))


def holdings(request: DataRequest) -> personal_data.Holdings:
    return personal_data.find([request.person_id], request.person.email)


def export(request: DataRequest, *, download: bool = False) -> dict:
    """What eventhub holds about the requester; a download is audited."""
    _open(request)
    data = personal_data.export(holdings(request))
    if download:
        audit.record("personal_data_exported", obj=request, user=NOBODY)
    return data


def correct(request: DataRequest, *, name: str, phone: str | None, email: str) -> list[str]:
    """The participant corrects their name, phone or address. The caller commits."""
    _open(request)
    changed = personal_data.correct(request.person, name=name, phone=phone, email=email)
    if changed:
        audit.record("personal_data_corrected", obj=request, user=NOBODY, fields=changed)
    return changed


def erase(request: DataRequest) -> personal_data.Erasure:
    """The participant asked for erasure: done at once (see personal_data.erase). The
    caller commits."""
    begin_write(db.session)
    _open(request)
    erasure = personal_data.erase(holdings(request))
    _record_erasure(request, erasure, NOBODY)
    return erasure


def _record_erasure(request: DataRequest, erasure: personal_data.Erasure, user) -> None:
    request.kept_reasons = {str(pid): reason for pid, reason in erasure.kept.items()}
    request.status = DataRequestStatus.KEPT if erasure.kept else DataRequestStatus.ERASED
    request.erased_at = request.erased_at or utcnow()
    audit.record(
        "personal_data_erased" if user is NOBODY else "erasure_released",
        obj=request, user=user, kept=sorted(erasure.kept),
    )  # fmt: skip
    db.session.flush()


# --- organisers -----------------------------------------------------------------------------------


def _persons_of(project_ids: Select) -> CompoundSelect:
    """The persons with a registration or an attendance at an event of these projects."""
    events = select(Event.id).where(Event.project_id.in_(project_ids))
    return (
        select(Registration.person_id)
        .where(Registration.event_id.in_(events))
        .union(
            select(Attendance.person_id).where(
                Attendance.event_id.in_(events), Attendance.person_id.is_not(None)
            )
        )
    )


def requests_for(user: User) -> list[DataRequest]:
    """The requests an organiser sees: of persons who took part in their projects."""
    stmt = select(DataRequest).order_by(DataRequest.created_at.desc(), DataRequest.id.desc())
    if not access.is_admin(user):
        if not access.can_manage(user):
            return []
        mine = select(user_project.c.project_id).where(user_project.c.user_id == user.id)
        stmt = stmt.where(DataRequest.person_id.in_(_persons_of(mine)))
    return list(db.session.scalars(stmt.limit(500)))


def projects_of(request: DataRequest, user: User) -> list[Project]:
    """The projects of the user that the request's person took part in."""
    stmt = select(Project).where(
        Project.id.in_(
            select(Event.project_id).where(
                or_(
                    Event.id.in_(
                        select(Registration.event_id).where(
                            Registration.person_id == request.person_id
                        )
                    ),
                    Event.id.in_(
                        select(Attendance.event_id).where(Attendance.person_id == request.person_id)
                    ),
                )
            )
        )
    )
    return [p for p in db.session.scalars(stmt.order_by(Project.name))
            if access.may_manage_project(user, p)]  # fmt: skip


def request_to_manage(user: User, request_id: int) -> DataRequest | None:
    found = db.session.get(DataRequest, request_id)
    if found is None or not projects_of(found, user):
        return None
    return found


def release(user: User, request: DataRequest, project: Project) -> personal_data.Erasure:
    """The organiser erases what their project kept from an erasure: its legal reason no
    longer applies. The caller commits."""
    if not access.may_manage_project(user, project) or str(project.id) not in (
        request.kept_reasons or {}
    ):
        raise RequestRefused(_l("This project keeps nothing of this request."))
    begin_write(db.session)
    still_kept = {int(pid) for pid in request.kept_reasons} - {project.id}
    found = holdings(request)
    held = personal_data.held_projects(found)
    erasure = personal_data.erase(found, release=set(held) - still_kept)
    _record_erasure(request, erasure, user)
    return erasure


def set_hold(user: User, project: Project, reason: str) -> None:
    """Say (or stop saying) why the project must keep its records from erasure. The caller
    commits."""
    if not access.may_manage_project(user, project):
        raise RequestRefused(_l("You do not manage this project."))
    project.erasure_hold = " ".join(reason.split())[:1000]
    audit.record("erasure_hold_set", obj=project, user=user, project_id=project.id,
                 held=bool(project.erasure_hold))  # fmt: skip
    db.session.flush()


# --- expiry --------------------------------------------------------------------------------------


def close_expired() -> str:
    """Expire unconfirmed links after a day, close requests after their 30 days (the
    periodic job ``data_requests``; also safe to call by hand). Commits."""
    begin_write(db.session)
    now = utcnow()
    expired = db.session.execute(
        update(DataRequest)
        .where(
            DataRequest.status == DataRequestStatus.AWAITING,
            DataRequest.created_at < now - CONFIRM_WITHIN,
        )
        .values(status=DataRequestStatus.EXPIRED, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult
    closed = db.session.execute(
        update(DataRequest)
        .where(
            and_(
                DataRequest.status == DataRequestStatus.OPEN,
                DataRequest.created_at < now - OPEN_FOR,
            )
        )
        .values(status=DataRequestStatus.CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult
    if expired or closed:
        audit.record("data_requests_expired", user=NOBODY, count=expired + closed)
    db.session.commit()
    return f"data requests: {expired} links expired, {closed} requests closed"
