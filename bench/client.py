"""A small HTTP/1.1 client on asyncio streams, and the closed-loop load generator.

One event loop drives every simulated visitor, so 1,000 of them cost 1,000 sockets and no
threads. The parser handles what gunicorn sends (Content-Length or chunked bodies, keep-alive
or ``Connection: close``) and nothing more. Loopback only: the harness refuses other hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from json import dumps
from urllib.parse import urlencode

LOOPBACK = ("127.0.0.1", "localhost", "::1")
REQUEST_TIMEOUT = 30.0


class HTTPError(Exception):
    """The connection failed or the answer could not be read."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def all_headers(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key == name]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Connection:
    """One keep-alive connection with its own cookie jar (one simulated visitor)."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _used: bool = False

    def __post_init__(self) -> None:
        if self.host not in LOOPBACK:
            raise ValueError(f"the benchmark only talks to loopback, not {self.host}")

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._used = False

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def forget_cookies(self) -> None:
        self.cookies.clear()

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | Iterable[tuple[str, str]] | None = None,
        json: object | None = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Response:
        body = b""
        all_headers = {"Host": f"{self.host}:{self.port}", "User-Agent": "eventhub-bench"}
        if form is not None:
            body = urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if json is not None:
            body = dumps(json).encode()
            all_headers["Content-Type"] = "application/json"
        if body or method in ("POST", "PUT", "PATCH"):
            all_headers["Content-Length"] = str(len(body))
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in all_headers.items()
        )
        raw = head.encode("latin-1") + b"\r\n" + body
        try:
            return await asyncio.wait_for(self._exchange(raw), timeout)
        except TimeoutError as exc:
            await self.close()
            raise HTTPError(f"{method} {path}: no answer within {timeout:.0f} s") from exc

    async def _exchange(self, raw: bytes) -> Response:
        for attempt in (1, 2):
            reused = self._writer is not None and self._used
            if self._writer is None:
                await self._connect()
            assert self._writer is not None and self._reader is not None
            try:
                self._writer.write(raw)
                await self._writer.drain()
                response, keep_alive = await _read_response(self._reader)
            except (ConnectionError, asyncio.IncompleteReadError, EmptyResponse) as exc:
                await self.close()
                # A kept-alive connection the server closed while idle: send once more, as a
                # browser does. A fresh connection that fails is a real error.
                if reused and attempt == 1:
                    continue
                raise HTTPError(f"connection failed: {exc!r}") from exc
            self._used = True
            self._store_cookies(response)
            if not keep_alive:
                await self.close()
            return response
        raise AssertionError("unreachable")

    def _store_cookies(self, response: Response) -> None:
        for header in response.all_headers("set-cookie"):
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


class EmptyResponse(Exception):
    """The server closed the connection before answering."""


async def _read_response(reader: asyncio.StreamReader) -> tuple[Response, bool]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise EmptyResponse() from exc
        raise
    lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        if line:
            key, _, value = line.partition(":")
            headers.append((key.strip().lower(), value.strip()))
    hdr = dict(headers)
    if hdr.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    elif "content-length" in hdr:
        body = await reader.readexactly(int(hdr["content-length"]))
    elif int(status) in (204, 304) or 100 <= int(status) < 200:
        body = b""
    else:
        body = await reader.read()
        hdr["connection"] = "close"
    connection = hdr.get("connection", "").lower()
    keep_alive = connection != "close" and not (
        version == "HTTP/1.0" and connection != "keep-alive"
    )
    return Response(int(status), headers, body), keep_alive


# --- measuring ---------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class LoadResult:
    """What a closed-loop run saw inside its measuring window."""

    clients: int
    seconds: float
    completed: int  # operations that finished inside the window
    errors: int  # failed operations inside the window
    latencies: list[float]  # seconds, of completed operations
    total_ok: int  # successful operations over the whole run, warm-up included
    total_errors: int
    first_error: str | None = None

    @property
    def rate(self) -> float:
        if not self.seconds or math.isnan(self.seconds):
            return math.nan
        return self.completed / self.seconds

    def pct_ms(self, pct: float) -> float:
        return percentile(self.latencies, pct) * 1000

    def summary(self) -> dict:
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "completed": self.completed,
            "errors": self.errors,
            "rate_per_s": round(self.rate, 1),
            "p50_ms": round(self.pct_ms(50), 2),
            "p95_ms": round(self.pct_ms(95), 2),
            "p99_ms": round(self.pct_ms(99), 2),
            "total_ok": self.total_ok,
            "total_errors": self.total_errors,
            "first_error": self.first_error,
        }


Operation = Callable[[Connection, int, int], Awaitable[bool]]
"""One unit of work for one client: (connection, client number, iteration) -> succeeded."""


async def closed_loop(
    host: str,
    port: int,
    operation: Operation,
    *,
    clients: int,
    warmup: float,
    duration: float,
    per_client: int = 2,
    max_seconds: float = 30.0,
) -> LoadResult:
    """``clients`` visitors repeat ``operation`` back to back.

    Warm-up lasts ``warmup`` seconds and until every visitor has finished one operation (so
    a slow application is measured in its steady state, not its first burst). The window
    then lasts ``duration`` seconds, longer if needed to see ``per_client`` operations per
    visitor. Bounded: the whole run stops after ``max_seconds`` whatever happened, and every
    request has its own timeout.
    """
    start = time.perf_counter()
    hard_stop = start + max_seconds
    latencies: list[float] = []
    warmed: set[int] = set()
    state: dict = {
        "window_start": None,
        "window_end": None,
        "errors": 0,
        "total_ok": 0,
        "total_errors": 0,
        "first_error": None,
    }

    def finished(number: int, t0: float, t1: float, ok: bool, error: str | None) -> None:
        if ok:
            state["total_ok"] += 1
        else:
            state["total_errors"] += 1
            state["first_error"] = state["first_error"] or error
        if state["window_start"] is None:
            warmed.add(number)
            if len(warmed) == clients and t1 - start >= warmup:
                state["window_start"] = t1
            return
        if t0 < state["window_start"] or state["window_end"] is not None:
            return  # began in the warm-up, or ended after the window closed
        if ok:
            latencies.append(t1 - t0)
        else:
            state["errors"] += 1
        if t1 - state["window_start"] >= duration and len(latencies) >= per_client * clients:
            state["window_end"] = t1

    async def visitor(number: int) -> None:
        conn = Connection(host, port)
        iteration = 0
        try:
            while state["window_end"] is None and time.perf_counter() < hard_stop:
                t0 = time.perf_counter()
                iteration += 1
                try:
                    ok = await operation(conn, number, iteration)
                    error = None if ok else "operation reported failure"
                except HTTPError as exc:
                    ok, error = False, str(exc)
                    await conn.close()
                finished(number, t0, time.perf_counter(), ok, error)
        finally:
            await conn.close()

    await asyncio.gather(*(visitor(n) for n in range(clients)))
    window_start = state["window_start"] or hard_stop
    window_end = state["window_end"] or max(hard_stop, window_start)
    return LoadResult(
        clients=clients,
        seconds=max(window_end - window_start, 1e-9) if state["window_start"] else math.nan,
        completed=len(latencies),
        errors=state["errors"],
        latencies=latencies,
        total_ok=state["total_ok"],
        total_errors=state["total_errors"],
        first_error=state["first_error"],
    )


async def sequential(
    host: str, port: int, path: str, *, count: int, warmup: int = 5, headers=None
) -> tuple[list[float], list[Response]]:
    """One visitor asks for ``path`` ``count`` times on one kept-alive connection (service
    time without queueing). Returns latencies in seconds and the responses."""
    conn = Connection(host, port)
    latencies, responses = [], []
    try:
        for i in range(warmup + count):
            t0 = time.perf_counter()
            response = await conn.request("GET", path, headers=headers)
            elapsed = time.perf_counter() - t0
            if i >= warmup:
                latencies.append(elapsed)
                responses.append(response)
    finally:
        await conn.close()
    return latencies, responses
