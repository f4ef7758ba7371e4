"""Bringing existing records in by file: a sign-in sheet, a guidance log, past events.

The flow, each step here and nothing written before the last:

1. :func:`read_table` turns the uploaded bytes (CSV with ``,`` or ``;``, UTF-8 with or
   without a byte order mark, or XLSX read by openpyxl) into rows of cells. Cells are data,
   never formulas: a CSV cell is text, and an XLSX formula is kept as the text of the
   formula, never evaluated.
2. :func:`stage` checks every row and keeps the outcome server-side in an
   :class:`ImportBatch` (status *staged*): the rows to add, the rows already there (their
   stable key is known) and every error with its row number.
3. :func:`confirm` adds the staged rows in the caller's transaction, all or none; a batch
   with an error cannot be confirmed. :func:`undo` removes what a batch added.

Imported people are never mailed: nothing here queues a message. Counting stays in
core.services.indicators.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update

from eventhub.core import labels
from eventhub.core import text as folding
from eventhub.core.db import utcnow
from eventhub.core.models import (
    Attendance,
    Country,
    Event,
    EventKind,
    EventStatus,
    GuidanceSession,
    GuidanceTopic,
    Headcount,
    ImportBatch,
    ImportedRow,
    ImportKind,
    ImportStatus,
    Municipality,
    Organisation,
    Person,
    Place,
    Project,
    Registration,
    User,
    normalise_email,
)
from eventhub.core.models.indicators import guidance_session_topic
from eventhub.core.services import audit
from eventhub.extensions import db

# How many preview rows the page lists; every error is listed whatever their number.
PREVIEW_ROWS = 200

COUNTRY_TIMEZONES = {
    Country.FI: "Europe/Helsinki",
    Country.LV: "Europe/Riga",
    Country.EE: "Europe/Tallinn",
}


class ImportFileError(ValueError):
    """The file as a whole cannot be read; ``message`` says why, for the organiser."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ImportRefused(ValueError):
    """A staged batch cannot be confirmed or a batch cannot be undone (message for people)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportColumn:
    key: str
    label: Any  # lazy translation: the header in the template, in the reader's language
    required: bool = False
    background: bool = False  # ESF+ background: only where the project collects it


COLUMNS: dict[ImportKind, tuple[ImportColumn, ...]] = {
    ImportKind.ATTENDANCE: (
        ImportColumn("name", _l("Name"), required=True),
        ImportColumn("email", _l("Email")),
        ImportColumn("organisation", _l("Organisation")),
        ImportColumn("municipality", _l("Municipality")),
        ImportColumn("place", _l("Place")),
        ImportColumn("gender", _l("Gender"), background=True),
        ImportColumn("age_band", _l("Age band"), background=True),
        ImportColumn("labour_status", _l("Labour-market status"), background=True),
    ),
    ImportKind.GUIDANCE: (
        ImportColumn("date", _l("Date"), required=True),
        ImportColumn("organisation", _l("Organisation"), required=True),
        ImportColumn("municipality", _l("Municipality")),
        ImportColumn("topics", _l("Topics"), required=True),
        ImportColumn("duration", _l("Duration (minutes)")),
        ImportColumn("note", _l("Notes")),
    ),
    ImportKind.PAST_EVENTS: (
        ImportColumn("date", _l("Date"), required=True),
        ImportColumn("title", _l("Title"), required=True),
        ImportColumn("kind", _l("Kind of event"), required=True),
        ImportColumn("municipality", _l("Municipality")),
        ImportColumn("venue", _l("Venue")),
        ImportColumn("headcount", _l("Headcount")),
        ImportColumn("outreach", _l("At another organiser's event")),
        ImportColumn("note", _l("Notes")),
    ),
}

KIND_LABELS = {
    ImportKind.ATTENDANCE: _l("Attendance of an event"),
    ImportKind.GUIDANCE: _l("Guidance sessions"),
    ImportKind.PAST_EVENTS: _l("Past events"),
}


def columns(kind: ImportKind, project: Project) -> list[ImportColumn]:
    """The columns of a kind of file for this project (background ones only if collected)."""
    return [c for c in COLUMNS[kind] if not c.background or project.collects_background]


def fold(text: Any) -> str:
    """The form names are compared in: case-folded, inner spaces collapsed."""
    return " ".join(str(text).split()).casefold()


def _header_key(text: str) -> str:
    return re.sub(r"[^\w]+", " ", fold(text)).strip()


def _in_every_language(value: Any) -> set[str]:
    """A lazy translation in each of the site's languages (and as a key), folded."""
    found = set()
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            found.add(str(value))
    return found


def _aliases(kind: ImportKind) -> dict[str, str]:
    """Header text (any of the four languages, or the column key) -> column key."""
    out: dict[str, str] = {}
    for col in COLUMNS[kind]:
        for text in {col.key, *_in_every_language(col.label)}:
            out[_header_key(text)] = col.key
    return out


def _choice_aliases(enum_labels: dict) -> dict[str, Any]:
    """Folded value or label in any language -> the enum member."""
    out: dict[str, Any] = {}
    for member, label in enum_labels.items():
        out[fold(member.value)] = member
        for text in _in_every_language(label):
            out[fold(text)] = member
    return out


YES = {"yes", "y", "x", "1", "true", "kyllä", "k", "jā", "ja", "jah"}
NO = {"no", "n", "0", "false", "ei", "nē", "ne", ""}


# --- reading the file ------------------------------------------------------------------------


def read_table(data: bytes, filename: str, max_rows: int) -> list[tuple[int, list[Any]]]:
    """The non-empty rows of the first sheet with their row numbers as the organiser sees
    them in a spreadsheet (the header is usually row 1). At most ``max_rows`` rows below
    the header."""
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        rows: Iterable[tuple[int, list[Any]]] = _xlsx_rows(data)
    elif filename.lower().endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            _("Old Excel files (.xls) cannot be read. Save the file as .xlsx or CSV.")
        )
    else:
        rows = _csv_rows(data)
    out = []
    for number, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        out.append((number, cells))
        if len(out) > max_rows + 1:  # the header and max_rows rows
            raise ImportFileError(
                _(
                    "The file has more than %(max)s rows. Split it into smaller files.",
                    max=max_rows,
                )
            )
    return out


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "The file is not in UTF-8 (the first character that is not is on line "
                "%(line)s). Save it as “CSV UTF-8” or as .xlsx and upload it again.",
                line=line,
            )
        ) from exc
    if "\x00" in text:
        raise ImportFileError(_("The file is not a CSV or XLSX file."))
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise ImportFileError(
            _("Line %(line)s of the file cannot be read as CSV.", line=reader.line_num)
        ) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell gives the text of its formula, never a result.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportFileError(_("The file is not a readable XLSX workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, list(values)
    finally:
        book.close()


# --- checking rows ---------------------------------------------------------------------------


@dataclass
class Staging:
    """What a check of the file found (kept as ``ImportBatch.staged``)."""

    rows: list[dict] = field(default_factory=list)  # to add: {"row": n, "key": k, ...}
    existing: list[int] = field(default_factory=list)  # row numbers already there
    errors: list[dict] = field(default_factory=list)  # {"row": n, "message": text}
    ignored_columns: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "existing": self.existing,
            "errors": self.errors,
            "ignored_columns": self.ignored_columns,
        }


def _text(cell: Any) -> str:
    """A cell as text. Numbers typed as text stay as typed; a date becomes ISO."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time(0) else cell.isoformat(" ")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return " ".join(str(cell).split())


DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y.%m.%d")


def _date(cell: Any) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell).rstrip(".")
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(
        _("“%(value)s” is not a date (write e.g. 2025-03-31 or 31.3.2025).", value=text)
    )


def _count(cell: Any, what: str, *, positive: bool = False, hours: bool = False) -> int | None:
    text = _text(cell)
    if not text:
        return None
    if isinstance(cell, float) and not cell.is_integer():
        raise ValueError(
            _("%(what)s must be a whole number, not “%(value)s”.", what=what, value=text)
        )
    if hours and re.fullmatch(r"\d{1,2}:\d{2}", text):
        hours_part, minutes_part = text.split(":")
        value = int(hours_part) * 60 + int(minutes_part)
    elif re.fullmatch(r"\d{1,6}", text):
        value = int(text)
    else:
        raise ValueError(
            _("%(what)s must be a whole number, not “%(value)s”.", what=what, value=text)
        )
    if positive and value <= 0:
        raise ValueError(_("%(what)s must be more than zero.", what=what))
    return value


def _key(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(fold(p) for p in parts).encode()).hexdigest()


class _Lookups:
    """Everything rows are checked against, read once per file (never once per row)."""

    def __init__(self, project: Project, kind: ImportKind):
        self.project = project
        self.municipalities: dict[str, list[Municipality]] = {}
        for m in db.session.scalars(select(Municipality)):
            self.municipalities.setdefault(fold(m.name), []).append(m)
        # A place is named within its municipality (two municipalities may have a "Kylä").
        self.places: dict[tuple[int, str], int] = {}
        if kind == ImportKind.ATTENDANCE:
            for place in db.session.scalars(select(Place)):
                self.places[(place.municipality_id, _place_key(place.name))] = place.id
        self.organisations: dict[str, Organisation] = {}
        for org in db.session.scalars(
            select(Organisation).order_by(Organisation.confirmed.desc(), Organisation.id.desc())
        ):
            self.organisations[fold(org.name)] = org  # the last written wins: confirmed, lowest id
        self.topics = {
            fold(t.name): t
            for t in db.session.scalars(
                select(GuidanceTopic).where(GuidanceTopic.project_id == project.id)
            )
        }
        self.keys = set(
            db.session.scalars(
                select(ImportedRow.row_key).where(
                    ImportedRow.project_id == project.id, ImportedRow.kind == kind
                )
            )
        )
        self.kinds = _choice_aliases(labels.KIND_LABELS)
        self.gender = _choice_aliases(labels.GENDER_LABELS)
        self.age_band = _choice_aliases(labels.AGE_BAND_LABELS)
        self.labour_status = _choice_aliases(labels.LABOUR_STATUS_LABELS)

    def municipality(self, cell: Any) -> int | None:
        text = _text(cell)
        if not text:
            return None
        found = self.municipalities.get(fold(text), [])
        if not found:
            raise ValueError(_("Unknown municipality “%(name)s”.", name=text))
        if len(found) > 1:
            raise ValueError(_("There are several municipalities called “%(name)s”.", name=text))
        return found[0].id

    def place(self, cell: Any, municipality_id: int | None) -> int | None:
        """A place by name within the row's municipality, accents and case aside."""
        text = _text(cell)
        if not text:
            return None
        if municipality_id is None:
            raise ValueError(
                _("The place “%(name)s” needs its municipality in the same row.", name=text)
            )
        found = self.places.get((municipality_id, _place_key(text)))
        if found is None:
            municipality = db.session.get(Municipality, municipality_id)
            raise ValueError(
                _(
                    "There is no place “%(name)s” in %(municipality)s.",
                    name=text,
                    municipality=municipality.name if municipality else "?",
                )
            )
        return found


def _place_key(name: str) -> str:
    return " ".join(folding.fold(name).split())


def stage(
    user: User,
    project: Project,
    kind: ImportKind,
    data: bytes,
    filename: str,
    *,
    event: Event | None = None,
) -> ImportBatch:
    """Check a file and keep the outcome as a staged batch; nothing else is written.

    Raises :class:`ImportFileError` when the file as a whole cannot be used (size, encoding,
    format, missing columns, too many rows)."""
    max_bytes = current_app.config["IMPORT_MAX_BYTES"]
    if len(data) > max_bytes:
        raise ImportFileError(
            _(
                "The file is larger than %(max)s MB. Split it into smaller files.",
                max=max_bytes // (1024 * 1024),
            )
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if kind == ImportKind.ATTENDANCE and (event is None or event.project_id != project.id):
        raise ImportFileError(_("Choose the event the attendance is for."))
    table = read_table(data, filename, current_app.config["IMPORT_MAX_ROWS"])
    if not table:
        raise ImportFileError(_("The file is empty."))
    (header_row, header), body = table[0], table[1:]
    aliases = _aliases(kind)
    wanted = {c.key for c in columns(kind, project)}
    positions: dict[str, int] = {}
    staging = Staging()
    for index, cell in enumerate(header):
        key = aliases.get(_header_key(_text(cell)))
        if key in wanted and key not in positions:
            positions[key] = index
        elif not _blank(cell):
            staging.ignored_columns.append(_text(cell))
    missing = [
        str(c.label) for c in columns(kind, project) if c.required and c.key not in positions
    ]
    if missing:
        raise ImportFileError(
            _(
                "Row %(row)s should name the columns; these are missing: %(columns)s. "
                "Start from the template.",
                row=header_row,
                columns=", ".join(missing),
            )
        )
    if not body:
        raise ImportFileError(_("The file has no rows below its header."))

    lookups = _Lookups(project, kind)
    check = {
        ImportKind.ATTENDANCE: _attendance_row,
        ImportKind.GUIDANCE: _guidance_row,
        ImportKind.PAST_EVENTS: _past_event_row,
    }[kind]
    seen: dict[str, int] = {}
    context: dict = {"event": event, "org_municipality": {}}
    existing_people = _attending_emails(event) if event is not None else set()
    for number, cells in body:
        values = {k: cells[i] if i < len(cells) else None for k, i in positions.items()}
        try:
            row = check(values, lookups, context)
        except ValueError as exc:
            staging.errors.append({"row": number, "message": str(exc)})
            continue
        row["row"] = number
        if row["key"] in seen:
            staging.errors.append(
                {
                    "row": number,
                    "message": _(
                        "This row repeats row %(other)s. If it is another record, tell the "
                        "two apart (e.g. in the notes).",
                        other=seen[row["key"]],
                    ),
                }
            )
            continue
        seen[row["key"]] = number
        if row["key"] in lookups.keys or row.get("email") in existing_people:
            staging.existing.append(number)
        else:
            staging.rows.append(row)

    batch = ImportBatch(
        token=secrets.token_urlsafe(24),
        kind=kind,
        project_id=project.id,
        event_id=event.id if event is not None else None,
        user_id=user.id,
        filename=filename[:200],
        rows_in_file=len(body),
        rows_existing=len(staging.existing),
        staged=staging.as_json(),
    )
    db.session.add(batch)
    _forget_old_staged(user)
    db.session.flush()
    return batch


def _forget_old_staged(user: User) -> None:
    """A staged batch not confirmed within a day is dropped (it holds personal data)."""
    db.session.execute(
        delete(ImportBatch).where(
            ImportBatch.status == ImportStatus.STAGED,
            ImportBatch.created_at < utcnow() - timedelta(days=1),
        )
    )


def _attending_emails(event: Event) -> set[str]:
    return set(
        db.session.scalars(
            select(Person.email_normalised)
            .join(Attendance, Attendance.person_id == Person.id)
            .where(Attendance.event_id == event.id, Person.email_normalised.is_not(None))
        )
    )


def _attendance_row(values: dict, lookups: _Lookups, context: dict) -> dict:
    name = _text(values.get("name"))
    if not name:
        raise ValueError(_("The name is missing."))
    if len(name) > 200:
        raise ValueError(_("The name is longer than 200 characters."))
    email = _text(values.get("email"))
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise ValueError(_("“%(value)s” is not an email address.", value=email))
    row: dict[str, Any] = {
        "name": name,
        "email": normalise_email(email) if email else None,
        "organisation": _text(values.get("organisation"))[:200],
        "municipality_id": lookups.municipality(values.get("municipality")),
    }
    row["place_id"] = lookups.place(values.get("place"), row["municipality_id"])
    for key, choices in (
        ("gender", lookups.gender),
        ("age_band", lookups.age_band),
        ("labour_status", lookups.labour_status),
    ):
        text = _text(values.get(key))
        if text and fold(text) not in choices:
            raise ValueError(_("“%(value)s” is not one of the answers offered.", value=text))
        row[key] = choices[fold(text)].value if text else None
    event = context["event"]
    row["key"] = _key(event.id, row["email"] or "", name, row["organisation"])
    return row


def _organisation_municipality(
    org_name: str, municipality_id: int | None, lookups: _Lookups, context: dict
) -> None:
    """One organisation has one municipality: the file may fill it in, not contradict it."""
    if municipality_id is None:
        return
    org = lookups.organisations.get(fold(org_name))
    known = org.municipality_id if org is not None else None
    known = context["org_municipality"].setdefault(fold(org_name), known or municipality_id)
    if known != municipality_id:
        other = db.session.get(Municipality, known)
        raise ValueError(
            _(
                "“%(organisation)s” is in %(municipality)s; an organisation has one municipality.",
                organisation=org_name,
                municipality=other.name if other else "?",
            )
        )


def _guidance_row(values: dict, lookups: _Lookups, context: dict) -> dict:
    held_on = _date(values.get("date"))
    if held_on > utcnow().date():
        raise ValueError(_("The date %(date)s is in the future.", date=held_on.isoformat()))
    org_name = _text(values.get("organisation"))
    if not org_name:
        raise ValueError(_("The organisation is missing."))
    if len(org_name) > 200:
        raise ValueError(_("The organisation's name is longer than 200 characters."))
    municipality_id = lookups.municipality(values.get("municipality"))
    _organisation_municipality(org_name, municipality_id, lookups, context)
    names = [t.strip() for t in re.split(r"[;|\n]", _text_keep_lines(values.get("topics")))]
    names = [t for t in names if t]
    if not names:
        raise ValueError(_("Name at least one topic."))
    topic_ids = []
    for name in names:
        topic = lookups.topics.get(fold(name))
        if topic is None:
            known = ", ".join(sorted(t.name for t in lookups.topics.values())) or "-"
            raise ValueError(
                _(
                    "Unknown topic “%(name)s”. The project's topics are: %(known)s.",
                    name=name,
                    known=known,
                )
            )
        if topic.id not in topic_ids:
            topic_ids.append(topic.id)
    duration = _count(
        values.get("duration"), str(_l("Duration (minutes)")), positive=True, hours=True
    )
    note = _text_keep_lines(values.get("note")).strip()
    return {
        "held_on": held_on.isoformat(),
        "organisation": org_name,
        "municipality_id": municipality_id,
        "topic_ids": topic_ids,
        "duration": duration,
        "note": note,
        "key": _key(held_on, org_name, *sorted(topic_ids), duration or "", note),
    }


def _text_keep_lines(cell: Any) -> str:
    if cell is None:
        return ""
    return str(cell) if isinstance(cell, str) else _text(cell)


def _past_event_row(values: dict, lookups: _Lookups, context: dict) -> dict:
    held_on = _date(values.get("date"))
    if held_on > utcnow().date():
        raise ValueError(
            _("The date %(date)s is in the future; only past events are imported.",
              date=held_on.isoformat())
        )  # fmt: skip
    title = _text(values.get("title"))
    if not title:
        raise ValueError(_("The title is missing."))
    if len(title) > 200:
        raise ValueError(_("The title is longer than 200 characters."))
    kind_text = _text(values.get("kind"))
    kind = lookups.kinds.get(fold(kind_text))
    if kind is None:
        known = ", ".join(str(v) for v in labels.KIND_LABELS.values())
        raise ValueError(
            _("Unknown kind of event “%(value)s”. Use one of: %(known)s.", value=kind_text,
              known=known)
        )  # fmt: skip
    outreach_text = fold(_text(values.get("outreach")))
    if outreach_text not in YES | NO:
        raise ValueError(
            _("Write yes or no in the column “%(column)s”, not “%(value)s”.",
              column=_l("At another organiser's event"), value=_text(values.get("outreach")))
        )  # fmt: skip
    return {
        "held_on": held_on.isoformat(),
        "title": title,
        "kind": kind.value,
        "municipality_id": lookups.municipality(values.get("municipality")),
        "venue": _text(values.get("venue"))[:200],
        "headcount": _count(values.get("headcount"), str(_l("Headcount"))),
        "outreach": outreach_text in YES,
        "note": _text_keep_lines(values.get("note")).strip(),
        "key": _key(held_on, title, kind.value),
    }


# --- confirming and undoing ------------------------------------------------------------------


def staged_batch(user: User, token: str) -> ImportBatch | None:
    """A batch by its random id, if this user uploaded it."""
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.token == token))
    if batch is None or batch.user_id != user.id:
        return None
    return batch


def confirm(user: User, batch: ImportBatch) -> ImportBatch:
    """Add the staged rows (all of them, in the caller's transaction) and audit it.

    Rows another import added meanwhile are skipped as already there; the unique row key
    stops two confirmations racing each other from adding a row twice."""
    if batch.staged.get("errors"):
        raise ImportRefused(_("The file has errors. Correct them and upload the file again."))
    claimed = db.session.execute(  # type: ignore[attr-defined]  # a CursorResult
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == ImportStatus.STAGED)
        .values(status=ImportStatus.IMPORTED, imported_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise ImportRefused(_("This file has been imported already."))
    db.session.refresh(batch)
    project = batch.project
    known = set(
        db.session.scalars(
            select(ImportedRow.row_key).where(
                ImportedRow.project_id == project.id, ImportedRow.kind == batch.kind
            )
        )
    )
    rows = [r for r in batch.staged.get("rows", []) if r["key"] not in known]
    add = {
        ImportKind.ATTENDANCE: _add_attendance,
        ImportKind.GUIDANCE: _add_guidance,
        ImportKind.PAST_EVENTS: _add_past_events,
    }[batch.kind]
    created, extra = add(user, project, batch, rows)
    if rows:
        db.session.execute(
            insert(ImportedRow),
            [
                {
                    "batch_id": batch.id,
                    "project_id": project.id,
                    "kind": batch.kind,
                    "row_key": row["key"],
                    "object_id": object_id,
                }
                for row, object_id in zip(rows, created, strict=True)
            ],
        )
    batch.rows_added = len(rows)
    batch.rows_existing = batch.rows_in_file - len(rows)
    batch.staged = extra  # the parsed rows are no longer needed; what undo needs stays
    db.session.flush()
    audit.record(
        "import_confirmed",
        event=batch.event,
        obj=batch,
        user=user,
        project_id=project.id,
        kind=batch.kind.value,
        rows_added=batch.rows_added,
        rows_existing=batch.rows_existing,
    )
    return batch


def _organisations(lookups: dict[str, Organisation], created: list[Organisation]):
    def organisation(name: str, municipality_id: int | None) -> Organisation | None:
        if not name:
            return None
        org = lookups.get(fold(name))
        if org is None:
            org = Organisation(name=name, confirmed=True, municipality_id=municipality_id)
            db.session.add(org)
            lookups[fold(name)] = org
            created.append(org)
        elif org.municipality_id is None and municipality_id is not None:
            org.municipality_id = municipality_id
        return org

    return organisation


def _organisation_lookup(names: Iterable[str]) -> dict[str, Organisation]:
    wanted = {fold(n) for n in names if n}
    out: dict[str, Organisation] = {}
    if not wanted:
        return out
    for org in db.session.scalars(
        select(Organisation)
        .where(func.lower(Organisation.name).in_({w.lower() for w in wanted}))
        .order_by(Organisation.confirmed.desc(), Organisation.id.desc())
    ):
        out[fold(org.name)] = org
    # Names differing only in case-folding beyond lower() are matched by a second look.
    if len(out) < len(wanted):
        for org in db.session.scalars(select(Organisation).order_by(Organisation.id.desc())):
            if fold(org.name) in wanted and fold(org.name) not in out:
                out[fold(org.name)] = org
    return out


def _add_guidance(
    user: User, project: Project, batch: ImportBatch, rows: list[dict]
) -> tuple[list[int], dict]:
    """Sessions and their topics as two multi-row INSERTs (a guidance log runs to thousands
    of rows; one ORM object per row took most of the time of an import)."""
    created_orgs: list[Organisation] = []
    organisation = _organisations(
        _organisation_lookup(r["organisation"] for r in rows), created_orgs
    )
    orgs = [organisation(r["organisation"], r["municipality_id"]) for r in rows]
    db.session.flush()  # new organisations get their ids
    if not rows:
        return [], {"organisations": [o.id for o in created_orgs]}
    table = GuidanceSession.__table__
    now = utcnow()
    ids = list(
        db.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [
                {
                    "project_id": project.id,
                    "organisation_id": org.id,
                    "held_on": date.fromisoformat(r["held_on"]),
                    "duration_minutes": r["duration"],
                    "given_by_id": user.id,
                    "note": r["note"],
                    "created_at": now,
                }
                for r, org in zip(rows, orgs, strict=True)
            ],
        ).scalars()
    )
    links = [
        {"session_id": session_id, "topic_id": topic_id}
        for session_id, r in zip(ids, rows, strict=True)
        for topic_id in r["topic_ids"]
    ]
    if links:
        db.session.execute(guidance_session_topic.insert(), links)
    return ids, {"organisations": [o.id for o in created_orgs]}


def _add_attendance(
    user: User, project: Project, batch: ImportBatch, rows: list[dict]
) -> tuple[list[int], dict]:
    event = batch.event
    if event is None:
        raise ImportRefused(_("Choose the event the attendance is for."))
    emails = {r["email"] for r in rows if r["email"]}
    people = {
        p.email_normalised: p
        for p in db.session.scalars(select(Person).where(Person.email_normalised.in_(emails)))
    }
    registrations = {
        reg.person_id: reg
        for reg in db.session.scalars(select(Registration).where(Registration.event_id == event.id))
    }
    attending = set(
        db.session.scalars(
            select(Attendance.person_id).where(
                Attendance.event_id == event.id, Attendance.person_id.is_not(None)
            )
        )
    )
    created_orgs: list[Organisation] = []
    created_people: list[Person] = []
    organisation = _organisations(
        _organisation_lookup(r["organisation"] for r in rows), created_orgs
    )
    out: list[Attendance] = []
    for r in rows:
        person = people.get(r["email"]) if r["email"] else None
        if person is None:
            person = Person(
                name=r["name"],
                email=r["email"],
                email_normalised=r["email"],
                municipality_id=r["municipality_id"],
                locale=event.language,
            )
            db.session.add(person)
            created_people.append(person)
            if r["email"]:
                people[r["email"]] = person
        elif person.id in attending:
            raise ImportRefused(
                _("Row %(row)s: this person has been recorded at the event meanwhile. "
                  "Upload the file again.", row=r["row"])
            )  # fmt: skip
        registration = registrations.get(person.id) if person.id else None
        attendance = Attendance(
            event_id=event.id,
            person=person,
            registration_id=registration.id if registration is not None else None,
            organisation=organisation(r["organisation"], r["municipality_id"])
            or (registration.organisation if registration is not None else None),
            municipality_id=r["municipality_id"],
            place_id=r.get("place_id"),
            walk_in_name=None if registration is not None else r["name"],
            gender=r["gender"],
            age_band=r["age_band"],
            labour_status=r["labour_status"],
            recorded_by_id=user.id,
        )
        db.session.add(attendance)
        out.append(attendance)
        if person.id:
            attending.add(person.id)
    db.session.flush()
    return [a.id for a in out], {
        "organisations": [o.id for o in created_orgs],
        "people": [p.id for p in created_people],
    }


def event_timezone(municipality_id: int | None) -> str:
    """Imported events are kept in the timezone of their municipality's country."""
    if municipality_id is not None:
        municipality = db.session.get(Municipality, municipality_id)
        if municipality is not None:
            return COUNTRY_TIMEZONES[municipality.country]
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _add_past_events(
    user: User, project: Project, batch: ImportBatch, rows: list[dict]
) -> tuple[list[int], dict]:
    now = utcnow()
    events = []
    for r in rows:
        tz = event_timezone(r["municipality_id"])
        day = date.fromisoformat(r["held_on"])
        # A file gives the day, not the hours: the event is kept as that whole local day.
        starts_at = datetime.combine(day, time(0), ZoneInfo(tz))
        ends_at = datetime.combine(day, time(23, 59), ZoneInfo(tz))
        event = Event(
            kind=EventKind(r["kind"]),
            status=EventStatus.HELD,
            title=r["title"],
            description=r["note"],
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=tz,
            venue=r["venue"],
            project_id=project.id,
            municipality_id=r["municipality_id"],
            is_outreach=r["outreach"],
            closed_at=now,
            capacity=None,
        )
        db.session.add(event)
        events.append(event)
    db.session.flush()
    db.session.add_all(
        Headcount(event_id=e.id, count=r["headcount"], recorded_by_id=user.id)
        for e, r in zip(events, rows, strict=True)
        if r["headcount"] is not None
    )
    return [e.id for e in events], {}


def undo(user: User, batch: ImportBatch) -> None:
    """Remove everything a batch added, and audit it. Organisations and people it created
    go too unless something else refers to them meanwhile."""
    if batch.status != ImportStatus.IMPORTED:
        raise ImportRefused(_("Only an imported file can be undone."))
    ids = list(
        db.session.scalars(select(ImportedRow.object_id).where(ImportedRow.batch_id == batch.id))
    )
    if batch.kind == ImportKind.GUIDANCE:
        db.session.execute(delete(GuidanceSession).where(GuidanceSession.id.in_(ids)))
    elif batch.kind == ImportKind.ATTENDANCE:
        db.session.execute(delete(Attendance).where(Attendance.id.in_(ids)))
    else:
        used = db.session.scalar(
            select(func.count()).where(Attendance.event_id.in_(ids))
        ) or db.session.scalar(select(func.count()).where(Registration.event_id.in_(ids)))
        if used:
            raise ImportRefused(
                _("Some of these events have attendance or registrations now. Remove those "
                  "first.")
            )  # fmt: skip
        db.session.execute(delete(Headcount).where(Headcount.event_id.in_(ids)))
        db.session.execute(delete(Event).where(Event.id.in_(ids)))
    _remove_unused(Person, batch.staged.get("people", []), _person_used)
    _remove_unused(Organisation, batch.staged.get("organisations", []), _organisation_used)
    db.session.execute(delete(ImportedRow).where(ImportedRow.batch_id == batch.id))
    batch.status = ImportStatus.UNDONE
    batch.undone_at = utcnow()
    db.session.flush()
    db.session.expire_all()
    audit.record(
        "import_undone",
        event=batch.event,
        obj=batch,
        user=user,
        project_id=batch.project_id,
        kind=batch.kind.value,
        rows_removed=len(ids),
    )


def _person_used(ids: list[int]) -> set[int | None]:
    return set(
        db.session.scalars(select(Attendance.person_id).where(Attendance.person_id.in_(ids)))
    ) | set(
        db.session.scalars(select(Registration.person_id).where(Registration.person_id.in_(ids)))
    )


def _organisation_used(ids: list[int]) -> set[int | None]:
    return (
        set(
            db.session.scalars(
                select(Attendance.organisation_id).where(Attendance.organisation_id.in_(ids))
            )
        )
        | set(
            db.session.scalars(
                select(Registration.organisation_id).where(Registration.organisation_id.in_(ids))
            )
        )
        | set(
            db.session.scalars(
                select(GuidanceSession.organisation_id).where(
                    GuidanceSession.organisation_id.in_(ids)
                )
            )
        )
    )


def _remove_unused(model, ids: list[int], used: Callable[[list[int]], set[int | None]]) -> None:
    if not ids:
        return
    free = set(ids) - used(ids)
    if free:
        db.session.execute(delete(model).where(model.id.in_(free)))


def batches(project: Project, limit: int = 50) -> list[ImportBatch]:
    """The project's imports, newest first (staged ones are not imports yet)."""
    return list(
        db.session.scalars(
            select(ImportBatch)
            .where(
                ImportBatch.project_id == project.id,
                ImportBatch.status != ImportStatus.STAGED,
            )
            .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
            .limit(limit)
        )
    )


# --- templates -------------------------------------------------------------------------------


def template_header(kind: ImportKind, project: Project) -> list[str]:
    """The header row of the template, in the reader's language."""
    return [str(c.label) for c in columns(kind, project)]


def preview(batch: ImportBatch, limit: int = PREVIEW_ROWS) -> list[tuple[int, list[str]]]:
    """The first staged rows as the preview shows them: names, not ids."""
    project = batch.project
    municipalities = dict(db.session.execute(select(Municipality.id, Municipality.name)).all())
    places = (
        dict(db.session.execute(select(Place.id, Place.name)).all())
        if batch.kind == ImportKind.ATTENDANCE
        else {}
    )
    topics = dict(
        db.session.execute(
            select(GuidanceTopic.id, GuidanceTopic.name).where(
                GuidanceTopic.project_id == project.id
            )
        ).all()
    )
    enum_labels: dict[str, dict] = {
        "kind": labels.KIND_LABELS,
        "gender": labels.GENDER_LABELS,
        "age_band": labels.AGE_BAND_LABELS,
        "labour_status": labels.LABOUR_STATUS_LABELS,
    }

    def cell(row: dict, key: str) -> str:
        if key == "municipality":
            return municipalities.get(row.get("municipality_id") or 0, "")
        if key == "place":
            return places.get(row.get("place_id") or 0, "")
        if key == "topics":
            return "; ".join(topics.get(t, "?") for t in row["topic_ids"])
        if key == "date":
            return row["held_on"]
        if key == "outreach":
            return _("yes") if row["outreach"] else _("no")
        if key in enum_labels:
            value = row.get(key)
            return str(next((v for k, v in enum_labels[key].items() if k.value == value), ""))
        value = row.get(key)
        return "" if value is None else str(value)

    keys = [c.key for c in columns(batch.kind, project)]
    return [
        (row["row"], [cell(row, k) for k in keys]) for row in batch.staged.get("rows", [])[:limit]
    ]
