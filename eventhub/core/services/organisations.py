"""Which organisation a typed name means: the one rule for signup, walk-ins and guidance."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Column, ColumnElement, Table, false, func, select, true, union, union_all
from sqlalchemy import update as update_stmt
from sqlalchemy.orm import joinedload

from eventhub.core.models import Event, Organisation, Project
from eventhub.core.services import audit
from eventhub.core.services.errors import Refused
from eventhub.extensions import db


def organisation_named(
    name: str | None, *, confirmed: bool, municipality_id: int | None = None
) -> Organisation | None:
    """The organisation of that name (any case; a confirmed one first), or a new one.

    ``confirmed`` says who typed the name: an organiser's is taken as it is, a participant's
    waits for an organiser to confirm it. An empty name is no organisation.
    """
    name = (name or "").strip()
    if not name:
        return None
    existing = db.session.scalars(
        select(Organisation)
        .where(func.lower(Organisation.name) == name.lower())
        .order_by(Organisation.confirmed.desc(), Organisation.id)
        .limit(1)
    ).first()
    if existing is not None:
        return existing
    organisation = Organisation(name=name, confirmed=confirmed, municipality_id=municipality_id)
    db.session.add(organisation)
    return organisation


def confirmed_names(limit: int = 1000) -> list[str]:
    """Names offered as suggestions when someone types an organisation: confirmed ones only
    (a name a participant typed is not shown to others before an organiser confirms it)."""
    return list(
        db.session.scalars(
            select(Organisation.name)
            .where(Organisation.confirmed.is_(True))
            .order_by(Organisation.name)
            .limit(limit)
        )
    )


# How an organiser field lists several organisations: "A ry ja B ry", "A, B & C".
_SEPARATOR = re.compile(r"\s*(?:[,;&/+]|\s(?:ja|and|un|och|ning)\s)\s*", re.IGNORECASE)


def names_in(organiser: str) -> list[str]:
    """The organisation names an organiser field lists."""
    return [name for name in (n.strip() for n in _SEPARATOR.split(organiser or "")) if name]


def run_by(project: Project, names: list[str]) -> None:
    """Link the project to the organisations that run it, confirmed ones of these names
    (created when missing: an organiser typed them). Their calendar feeds then hold the
    project's events. The caller commits."""
    project.organisations = [
        organisation
        for name in dict.fromkeys(names)
        if (organisation := organisation_named(name, confirmed=True)) is not None
    ]


# --- curating organisations (the set-up pages) ---------------------------------------------

# Legal forms that say nothing about which organisation is meant: "Kylä ry" and "Kylä r.y."
# are the same association. Finnish, Latvian and Estonian forms, lower case, dots removed.
_LEGAL_FORMS = {
    "ry", "rf", "oy", "ab", "oyj", "ky", "osk", "sr", "säätiö",
    "biedrība", "biedriba", "nodibinājums", "sia", "as",
    "mtü", "mtu", "sa", "oü", "ou",
}  # fmt: skip


def normalised_name(name: str) -> str:
    """The key possible duplicates share: case, accents' composed forms, punctuation, spacing
    and the legal form ("ry", "biedrība", "MTÜ") do not tell organisations apart."""
    text = unicodedata.normalize("NFKC", name).casefold().replace(".", "")
    words = re.findall(r"\w+", text)
    kept = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(kept or words)


def references() -> list[tuple[Column, Table]]:
    """Every column in the schema that refers to an organisation, with its table.

    Read from the metadata, so a table added later is moved by a merge and counted in a
    manager's scope without anybody remembering to list it here.
    """
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == Organisation.__tablename__:
                found.append((fk.parent, table))
    return found


def named_by_projects(project_ids) -> ColumnElement[bool]:
    """A WHERE clause: organisations some record of these projects names (``project_ids`` is
    a list or a SELECT of ids). A table counts if it refers to an organisation and to a
    project or an event."""
    events = select(Event.id).where(Event.project_id.in_(project_ids))
    named = []
    for column, table in references():
        if "project_id" in table.c:
            named.append(select(column).where(table.c.project_id.in_(project_ids)))
        elif "event_id" in table.c:
            named.append(select(column).where(table.c.event_id.in_(events)))
    return Organisation.id.in_(union(*named)) if named else false()


def named_nowhere() -> ColumnElement[bool]:
    """A WHERE clause: organisations no record names yet (just added by hand)."""
    every = [select(column).where(column.is_not(None)) for column, _table in references()]
    return Organisation.id.not_in(union(*every)) if every else true()


class Filter(enum.StrEnum):
    ALL = "all"
    UNCONFIRMED = "unconfirmed"
    NO_MUNICIPALITY = "no_municipality"
    DUPLICATES = "duplicates"


@dataclass
class Listed:
    organisation: Organisation
    uses: int  # how many records name it
    duplicates: list[Organisation]


def listing(
    scope, *, query: str = "", which: Filter = Filter.ALL, limit: int = 200
) -> list[Listed]:
    """The organisations in ``scope`` (a WHERE clause, see access.organisations_filter) that
    match the search and the filter, by name, with how often each is used and its possible
    duplicates (same normalised name) among those the user may see."""
    visible = db.session.scalars(
        select(Organisation)
        .where(scope)
        .options(joinedload(Organisation.municipality))
        .order_by(func.lower(Organisation.name), Organisation.id)
    ).all()
    by_key: dict[str, list[Organisation]] = {}
    for org in visible:
        by_key.setdefault(normalised_name(org.name), []).append(org)
    needle = normalised_name(query) if query.strip() else ""
    chosen = []
    for org in visible:
        twins = [o for o in by_key[normalised_name(org.name)] if o.id != org.id]
        if which == Filter.UNCONFIRMED and org.confirmed:
            continue
        if which == Filter.NO_MUNICIPALITY and org.municipality_id is not None:
            continue
        if which == Filter.DUPLICATES and not twins:
            continue
        if (
            needle
            and needle not in normalised_name(org.name)
            and query.strip() != (org.business_id or "")
        ):
            continue
        chosen.append((org, twins))
        if len(chosen) >= limit:
            break
    uses = _uses([org.id for org, _twins in chosen])
    return [Listed(org, uses.get(org.id, 0), twins) for org, twins in chosen]


def _uses(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    parts = [select(col.label("org_id")).where(col.in_(ids)) for col, _table in references()]
    every = union_all(*parts).subquery()
    rows = db.session.execute(select(every.c.org_id, func.count()).group_by(every.c.org_id)).all()
    return dict(rows)


class BusinessIdTaken(Refused):
    """Another organisation has this business id already (merge the two instead)."""

    def __init__(self, other: Organisation):
        super().__init__(other.name)
        self.other = other


def add(user, *, name: str, business_id: str | None, municipality_id: int | None) -> Organisation:
    """An organisation an organiser adds by hand: confirmed from the start."""
    organisation = Organisation(name=name.strip(), confirmed=True)
    db.session.add(organisation)
    _apply(organisation, name=name, business_id=business_id, municipality_id=municipality_id)
    audit.record("organisation_added", obj=organisation, user=user)
    return organisation


def update(
    user,
    organisation: Organisation,
    *,
    name: str,
    business_id: str | None,
    municipality_id: int | None,
) -> None:
    """Change what an organiser may correct: the name, business id and municipality. Saving
    it confirms it, since an organiser has now looked at it."""
    _apply(organisation, name=name, business_id=business_id, municipality_id=municipality_id)
    audit.record("organisation_edited", obj=organisation, user=user)


def _apply(
    organisation: Organisation, *, name: str, business_id: str | None, municipality_id: int | None
) -> None:
    business_id = (business_id or "").strip() or None
    if business_id is not None:
        other = db.session.scalar(
            select(Organisation).where(
                Organisation.business_id == business_id, Organisation.id != organisation.id
            )
        )
        if other is not None:
            raise BusinessIdTaken(other)
    organisation.name = name.strip()
    organisation.business_id = business_id
    organisation.municipality_id = municipality_id
    organisation.confirmed = True
    db.session.flush()


def confirm(user, organisation: Organisation) -> None:
    organisation.confirmed = True
    db.session.flush()
    audit.record("organisation_confirmed", obj=organisation, user=user)


def merge(user, keep: Organisation, drop: Organisation) -> int:
    """Make ``drop`` part of ``keep``: every record that names ``drop`` names ``keep``, what
    ``keep`` lacks (business id, municipality) is taken from ``drop``, and ``drop`` is gone.

    Participations and sessions are moved, never added or removed, so every figure stays the
    same except those that count organisations, where two became one. Returns how many
    records were moved.
    """
    if keep.id == drop.id:
        raise ValueError("an organisation cannot be merged into itself")
    moved = 0
    for column, table in references():
        result = db.session.execute(
            update_stmt(table).where(column == drop.id).values({column.name: keep.id})
        )
        moved += getattr(result, "rowcount", 0) or 0  # a CursorResult for an UPDATE
    business_id = keep.business_id or drop.business_id
    keep.municipality_id = keep.municipality_id or drop.municipality_id
    keep.confirmed = True
    drop_id, drop_name = drop.id, drop.name
    db.session.delete(drop)
    db.session.flush()  # the business id is free before ``keep`` takes it
    keep.business_id = business_id
    db.session.flush()
    audit.record(
        "organisations_merged",
        obj=keep,
        user=user,
        merged_id=drop_id,
        merged_name=drop_name,
        moved=moved,
    )
    return moved
