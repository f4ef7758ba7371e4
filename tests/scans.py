"""Generic views of the database, written apart from the services they check: which rows of
any table hold given text, and every indicator of every project."""

from __future__ import annotations

import json

from sqlalchemy import select

from eventhub.core.models import Project
from eventhub.core.services import indicators as ind
from eventhub.core.services import personal_data
from eventhub.extensions import db


def pk(table, row) -> tuple:
    return tuple(row._mapping[c.name] for c in table.primary_key.columns)


def rows_naming(values: list[str]) -> set[tuple[str, tuple]]:
    """Every row of every table with a text column that holds one of ``values`` (any case)."""
    wanted = [v.casefold() for v in values]
    hits = set()
    for table in db.metadata.sorted_tables:
        texts = [c for c in table.columns if personal_data.is_text(c)]
        if not texts:
            continue
        for row in db.session.execute(select(table)):
            for column in texts:
                value = row._mapping[column.name]
                if value is None:
                    continue
                text = (
                    json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
                )
                if any(w in text.casefold() for w in wanted):
                    hits.add((table.name, pk(table, row)))
    return hits


def all_indicators() -> dict:
    """Every indicator of every project, and of all projects together."""
    ids = tuple(db.session.scalars(select(Project.id).order_by(Project.id)))
    figures = {pid: ind.report(ind.Scope(project_ids=(pid,))) for pid in ids}
    figures["all"] = ind.report(ind.Scope(project_ids=ids))
    return figures
