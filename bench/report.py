"""Rows of the results table, their targets, and how they are printed and saved."""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

PASS, MISS, INFO, NOT_YET, ERROR = "pass", "MISS", "", "not yet", "ERROR"


@dataclass
class Row:
    backend: str
    figure: str
    value: str
    baseline: str = ""  # the same-run baseline(s) it is compared with, as ratios
    target: str = ""
    status: str = INFO
    note: str = ""
    data: dict = field(default_factory=dict)


def ratio(value: float, base: float) -> str:
    if not base or math.isnan(base) or math.isnan(value):
        return "n/a"
    return f"{value / base:.2f}x"


def verdict(ok: bool | None) -> str:
    if ok is None:
        return INFO
    return PASS if ok else MISS


def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.1f} ms"


def print_table(rows: list[Row], out=sys.stdout) -> None:
    headers = ("backend", "figure", "value", "vs baseline", "target", "")
    table = [headers] + [
        (r.backend, r.figure, r.value, r.baseline, r.target, r.status) for r in rows
    ]
    widths = [min(max(len(str(line[i])) for line in table), 48) for i in range(len(headers))]
    for n, line in enumerate(table):
        cells = [str(c) for c in line]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip(), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)
    notes = [(r.backend, r.figure, r.note) for r in rows if r.note]
    if notes:
        print("\nNotes:", file=out)
        for backend, figure, note in notes:
            print(f"  [{backend}] {figure}: {note}", file=out)


def machine() -> dict:
    """What the figures were measured on, and how busy it was."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = math.nan
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": cpu,
        "memory_gib": mem_gib,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "gunicorn": version("gunicorn"),
        "flask": version("flask"),
        "sqlalchemy": version("sqlalchemy"),
        "icalendar": version("icalendar"),
        "load_average_at_start": list(os.getloadavg()),
    }


def save(path: Path, meta: dict, rows: list[Row]) -> None:
    meta = dict(meta, load_average_at_end=list(os.getloadavg()))
    payload = clean({"meta": meta, "rows": [asdict(r) for r in rows]})
    path.write_text(json.dumps(payload, indent=2, default=str, allow_nan=False) + "\n")


def clean(value):
    """NaN is not JSON: replace it with None, recursively."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value
