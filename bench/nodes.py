"""Signup throughput with one app server and with two on the same machine (issue #22).

Both servers are the same gunicorn setup on their own ports, sharing one database; the same
number of visitors sign up through the real form, all to one server or split evenly between
two. On one machine the second server adds processes, not CPU: the ratio shows whether the
shared database (its locks and commits) or the application's CPU limits signups. Each
visitor's registrations are counted in the database afterwards: what answered ok is stored.
"""

from __future__ import annotations

import asyncio
import math

from bench import datasets
from bench.client import LoadResult, closed_loop
from bench.database import Backend
from bench.report import ERROR, INFO, NOT_YET, Row, ratio
from bench.server import Server, ServerSetup

HOST = "127.0.0.1"


def nodes_group(backend: Backend, setup: ServerSetup, sizes, wanted: set[str], say) -> list[Row]:
    from bench import scenarios  # the signup flow and servers; scenarios imports this module

    name = backend.name
    backend.empty()
    app = datasets.create_app(backend)
    refs = datasets.base_records(app)
    big = 10_000_000  # never full: the capacity check and the event's lock always run
    events = {key: datasets.hot_event(app, refs, big, f"Nodes {key}") for key in ("1", "2", "p")}
    backend.analyze()
    clients = max(sizes.concurrency)
    rows: list[Row] = []

    with (
        scenarios.eventhub_server(backend, setup).start("/") as first,
        Server("eventhub-2", "wsgi:app", backend.app_env(), setup).start("/") as second,
    ):
        flow, why = scenarios.run(scenarios.probe_signup(backend, first.port, events["p"]))
        if flow is None:
            return [Row(name, "signup, one vs two app servers", why, status=NOT_YET)]
        results: dict[int, LoadResult] = {}
        for count, servers in ((1, [first]), (2, [first, second])):
            say(f"nodes: signup with {clients} clients on {count} app server(s)")
            event_id = events[str(count)]
            page, action = flow.action_for(event_id, events["p"])
            # A tag per server: each visitor's address is new, whichever server it uses.
            operations = [
                (server, scenarios.signup_operation(flow, page, action, f"nodes{count}s{i}"))
                for i, server in enumerate(servers)
            ]
            results[count] = scenarios.run(
                _split(operations, clients, sizes.warmup, sizes.duration, sizes.per_client)
            )
            stored = sum(scenarios.registrations_by_status(backend, event_id).values())
            row = scenarios.load_row(
                name, f"signup, {clients} clients, {count} app server(s)", results[count]
            )
            row.status = INFO
            if stored != results[count].total_ok:
                row.status = ERROR
                row.note = f"{results[count].total_ok} answered ok but {stored} stored"
            if count == 2:
                row.baseline = f"{ratio(results[2].rate, results[1].rate)} one server"
                row.data["ratio_to_one_server"] = (
                    round(results[2].rate / results[1].rate, 2) if results[1].rate else math.nan
                )
            row.note = (row.note + "; " if row.note else "") + setup.describe() + " each"
            if results[count].first_error:
                row.note += f"; first error: {results[count].first_error}"
            rows.append(row)
    return rows


async def _split(operations, clients: int, warmup, duration, per_client) -> LoadResult:
    """``clients`` visitors split evenly between the servers, measured together: the
    rate is the sum of the servers' rates over the same window."""
    k = len(operations)
    share = [clients // k + (i < clients % k) for i in range(k)]
    parts = await asyncio.gather(
        *(
            closed_loop(
                HOST,
                server.port,
                operation,
                clients=n,
                warmup=warmup,
                duration=duration,
                per_client=per_client,
            )
            for (server, operation), n in zip(operations, share, strict=True)
        )
    )
    seconds = max(p.seconds for p in parts)
    return LoadResult(
        clients=clients,
        seconds=seconds,
        completed=sum(round(p.rate * seconds) if p.seconds else 0 for p in parts),
        errors=sum(p.errors for p in parts),
        latencies=[t for p in parts for t in p.latencies],
        total_ok=sum(p.total_ok for p in parts),
        total_errors=sum(p.total_errors for p in parts),
        first_error=next((p.first_error for p in parts if p.first_error), None),
    )
