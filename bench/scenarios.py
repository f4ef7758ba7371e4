"""What is measured: one function per group of figures, each returning table rows."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from bench import datasets, ical_baseline
from bench.client import Connection, HTTPError, LoadResult, closed_loop, percentile, sequential
from bench.database import Backend
from bench.forms import Form, find_signup_form
from bench.imports import imports_group  # noqa: F401 - a group, found by name
from bench.nodes import nodes_group  # noqa: F401 - a group, found by name
from bench.report import ERROR, INFO, NOT_YET, Row, ms, ratio, verdict
from bench.server import Server, ServerSetup

HOST = "127.0.0.1"
# How long a visitor in the flash crowd waits for an answer before counting it as an error.
CROWD_TIMEOUT = 120.0


@dataclass(frozen=True)
class Sizes:
    """How big and how long; ``quick`` is a smoke run, not a measurement."""

    warmup: float
    duration: float
    concurrency: tuple[int, ...]
    crowd: int
    places: int
    list_events: int
    feed_events: int
    attendance: int
    latency_samples: int
    door: int  # people registered for the event being checked in
    per_client: int = 2  # operations each client must finish inside a throughput window
    guidance_rows: int = 10_000  # rows of the guidance file imported (bench/imports.py)

    @classmethod
    def full(cls) -> Sizes:
        return cls(1.0, 5.0, (16, 64), 1000, 100, 500, 10_000, 1_000_000, 100, 300)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            0.3, 1.0, (4, 16), 100, 10, 100, 1_000, 20_000, 20, 30, per_client=1,
            guidance_rows=500,
        )  # fmt: skip


def eventhub_server(backend: Backend, setup: ServerSetup) -> Server:
    return Server("eventhub", "wsgi:app", backend.app_env(), setup)


def baseline_server(backend: Backend, setup: ServerSetup) -> Server:
    env = backend.app_env()
    env["BENCH_B2_DATABASE_URL"] = backend.url
    return Server("baseline", "bench.baseline_app:app", env, setup)


def run(coro):
    return asyncio.run(coro)


def registrations_by_status(backend: Backend, event_id: int) -> dict[str, int]:
    sql = "SELECT status, count(*) FROM registration WHERE event_id = %s GROUP BY status"
    with backend.connect() as conn:
        rows = conn.execute(sql if backend.is_pg else sql.replace("%s", "?"), (event_id,))
        return dict(rows.fetchall())


def load_row(backend: str, figure: str, result: LoadResult, **kw) -> Row:
    value = f"{result.rate:,.0f}/s  p95 {result.pct_ms(95):.1f} ms"
    if result.errors:
        value += f"  ({result.errors} errors)"
    return Row(backend, figure, value, data=result.summary(), **kw)


# --- B1 and B2 --------------------------------------------------------------------------


async def _b1(conn: Connection, _n: int, _i: int) -> bool:
    response = await conn.request("GET", "/hello")
    return response.status == 200 and response.body == b"Hello"


def b2_operation(event_id: int, tag: str):
    path = f"/b2/events/{event_id}/register"

    async def operation(conn: Connection, n: int, i: int) -> bool:
        email = f"{tag}-{n}-{i}@bench.example.org"
        response = await conn.request("POST", path, form={"name": f"B2 {n} {i}", "email": email})
        return response.status == 200

    return operation


# --- the real signup form ---------------------------------------------------------------

CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")


def csrf_token(html: str) -> str | None:
    tag = CSRF_INPUT.search(html)
    if tag is None:
        return None
    value = VALUE.search(tag.group(0))
    return value.group(1) if value else None


@dataclass
class SignupFlow:
    """How a visitor registers for one event through eventhub's own pages."""

    page: str  # where the form is shown
    form: Form
    success_statuses: tuple[int, ...]

    def action_for(self, event_id: int, template_event_id: int) -> tuple[str, str]:
        page = self.page.replace(f"/{template_event_id}", f"/{event_id}", 1)
        action = self.form.action or page
        action = action.replace(f"/{template_event_id}/", f"/{event_id}/", 1)
        return page, action

    async def register(
        self, conn: Connection, page: str, action: str, name: str, email: str, steps=None
    ):
        """GET the page (fresh session), POST the form. Returns the POST answer or None.
        ``steps`` (a dict of lists), if given, collects the time of each request."""
        conn.forget_cookies()
        t0 = time.perf_counter()
        response = await conn.request("GET", page)
        t1 = time.perf_counter()
        if response.status != 200:
            return None
        token = csrf_token(response.text)
        if token is None:
            return None
        body = [(k, token if k == "csrf_token" else v) for k, v in self.form.fill(name, email)]
        t2 = time.perf_counter()
        answer = await conn.request("POST", action, form=body)
        if steps is not None:
            steps["get"].append(t1 - t0)
            steps["post"].append(time.perf_counter() - t2)
        return answer

    async def prepare(self, conn: Connection, page: str, name: str, email: str):
        """The GET half, for the flash crowd: returns the body to POST later."""
        conn.forget_cookies()
        response = await conn.request("GET", page)
        token = csrf_token(response.text) if response.status == 200 else None
        if token is None:
            raise HTTPError(f"GET {page}: {response.status}, no CSRF token")
        return [(k, token if k == "csrf_token" else v) for k, v in self.form.fill(name, email)]


async def probe_signup(backend: Backend, port: int, event_id: int) -> tuple[SignupFlow | None, str]:
    """Find the signup form and send it once; report why not when it does not work yet."""
    conn = Connection(HOST, port)
    try:
        flow = None
        for page in (f"/events/{event_id}", f"/events/{event_id}/register"):
            response = await conn.request("GET", page)
            if response.status != 200:
                continue
            form = find_signup_form(response.text)
            if form is not None:
                flow = SignupFlow(page, form, ())
                break
        if flow is None:
            return None, f"no form with a csrf_token at /events/{event_id}[/register] (issue 3)"
        before = sum(registrations_by_status(backend, event_id).values())
        _page, action = flow.action_for(event_id, event_id)
        email = f"probe-{time.monotonic_ns()}@bench.example.org"
        answer = await flow.register(conn, flow.page, action, "Probe Person", email)
        after = sum(registrations_by_status(backend, event_id).values())
    finally:
        await conn.close()
    if answer is None or after != before + 1:
        status = answer.status if answer else "no answer"
        snippet = re.sub(r"\s+", " ", answer.text[:300]) if answer else ""
        return None, f"the form did not register (POST {action} -> {status}) {snippet}"
    flow.success_statuses = (answer.status,) if answer.status < 300 else (301, 302, 303)
    return flow, ""


def signup_operation(flow: SignupFlow, page: str, action: str, tag: str, steps=None):
    async def operation(conn: Connection, n: int, i: int) -> bool:
        email = f"{tag}-{n}-{i}@bench.example.org"
        answer = await flow.register(conn, page, action, f"Visitor {n} {i}", email, steps)
        return answer is not None and answer.status in flow.success_statuses

    return operation


# --- organiser pages --------------------------------------------------------------------


async def sign_in(conn: Connection, email: str, password: str) -> str:
    """Sign in through the login form; returns why not, or "" when signed in."""
    page = await conn.request("GET", "/login")
    token = csrf_token(page.text) if page.status == 200 else None
    if token is None:
        return f"GET /login answered {page.status} without a CSRF token"
    form = {"csrf_token": token, "email": email, "password": password, "next": ""}
    answer = await conn.request("POST", "/login", form=form)
    if answer.status not in (302, 303):
        return f"POST /login answered {answer.status}"
    return ""


def _checkin(backend, hub, sizes, event_id, admin, say) -> list[Row]:
    say("check-in: marking people present")
    sql = "SELECT id FROM registration WHERE event_id = %s ORDER BY id"
    with backend.connect() as conn:
        sql = sql if backend.is_pg else sql.replace("%s", "?")
        ids = [r[0] for r in conn.execute(sql, (event_id,)).fetchall()]
    result = run(_door(hub.port, event_id, ids[: sizes.latency_samples], admin))
    if isinstance(result, str):
        return [
            Row(
                backend.name,
                "check-in: mark attended, p95",
                f"not yet available: {result}",
                target="p95 < 50 ms",
                status=NOT_YET,
            )
        ]
    taps, lists, failures = result
    present = registrations_present(backend, event_id)
    p50, p95 = percentile(taps, 50), percentile(taps, 95)
    l50, l95 = percentile(lists, 50), percentile(lists, 95)
    note = (
        f"one member of staff tapping Present (fetch, JSON answer) for {len(taps)} of "
        f"{len(ids)} registered; {present} stored as present"
    )
    if failures:
        note += f"; {failures} taps failed"
    ok = p95 < 0.050 and not failures and present == len(taps)
    return [
        Row(
            backend.name,
            "check-in: mark attended, p50 / p95",
            f"{ms(p50)} / {ms(p95)}",
            target="p95 < 50 ms",
            status=verdict(ok),
            note=note,
            data={"p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "taps": len(taps)},
        ),
        Row(
            backend.name,
            f"check-in list page ({len(ids)} registered), p50 / p95",
            f"{ms(l50)} / {ms(l95)}",
            note="the page staff open at the door; no target in the issue",
            data={"p50_ms": l50 * 1000, "p95_ms": l95 * 1000},
        ),
    ]


def _offline_door(backend, hub, event_id, admin, say) -> list[Row]:
    """The check-in app: the roster a phone downloads, and a batch of taps made offline
    synced as the app does it (100 taps a request, then the roster's changes)."""
    say("check-in app: roster and an offline batch of taps")
    sql = "SELECT id FROM registration WHERE event_id = %s ORDER BY id"
    with backend.connect() as conn:
        sql = sql if backend.is_pg else sql.replace("%s", "?")
        ids = [r[0] for r in conn.execute(sql, (event_id,)).fetchall()]
    result = run(_door_app(hub.port, event_id, ids, admin))
    if isinstance(result, str):
        return [Row(backend.name, "check-in app: offline batch", f"failed: {result}",
                    status=ERROR)]  # fmt: skip
    size, fetch, sync, resent_equal = result
    stored = registrations_present(backend, event_id)
    taps = int(backend.scalar("SELECT count(*) FROM door_tap", ()) or 0)
    once = stored == len(ids) and taps == len(ids) and resent_equal
    return [
        Row(
            backend.name,
            f"check-in app: roster of {len(ids)} registrations over the wire",
            f"{size / 1024:.1f} KB in {ms(fetch)}",
            target="< 200 KB",
            status=verdict(size < 200 * 1024),
            note="GET /door/api/roster, the first (full) sync of a phone, uncompressed",
            data={"bytes": size, "ms": fetch * 1000},
        ),
        Row(
            backend.name,
            f"check-in app: offline batch of {len(ids)} taps synced",
            ms(sync),
            target="< 2 s",
            status=verdict(sync < 2.0 and once),
            note=f"{math.ceil(len(ids) / 100)} upload(s) of up to 100 taps, then the roster's "
            f"changes; {stored} present, {taps} taps stored; all sent again: "
            + ("the same answers" if resent_equal else "DIFFERENT answers"),
            data={"ms": sync * 1000, "present": stored, "taps": taps},
        ),
    ]


async def _door_app(port: int, event_id: int, ids: list[int], admin: tuple[str, str]):
    conn = Connection(HOST, port)
    try:
        why = await sign_in(conn, *admin)
        if why:
            return why
        roster = f"/door/api/roster?event={event_id}"
        t0 = time.perf_counter()
        answer = await conn.request("GET", roster)
        fetch = time.perf_counter() - t0
        if answer.status != 200:
            return f"GET {roster} answered {answer.status}"
        body = json.loads(answer.body)
        size, cursor = len(answer.body), body["cursor"]
        headers = {"X-CSRFToken": body["csrf_token"], "X-Door-Client": "bench-phone-1"}
        made = datetime.now(UTC)
        taps = [
            {"id": f"bench-{event_id}-{rid}", "kind": "present", "key": f"r{rid}",
             "at": made.isoformat()}
            for rid in ids
        ]  # fmt: skip
        answers = []
        t0 = time.perf_counter()
        for start in range(0, len(taps), 100):
            chunk = taps[start : start + 100]
            payload = {"taps": chunk, "pending": len(taps) - start - len(chunk)}
            answer = await conn.request(
                "POST", f"/door/api/taps?event={event_id}", json=payload, headers=headers
            )
            if answer.status != 200:
                return f"POST /door/api/taps answered {answer.status}"
            answers += json.loads(answer.body)["results"]
        answer = await conn.request("GET", f"{roster}&cursor={quote(cursor)}")
        sync = time.perf_counter() - t0
        again = []
        for start in range(0, len(taps), 100):  # the answers were lost: all sent again
            payload = {"taps": taps[start : start + 100], "pending": 0}
            answer = await conn.request(
                "POST", f"/door/api/taps?event={event_id}", json=payload, headers=headers
            )
            if answer.status != 200:
                return f"POST /door/api/taps sent again answered {answer.status}"
            again += json.loads(answer.body)["results"]
        return size, fetch, sync, again == answers
    finally:
        await conn.close()


def registrations_present(backend: Backend, event_id: int) -> int:
    sql = "SELECT count(*) FROM attendance WHERE event_id = %s"
    return int(backend.scalar(sql, (event_id,)) or 0)


async def _door(port: int, event_id: int, ids: list[int], admin: tuple[str, str]):
    """Sign in, open the check-in list, tap Present for each id. Returns the tap latencies,
    the list page latencies and the number of failed taps -- or why it cannot be done."""
    conn = Connection(HOST, port)
    try:
        why = await sign_in(conn, *admin)
        if why:
            return why
        page = f"/organiser/events/{event_id}/checkin"
        lists = []
        for _ in range(10):
            t0 = time.perf_counter()
            answer = await conn.request("GET", page)
            lists.append(time.perf_counter() - t0)
        token = csrf_token(answer.text) if answer.status == 200 else None
        if token is None:
            return f"GET {page} answered {answer.status} without a CSRF token"
        taps, failures = [], 0
        headers = {"Accept": "application/json"}
        for rid in ids:
            path = f"/organiser/events/{event_id}/checkin/{rid}/present"
            t0 = time.perf_counter()
            answer = await conn.request("POST", path, form={"csrf_token": token}, headers=headers)
            elapsed = time.perf_counter() - t0
            if answer.status == 200 and answer.header("content-type") == "application/json":
                taps.append(elapsed)
            else:
                failures += 1
                if answer.status == 404 and not taps:
                    return f"POST {path} answered 404"
        return taps, lists, failures
    finally:
        await conn.close()


# --- flash crowd ------------------------------------------------------------------------


@dataclass
class CrowdResult:
    clients: int
    latencies: list[float]
    errors: int
    first_error: str | None
    seconds: float


async def crowd(port: int, prepare, post_path: str, clients: int, ok_statuses) -> CrowdResult:
    """Every client gets ready (page, token, cookie) first; then all POST at the same moment,
    each on a new connection. Latency is counted from that moment to the client's answer."""
    conns = [Connection(HOST, port) for _ in range(clients)]
    bodies: list = [None] * clients
    gate = asyncio.Semaphore(32)

    async def get_ready(k: int) -> None:
        async with gate:
            bodies[k] = await prepare(conns[k], k)
            await conns[k].close()

    await asyncio.gather(*(get_ready(k) for k in range(clients)))
    release = asyncio.Event()
    latencies: list[float] = []
    errors = {"n": 0, "first": None}
    start = {"t": 0.0}

    async def post(k: int) -> None:
        await release.wait()
        try:
            answer = await conns[k].request(
                "POST", post_path, form=bodies[k], timeout=CROWD_TIMEOUT
            )
            if answer.status in ok_statuses:
                latencies.append(time.perf_counter() - start["t"])
            else:
                errors["n"] += 1
                errors["first"] = errors["first"] or f"status {answer.status}"
        except HTTPError as exc:
            errors["n"] += 1
            errors["first"] = errors["first"] or str(exc)
        finally:
            await conns[k].close()

    tasks = [asyncio.create_task(post(k)) for k in range(clients)]
    await asyncio.sleep(0.2)  # every task is waiting at the gate
    start["t"] = time.perf_counter()
    release.set()
    await asyncio.gather(*tasks)
    return CrowdResult(
        clients, latencies, errors["n"], errors["first"], time.perf_counter() - start["t"]
    )


def crowd_rows(
    backend: Backend, figure: str, event_id: int, result: CrowdResult, places: int
) -> list[Row]:
    counts = registrations_by_status(backend, event_id)
    confirmed = counts.get("confirmed", 0)
    waitlisted = counts.get("waitlisted", 0)
    others = sum(counts.values()) - confirmed - waitlisted
    missing = result.clients - sum(counts.values())
    expected_wait = result.clients - places
    correct = confirmed == places and waitlisted == expected_wait and result.errors == 0
    p50, p95, p99 = (percentile(result.latencies, p) for p in (50, 95, 99))
    data = {
        "clients": result.clients,
        "places": places,
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "other_statuses": others,
        "http_errors": result.errors,
        "missing_registrations": missing,
        "first_error": result.first_error,
        "p50_ms": round(p50 * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "all_answered_s": round(result.seconds, 3),
    }
    note = f"first error: {result.first_error}" if result.first_error else ""
    return [
        Row(
            backend.name,
            f"{figure}: {result.clients} clients, {places} places",
            f"{confirmed} confirmed, {waitlisted} waitlisted, {result.errors} errors",
            target=f"exactly {places} / {expected_wait} / 0",
            status=verdict(correct),
            note=note,
            data=data,
        ),
        Row(
            backend.name,
            f"{figure}: latency p50 / p95 / p99",
            f"{ms(p50)} / {ms(p95)} / {ms(p99)}",
            target="p99 < 2 s",
            status=verdict(p99 < 2.0 if not math.isnan(p99) else False),
            data=data,
        ),
    ]


# --- group 1: requests against a live server ----------------------------------------------


def requests_group(
    backend: Backend, setup: ServerSetup, sizes: Sizes, wanted: set[str], say
) -> list[Row]:
    rows: list[Row] = []
    name = backend.name
    backend.empty()
    app = datasets.create_app(backend)
    refs = datasets.base_records(app)
    say("generating the listing data set")
    list_ids = datasets.create_events(app, refs, sizes.list_events, title="Listed event")
    people = datasets.persons(backend, 2000, first_id=1_000_000)
    plan = [(eid, datetime.now(UTC), 5 + (eid * 7) % 25) for eid in list_ids]
    datasets.registrations_for(
        backend, plan, people, 0, refs.municipality_ids, with_attendance=False
    )
    big = 10_000_000  # a limit never reached, so the capacity check and lock always run
    events = {
        key: datasets.hot_event(app, refs, big, f"Hot event {key}")
        for key in [f"{k}-{c}" for k in ("b2", "app") for c in sizes.concurrency] + ["probe"]
    }
    door_id = datasets.door_event(app, backend, refs, sizes.door)
    admin = datasets.admin_user(app)
    events["crowd-b2"] = datasets.hot_event(app, refs, sizes.places, "Crowd B2")
    events["crowd-app"] = datasets.hot_event(app, refs, sizes.places, "Crowd eventhub")
    backend.analyze()

    with (
        baseline_server(backend, setup).start("/hello") as base,
        eventhub_server(backend, setup).start("/") as hub,
    ):
        b1: dict[int, LoadResult] = {}
        b2: dict[int, LoadResult] = {}
        for clients in sizes.concurrency if "b1" in wanted else ():
            say(f"B1 with {clients} clients")
            b1[clients] = run(
                closed_loop(
                    HOST,
                    base.port,
                    _b1,
                    clients=clients,
                    warmup=sizes.warmup,
                    duration=sizes.duration,
                    per_client=sizes.per_client,
                )
            )
            rows.append(load_row(name, f"B1 hello, {clients} clients", b1[clients]))
        for clients in sizes.concurrency if "b2" in wanted else ():
            say(f"B2 with {clients} clients")
            event_id = events[f"b2-{clients}"]
            b2[clients] = run(
                closed_loop(
                    HOST,
                    base.port,
                    b2_operation(event_id, f"b2x{clients}"),
                    clients=clients,
                    warmup=sizes.warmup,
                    duration=sizes.duration,
                    per_client=sizes.per_client,
                )
            )
            row = load_row(name, f"B2 minimal signup, {clients} clients", b2[clients])
            stored = sum(registrations_by_status(backend, event_id).values())
            if stored != b2[clients].total_ok:
                row.status = ERROR
                row.note = f"{b2[clients].total_ok} answered ok but {stored} stored"
            rows.append(row)

        if "signup" in wanted:
            rows += _signup(backend, hub, sizes, events, b1, b2, say)
        if "list" in wanted:
            rows += _listing(backend, hub, sizes, say)
        if "flash" in wanted or "memory" in wanted:
            rows += _flash(backend, base, hub, sizes, events, say)
        if "checkin" in wanted:
            rows += _checkin(backend, hub, sizes, door_id, admin, say)
            rows += _offline_door(backend, hub, door_id, admin, say)
    return rows


def _signup(backend, hub, sizes, events, b1, b2, say) -> list[Row]:
    name = backend.name
    flow, why = run(probe_signup(backend, hub.port, events["probe"]))
    if flow is None:
        return [
            Row(
                name,
                f"signup through the form, {c} clients",
                f"not yet available: {why}",
                target="≥ 1.0x B2 (PostgreSQL)" if backend.is_pg else "",
                status=NOT_YET,
            )
            for c in sizes.concurrency
        ]
    rows = []
    for clients in sizes.concurrency:
        say(f"signup through the form with {clients} clients")
        event_id = events[f"app-{clients}"]
        page, action = flow.action_for(event_id, events["probe"])
        steps: dict[str, list[float]] = {"get": [], "post": []}
        result = run(
            closed_loop(
                HOST,
                hub.port,
                signup_operation(flow, page, action, f"app{clients}", steps),
                clients=clients,
                warmup=sizes.warmup,
                duration=sizes.duration,
                per_client=sizes.per_client,
            )
        )
        vs_b2 = result.rate / b2[clients].rate if b2[clients].rate else math.nan
        row = load_row(
            name,
            f"signup through the form, {clients} clients",
            result,
            baseline=f"{ratio(result.rate, b1[clients].rate)} B1, "
            f"{ratio(result.rate, b2[clients].rate)} B2",
            target="≥ 1.0x B2" if backend.is_pg else "",
            status=verdict(vs_b2 >= 1.0) if backend.is_pg else INFO,
        )
        row.data["per_minute"] = round(result.rate * 60)
        get_p50, post_p50 = percentile(steps["get"], 50), percentile(steps["post"], 50)
        row.data |= {"get_page_p50_ms": get_p50 * 1000, "post_form_p50_ms": post_p50 * 1000}
        row.note = (
            f"{result.rate * 60:,.0f} registrations/minute for one event; each is GET page "
            f"(p50 {ms(get_p50)}) + POST form (p50 {ms(post_p50)})"
        )
        stored = sum(registrations_by_status(backend, event_id).values())
        if stored != result.total_ok:
            row.status = ERROR
            row.note += f"; {result.total_ok} answered ok but {stored} stored"
        if result.first_error:
            row.note += f"; first error: {result.first_error}"
        rows.append(row)
    return rows


def _listing(backend, hub, sizes, say) -> list[Row]:
    say("event list page")
    latencies, responses = run(sequential(HOST, hub.port, "/", count=sizes.latency_samples))
    bad = sum(1 for r in responses if r.status != 200)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    shown = responses[-1].text.count('class="event-card') if responses else 0
    return [
        Row(
            backend.name,
            "event list page (GET /), p50 / p95",
            f"{ms(p50)} / {ms(p95)}",
            target="p95 < 50 ms",
            status=verdict(p95 < 0.050 and bad == 0),
            note=f"{sizes.list_events} upcoming events in the database, {shown} on the page; "
            "one client, no queueing" + (f"; {bad} answers were not 200" if bad else ""),
            data={"p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "samples": len(latencies)},
        )
    ]


def _flash(backend, base, hub, sizes, events, say) -> list[Row]:
    rows = []
    say(f"flash crowd on B2: {sizes.crowd} clients")
    b2_path = f"/b2/events/{events['crowd-b2']}/register"

    async def b2_prepare(_conn, k):
        return {"name": f"Crowd {k}", "email": f"crowd-b2-{k}@bench.example.org"}

    result = run(crowd(base.port, b2_prepare, b2_path, sizes.crowd, (200,)))
    b2_rows = crowd_rows(backend, "B2 flash crowd", events["crowd-b2"], result, sizes.places)
    b2_rows[1].target, b2_rows[1].status = "", INFO  # the latency target is eventhub's
    rows += b2_rows

    flow, why = run(probe_signup(backend, hub.port, events["probe"]))
    if flow is None:
        rows.append(
            Row(
                backend.name,
                f"flash crowd: {sizes.crowd} clients, {sizes.places} places",
                f"not yet available: {why}",
                target="exactly right, p99 < 2 s",
                status=NOT_YET,
            )
        )
        rows.append(_memory_row(backend, hub, None, "no flash crowd to measure yet"))
        return rows
    say(f"flash crowd on eventhub: {sizes.crowd} clients")
    page, action = flow.action_for(events["crowd-app"], events["probe"])

    async def app_prepare(conn, k):
        return await flow.prepare(conn, page, f"Crowd {k}", f"crowd-{k}@bench.example.org")

    hub.reset_peak_memory()
    result = run(crowd(hub.port, app_prepare, action, sizes.crowd, flow.success_statuses))
    rows += crowd_rows(backend, "flash crowd", events["crowd-app"], result, sizes.places)
    rows.append(_memory_row(backend, hub, base, ""))
    return rows


def _memory_row(backend, hub, base, why: str) -> Row:
    if why:
        return Row(
            backend.name,
            "memory: peak RSS of one worker in the flash crowd",
            f"not yet available: {why}",
            target="< 150 MB",
            status=NOT_YET,
        )
    peaks = hub.peak_memory_mb()
    base_peaks = base.peak_memory_mb() if base else {}
    top = max(peaks.values()) if peaks else math.nan
    base_top = max(base_peaks.values()) if base_peaks else math.nan
    return Row(
        backend.name,
        "memory: peak RSS of one worker in the flash crowd",
        f"{top:.0f} MiB",
        baseline=f"B1/B2 worker {base_top:.0f} MiB",
        target="< 150 MB",
        status=verdict(top * 1.048576 < 150),
        note="largest VmHWM of the workers (peak reset just before the crowd)",
        data={"workers_mib": peaks, "baseline_workers_mib": base_peaks},
    )


# --- group 2: calendar feeds -------------------------------------------------------------

FEED = "/calendar/all.ics"


def feeds_group(
    backend: Backend, setup: ServerSetup, sizes: Sizes, wanted: set[str], say
) -> list[Row]:
    name = backend.name
    backend.empty()
    app = datasets.create_app(backend)
    refs = datasets.base_records(app)
    say(f"creating {sizes.feed_events:,} events through the models")
    t0 = time.perf_counter()
    datasets.create_events(app, refs, sizes.feed_events, title="Feed event", seed=7)
    created_s = time.perf_counter() - t0
    backend.analyze()
    say("B3: the same calendar with a template and with the icalendar library")
    b3 = ical_baseline.measure(backend)
    rows = [
        Row(
            name,
            f"B3 {b3.events:,}-event calendar, plain template",
            f"{b3.template_s * 1000:,.0f} ms",
            note=f"includes the {b3.fetch_s * 1000:.0f} ms query; {b3.template_bytes:,} bytes; "
            f"read back by icalendar: {'ok' if b3.checked else 'FAILED'}",
            status=INFO if b3.checked else ERROR,
            data=b3.__dict__ | {"events_created_s": created_s},
        ),
        Row(
            name,
            f"B3 {b3.events:,}-event calendar, icalendar from scratch",
            f"{b3.icalendar_s * 1000:,.0f} ms",
            baseline=f"{ratio(b3.icalendar_s, b3.template_s)} template",
            data=b3.__dict__,
        ),
    ]
    if "feeds" not in wanted:
        return rows
    with eventhub_server(backend, setup).start("/") as hub:
        rows += run(_feed(backend, hub, b3, sizes))
    warm = next((r.data.get("warm_s") for r in rows if r.data and "warm_s" in r.data), None)
    if warm:
        # A restarted server: its workers have nothing in memory, but the first server
        # stored every VEVENT in the database.
        with eventhub_server(backend, setup).start("/") as hub:
            rows += run(_restarted_feed(backend, hub, percentile(warm, 50)))
    return rows


async def _restarted_feed(backend: Backend, hub: Server, warm_median: float) -> list[Row]:
    conn = Connection(HOST, hub.port)
    try:
        t0 = time.perf_counter()
        answer = await conn.request("GET", FEED, timeout=120)
        cold = time.perf_counter() - t0
    finally:
        await conn.close()
    events = answer.body.count(b"BEGIN:VEVENT")
    return [
        Row(
            backend.name,
            f"feed {FEED}, cold worker, VEVENTs stored",
            f"{cold * 1000:,.0f} ms",
            baseline=f"{ratio(cold, warm_median)} warm",
            target="≤ 3x warm",
            status=verdict(cold <= 3 * warm_median and answer.status == 200),
            note=f"{events:,} events; first request after a restart",
            data={"cold_stored_s": cold, "warm_median_s": warm_median, "status": answer.status},
        )
    ]


async def _feed(backend: Backend, hub: Server, b3, sizes: Sizes) -> list[Row]:
    name = backend.name
    conn = Connection(HOST, hub.port)
    try:
        t0 = time.perf_counter()
        first = await conn.request("GET", FEED, timeout=120)
        cold = time.perf_counter() - t0
        if first.status == 404:
            return [
                Row(
                    name,
                    f"feed {FEED}: cold / warm / 304",
                    f"not yet available: {FEED} answers 404 (issue 4)",
                    target="warm ≤ 2x B3 template; 304 < 20 ms",
                    status=NOT_YET,
                )
            ]
        warm = []
        # Ten warm answers, or three when the feed is slow enough to blow the time budget.
        for i in range(12 if cold < 1.0 else 5):
            t0 = time.perf_counter()
            answer = await conn.request("GET", FEED, timeout=120)
            if i >= 2:
                warm.append(time.perf_counter() - t0)
        etag = answer.header("etag")
        not_modified, statuses = [], set()
        if etag:
            for _ in range(sizes.latency_samples // 2):
                t0 = time.perf_counter()
                r = await conn.request("GET", FEED, headers={"If-None-Match": etag})
                not_modified.append(time.perf_counter() - t0)
                statuses.add(r.status)
    finally:
        await conn.close()
    events_in_feed = answer.body.count(b"BEGIN:VEVENT")
    warm_median = percentile(warm, 50)
    within = warm_median <= 2 * b3.template_s
    note = f"{events_in_feed:,} events, {len(answer.body):,} bytes"
    if events_in_feed != b3.events:
        note += f"; B3 wrote {b3.events:,} events"
    if first.status != 200 or answer.status != 200:
        note += f"; statuses {first.status}/{answer.status}"
    rows = [
        Row(
            name,
            f"feed {FEED}, cold (first request)",
            f"{cold * 1000:,.0f} ms",
            baseline=f"{ratio(cold, b3.template_s)} template, "
            f"{ratio(cold, b3.icalendar_s)} icalendar",
            note=note,
            data={"cold_s": cold, "status": first.status},
        ),
        Row(
            name,
            f"feed {FEED}, warm (median of {len(warm)})",
            f"{warm_median * 1000:,.0f} ms",
            baseline=f"{ratio(warm_median, b3.template_s)} template, "
            f"{ratio(warm_median, b3.icalendar_s)} icalendar",
            target="≤ 2x B3 template",
            status=verdict(within and answer.status == 200),
            data={"warm_s": warm, "events": events_in_feed, "bytes": len(answer.body)},
        ),
    ]
    if not etag:
        rows.append(
            Row(
                name,
                "feed 304 (If-None-Match)",
                "no ETag on the feed",
                target="< 20 ms",
                status=verdict(False),
            )
        )
    else:
        p50, p95 = percentile(not_modified, 50), percentile(not_modified, 95)
        rows.append(
            Row(
                name,
                "feed 304 (If-None-Match), p50 / p95",
                f"{ms(p50)} / {ms(p95)}",
                target="p95 < 20 ms",
                status=verdict(p95 < 0.020 and statuses == {304}),
                note="" if statuses == {304} else f"statuses {sorted(statuses)}",
                data={"p50_ms": p50 * 1000, "p95_ms": p95 * 1000},
            )
        )
    return rows


# --- group 3: indicators -----------------------------------------------------------------

MONTHLY_PG = """
SELECT date_trunc('month', e.starts_at AT TIME ZONE e.timezone) AS month,
       count(*) AS participations,
       count(DISTINCT a.person_id) AS persons,
       count(DISTINCT (a.event_id, a.organisation_id))
           FILTER (WHERE a.organisation_id IS NOT NULL) AS event_organisations
FROM attendance a JOIN event e ON e.id = a.event_id
{where}
GROUP BY 1 ORDER BY 1
"""
MONTHLY_SQLITE = """
SELECT strftime('%Y-%m', e.starts_at) AS month,
       count(*) AS participations,
       count(DISTINCT a.person_id) AS persons,
       count(DISTINCT CASE WHEN a.organisation_id IS NOT NULL
                      THEN a.event_id || ':' || a.organisation_id END) AS event_organisations
FROM attendance a JOIN event e ON e.id = a.event_id
{where}
GROUP BY 1 ORDER BY 1
"""
TOTALS = """
SELECT count(*), count(DISTINCT a.person_id)
FROM attendance a JOIN event e ON e.id = a.event_id
{where}
"""


def _time_queries(backend: Backend, where: str, params: tuple, tries: int = 2):
    monthly = MONTHLY_PG if backend.is_pg else MONTHLY_SQLITE
    queries = [monthly.format(where=where), TOTALS.format(where=where)]
    if not backend.is_pg:
        queries = [q.replace("%s", "?") for q in queries]
    times = []
    with backend.connect() as conn:
        for _ in range(tries + 1):
            t0 = time.perf_counter()
            months = conn.execute(queries[0], params).fetchall()
            totals = conn.execute(queries[1], params).fetchone()
            times.append(time.perf_counter() - t0)
            if backend.is_pg:
                conn.rollback()
    return times[0], percentile(times[1:], 50), len(months), totals


def indicators_group(
    backend: Backend, setup: ServerSetup, sizes: Sizes, wanted: set[str], say
) -> list[Row]:
    name = backend.name
    backend.empty()
    app = datasets.create_app(backend)
    refs = datasets.base_records(app)
    say(f"generating {sizes.attendance:,} attendance records")
    made = datasets.attendance_set(app, backend, refs, sizes.attendance)
    say("timing the indicators aggregate")
    first, median, months, totals = _time_queries(backend, "", ())
    p_first, p_median, _, p_totals = _time_queries(
        backend, "WHERE e.project_id = %s", (made.project_id,)
    )
    say("indicators dashboards over HTTP")
    admin = datasets.admin_user(app)
    expected = {"project dashboard": p_totals[0], "all-projects dashboard": totals[0]}
    with eventhub_server(backend, setup).start("/") as hub:
        pages = run(_dashboards(hub.port, admin, made.project_id, expected))
    built = not isinstance(pages, str)
    label = "representative SQL aggregate" + ("" if built else ", dashboard not yet built")
    # The target is the dashboard's; the bare query carries it only until it exists.
    carries_target = backend.is_pg and not built
    data = {
        "records": made.records,
        "events": made.events,
        "persons": made.persons,
        "organisations": made.organisations,
        "generated_s": round(made.seconds, 1),
        "first_s": first,
        "median_s": median,
        "months": months,
        "participations": totals[0],
        "unique_persons": totals[1],
        "one_project": {"first_s": p_first, "median_s": p_median, "records": p_totals[0]},
    }
    return [
        Row(
            name,
            f"indicators, {made.records:,} records: {label}",
            f"{median * 1000:,.0f} ms (first {first * 1000:,.0f} ms)",
            target="< 1 s (PostgreSQL)" if carries_target else "",
            status=verdict(median < 1.0) if carries_target else INFO,
            note=f"participations, unique persons, distinct (event, organisation) pairs by "
            f"month ({months} months) and in total, over all projects; one project "
            f"({p_totals[0]:,} records): {p_median * 1000:,.0f} ms. "
            f"Data set generated in {made.seconds:.0f} s",
            data=data,
        ),
    ] + _dashboard_rows(backend, pages, made)


DASHBOARDS = (
    ("project dashboard", "/organiser/indicators/?project={project}"),
    ("all-projects dashboard", "/organiser/indicators/"),
)


async def _dashboards(port: int, admin: tuple[str, str], project_id: int, expected: dict):
    """Each dashboard: the first answer and the median of three more, and whether it shows
    the expected number of participations; or why it cannot be measured."""
    conn = Connection(HOST, port)
    try:
        why = await sign_in(conn, *admin)
        if why:
            return why
        results = {}
        for label, path in DASHBOARDS:
            path = path.format(project=project_id)
            times, statuses = [], set()
            for _ in range(4):
                t0 = time.perf_counter()
                answer = await conn.request("GET", path, timeout=120)
                times.append(time.perf_counter() - t0)
                statuses.add(answer.status)
            if statuses == {404}:
                return f"GET {path} answers 404 (issue 6)"
            # The figure only counts if the page shows the data set's participations.
            shows = expected.get(label)
            shown = shows is None or f"{shows:,}" in answer.text or f">{shows}<" in answer.text
            results[label] = (path, times[0], percentile(times[1:], 50), statuses, shown)
        return results
    finally:
        await conn.close()


def _dashboard_rows(backend: Backend, pages, made) -> list[Row]:
    target = "< 1 s (PostgreSQL)" if backend.is_pg else ""
    if isinstance(pages, str):
        return [
            Row(
                backend.name,
                "indicators dashboard page (HTTP)",
                f"not yet available: {pages}",
                target=target,
                status=NOT_YET,
            )
        ]
    rows = []
    for label, (path, first, median, statuses, shown) in pages.items():
        ok = statuses == {200}
        rows.append(
            Row(
                backend.name,
                f"indicators {label}, {made.records:,} records",
                f"{median * 1000:,.0f} ms (first {first * 1000:,.0f} ms)",
                target=target,
                status=(verdict(ok and median < 1.0) if backend.is_pg else INFO) if ok else ERROR,
                note=f"GET {path}, signed in as an admin"
                + ("" if ok else f"; statuses {sorted(statuses)}")
                + ("" if shown else "; the page does not show the participations in the data"),
                data={"first_s": first, "median_s": median, "path": path},
            )
        )
    return rows
