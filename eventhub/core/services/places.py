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
from sqlalchemy import event as sa_event
from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from eventhub.core.models import Country, DataRevision, Event, Municipality, Place
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
