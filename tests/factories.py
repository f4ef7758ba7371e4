"""Small builders for test data. They add and flush; the test decides when to commit."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from eventhub.core.db import utcnow
from eventhub.core.models import (
    Country,
    Event,
    EventKind,
    EventStatus,
    Municipality,
    Organisation,
    Project,
)
from eventhub.extensions import db

_counter = itertools.count(1)


def municipality(name: str = "Joensuu", region: str = "Pohjois-Karjala", country=Country.FI):
    m = Municipality(name=f"{name}", region=region, country=country)
    db.session.add(m)
    db.session.flush()
    return m


def project(code: str | None = None, **kw) -> Project:
    today = utcnow().date()
    p = Project(
        code=code or f"P{next(_counter)}",
        name=kw.pop("name", "Test project"),
        starts_on=kw.pop("starts_on", today - timedelta(days=100)),
        ends_on=kw.pop("ends_on", today + timedelta(days=300)),
        **kw,
    )
    db.session.add(p)
    db.session.flush()
    return p


def organisation(name: str = "Kyläyhdistys ry", **kw) -> Organisation:
    o = Organisation(name=name, **kw)
    db.session.add(o)
    db.session.flush()
    return o


def event(
    *,
    title: str = "Hankeosaamisen koulutus",
    kind: EventKind = EventKind.TRAINING,
    starts_at: datetime | None = None,
    hours: float = 2,
    timezone: str = "Europe/Helsinki",
    status: EventStatus = EventStatus.PUBLISHED,
    capacity: int | None = 20,
    **kw,
) -> Event:
    starts_at = starts_at or utcnow().replace(microsecond=0) + timedelta(days=10)
    e = Event(
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone=timezone,
        status=status,
        capacity=capacity,
        **kw,
    )
    db.session.add(e)
    db.session.flush()
    return e


def user(
    email: str = "anne@example.fi", role=None, projects=(), events=(), password="a long password"
):
    from eventhub.core.models import Role, User

    u = User(
        email=email,
        name=email.split("@")[0].title(),
        role=role or Role.MANAGER,
        projects=list(projects),
        events=list(events),
    )
    u.set_password(password)
    db.session.add(u)
    db.session.flush()
    return u
