"""Municipalities per country and the places below them that projects report by.

Forms offer them on every signup, so each process caches them (eventhub.web.signup_forms)
under :func:`revision`: a number in the database that every change made here raises in its
own transaction (:func:`_changed`). The process that made the change reads the new number
at its next request; the others check it at most every :data:`REVISION_CHECK_SECONDS`, so
they show a change at most that much later.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import (
    Column,
    ColumnElement,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    exists,
    false,
    func,
    or_,
    select,
    union,
)
from sqlalchemy import delete as delete_stmt
from sqlalchemy import event as sa_event
from sqlalchemy import update as update_stmt
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from eventhub.core.models import Country, DataRevision, Event, Municipality, Place, Project
from eventhub.core.services import audit
from eventhub.core.services.errors import Refused
from eventhub.extensions import db

# How often a process asks the database whether another process changed the places.
REVISION_CHECK_SECONDS = 5.0
_REVISION = "places"
_CHANGED = "places_changed"
_lock = threading.Lock()


def revision() -> int:
    """The places' revision as this process knows it, asked of the database at most every
    :data:`REVISION_CHECK_SECONDS` (and at once after this process changed the places)."""
    known = current_app.extensions.setdefault("eventhub_places_revision", {"checked": None})
    now = time.monotonic()
    with _lock:
        if known["checked"] is not None and now - known["checked"] < REVISION_CHECK_SECONDS:
            return known["value"]
    value = db.session.scalar(select(DataRevision.value).where(DataRevision.name == _REVISION))
    with _lock:
        known.update(value=value or 0, checked=now)
    return value or 0


def _changed() -> None:
    """Raise the revision in the current transaction; this process asks for it again once
    the transaction commits."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(DataRevision)
        .values(name=_REVISION, value=1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": DataRevision.value + 1})
    )
    db.session.info[_CHANGED] = True


@sa_event.listens_for(Session, "after_commit")
def _ask_again(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        known = current_app.extensions.get("eventhub_places_revision")
        if known is not None:
            with _lock:
                known["checked"] = None


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous) -> None:
    session.info.pop(_CHANGED, None)


class NameTaken(Refused):
    """A municipality of that name exists in the country, or a place of that name in the
    municipality (names are compared case-insensitively)."""


def municipalities(country: Country | None = None) -> list[Municipality]:
    """Municipalities with their places, by country and name (one country, or all)."""
    stmt = (
        select(Municipality)
        .options(selectinload(Municipality.places))
        .order_by(Municipality.country, Municipality.name)
    )
    if country is not None:
        stmt = stmt.where(Municipality.country == country)
    return list(db.session.scalars(stmt))


def add_municipality(user, *, country: Country, name: str, region: str) -> Municipality:
    name = name.strip()
    taken = db.session.scalar(
        select(Municipality.id).where(
            Municipality.country == country, func.lower(Municipality.name) == name.lower()
        )
    )
    if taken is not None:
        raise NameTaken(name)
    municipality = Municipality(country=country, name=name, region=region.strip())
    db.session.add(municipality)
    db.session.flush()
    _changed()
    audit.record("municipality_added", obj=municipality, user=user, country=country.value)
    return municipality


def add_places(user, municipality: Municipality, names: list[str]) -> list[Place]:
    """Add places below a municipality, one per name; names it has already are skipped."""
    have = {p.name.casefold() for p in municipality.places}
    added = []
    for raw in names:
        name = raw.strip()
        if not name or name.casefold() in have:
            continue
        have.add(name.casefold())
        place = Place(municipality=municipality, name=name)
        db.session.add(place)
        added.append(place)
    db.session.flush()
    _changed()
    for place in added:
        audit.record("place_added", obj=place, user=user, municipality_id=municipality.id)
    return added


@dataclass
class CountryChoices:
    """What a form offers for where somebody comes from."""

    municipalities: list[tuple[int, str]]
    places: list[tuple[str, list[tuple[int, str]]]]  # municipality name, its places


def choices_for(country: Country | None) -> CountryChoices:
    """The municipalities of a country (all of them when it is not known) and, grouped by
    municipality, its places."""
    found = municipalities(country)
    return CountryChoices(
        municipalities=[(m.id, m.name) for m in found],
        places=[(m.name, [(p.id, p.name) for p in m.places]) for m in found if m.places],
    )


def event_country(event: Event) -> Country | None:
    """The country an event takes place in: its municipality's, else its project's."""
    municipality = getattr(event, "municipality", None)
    if municipality is not None:
        return municipality.country
    project = getattr(event, "project", None)
    return project.country if project is not None else None


def any_exist() -> bool:
    return bool(db.session.scalar(select(exists().where(Municipality.id.is_not(None)))))


def rename_municipality(user, municipality: Municipality, *, name: str, region: str) -> None:
    """Correct a municipality's name or region (a typo, a merger of municipalities)."""
    name = name.strip()
    taken = db.session.scalar(
        select(Municipality.id).where(
            Municipality.country == municipality.country,
            func.lower(Municipality.name) == name.lower(),
            Municipality.id != municipality.id,
        )
    )
    if taken is not None:
        raise NameTaken(name)
    municipality.name = name
    municipality.region = region.strip()
    db.session.flush()
    _changed()
    audit.record("municipality_edited", obj=municipality, user=user)


def rename_place(user, place: Place, name: str) -> None:
    name = name.strip()
    taken = db.session.scalar(
        select(Place.id).where(
            Place.municipality_id == place.municipality_id,
            func.lower(Place.name) == name.lower(),
            Place.id != place.id,
        )
    )
    if taken is not None:
        raise NameTaken(name)
    place.name = name
    db.session.flush()
    _changed()
    audit.record("place_edited", obj=place, user=user)


# --- removing a municipality or a place (a mistyped duplicate) -----------------------------


class InUse(Refused):
    """Records refer to the municipality or place: it can only be merged into another."""

    def __init__(self, uses: dict[str, int]):
        super().__init__(", ".join(f"{table} {count}" for table, count in uses.items()))
        self.uses = uses


class NotMergeable(Refused):
    """The other one is the same, or lies elsewhere (another country; for a place, another
    municipality, as the records that name a place name its municipality too)."""


def references(target: type[Municipality] | type[Place]) -> list[tuple[Column, Table]]:
    """Every column that refers to a municipality (or a place), with its table, read from the
    metadata so that a table added later is counted and moved too. A place's own
    municipality is not a reference: the places go with their municipality."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name != target.__tablename__:
                continue
            if table.name == Place.__tablename__:
                continue
            found.append((fk.parent, table))
    return found


def uses(target: Municipality | Place) -> dict[str, int]:
    """How many records of each table refer to it (for a municipality: to it or to one of
    its places), tables in schema order, unused tables left out."""
    conditions: dict[str, tuple[Table, list[ColumnElement[bool]]]] = {}
    if isinstance(target, Municipality):
        for column, table in references(Municipality):
            conditions.setdefault(table.name, (table, []))[1].append(column == target.id)
        place_ids = [p.id for p in target.places]
        if place_ids:
            for column, table in references(Place):
                conditions.setdefault(table.name, (table, []))[1].append(column.in_(place_ids))
    else:
        for column, table in references(Place):
            conditions.setdefault(table.name, (table, []))[1].append(column == target.id)
    found = {}
    for name, (table, where) in conditions.items():
        count = db.session.scalar(select(func.count()).select_from(table).where(or_(*where)))
        if count:
            found[name] = count
    return found


def project_uses(target: Municipality | Place) -> ColumnElement[bool]:
    """A WHERE clause on Project: the projects whose records (a table with a project or an
    event) refer to it. Records of no project (a person, an organisation) are shared."""
    if isinstance(target, Municipality):
        pairs = [(c, t, c == target.id) for c, t in references(Municipality)]
        place_ids = [p.id for p in target.places]
        pairs += [(c, t, c.in_(place_ids)) for c, t in references(Place)] if place_ids else []
    else:
        pairs = [(c, t, c == target.id) for c, t in references(Place)]
    named = []
    for _column, table, where in pairs:
        if "project_id" in table.c:
            named.append(select(table.c.project_id).where(where))
        elif "event_id" in table.c:
            named.append(
                select(Event.project_id).where(Event.id.in_(select(table.c.event_id).where(where)))
            )
    return Project.id.in_(union(*named)) if named else false()


def delete(user, target: Municipality | Place) -> None:
    """Delete an unused municipality (with its places) or place; :class:`InUse` when any
    record refers to it."""
    found = uses(target)
    if found:
        raise InUse(found)
    action = "municipality_deleted" if isinstance(target, Municipality) else "place_deleted"
    audit.record(action, obj=target, user=user, deleted_name=target.name)
    db.session.delete(target)
    db.session.flush()
    _changed()


def merge_candidates(target: Municipality | Place) -> list[Municipality] | list[Place]:
    """What it may be merged into: the other municipalities of its country, or the other
    places of its municipality."""
    if isinstance(target, Municipality):
        return list(
            db.session.scalars(
                select(Municipality)
                .where(Municipality.country == target.country, Municipality.id != target.id)
                .order_by(Municipality.name)
            )
        )
    return list(
        db.session.scalars(
            select(Place)
            .where(Place.municipality_id == target.municipality_id, Place.id != target.id)
            .order_by(Place.name)
        )
    )


def _move(references_: list[tuple[Column, Table]], drop_id: int, keep_id: int) -> int:
    """Point every reference to ``drop_id`` at ``keep_id``. A row that would then repeat one
    that names ``keep_id`` (a project listing both municipalities) is deleted instead."""
    moved = 0
    for column, table in references_:
        for constraint in table.constraints:
            if not isinstance(constraint, (UniqueConstraint, PrimaryKeyConstraint)):
                continue
            columns = list(constraint.columns)
            if column not in columns:
                continue
            twin = table.alias()
            same = [twin.c[c.name] == c for c in columns if c is not column]
            db.session.execute(
                delete_stmt(table).where(
                    column == drop_id,
                    exists().where(twin.c[column.name] == keep_id, *same),
                )
            )
        result = db.session.execute(
            update_stmt(table).where(column == drop_id).values({column.name: keep_id})
        )
        moved += getattr(result, "rowcount", 0) or 0  # a CursorResult for an UPDATE
    return moved


def merge(user, keep: Municipality | Place, drop: Municipality | Place) -> int:
    """Make ``drop`` part of ``keep`` and delete it: every record that names ``drop`` names
    ``keep``; a municipality's places go along (into ``keep``'s place of the same name, if it
    has one). Records are moved, never added or removed, so the figures stay the same.
    Returns how many records were moved."""
    if type(keep) is not type(drop) or keep.id not in {c.id for c in merge_candidates(drop)}:
        raise NotMergeable(keep.name)
    drop_id, drop_name = drop.id, drop.name
    if isinstance(drop, Municipality):
        assert isinstance(keep, Municipality)
        moved = _move(references(Municipality), drop.id, keep.id)
        theirs = {p.name.casefold(): p for p in keep.places}
        for place in list(drop.places):
            same = theirs.get(place.name.casefold())
            if same is None:
                place.municipality = keep
            else:
                moved += _move(references(Place), place.id, same.id)
                db.session.delete(place)
        db.session.flush()
        action = "municipalities_merged"
    else:
        moved = _move(references(Place), drop.id, keep.id)
        action = "places_merged"
    db.session.expire_all()
    db.session.delete(db.session.get(type(drop), drop_id))
    db.session.flush()
    _changed()
    audit.record(action, obj=keep, user=user, merged_id=drop_id, merged_name=drop_name, moved=moved)
    return moved
