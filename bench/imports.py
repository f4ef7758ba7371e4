"""Group "imports": a 10,000-row guidance file, preview and confirm, on the real app.

Measured in-process with Flask's test client (CSRF on, signed in as an organiser): the
figure is the application's work on the file (parse, check every row, stage, then write in
one transaction), not the network. Only SQLite is timed by default: it is the embedded
database a small project starts with, and the slower of the two for bulk writes.
"""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime, timedelta

from bench import datasets
from bench.database import Backend
from bench.report import ERROR, Row, verdict
from bench.server import ServerSetup

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOPICS = ("Funding", "Budget", "Reporting", "Other funding", "After a positive decision")


def guidance_file(rows: int, municipalities: list[str]) -> bytes:
    """A guidance log as a coordinator keeps it: 600 associations, one or two topics."""
    today = datetime.now(UTC).date()
    lines = ["Date;Organisation;Municipality;Topics;Duration (minutes);Notes"]
    for n in range(rows):
        day = today - timedelta(days=1 + n % 700)
        org = n % 600
        topics = TOPICS[n % 5] + (f"; {TOPICS[(n + 2) % 5]}" if n % 3 == 0 else "")
        place = municipalities[org % len(municipalities)] if org % 7 else ""
        lines.append(
            f'{day.isoformat()};Yhdistys {org} ry;{place};"{topics}";{30 + n % 90};row {n}'
        )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def imports_group(backend: Backend, setup: ServerSetup, sizes, wanted: set[str], say) -> list[Row]:
    if backend.is_pg:
        return []
    backend.empty()
    app = datasets.create_app(backend)
    refs = datasets.base_records(app)
    email, password = datasets.admin_user(app)
    from sqlalchemy import func, select

    from eventhub.core.models import GuidanceSession, GuidanceTopic, Municipality
    from eventhub.extensions import db

    project_id = refs.project_ids[0]
    with app.app_context():
        for position, name in enumerate(TOPICS, 1):
            db.session.add(GuidanceTopic(project_id=project_id, name=name, position=position))
        db.session.commit()
        names = list(
            db.session.scalars(
                select(Municipality.name).where(Municipality.id.in_(refs.municipality_ids))
            )
        )
    rows = sizes.guidance_rows
    data = guidance_file(rows, names)
    say(f"importing a {rows:,}-row guidance file ({len(data) / 1e6:.1f} MB)")
    client = app.test_client()

    def token(path: str) -> str:
        return CSRF.search(client.get(path).get_data(as_text=True)).group(1)

    client.post(
        "/login", data={"csrf_token": token("/login"), "email": email, "password": password}
    )
    page = f"/organiser/projects/{project_id}/imports"
    t0 = time.perf_counter()
    upload = client.post(
        page,
        data={"csrf_token": token(page), "kind": "guidance", "file": (io.BytesIO(data), "g.csv")},
        content_type="multipart/form-data",
    )
    staged = time.perf_counter() - t0
    if upload.status_code != 303:
        return [Row(backend.name, "guidance import", f"upload answered {upload.status_code}",
                    status=ERROR)]  # fmt: skip
    preview_path = upload.headers["Location"]
    t1 = time.perf_counter()
    preview = client.get(preview_path)
    shown = time.perf_counter() - t1
    t2 = time.perf_counter()
    confirm = client.post(f"{preview_path}/confirm", data={"csrf_token": token(preview_path)})
    confirmed = time.perf_counter() - t2
    with app.app_context():
        written = db.session.scalar(select(func.count()).select_from(GuidanceSession))
    ok = confirm.status_code == 303 and preview.status_code == 200 and written == rows
    total = staged + shown + confirmed
    return [
        Row(
            backend.name,
            f"guidance import, {rows:,} rows (upload + preview + confirm)",
            f"{total:.1f} s",
            target="< 10 s (SQLite)",
            status=verdict(total < 10) if ok else ERROR,
            note=f"upload and check {staged:.1f} s, preview page {shown:.1f} s, confirm "
            f"{confirmed:.1f} s; {written:,} sessions written"
            + ("" if ok else f"; confirm {confirm.status_code}: {_flash(confirm, client)}"),
            data={"rows": rows, "upload_s": staged, "preview_s": shown, "confirm_s": confirmed},
        )
    ]


def _flash(response, client) -> str:
    """What the page after a refused step says (its flash or first error)."""
    if response.status_code != 303:
        return response.get_data(as_text=True)[:200]
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    found = re.search(r'class="flash[^"]*"[^>]*>(.*?)<', text, re.S)
    return found.group(1).strip() if found else text[:200]
