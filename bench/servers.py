"""Start, watch and stop the servers under test: coopld (gunicorn) and the Oxigraph reference.

Every server runs in its own process group on 127.0.0.1 and a free port; ``Server.stop`` ends
the group (SIGTERM, then SIGKILL) and any process of its tree that left the group.
Memory and CPU come from /proc: PSS and RSS from ``smaps_rollup``, CPU from ``stat``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Server",
    "cpu_ticks",
    "free_port",
    "load_oxigraph",
    "machine_busy_ticks",
    "memory",
    "process_tree",
    "start_coopld",
    "start_oxigraph",
]

ROOT = Path(__file__).resolve().parent.parent
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    started: float  # time.monotonic() just before the process was spawned
    log: Path
    known: dict[int, int] = field(default_factory=dict)  # pid -> its start time

    def alive(self) -> bool:
        return self.process.poll() is None

    def pids(self) -> list[int]:
        tree = process_tree(self.process.pid)
        for pid in tree:
            self.known.setdefault(pid, _start_time(pid))
        return tree

    def stop(self) -> None:
        """End the process group, then whatever of the tree is left; never anything else."""
        self.pids()
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            for pid, start in sorted(self.known.items()):
                if pid != self.process.pid and _start_time(pid) == start:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, sig)  # a process of the tree that left the group
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.process.poll()


def _start_time(pid: int) -> int:
    """The process's start time (ticks since boot): with the pid, it names one process."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return -1


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants that are alive now."""
    children = _children()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        if Path(f"/proc/{pid}").exists():
            tree.append(pid)
        todo.extend(children.get(pid, []))
    return sorted(tree)


def _rollup(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in kB, from /proc/<pid>/smaps_rollup; (0, 0) if it is gone."""
    pss = rss = 0
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
        elif line.startswith("Rss:"):
            rss = int(line.split()[1])
    return pss, rss


def memory(pids: list[int]) -> dict[str, Any]:
    """PSS and RSS in MB summed over the processes (PSS shares pages fairly between them),
    and PSS by depth in the tree of the first (the root): [root, its children, the rest]."""
    children = _children()
    depth = {pids[0]: 0} if pids else {}
    todo = list(depth)
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            depth[child] = min(depth[pid] + 1, 2)
            todo.append(child)
    pss = rss = 0
    by_depth = [0, 0, 0]
    for pid in pids:
        p, r = _rollup(pid)
        pss, rss = pss + p, rss + r
        by_depth[depth.get(pid, 2)] += p
    return {
        "pss_mb": round(pss / 1024, 1),
        "rss_mb": round(rss / 1024, 1),
        "processes": len(pids),
        "pss_by_depth_mb": [round(x / 1024) for x in by_depth],
    }


def cpu_ticks(pids: list[int]) -> int:
    """utime + stime (clock ticks) of the processes, including their reaped children."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total


def machine_busy_ticks() -> int:
    """Busy ticks of the whole machine (all cores): everything but idle and iowait."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(x) for x in fields]
    return sum(values) - values[3] - values[4]


def _spawn(name: str, command: list[str], port: int, log_dir: Path) -> Server:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}-{port}.log"
    stream = log.open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=stream,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, ended as a whole
    )
    stream.close()
    server = Server(name, process, port, started, log)
    server.pids()
    return server


def start_coopld(build: Path, port: int, workers: int, log_dir: Path) -> Server:
    command = [
        sys.executable,
        "-m",
        "coopld",
        "serve",
        "--workers",
        str(workers),
        "--out",
        str(build),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return _spawn("coopld", command, port, log_dir)


def load_oxigraph(nq: Path, location: Path, log_dir: Path) -> float:
    """``oxigraph load`` into a fresh RocksDB folder; returns the seconds it took."""
    shutil.rmtree(location, ignore_errors=True)
    location.parent.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (log_dir / "oxigraph-load.log").open("wb") as log:
        subprocess.run(
            [str(OXIGRAPH), "load", "--location", str(location), "--file", str(nq)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=900,
        )
    return time.monotonic() - started


def start_oxigraph(location: Path, port: int, log_dir: Path) -> Server:
    command = [
        str(OXIGRAPH),
        "serve-read-only",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    return _spawn("oxigraph", command, port, log_dir)
