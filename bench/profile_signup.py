"""Where a signup's Python time goes: N signups (GET the event page, POST the form) through
the Flask test client on SQLite, under cProfile.

    .venv/bin/python -m bench.profile_signup [-n 200] [--rounds 5] [--top 30] [--sort cumulative]

The app runs with the benchmark's production-like settings (bench/database.py: mail left to
the worker, rate limits counted in the database store, log level WARNING, no TESTING), on a
SQLite file in a temporary directory made with the real models. The first signups fill the
caches and are not profiled, as a warm gunicorn worker's would be. Prints the milliseconds
per signup (wall clock, without and with the profiler), the SQL statements per signup and the
functions that cost the most. On a shared machine compare the function calls per signup
(deterministic) and the CPU time of the fastest round; wall time also counts waiting for the
cores. Not a benchmark of the database: it measures what eventhub's Python adds to every
signup, and is cheap enough to run before and after each change.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import tempfile
import time
from pathlib import Path

from sqlalchemy import event as sa_event

from bench.datasets import DESCRIPTION

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WARM = 20


def make_app(directory: Path):
    from eventhub import create_app
    from eventhub.extensions import db

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{directory / 'profile.db'}",
            "SECRET_KEY": "profile-only-secret",
            "SITE_URL": "http://eventhub.bench",
            "MAIL_DELIVERY": "worker",
            "LOG_LEVEL": "WARNING",
            "SIGNUP_RATE_LIMIT": "100000000 per minute",
            "SERVER_NAME": "eventhub.bench",
        }
    )
    with app.app_context():
        db.create_all()
        event_id = _workshop()
    return app, event_id


def _workshop() -> int:
    from eventhub.core.models import EventKind
    from eventhub.extensions import db
    from tests import factories

    # Like the benchmark's hot event (bench/datasets.py): a project that collects the
    # voluntary background questions, a municipality, a description that needs escaping.
    place = factories.municipality()
    factories.organisation(confirmed=True)
    project = factories.project(organiser="Benchmark ry", collects_background=True)
    event = factories.event(
        kind=EventKind.WORKSHOP,
        capacity=100_000,
        project=project,
        municipality_id=place.id,
        venue="Kylätalo",
        description=DESCRIPTION,
    )
    db.session.commit()
    return event.id


def signup(client, event_id: int, i: int) -> None:
    page = client.get(f"/events/{event_id}")
    assert page.status_code == 200, page.status_code
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    answer = client.post(
        f"/events/{event_id}/register",
        data={
            "csrf_token": token,
            "name": f"Person {i}",
            "email": f"p{i}@example.fi",
            "consent": "y",
        },
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_signup")
    parser.add_argument("-n", type=int, default=200, help="signups per round and profiled")
    parser.add_argument("--rounds", type=int, default=5, help="rounds timed without profiler")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--callers", default="", help="print the callers of this function")
    args = parser.parse_args(argv)

    from eventhub.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app, event_id = make_app(Path(tmp))
        with app.app_context():
            engine = db.engine
        count = [0]

        def record(*_a):
            count[0] += 1

        sa_event.listen(engine, "after_cursor_execute", record)
        for i in range(WARM):  # a warm worker: caches filled, templates compiled
            signup(app.test_client(), event_id, i)

        # Without the profiler, in rounds: the fastest round is the figure least disturbed
        # by whatever else runs on the machine.
        count[0] = 0
        rounds = []
        done = WARM
        for _round in range(args.rounds):
            started, cpu = time.perf_counter(), time.process_time()
            for i in range(done, done + args.n):
                signup(app.test_client(), event_id, i)
            done += args.n
            rounds.append(
                ((time.process_time() - cpu) / args.n, (time.perf_counter() - started) / args.n)
            )
        plain_cpu, plain = min(rounds)
        median_cpu = sorted(r[0] for r in rounds)[len(rounds) // 2]
        statements = count[0] / (args.n * args.rounds)

        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for i in range(done, done + args.n):
            signup(app.test_client(), event_id, i)
        profiler.disable()
        profiled = (time.perf_counter() - started) / args.n

    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(
        f"{stats.total_calls / args.n:,.0f} Python function calls per signup (the steadiest "
        f"figure on a busy machine); "
        f"{args.rounds} x {args.n} signups (GET page + POST form): {plain_cpu * 1000:.2f} ms CPU "
        f"per signup in the fastest round (median {median_cpu * 1000:.2f}), {plain * 1000:.2f} ms "
        f"wall; {profiled * 1000:.2f} ms under the profiler; "
        f"{statements:.1f} SQL statements; load average {os.getloadavg()[0]:.2f}"
    )
    stats.sort_stats(args.sort).print_stats(args.top)
    if args.callers:
        stats.print_callers(args.callers)
    print(out.getvalue())


if __name__ == "__main__":
    main()
