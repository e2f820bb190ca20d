"""Killable worker processes: run a function on a payload with a hard deadline.

pyoxigraph cannot interrupt a running query, so the SPARQL endpoint evaluates in the web
process only queries whose work is provably small (:mod:`coopld.bounded`), and every other one
here. Each web process (the development server, or every gunicorn worker) forks
its own small pool lazily, on its first query, so the children inherit the loaded store
copy-on-write; nothing is forked in gunicorn's master. A request goes over a pipe as bytes,
the answer comes back as bytes. When the deadline passes, the child is killed (SIGKILL) and
a successor is forked at once, off the request path: a runaway query never keeps a worker busy.

Each child:

* closes every inherited descriptor except its own pipe (client sockets of the web process
  stay the web process's, and a child notices its parent's death as end-of-file);
* evaluates on a thread with a large stack (deeply nested queries need it: pyoxigraph's parser
  and evaluator recurse) and under an address-space limit (a query that explodes gets the
  child killed, not the machine);
* optionally cannot open network sockets at all (a seccomp filter refusing ``socket()`` for
  AF_INET/AF_INET6), the last line of defence behind the query analysis: no outbound fetch;
* reports, after a slow query, how much memory it no longer shares with its parent.

That last point matters: pyoxigraph's in-memory store writes to the pages a query reads
(reference counts), so a child that ran scans has turned much of the store it shared
copy-on-write into a private copy. A warm child is fast (its pages are already its own); a
cold one pays for copying them during its first scans. One warm child is kept for the whole
server: its pool holds a token (an abstract Unix socket name, bound by one process at a time
and freed by the kernel when that process dies) that every pool of the server knows; any other
child that becomes warm retires after answering, and a successor is forked off the request
path. So memory stays near one shared store plus one private copy, whatever the number of
web processes.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import pickle
import resource
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, Pipe
from typing import Any

__all__ = [
    "WorkerBusyError",
    "WorkerCrashedError",
    "WorkerPool",
    "WorkerTimeoutError",
    "network_isolation_supported",
]

log = logging.getLogger("coopld.workers")

#: stack of the evaluating thread in a child (virtual; pages are touched only by deep queries)
STACK_BYTES = 256 * 1024 * 1024
#: address space a child may add to what it inherited before an allocation fails
MEMORY_HEADROOM_BYTES = 2 * 1024 * 1024 * 1024
#: a child whose private memory grew by more than this is warm: one per pool may stay
WARM_BYTES = 48 * 1024 * 1024
#: and even that one retires past this (a leak, or a dataset whose copy is too big to keep)
WARM_LIMIT_BYTES = 1024 * 1024 * 1024
#: private memory is only measured after requests that took at least this long (lookups never)
HEAVY_SECONDS = 0.01
#: and every child retires after this many requests (slow leaks never accumulate)
RETIRE_AFTER_REQUESTS = 20000


class WorkerTimeoutError(Exception):
    """The deadline passed while the child was working; it has been killed."""


class WorkerBusyError(Exception):
    """No worker became free before the deadline."""


class WorkerCrashedError(Exception):
    """The child died while working (a signal, or an abort on a failed allocation)."""

    def __init__(self, message: str, signal_number: int | None) -> None:
        super().__init__(message)
        self.signal_number = signal_number


@dataclass
class _Child:
    pid: int
    conn: Connection
    served: int = 0
    warm: bool = False


class WorkerPool:
    """At most ``size`` children per process, forked on demand and killed at the deadline."""

    def __init__(
        self,
        handler: Callable[[Any], Any],
        size: int,
        *,
        isolate_network: bool = True,
        memory_headroom: int = MEMORY_HEADROOM_BYTES,
        warm_token: str | None = None,
    ) -> None:
        """``warm_token``: a name shared by the pools of one server (chosen before it forks)."""
        self.handler = handler
        self.size = max(1, size)
        self.isolate_network = isolate_network
        self.memory_headroom = memory_headroom
        self.warm_token = warm_token
        self._reset()

    def _reset(self) -> None:
        self._owner = os.getpid()
        self._cond = threading.Condition(threading.Lock())
        self._idle: list[_Child] = []
        self._live = 0
        self._warm: int | None = None  # the pid of the one child allowed to stay warm
        self._token: socket.socket | None = None
        self._closed = False
        self.forks = 0  # statistics, for tests and the benchmark
        self.kills = 0

    def _check_owner(self) -> None:
        # after a fork (a gunicorn worker forked from a preloading master), the children
        # belong to the parent; this process starts an empty pool of its own
        if self._owner != os.getpid():
            self._reset()

    # -- the public operation ---------------------------------------------------------
    def call(self, payload: Any, deadline: float) -> Any:
        """Run ``handler(payload)`` in a child; ``deadline`` is a ``time.monotonic()`` value."""
        self._check_owner()
        child = self._acquire(deadline)
        if deadline <= time.monotonic():
            self._release(child)
            raise WorkerBusyError("no query worker became free in time")
        try:
            child.conn.send_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not child.conn.poll(remaining):
                self._retire(child, kill=True)
                self.kills += 1
                self._replace_soon()
                raise WorkerTimeoutError("deadline passed")
            data = child.conn.recv_bytes()
        except (EOFError, OSError):
            signal_number = self._retire(child, kill=True)
            name = signal.Signals(signal_number).name if signal_number else "exit"
            raise WorkerCrashedError(f"query worker stopped ({name})", signal_number) from None
        ok, value, growth = pickle.loads(data)
        child.served += 1
        if self._keep(child, growth):
            self._release(child)
        else:
            self._retire(child, kill=True)
            self._replace_soon()
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop the idle children of this process (busy ones stop at end-of-file)."""
        if self._owner != os.getpid():
            return
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
        for child in idle:
            self._retire(child, kill=True)

    # -- bookkeeping ------------------------------------------------------------------
    def _keep(self, child: _Child, growth: int | None) -> bool:
        """May this child serve again? (One warm child per pool, within its limits.)"""
        if child.served >= RETIRE_AFTER_REQUESTS:
            return False
        if growth is None or growth <= WARM_BYTES:
            return True
        if growth > WARM_LIMIT_BYTES:
            return False
        with self._cond:
            if child.warm:
                return True
            if self._warm is None and self._claim_token():
                child.warm, self._warm = True, child.pid
                return True
        return False

    def _claim_token(self) -> bool:
        """The server-wide right to keep a warm child (always, without a shared name)."""
        if self.warm_token is None or not hasattr(socket, "AF_UNIX") or sys.platform != "linux":
            return True
        token = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            token.bind("\0" + self.warm_token)  # the abstract namespace: no file
        except OSError:
            token.close()
            return False
        self._token = token
        return True

    def _release_token(self) -> None:
        if self._token is not None:
            self._token.close()
            self._token = None

    def _acquire(self, deadline: float) -> _Child:
        with self._cond:
            while not self._idle and self._live >= self.size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerBusyError("every query worker is busy")
                self._cond.wait(remaining)
            if self._idle:
                for index, child in enumerate(self._idle):
                    if child.warm:  # the warm child first: its pages are its own already
                        return self._idle.pop(index)
                return self._idle.pop()  # else LIFO: the most recently used child
            self._live += 1
        try:
            return self._fork()
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise

    def _release(self, child: _Child) -> None:
        with self._cond:
            self._idle.append(child)
            self._cond.notify()

    def _retire(self, child: _Child, *, kill: bool) -> int | None:
        """Stop and reap a child; the signal that ended it, if any."""
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)
        child.conn.close()
        signal_number = None
        try:
            _, status = os.waitpid(child.pid, 0)
            if os.WIFSIGNALED(status):
                signal_number = os.WTERMSIG(status)
        except ChildProcessError:
            pass
        with self._cond:
            self._live -= 1
            if self._warm == child.pid:
                self._warm = None
                self._release_token()
            self._cond.notify()
        return None if kill and signal_number == signal.SIGKILL else signal_number

    def _replace_soon(self) -> None:
        """Fork a successor off the request path, so the next query does not wait for it."""
        threading.Thread(target=self._prefork, name="coopld-fork", daemon=True).start()

    def _prefork(self) -> None:
        with self._cond:
            if self._closed or self._owner != os.getpid() or self._live >= self.size:
                return
            self._live += 1
        try:
            child = self._fork()
        except OSError:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            return
        self._release(child)

    def _fork(self) -> _Child:
        parent_end, child_end = Pipe(duplex=True)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            try:
                parent_end.close()
                _child_main(child_end, self.handler, self.isolate_network, self.memory_headroom)
            finally:
                os._exit(0)
        child_end.close()
        self.forks += 1
        return _Child(pid, parent_end)


# -- the child --------------------------------------------------------------------------
def _child_main(
    conn: Connection, handler: Callable[[Any], Any], isolate_network: bool, headroom: int
) -> None:  # pragma: no cover - runs in the child
    keep = conn.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent; we follow at EOF
    gc.freeze()  # the collector never walks (and so never copies) the inherited objects
    if isolate_network:
        _deny_network_sockets()
    threading.stack_size(STACK_BYTES)
    worker = threading.Thread(target=_serve, args=(conn, handler), name="coopld-query")
    worker.start()
    _limit_address_space(headroom)
    worker.join()


def _serve(conn: Connection, handler: Callable[[Any], Any]) -> None:  # pragma: no cover
    baseline = _private_bytes()
    while True:
        try:
            payload = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            os._exit(0)
        started = time.monotonic()
        try:
            answer: tuple[bool, Any] = (True, handler(payload))
        except Exception as exc:  # reported to the parent, which decides what it means
            answer = (False, exc)
        heavy = time.monotonic() - started >= HEAVY_SECONDS
        if heavy:
            _LIBC.malloc_trim(0)  # give back what the query allocated and freed
        growth = _private_bytes() - baseline if heavy else None
        try:
            data = pickle.dumps((*answer, growth), protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            data = pickle.dumps((False, RuntimeError(f"unpicklable answer: {exc}"), growth))
        conn.send_bytes(data)


_LIBC = ctypes.CDLL(None)


def _private_bytes() -> int:
    """Memory this process does not share with its parent (copied or allocated since)."""
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as rollup:
            fields = dict(line.split(":", 1) for line in rollup.read().splitlines()[1:])
        return (
            sum(int(fields[name].split()[0]) for name in ("Private_Clean", "Private_Dirty")) * 1024
        )
    except (OSError, KeyError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _limit_address_space(headroom: int) -> None:  # pragma: no cover - child only
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            mapped = int(statm.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (mapped + headroom, mapped + headroom))
    except (OSError, ValueError):
        pass


# -- no network: a seccomp filter that refuses socket(AF_INET | AF_INET6, ...) -----------------
_AUDIT_ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # (arch, __NR_socket)


def network_isolation_supported() -> bool:
    return sys.platform == "linux" and os.uname().machine in _AUDIT_ARCH


def _deny_network_sockets() -> bool:  # pragma: no cover - child only
    """Install the filter in this process (inherited by its threads); False if unsupported."""
    if not network_isolation_supported():
        return False
    arch, nr_socket = _AUDIT_ARCH[os.uname().machine]
    bpf_ld_w_abs, bpf_jeq_k, bpf_ret_k = 0x20, 0x15, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | 13  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EACCES
    program = [
        (bpf_ld_w_abs, 0, 0, 4),  # seccomp_data.arch
        (bpf_jeq_k, 0, 5, arch),  # another ABI: allow (the filter is about this one)
        (bpf_ld_w_abs, 0, 0, 0),  # seccomp_data.nr
        (bpf_jeq_k, 0, 3, nr_socket),
        (bpf_ld_w_abs, 0, 0, 16),  # seccomp_data.args[0], the address family
        (bpf_jeq_k, 2, 0, 2),  # AF_INET
        (bpf_jeq_k, 1, 0, 10),  # AF_INET6
        (bpf_ret_k, 0, 0, allow),
        (bpf_ret_k, 0, 0, deny),
    ]
    filters = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(filters)
    fprog = struct.pack("HxxxxxxP", len(program), ctypes.addressof(buffer))
    fprog_buffer = ctypes.create_string_buffer(fprog)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    libc.prctl.restype = ctypes.c_int
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        return False
    return bool(
        libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.addressof(fprog_buffer), 0, 0) == 0
    )
