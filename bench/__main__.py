"""``python -m bench`` (``make bench``): measure eventhub against baselines from the same run.

See docs/performance.md for what each figure means and what limits it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from pathlib import Path

from bench import database, report, scenarios
from bench.report import ERROR, Row
from bench.server import ServerSetup

GROUPS = {
    "requests": ("b1", "b2", "signup", "list", "flash", "memory", "checkin"),
    "feeds": ("b3", "feeds"),
    "indicators": ("indicators",),
    "imports": ("imports",),
    "nodes": ("nodes",),  # signup throughput, one app server vs two (bench/nodes.py)
}
NAMES = [name for names in GROUPS.values() for name in names]
RESULTS = Path(__file__).resolve().parent / "results.json"
TIME_LIMIT = {"quick": 300, "full": 1800}  # seconds; the harness stops itself after this


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Serve eventhub with gunicorn on 127.0.0.1 and measure it next to "
        "baselines measured in the same run.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"only these figures (repeat or comma-separate): {', '.join(NAMES)}. "
        "Baselines a figure is compared with are always measured.",
    )
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql", "both"), default="both", help="databases"
    )
    parser.add_argument("--workers", type=int, default=ServerSetup.workers)
    parser.add_argument(
        "--worker-class", choices=("sync", "gthread"), default=ServerSetup.worker_class
    )
    parser.add_argument("--threads", type=int, default=ServerSetup.threads)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    wanted = {n.strip() for item in args.only for n in item.split(",") if n.strip()}
    unknown = wanted - set(NAMES)
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(sorted(unknown))}; choose from {NAMES}")
    args.wanted = wanted or set(NAMES)
    if "signup" in args.wanted or "flash" in args.wanted:
        args.wanted |= {"b1", "b2"}
    if "feeds" in args.wanted:
        args.wanted.add("b3")
    if "memory" in args.wanted:
        args.wanted.add("flash")
    return args


def _stop(signum, _frame):
    raise SystemExit(f"stopped by signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = scenarios.Sizes.quick() if args.quick else scenarios.Sizes.full()
    setup = ServerSetup(args.workers, args.worker_class, args.threads)
    limit = TIME_LIMIT["quick" if args.quick else "full"]
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGALRM, lambda *_: _stop("time limit", None))
    signal.alarm(limit)

    started = time.monotonic()

    def say(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    meta = report.machine() | {
        "mode": "quick" if args.quick else "full",
        "server": setup.describe(),
        "figures": sorted(args.wanted),
        "sizes": sizes.__dict__,
    }
    names = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    rows: list[Row] = []
    try:
        for name in names:
            backend = database.postgresql() if name == "postgresql" else database.sqlite()
            try:
                say(f"{name}: creating the schema with flask db upgrade")
                backend.create()
                meta[f"{name}_version"] = backend.version()
                for group, members in GROUPS.items():
                    if not args.wanted & set(members):
                        continue
                    say(f"{name}: {group}")
                    runner = getattr(scenarios, f"{group}_group")
                    try:
                        rows += runner(backend, setup, sizes, args.wanted, say)
                    except Exception as exc:  # one broken group must not hide the others
                        traceback.print_exc()
                        rows.append(Row(name, group, f"failed: {exc!r}"[:200], status=ERROR))
            finally:
                backend.close()
    finally:
        signal.alarm(0)
        meta["duration_s"] = round(time.monotonic() - started, 1)
        print(file=sys.stderr)
        print(
            f"eventhub benchmark ({meta['mode']}), {setup.describe()}, {meta['cpus']} CPUs "
            f"{meta['cpu_model']}, {meta['memory_gib']} GiB, load average at start "
            f"{meta['load_average_at_start'][0]:.2f}, {meta['duration_s']} s\n"
        )
        report.print_table(rows)
        report.save(args.output, meta, rows)
        print(f"\nWritten to {args.output}")
    return 1 if any(r.status == ERROR for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
