"""Human names for the keys the indicators return (ids, months, enumeration values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from eventhub.core import labels
from eventhub.core.models import (
    Country,
    Event,
    EventKind,
    Municipality,
    Project,
    SurveyInstrument,
)
from eventhub.core.services.indicators import Dimension, Scope
from eventhub.extensions import db


@dataclass
class Names:
    """Looks names up once per page: a few small queries, never one per row."""

    municipalities: dict[int, str] = field(default_factory=dict)
    projects: dict[int, Project] = field(default_factory=dict)
    instruments: dict[int, SurveyInstrument] = field(default_factory=dict)
    events: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, scope: Scope, event_ids: set[int] | None = None) -> Names:
        names = cls()
        names.municipalities = dict(
            db.session.execute(select(Municipality.id, Municipality.name)).all()
        )
        names.projects = {
            p.id: p
            for p in db.session.scalars(select(Project).where(Project.id.in_(scope.project_ids)))
        }
        names.instruments = {
            i.id: i
            for i in db.session.scalars(
                select(SurveyInstrument).where(SurveyInstrument.project_id.in_(scope.project_ids))
            )
        }
        if event_ids:
            names.events = dict(
                db.session.execute(
                    select(Event.id, Event.title).where(Event.id.in_(event_ids))
                ).all()
            )
        return names

    def municipality(self, municipality_id: int | None) -> str:
        if municipality_id is None:
            return _("Not recorded")
        return self.municipalities.get(municipality_id, str(municipality_id))

    def month(self, key: str | None) -> str:
        if not key:
            return _("Not recorded")
        return format_date(date.fromisoformat(f"{key}-01"), "LLLL yyyy", locale=str(get_locale()))

    def short_month(self, key: str) -> str:
        return format_date(date.fromisoformat(f"{key}-01"), "MM/yy", locale=str(get_locale()))

    def key(self, dim: Dimension, key: str | None) -> str:
        if dim == Dimension.MONTH:
            return self.month(key)
        if key is None:
            return _("No municipality") if dim != Dimension.PROJECT else _("No project")
        if dim == Dimension.KIND:
            return str(labels.KIND_LABELS[EventKind(key)])
        if dim == Dimension.MUNICIPALITY:
            return self.municipality(int(key))
        if dim == Dimension.COUNTRY:
            return str(labels.COUNTRY_LABELS[Country(key)])
        if dim == Dimension.PROJECT:
            project = self.projects.get(int(key))
            return project.name if project else key
        return key

    def sort(self, dim: Dimension, rows: list) -> list:
        """Rows in reading order: months in time, everything else by name; none last."""
        if dim == Dimension.MONTH:
            return rows
        return sorted(rows, key=lambda r: (r.key is None, self.key(dim, r.key).casefold()))

    def project_list(self, ids) -> str:
        return "; ".join(
            f"{p.name} ({p.code})" for pid in ids if (p := self.projects.get(pid)) is not None
        )

    def funder_list(self, ids) -> str:
        funders = [p.funder for pid in ids if (p := self.projects.get(pid)) and p.funder]
        return "; ".join(dict.fromkeys(funders))

    def area(self, scope: Scope) -> str:
        parts = []
        if scope.country:
            parts.append(str(labels.COUNTRY_LABELS[scope.country]))
        if scope.region:
            parts.append(scope.region)
        if scope.municipality_id:
            parts.append(self.municipality(scope.municipality_id))
        return ", ".join(parts)

    def instrument(self, instrument_id: int) -> SurveyInstrument:
        return self.instruments[instrument_id]

    def event_title(self, event_id: int | None) -> str:
        return self.events.get(event_id, "") if event_id else ""
