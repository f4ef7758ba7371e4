"""Which organisation a typed name means: the one rule for signup, walk-ins and guidance."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from eventhub.core.models import Organisation, Project
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
