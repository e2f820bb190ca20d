"""The load generators: a Python thread pool of keep-alive connections, or Debian's wrk.

Python (always there): each cell runs ``concurrency`` threads, each with its own
``http.client`` connection to 127.0.0.1, cycling through a list of requests until ``duration``
seconds have passed or ``max_requests`` have been sent; requests in flight at the deadline are
finished and counted. A connection the server closes (gunicorn's sync workers close after
every response) is reopened, and that is timed too. It costs ~0.1 ms of client CPU per request,
taken from the same two cores as the server: the ``client_cores`` figure shows how much.

wrk (``make bench`` installs it from Debian): the same rotation of requests from a Lua script,
``concurrency`` connections over at most two threads, at a fraction of the client CPU;
requests still in flight at the deadline are not counted.
"""

from __future__ import annotations

import http.client
import itertools
import math
import resource
import secrets
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from resource import RUSAGE_CHILDREN, RUSAGE_SELF
from typing import Any

from .servers import TICKS, Server, cpu_ticks, machine_busy_ticks

__all__ = [
    "Cell",
    "Request",
    "fetch",
    "percentile",
    "run_cell",
    "run_cell_wrk",
    "unique_suffix",
    "wrk_script",
]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Cell:
    """What one (server, workload, concurrency) cell measured."""

    concurrency: int
    client: str = "python"
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    statuses: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    client_cores: float = 0.0
    server_cores: float = 0.0
    other_cores: float = 0.0

    @property
    def throughput(self) -> float:
        ok = self.requests - self.errors
        return ok / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "client": self.client,
            "requests": self.requests,
            "errors": self.errors,
            "statuses": dict(sorted(self.statuses.items())),
            "seconds": round(self.seconds, 3),
            "throughput": round(self.throughput, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "mean_bytes": round(self.bytes / self.requests) if self.requests else 0,
            "client_cores": round(self.client_cores, 2),
            "server_cores": round(self.server_cores, 2),
            "other_cores": round(self.other_cores, 2),
        }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in the unit of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def fetch(port: int, request: Request, timeout: float = 60.0) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection: status, headers (lower-case names), body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", request.path, headers=request.headers)
        response = conn.getresponse()
        body = response.read()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, body
    finally:
        conn.close()


def unique_suffix(nonce: str, index: int) -> str:
    """A SPARQL comment closing the ``query`` parameter: a new text, the same query."""
    return f"%0A%23%20{nonce}-{index}"


def _client(
    port: int,
    requests: list[Request],
    unique: str,
    counter: itertools.count[int],
    deadline: float,
    max_requests: int,
    timeout: float,
    out: list[tuple[float, int, int]],
) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        while time.monotonic() < deadline:
            index = next(counter)  # atomic under the GIL
            if index >= max_requests:
                break
            request = requests[index % len(requests)]
            path = request.path + (unique_suffix(unique, index) if unique else "")
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=request.headers)
                response = conn.getresponse()
                size = len(response.read())
                status = response.status
                if response.will_close:
                    conn.close()  # reopened by the next request
            except (OSError, http.client.HTTPException):
                status, size = 0, 0
                conn.close()
            out.append((time.perf_counter() - started, status, size))
    finally:
        conn.close()


class _Usage:
    """CPU of the server's processes, of this process and its reaped children, and of all."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.started = time.monotonic()
        self.server_ticks = cpu_ticks(server.pids())
        self.busy_ticks = machine_busy_ticks()
        self.client = self._client()

    @staticmethod
    def _client() -> float:
        own, children = (resource.getrusage(who) for who in (RUSAGE_SELF, RUSAGE_CHILDREN))
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    def fill(self, cell: Cell) -> None:
        elapsed = time.monotonic() - self.started
        cell.client_cores = (self._client() - self.client) / elapsed
        cell.server_cores = (cpu_ticks(self.server.pids()) - self.server_ticks) / TICKS / elapsed
        busy = (machine_busy_ticks() - self.busy_ticks) / TICKS / elapsed
        cell.other_cores = max(0.0, busy - cell.client_cores - cell.server_cores)


def run_cell(
    server: Server,
    requests: list[Request],
    concurrency: int,
    duration: float,
    max_requests: int,
    timeout: float = 60.0,
    unique: bool = False,
) -> Cell:
    """The Python client: ``concurrency`` threads, one keep-alive connection each."""
    samples: list[tuple[float, int, int]] = []
    counter = itertools.count()
    nonce = secrets.token_hex(4) if unique else ""
    usage = _Usage(server)
    started = time.monotonic()
    deadline = started + duration
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench") as pool:
        args = (server.port, requests, nonce, counter, deadline, max_requests, timeout, samples)
        futures = [pool.submit(_client, *args) for _ in range(concurrency)]
        for future in futures:
            future.result()
    cell = Cell(concurrency, seconds=time.monotonic() - started)
    usage.fill(cell)
    latencies = []
    for latency, status, size in samples:
        cell.requests += 1
        cell.statuses[str(status)] = cell.statuses.get(str(status), 0) + 1
        cell.bytes += size
        if 200 <= status < 300:
            latencies.append(latency * 1000)
        else:
            cell.errors += 1
    cell.p50_ms, cell.p99_ms = percentile(latencies, 50), percentile(latencies, 99)
    return cell


# -- wrk -------------------------------------------------------------------------------------

_WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH %d %d %d %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _lua(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_script(requests: list[Request], port: int, threads: int, nonce: str) -> str:
    """A Lua script for wrk that cycles through the requests and prints one result line.

    Each thread takes every ``threads``-th request from its own offset, so the threads never
    send the same request at the same time; with a ``nonce`` every request text is unique.
    """
    paths, headers = [], []
    for request in requests:
        fields = {"Host": f"{HOST}:{port}", **request.headers}  # wrk.format adds none here
        paths.append(f"  {_lua(request.path)},")
        headers.append(
            "  {" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in fields.items()) + "},"
        )
    return "\n".join(
        [
            "local paths = {",
            *paths,
            "}",
            "local headers = {",
            *headers,
            "}",
            f"local threads, nonce = {threads}, {_lua(nonce)}",
            "local counter, started = 0, 0",
            "setup = function(thread)",
            "  thread:set('id', started)",
            "  started = started + 1",
            "end",
            "request = function()",
            "  local i = counter * threads + (id or 0)",
            "  counter = counter + 1",
            "  local k = i % #paths + 1",
            "  local path = paths[k]",
            "  if nonce ~= '' then",
            "    path = path .. '%0A%23%20' .. nonce .. '-' .. i",
            "  end",
            "  return wrk.format('GET', path, headers[k])",
            "end",
            _WRK_DONE,
        ]
    )


def run_cell_wrk(
    server: Server,
    requests: list[Request],
    concurrency: int,
    duration: float,
    timeout: float,
    script_dir: Path,
    unique: bool = False,
) -> Cell:
    """wrk (Debian's package): ``concurrency`` connections over at most two threads."""
    script_dir.mkdir(parents=True, exist_ok=True)
    script = script_dir / f"wrk-{server.port}.lua"
    threads = min(concurrency, 2)
    nonce = secrets.token_hex(4) if unique else ""
    script.write_text(wrk_script(requests, server.port, threads, nonce))
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={max(1, round(timeout))}s",
        "-s",
        str(script),
        f"http://{HOST}:{server.port}/",
    ]
    usage = _Usage(server)
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + timeout + 30, check=False
    )
    cell = Cell(concurrency, client="wrk")
    usage.fill(cell)
    line = next((x for x in run.stdout.splitlines() if x.startswith("BENCH ")), None)
    if run.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({run.returncode}): {run.stderr.strip()[-300:]}")
    values = [int(x) for x in line.split()[1:]]
    count, micros, size, connect, read, write, status, timeouts, p50, p99 = values
    cell.requests, cell.seconds, cell.bytes = count, micros / 1e6, size
    cell.errors = status + timeouts
    cell.statuses = {"non-2xx/3xx": status, "timeout": timeouts, "socket": connect + read + write}
    cell.p50_ms, cell.p99_ms = p50 / 1000, p99 / 1000
    return cell
