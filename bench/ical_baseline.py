"""Baseline B3: the same calendar of every public event, written two ways.

* with a plain string template: escaping and line folding by hand, no library (what a warm
  feed that reuses prepared text should come close to);
* with the icalendar library, building every component afresh (what a feed that rebuilds
  everything on each request costs).

Both read the rows with one raw SQL query, so both include the same fetch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.database import Backend

PUBLIC = ("published", "cancelled", "held")
COLUMNS = (
    "id, uid, sequence, status, title, description, starts_at, ends_at, venue, address, "
    "online_url, updated_at"
)
SITE = "http://127.0.0.1"


@dataclass
class EventRow:
    id: int
    uid: str
    sequence: int
    status: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    address: str
    online_url: str | None
    updated_at: datetime


def _aware(value) -> datetime:
    if isinstance(value, str):  # SQLite keeps naive UTC text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fetch(backend: Backend) -> list[EventRow]:
    marks = ", ".join("%s" if backend.is_pg else "?" for _ in PUBLIC)
    sql = f"SELECT {COLUMNS} FROM event WHERE status IN ({marks}) ORDER BY starts_at, id"
    with backend.connect() as conn:
        rows = conn.execute(sql, PUBLIC).fetchall()
    out = []
    for r in rows:
        out.append(EventRow(*r[:6], _aware(r[6]), _aware(r[7]), r[8], r[9], r[10], _aware(r[11])))
    return out


# --- plain template ------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545 folding: lines of at most 75 octets, never splitting a UTF-8 character."""
    if len(line) <= 75 and line.isascii():
        return line
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: step back
            cut -= 1
        parts.append(data[start:cut])
        start, limit = cut, 74  # continuation lines start with a space
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode()


def _stamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


TEMPLATE = (
    "BEGIN:VEVENT\r\n"
    "UID:{uid}\r\n"
    "DTSTAMP:{stamp}\r\n"
    "SEQUENCE:{sequence}\r\n"
    "DTSTART:{start}\r\n"
    "DTEND:{end}\r\n"
    "{summary}\r\n"
    "{description}\r\n"
    "{location}\r\n"
    "URL:{url}\r\n"
    "STATUS:{status}\r\n"
    "END:VEVENT\r\n"
)


def render_template(rows: list[EventRow]) -> bytes:
    parts = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//eventhub//bench//EN\r\n"]
    for r in rows:
        location = ", ".join(p for p in (r.venue, r.address) if p)
        parts.append(
            TEMPLATE.format(
                uid=r.uid,
                stamp=_stamp(r.updated_at),
                sequence=r.sequence,
                start=_stamp(r.starts_at),
                end=_stamp(r.ends_at),
                summary=_fold("SUMMARY:" + _escape(r.title)),
                description=_fold("DESCRIPTION:" + _escape(r.description)),
                location=_fold("LOCATION:" + _escape(location)),
                url=f"{SITE}/events/{r.id}",
                status="CANCELLED" if r.status == "cancelled" else "CONFIRMED",
            )
        )
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()


# --- icalendar library ---------------------------------------------------------------------


def render_icalendar(rows: list[EventRow]) -> bytes:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//eventhub//bench//EN")
    cal.add("version", "2.0")
    for r in rows:
        ev = icalendar.Event()
        ev.add("uid", r.uid)
        ev.add("dtstamp", r.updated_at)
        ev.add("sequence", r.sequence)
        ev.add("dtstart", r.starts_at)
        ev.add("dtend", r.ends_at)
        ev.add("summary", r.title)
        ev.add("description", r.description)
        ev.add("location", ", ".join(p for p in (r.venue, r.address) if p))
        ev.add("url", f"{SITE}/events/{r.id}")
        ev.add("status", "CANCELLED" if r.status == "cancelled" else "CONFIRMED")
        cal.add_component(ev)
    return cal.to_ical()


@dataclass
class B3Result:
    events: int
    fetch_s: float
    template_s: float  # fetch + render, best of the tries
    icalendar_s: float  # fetch + render
    template_bytes: int
    icalendar_bytes: int
    checked: bool  # the template's output parses back into the same events


def measure(backend: Backend, tries: int = 3) -> B3Result:
    fetches, templates = [], []
    for _ in range(tries):
        t0 = time.perf_counter()
        rows = fetch(backend)
        t1 = time.perf_counter()
        body = render_template(rows)
        t2 = time.perf_counter()
        fetches.append(t1 - t0)
        templates.append(t2 - t0)
    t0 = time.perf_counter()
    rows = fetch(backend)
    lib_body = render_icalendar(rows)
    lib_s = time.perf_counter() - t0
    return B3Result(
        len(rows),
        min(fetches),
        min(templates),
        lib_s,
        len(body),
        len(lib_body),
        _check(body, rows),
    )


def _check(body: bytes, rows: list[EventRow]) -> bool:
    """The hand-written calendar is a valid one: it has every event, and icalendar reads the
    first 200 back unchanged (parsing all of a large calendar takes longer than writing it)."""
    import icalendar

    if body.count(b"BEGIN:VEVENT") != len(rows):
        return False
    chunks = body.split(b"END:VEVENT\r\n")[:-1]  # the last chunk is END:VCALENDAR
    sample = b"".join(c + b"END:VEVENT\r\n" for c in chunks[:200]) + b"END:VCALENDAR\r\n"
    events = icalendar.Calendar.from_ical(sample).walk("VEVENT")
    if len(events) != min(200, len(rows)):
        return False
    for ev, row in zip(events, rows, strict=False):
        if str(ev["summary"]) != row.title or str(ev["description"]) != row.description:
            return False
    return True
