"""Start and stop gunicorn for one measurement, and read what its workers use.

Each server runs in a session of its own, so stopping it stops exactly its master and its
workers (by process group id), and an ``atexit`` hook stops whatever is still running if the
harness dies half way.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

_running: set[subprocess.Popen] = set()


@dataclass(frozen=True)
class ServerSetup:
    """The gunicorn setup every server of a run shares, baselines included."""

    workers: int = 4
    worker_class: str = "gthread"
    threads: int = 4
    keep_alive: int = 5
    backlog: int = 2048

    def args(self) -> list[str]:
        args = [
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--keep-alive",
            str(self.keep_alive),
            "--backlog",
            str(self.backlog),
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            # gunicorn >= 24 opens a control socket at one fixed path per user; two servers
            # of the harness (and anyone else's) would fight over it.
            "--no-control-socket",
        ]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args

    def describe(self) -> str:
        threads = f" x {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.workers} {self.worker_class} workers{threads}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: ``port``, master ``pid``, and its log for when things go wrong."""

    name: str
    app: str
    env: dict[str, str]
    setup: ServerSetup
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    _log: object = field(default=None, repr=False)

    def start(self, ready_path: str = "/") -> Server:
        self.port = free_port()
        fd, log_name = tempfile.mkstemp(prefix=f"bench-{self.name}-", suffix=".log")
        self.log_path = Path(log_name)
        self._log = os.fdopen(fd, "w")
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--chdir",
            str(ROOT),
            *self.setup.args(),
            self.app,
        ]
        self.process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _running.add(self.process)
        self._wait_ready(ready_path)
        return self

    def _wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        url = f"http://127.0.0.1:{self.port}{path}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
                    answer.read()
                if len(self.worker_pids()) >= self.setup.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer {url} within {START_TIMEOUT:.0f} s")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pids = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                pids += [int(p) for p in (task / "children").read_text().split()]
        return pids

    def reset_peak_memory(self) -> bool:
        """Set each worker's peak resident size back to its current size (Linux >= 4.0)."""
        done = True
        for pid in self.worker_pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                done = False
        return done

    def peak_memory_mb(self) -> dict[int, float]:
        """Peak resident size (VmHWM) of each worker, in MiB."""
        peaks = {}
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks[pid] = int(line.split()[1]) / 1024
        return peaks

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None:
            return ""
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            _terminate(process)
            _running.discard(process)
        if self._log is not None:
            self._log.close()
            self._log = None

    def remove_log(self) -> None:
        if self.log_path is not None:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        if exc[0] is None:
            self.remove_log()


def _terminate(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL if it has not gone in time."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)


@atexit.register
def _stop_everything() -> None:
    for process in list(_running):
        _terminate(process)
        _running.discard(process)
