"""Everything eventhub holds about one person, found from the schema: to show, export, erase.

Tables are not listed by hand. A person's rows are found by walking the foreign keys of the
SQLAlchemy metadata: every table with a foreign key to ``person`` (registrations, walk-ins,
data requests, whatever a later model adds), then every table with a foreign key to the rows
found (a registration's team place, discussion group, door taps, survey invitation...), until
nothing new is found. A row that belongs to another person (it has its own person column,
naming somebody else, e.g. a companion with an address registered by this person) is not
theirs and is not followed; a companion signed up by name only (no address: they can never
ask for themselves) goes with the person who signed them up, their person row too when
nothing else names them.

What each found table holds is declared in :data:`COLUMNS`: every text column (string, text,
JSON) is either *personal* (emptied on erasure, see :class:`Clear`), *secret* (a hash: never
exported, ended on erasure), or *kept* with the reason it identifies nobody. Tables with
no link to a person that still have columns called like names, addresses or phones, or
free text, are declared in :data:`UNLINKED` with the reason they hold no participant's data,
or how they are searched instead (mail by its recipient, staged imports by their content).

:func:`anonymise` applies the declarations to rows of one table: the one rule of what
anonymising clears, used both by an erasure on request (the person's rows, :func:`erase`)
and by retention (a project's rows past its period and every row reached from them,
``services.retention`` with :func:`reached`), so a table declared here is covered by both.
``tests/test_personal_data.py`` fails for any table or column a new model adds without a
declaration, so new personal data cannot slip past the export and the erasure.

Outside the foreign keys a person is also named by: mail in the outbox (by address), audit
entries (by the ids of their rows) and staged import files (by address).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Column,
    Enum,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from eventhub.core import audit_text
from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    AuditEntry,
    Event,
    IdempotentRequest,
    ImportBatch,
    ImportStatus,
    OutboxMessage,
    Person,
    Project,
    Registration,
    normalise_email,
)
from eventhub.core.services.errors import Refused
from eventhub.extensions import db

PERSON_TABLE = "person"

# Kept where a column may not be empty: a name nobody can mistake for a person's.
ANONYMOUS_NAME = ""
# How an ended secret that may not be empty starts: unique (the row's id follows) and never
# the SHA-256 of any token, so the link it belonged to stops working.
ENDED = "anonymised-"


@dataclass(frozen=True)
class Clear:
    """Personal: shown in the export and emptied on erasure (to ``value``)."""

    value: Any = ""


@dataclass(frozen=True)
class Secret:
    """A hash or secret of a link: never exported; ended when the row is anonymised (set to
    NULL, or to :data:`ENDED` and the row's id where it may not be empty), unless ``ends`` is
    False (the link the participant reads the erasure's outcome with)."""

    ends: bool = True


@dataclass(frozen=True)
class Keep:
    """Kept on erasure: ``why`` it identifies nobody once names and addresses are gone."""

    why: str


Treatment = Clear | Secret | Keep

_CATEGORY = Keep("a category the indicators count (ESF+ background, status), never a name")
_LOCALE = Keep("a language code")

# Every text column of every table that holds a person's rows. Non-text columns (ids,
# numbers, times, booleans) are kept: they are what the indicators count.
COLUMNS: dict[str, dict[str, Treatment]] = {
    "person": {
        "email_normalised": Clear(None),
        "email": Clear(None),
        "name": Clear(ANONYMOUS_NAME),
        "phone": Clear(None),
        "locale": _LOCALE,
        "feed_secret": Secret(),
    },
    "registration": {
        "answers": Clear({}),
        "accessibility_needs": Clear(""),
        "dietary_needs": Clear(""),
        "manage_token_hash": Secret(),
        "status": _CATEGORY,
        "gender": _CATEGORY,
        "age_band": _CATEGORY,
        "labour_status": _CATEGORY,
        "locale": _LOCALE,
    },
    "attendance": {
        "walk_in_name": Clear(ANONYMOUS_NAME),
        "gender": _CATEGORY,
        "age_band": _CATEGORY,
        "labour_status": _CATEGORY,
    },
    "team_member": {},
    "team_seeker": {"note": Clear("")},
    "group_choice": {},
    # Whole-series enrolment: the person's id and the registration new sessions copy; an
    # erased person has no address left, so no new session registers them.
    "series_enrolment": {"locale": _LOCALE},
    "survey_invitation": {},
    "door_tap": {
        "tap_id": Keep("the check-in device's random id for the tap"),
        "kind": _CATEGORY,
        "outcome": _CATEGORY,
        "reason": Keep("a refusal code"),
    },
    # ESF+ Annex I (core/services/annex.py): categories the indicators count with the first
    # participation's data; kept on erasure, like the background on the registration, so
    # the Annex I table stays the same, and naming nobody once the person is anonymised.
    "annex_answer": {"education": _CATEGORY},
    "special_category_answer": {},
    "followup_invitation": {"stage": _CATEGORY, "locale": _LOCALE},
    "followup_answer": {"item": _CATEGORY},
    "survey_response": {"stage": _CATEGORY},
    "survey_answer": {},
    # Volunteer hours: the hours stay for the payment claim; the task, typed by an organiser
    # about this person's work, goes.
    "volunteer_work": {"task": Clear("")},
    "data_request": {
        "status": _CATEGORY,
        # The request's own link: it shows the participant what was erased and kept, and
        # stops working when the request closes (30 days, services.data_requests).
        "token_hash": Secret(ends=False),
        "locale": _LOCALE,
        "kept_reasons": Keep("project ids and the project's legal reason, no personal data"),
    },
}

# Tables no foreign key links to a person, but with columns named like personal data or
# holding free text: why they hold no participant's data, or how they are searched.
UNLINKED: dict[str, str] = {
    "outbox_message": "mail: searched by its recipient address, deleted on erasure",
    "import_batch": "a staged file: searched for the address, discarded on erasure",
    "audit_entry": "ids only (audit.record refuses personal data); entries naming the "
    "person's rows are exported and kept as the record of what was done",
    "user": "organisers' accounts, not participants",
    "project": "a project's set-up and its contact address (an organisation's)",
    "organisation": "associations and companies people take part on behalf of",
    "municipality": "place names",
    "place": "place names",
    "event": "what organisers publish about an event",
    "event_question": "an event's questions (the answers are on the registration)",
    "event_calendar_entry": "the event's published calendar text",
    "challenge": "a hackathon's published challenge",
    "team": "a team's name, chosen by the team",
    "initiative": "a team's idea, written by the team",
    "programme_item": "a forum's published programme (speakers are organisers' choice)",
    "discussion_group": "a forum's published groups",
    "session_headcount": "a number of people counted without names",
    "headcount": "a number of people counted without names",
    "guidance_topic": "a project's list of subjects",
    "guidance_session": "guidance given to an organisation; the note is the organiser's",
    "survey_instrument": "a questionnaire's wording",
    "survey_receipt": "a hash of a used survey link, tied to nobody",
    "workshop_series": "a workshop series' description",
    "door_device": "a check-in device of the organisers",
    "login_session": "organisers' sign-ins",
    "rate_limit_counter": "request counts per client address, kept for minutes",
    "api_token": "a project's API tokens: a label an organiser gave, and the token's hash",
    "webhook": "a project's webhook: the receiver's address and signing secret",
    "webhook_delivery": "a notice to a webhook: ids, the action and the time, never a name",
    "idempotent_request": "what an API POST answered, kept one day for a repeat of it; "
    "searched for the address and deleted on erasure",
    "data_revision": "a revision counter per kind of reference data (e.g. places), by name",
    "job_lease": "the worker's periodic jobs: a job's name and which worker process holds it",
    "imported_row": "a hash of an imported row and the id it made",
}


# --- the schema walk ------------------------------------------------------------------------


def _tables() -> dict[str, Table]:
    return dict(db.metadata.tables)


def _person_column(table: Table) -> Column | None:
    """The column that says whose a row is, if the table has one."""
    for fk in table.foreign_keys:
        if fk.column.table.name == PERSON_TABLE:
            return fk.parent
    return None


def linked_tables() -> list[str]:
    """Every table whose rows may belong to a person: reached from ``person`` through
    foreign keys pointing at it, transitively. In the order found (parents first)."""
    tables = _tables()
    found = [PERSON_TABLE]
    for name in found:
        for other in tables.values():
            if other.name in found:
                continue
            if any(fk.column.table.name == name for fk in other.foreign_keys):
                found.append(other.name)
    return found


def is_text(column: Column) -> bool:
    return isinstance(column.type, String | Text | JSON) and not isinstance(column.type, Enum)


def undeclared() -> list[str]:
    """Tables and columns nobody has said how to treat (tests keep this empty)."""
    problems = []
    linked = set(linked_tables())
    for name, table in _tables().items():
        if name in linked:
            declared = COLUMNS.get(name)
            if declared is None:
                problems.append(f"table {name} refers to a person: declare it in COLUMNS")
                continue
            for column in table.columns:
                if (is_text(column) or isinstance(column.type, Enum)) and column.key not in (
                    declared
                ):
                    problems.append(f"column {name}.{column.key}: declare it in COLUMNS")
        elif name not in UNLINKED and any(
            is_text(c) and (_named_personal(c.key) or isinstance(c.type, Text | JSON))
            for c in table.columns
        ):
            problems.append(f"table {name} has personal-looking or free text: declare it")
    problems += [f"COLUMNS names {n}, which is no linked table" for n in set(COLUMNS) - linked]
    problems += [f"UNLINKED names {n}, which refers to a person" for n in set(UNLINKED) & linked]
    return problems


def _named_personal(key: str) -> bool:
    return any(word in key for word in ("name", "email", "phone", "address", "recipient"))


@dataclass
class Holdings:
    """The person's rows: primary-key tuples by table, in the order the walk found them."""

    person_ids: list[int]
    email: str | None
    rows: dict[str, list[tuple]] = field(default_factory=dict)

    def ids(self, table: str) -> list:
        return [pk[0] for pk in self.rows.get(table, [])]


def _pk_cols(table: Table) -> list[Column]:
    return list(table.primary_key.columns)


def find(person_ids: Iterable[int], email: str | None) -> Holdings:
    """Walk from the persons to every row that is theirs (again until nothing new is found,
    so a table that refers to a table found after it is not missed)."""
    tables = _tables()
    holdings = Holdings(person_ids=sorted(set(person_ids)), email=email)
    holdings.rows[PERSON_TABLE] = [(pid,) for pid in holdings.person_ids]
    # The ids of rows found so far, by table (single-column primary keys: what others refer to).
    ids: dict[str, set] = {PERSON_TABLE: set(holdings.person_ids)}
    order = linked_tables()[1:]
    changed = True
    while changed:
        changed = False
        for name in order:
            table = tables[name]
            conditions = [
                fk.parent.in_(sorted(ids[fk.column.table.name]))
                for fk in table.foreign_keys
                if ids.get(fk.column.table.name)
            ]
            if not conditions:
                continue
            stmt = select(*_pk_cols(table)).where(or_(*conditions))
            owner = _person_column(table)
            if owner is not None:
                # Somebody else's row that points at one of ours (a companion with an address
                # of their own): theirs, not followed. A companion without an address can
                # never ask for themselves; what the person gave about them goes with the
                # person's own rows.
                stmt = stmt.where(
                    or_(owner.in_(holdings.person_ids), owner.is_(None), owner.in_(_addressless))
                )
            found = [tuple(r) for r in db.session.execute(stmt.order_by(*_pk_cols(table)))]
            if len(found) != len(holdings.rows.get(name, [])):
                changed = True
                holdings.rows[name] = found
                if len(_pk_cols(table)) == 1:
                    ids[name] = {r[0] for r in found}
    holdings.rows = {n: r for n, r in holdings.rows.items() if r}
    holdings.rows[PERSON_TABLE] += [(pid,) for pid in _companions_only_reached(holdings)]
    return holdings


# Persons without an address and not anonymised: companions someone signed up by name.
_addressless = select(Person.id).where(
    Person.email_normalised.is_(None), Person.anonymised_at.is_(None)
)


def _companions_only_reached(holdings: Holdings) -> list[int]:
    """The addressless persons among the owners of the rows found that nothing else refers
    to: every row naming them is one of the rows found (so erasing the person who signed
    them up anonymises them too)."""
    tables = _tables()
    owned: dict[str, Column] = {}
    for name in holdings.rows:
        owner = _person_column(tables[name])
        if owner is not None and name != PERSON_TABLE:
            owned[name] = owner
    others: set[int] = set()
    for name, owner in owned.items():
        table = tables[name]
        others |= set(
            db.session.scalars(
                select(owner).where(
                    _pk_where(table, holdings.rows[name]), owner.not_in(holdings.person_ids)
                )
            )
        )
    if not others:
        return []
    for name, table in tables.items():
        owner = _person_column(table)
        if owner is None or name == PERSON_TABLE:
            continue
        stmt = select(owner).where(owner.in_(sorted(others)))
        if holdings.rows.get(name):
            stmt = stmt.where(~_pk_where(table, holdings.rows[name]))
        others -= set(db.session.scalars(stmt))
    return sorted(others)


def person_ids_for(email: str) -> list[int]:
    """The persons of an address (one: persons are unique by normalised address)."""
    return list(
        db.session.scalars(
            select(Person.id).where(Person.email_normalised == normalise_email(email))
        )
    )


def _pk_where(table: Table, pks: list[tuple]) -> ColumnElement[bool]:
    cols = _pk_cols(table)
    if len(cols) == 1:
        return cols[0].in_([pk[0] for pk in pks])
    return tuple_(*cols).in_(pks)


def _mail_to(email: str | None):
    if not email:
        return None
    return func.lower(func.trim(OutboxMessage.recipient)) == normalise_email(email)


def delete_mail_to(persons: ColumnElement[bool]) -> int:
    """Delete the mail to the addresses of the persons ``persons`` selects (before their
    addresses are taken: mail is matched by its recipient). Returns how many."""
    addresses = select(Person.email_normalised).where(persons, Person.email_normalised.is_not(None))
    return db.session.execute(
        delete(OutboxMessage)
        .where(func.lower(func.trim(OutboxMessage.recipient)).in_(addresses))
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult


def _staged_naming(email: str | None) -> list[ImportBatch]:
    """Files waiting for an organiser's confirmation whose rows hold the address."""
    if not email:
        return []
    wanted = normalise_email(email)
    return [
        batch
        for batch in db.session.scalars(
            select(ImportBatch).where(ImportBatch.status == ImportStatus.STAGED)
        )
        if wanted in json.dumps(batch.staged, ensure_ascii=False).casefold()
    ]


def _stored_answers_naming(email: str | None) -> list[IdempotentRequest]:
    """Stored answers to API POSTs (kept a day, for a repeat of the request) that hold the
    address: an API registration's answer names the person."""
    if not email:
        return []
    wanted = normalise_email(email)
    return [
        stored
        for stored in db.session.scalars(select(IdempotentRequest))
        if wanted in json.dumps(stored.body, ensure_ascii=False).casefold()
    ]


def _audit_where(holdings: Holdings):
    """Audit entries that name one of the person's rows (by object, or by an attendance id
    in their details)."""
    kinds = _object_types()
    conditions = []
    for name, pks in holdings.rows.items():
        kind = kinds.get(name)
        if kind and len(pks[0]) == 1:
            conditions.append(
                and_(AuditEntry.object_type == kind, AuditEntry.object_id.in_([p[0] for p in pks]))
            )
    return or_(*conditions) if conditions else None


def _object_types() -> dict[str, str]:
    """The object_type audit.record writes for each mapped table (its class name, lowered)."""
    return {
        mapper.local_table.name: mapper.class_.__name__.lower()
        for mapper in db.Model.registry.mappers  # type: ignore[attr-defined]
        if isinstance(mapper.local_table, Table)
    }


# --- anonymising: the one rule of what is cleared --------------------------------------------


def _cleared(column: Column, value: Any) -> Any:
    """What a personal column becomes; an empty (NULL) value stays NULL (a registered
    attendance has no walk-in name, and must not get one)."""
    if value is not None and column.nullable:
        return case((column.is_(None), null()), else_=literal(value, column.type))
    return value


def _ended(table: Table, column: Column) -> Any:
    if column.nullable:
        return None
    [pk] = _pk_cols(table)
    return literal(ENDED) + cast(pk, String)


def _not_yet_anonymised(table: Table, treatments: dict[str, Treatment]):
    """Rows that still hold something to clear, so running again changes (and counts)
    nothing. A table that records when a row was anonymised says so itself."""
    if "anonymised_at" in table.c:
        return table.c.anonymised_at.is_(None)
    parts: list[ColumnElement[bool]] = []
    for key, treatment in treatments.items():
        column = table.c[key]
        if isinstance(treatment, Clear):
            if treatment.value is None:
                parts.append(column.is_not(None))
            elif isinstance(column.type, JSON):  # compared as text: PostgreSQL's json has no =
                parts.append(cast(column, Text) != json.dumps(treatment.value))
            else:
                parts.append(and_(column.is_not(None), column != treatment.value))
        elif isinstance(treatment, Secret) and treatment.ends:
            parts.append(column.is_not(None) if column.nullable else column.not_like(f"{ENDED}%"))
    return or_(*parts) if parts else None


def anonymise(name: str, *where: ColumnElement[bool], now: datetime | None = None) -> int:
    """Anonymise the rows of table ``name`` that match ``where``: every column :data:`COLUMNS`
    declares personal gets its :class:`Clear` value, every secret is ended, and a table with
    an ``anonymised_at`` column records when. Ids, numbers, times and the kept categories stay:
    they are what the indicators count. Rows already anonymised are left alone; returns how
    many rows changed. The caller commits."""
    table = _tables()[name]
    treatments = COLUMNS.get(name, {})
    values: dict[str, Any] = {}
    for key, treatment in treatments.items():
        if isinstance(treatment, Clear):
            values[key] = _cleared(table.c[key], treatment.value)
        elif isinstance(treatment, Secret) and treatment.ends:
            values[key] = _ended(table, table.c[key])
    guard = _not_yet_anonymised(table, treatments)
    if not values or guard is None:
        return 0
    if "anonymised_at" in table.c:
        values["anonymised_at"] = now or utcnow()
    return db.session.execute(
        update(table).where(*where, guard).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # fmt: skip  # a CursorResult


def reached(roots: dict[str, ColumnElement[bool]]) -> dict[str, ColumnElement[bool]]:
    """The rows of the roots (a WHERE clause by table) and every row reached from them through
    foreign keys, transitively: a WHERE clause by table, as subqueries, so a project of any
    size is anonymised with one UPDATE per table. (A person's erasure walks with ids instead,
    :func:`find`, because it also shows and exports what it finds.)"""
    tables = _tables()
    # The tables a row can be reached in, and through which foreign keys (to a fixed point).
    through: dict[str, list] = {name: [] for name in roots}
    grew = True
    while grew:
        grew = False
        for table in tables.values():
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if (
                    parent in through
                    and parent != table.name
                    and fk not in through.get(table.name, [])
                ):
                    through.setdefault(table.name, []).append(fk)
                    grew = True
    built: dict[str, ColumnElement[bool]] = {}

    def where(name: str, visiting: frozenset[str]) -> ColumnElement[bool]:
        if name in built:
            return built[name]
        parts = [roots[name]] if name in roots else []
        for fk in through[name]:
            parent = fk.column.table.name
            if parent in visiting:  # a cycle: the parent's rows come by another way
                continue
            parts.append(fk.parent.in_(select(fk.column).where(where(parent, visiting | {name}))))
        clause = or_(*parts)
        if not visiting:
            built[name] = clause
        return clause

    return {name: where(name, frozenset()) for name in through}


# --- the export ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def export(holdings: Holdings) -> dict:
    """Every row that is the person's, as plain data (the JSON download and the page).

    Secrets (link hashes) are left out; each row of a table with an event names the event
    and its project, so the participant can tell rows apart."""
    tables = _tables()
    records: dict[str, list[dict]] = {}
    event_ids: set[int] = set()
    for name, pks in holdings.rows.items():
        table = tables[name]
        secret = {k for k, t in COLUMNS.get(name, {}).items() if isinstance(t, Secret)}
        columns = [c for c in table.columns if c.key not in secret]
        rows = db.session.execute(
            select(*columns).where(_pk_where(table, pks)).order_by(*_pk_cols(table))
        ).mappings()
        records[name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
        event_ids |= {r["event_id"] for r in records[name] if r.get("event_id")}
    events = {
        e.id: {"title": e.title, "starts_at": e.starts_at.isoformat(),
               "project": e.project.name if e.project else None}
        for e in db.session.scalars(select(Event).where(Event.id.in_(event_ids)))
    }  # fmt: skip
    for listed in records.values():
        for row in listed:
            if row.get("event_id") in events:
                row["event"] = events[row["event_id"]]
    mail_where = _mail_to(holdings.email)
    mail = []
    if mail_where is not None:
        mail = [
            {
                "id": m.id, "kind": m.kind, "recipient": m.recipient, "subject": m.subject,
                "body_text": m.body_text, "status": m.status.value,
                "created_at": _plain(m.created_at), "sent_at": _plain(m.sent_at),
            }
            for m in db.session.scalars(
                select(OutboxMessage).where(mail_where).order_by(OutboxMessage.id)
            )
        ]  # fmt: skip
    audit_where = _audit_where(holdings)
    audit = []
    if audit_where is not None:
        entries = list(
            db.session.scalars(select(AuditEntry).where(audit_where).order_by(AuditEntry.id))
        )
        sentences = audit_text.sentences(entries)
        audit = [
            {"id": e.id, "at": _plain(e.at), "action": e.action, "sentence": sentences[e.id],
             "object_type": e.object_type, "object_id": e.object_id}
            for e in entries
        ]  # fmt: skip
    staged = [
        {"id": b.id, "filename": b.filename, "created_at": _plain(b.created_at)}
        for b in _staged_naming(holdings.email)
    ]
    return {
        "generated_at": utcnow().isoformat(),
        "records": records,
        "mail": mail,
        "audit": audit,
        "staged_imports": staged,
    }


# --- correction -------------------------------------------------------------------------------


class CorrectionRefused(Refused):
    pass


CORRECTABLE = ("name", "phone", "email")


def correct(person: Person, *, name: str, phone: str | None, email: str) -> list[str]:
    """Correct what a person gave about themselves; returns the fields changed. An address
    that already belongs to another person is refused: the two would have to be merged,
    which only that address's owner may ask for. The caller commits."""
    changes = []
    name = " ".join(name.split())
    if not name:
        raise CorrectionRefused(_l("Please give your name."))
    if name != person.name:
        person.name = name
        changes.append("name")
    phone = (phone or "").strip() or None
    if phone != person.phone:
        person.phone = phone
        changes.append("phone")
    email = email.strip()
    if normalise_email(email) != person.email_normalised:
        taken = db.session.scalar(
            select(Person.id).where(
                Person.email_normalised == normalise_email(email), Person.id != person.id
            )
        )
        if taken is not None:
            raise CorrectionRefused(
                _l("That address has registrations of its own. Ask for its data from it.")
            )
        person.email, person.email_normalised = email, normalise_email(email)
        changes.append("email")
    elif email != person.email:
        person.email = email  # the same address, written differently
        changes.append("email")
    db.session.flush()
    return changes


# --- erasure ------------------------------------------------------------------------------


class ErasureRefused(Refused):
    pass


@dataclass
class Erasure:
    kept: dict[int, str] = field(default_factory=dict)  # project id -> the legal reason
    rows: int = 0


def upcoming_places(person_ids: list[int]) -> list[Registration]:
    """Registrations still holding or waiting for a place at an event that has not ended:
    given back first (an anonymous place would keep somebody else out)."""
    from eventhub.core.services.signup import ACTIVE

    return list(
        db.session.scalars(
            select(Registration)
            .join(Event, Registration.event_id == Event.id)
            .where(
                Registration.person_id.in_(person_ids or [-1]),
                Registration.status.in_(ACTIVE),
                Event.ends_at > utcnow(),
            )
            .order_by(Event.starts_at)
        )
    )


def held_projects(holdings: Holdings, release: Iterable[int] = ()) -> dict[int, str]:
    """The projects with records of the person that must keep them (``erasure_hold``)."""
    registrations = holdings.ids("registration") or [-1]
    attendances = holdings.ids("attendance") or [-1]
    event_ids = (
        select(Registration.event_id)
        .where(Registration.id.in_(registrations))
        .union(select(Attendance.event_id).where(Attendance.id.in_(attendances)))
    )
    rows = db.session.execute(
        select(Project.id, Project.erasure_hold)
        .join(Event, Event.project_id == Project.id)
        .where(Event.id.in_(event_ids), Project.erasure_hold != "")
        .distinct()
    )
    released = set(release)
    return {pid: reason for pid, reason in rows if pid not in released}


def _row_projects(name: str, table: Table, pks: list[tuple]) -> dict[tuple, int | None]:
    """The project each row belongs to, through its event (directly or through the
    registration or attendance it refers to); None for rows of no event."""
    via = None
    for key, target in (("event_id", None), ("registration_id", Registration),
                        ("attendance_id", Attendance)):  # fmt: skip
        if key in table.c:
            via = (table.c[key], target)
            break
    if name in ("registration", "attendance"):
        via = (table.c.event_id, None)
    if via is None:
        return dict.fromkeys(pks)
    column, target = via
    if target is None:
        event = column
        stmt = select(*_pk_cols(table), Event.project_id).join(Event, Event.id == event)
    else:
        stmt = (
            select(*_pk_cols(table), Event.project_id)
            .join(target, target.id == column)
            .join(Event, Event.id == target.event_id)
        )
    found = {tuple(r[:-1]): r[-1] for r in db.session.execute(stmt.where(_pk_where(table, pks)))}
    return {pk: found.get(pk) for pk in pks}


def erase(holdings: Holdings, release: Iterable[int] = ()) -> Erasure:
    """Erase the person's personal data at once, keeping what the indicators count.

    Every row found is anonymised by :func:`anonymise` (what :data:`COLUMNS` declares, as
    retention does), companions signed up by name only with them; mail to the address and
    staged files that hold it are removed. Records of projects that must keep them (their
    ``erasure_hold``, GDPR art. 17(3)(b)) are kept, except those of the projects in
    ``release``; the person's name and address then stay too (those records need them) until
    retention or a release takes them. Refused while the person still holds a place at an
    event to come. The caller commits."""
    upcoming = upcoming_places(holdings.person_ids)
    if upcoming:
        raise ErasureRefused(
            _l("You still have a place at an event to come. Cancel it first, then erase.")
        )
    tables = _tables()
    kept = held_projects(holdings, release)
    result = Erasure(kept=kept)
    for name, pks in holdings.rows.items():
        if name == PERSON_TABLE:
            continue
        table = tables[name]
        projects = _row_projects(name, table, pks)
        mine = [pk for pk in pks if projects[pk] not in kept]
        if not mine:
            continue
        result.rows += anonymise(name, _pk_where(table, mine))
    if not kept:
        mail_where = _mail_to(holdings.email)
        if mail_where is not None:
            db.session.execute(
                delete(OutboxMessage).where(mail_where).execution_options(
                    synchronize_session=False)
            )  # fmt: skip
        for batch in _staged_naming(holdings.email):
            batch.staged, batch.status, batch.undone_at = {}, ImportStatus.UNDONE, utcnow()
        for answer in _stored_answers_naming(holdings.email):
            db.session.delete(answer)
        result.rows += anonymise(PERSON_TABLE, Person.id.in_(holdings.ids(PERSON_TABLE)))
    db.session.flush()
    db.session.expire_all()
    return result
