"""Killable query evaluation: one child process with a few evaluating threads, hard deadlines.

pyoxigraph cannot interrupt a running query, so the SPARQL endpoint evaluates in the web
process only queries whose work is provably small (:mod:`coopld.bounded`), and every other one
in a child process forked from the process that holds the store (it inherits the store
copy-on-write). A request goes over a pipe as bytes, the answer comes back as bytes.

One child evaluates up to ``size`` queries at once, each on a thread of its own (pyoxigraph
lets go of the GIL while it evaluates, so the threads use every core). Why threads in one child
rather than a child per query: pyoxigraph's in-memory store writes to the pages a query reads
(reference counts), so a process that scans turns much of the store it shared copy-on-write
into a private copy (~270 MB at a million triples). Threads share that one copy: it is paid
once, and every query after it runs on warm pages.

When a query's deadline passes, the child is killed (SIGKILL) and a successor forked at once;
the other queries the child was evaluating are sent again to the successor, each with what
remains of its own deadline: a runaway query never keeps the pool busy and never takes
another client's query down with it. When the child dies by itself (a signal: the stack of a
deeply nested query, an abort on an allocation past its memory limit) while evaluating one
query, that query caused it; while evaluating several, each runs again alone in a child of its
own, so the query that crashes again is the one reported and the others are answered.

One pool serves the whole server. Under gunicorn it lives in a small process of its own (see
:func:`start_pool_server`), forked from the master once the dataset is loaded and before the
web workers; each web worker reaches it over a Unix socket (:class:`RemotePool`), and falls back
to a pool of its own if that process is ever gone. The development server, and an app made in
tests, keep the pool in their own process.

The child:

* closes every inherited descriptor except its own pipe (client sockets of the web process
  stay the web process's, and a child notices its parent's death as end-of-file);
* evaluates on threads with a large stack (deeply nested queries need it: pyoxigraph's parser
  and evaluator recurse) and under an address-space limit (a query that explodes gets the
  child killed, not the machine);
* optionally cannot open network sockets at all (a seccomp filter refusing ``socket()`` for
  AF_INET/AF_INET6), the last line of defence behind the query analysis: no outbound fetch;
* reports, after a slow query, how much memory it no longer shares with its parent, and is
  replaced past a limit (a leak, or a dataset whose copy is too big to keep).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import itertools
import logging
import os
import pickle
import queue
import resource
import secrets
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import AuthenticationError
from multiprocessing.connection import (
    Client,
    Connection,
    Pipe,
    answer_challenge,
    deliver_challenge,
)
from typing import Any

__all__ = [
    "PoolAddress",
    "RemotePool",
    "WorkerBusyError",
    "WorkerCrashedError",
    "WorkerPool",
    "WorkerTimeoutError",
    "network_isolation_supported",
    "start_pool_server",
]

log = logging.getLogger("coopld.workers")

#: stack of each evaluating thread in a child (virtual; pages are touched only by deep queries)
STACK_BYTES = 256 * 1024 * 1024
#: address space a child may add to what it inherited before an allocation fails
MEMORY_HEADROOM_BYTES = 2 * 1024 * 1024 * 1024
#: a child whose private memory grew past this is replaced once it is idle
GROWTH_LIMIT_BYTES = 1024 * 1024 * 1024
#: private memory is only measured after requests that took at least this long (lookups never)
HEAVY_SECONDS = 0.01
#: and every child retires after this many requests (slow leaks never accumulate)
RETIRE_AFTER_REQUESTS = 20000
#: how long a web process waits past a deadline for the pool server's own answer to it
REMOTE_GRACE_SECONDS = 2.0

_ANSWER = struct.Struct("<Qq")  # child -> pool: request number, growth in bytes (-1: not measured)
_REQUEST = struct.Struct("<Q")  # pool -> child: request number
_DEADLINE = struct.Struct("<d")  # web process -> pool server: time.monotonic() deadline


class WorkerTimeoutError(Exception):
    """The deadline passed while the query was being evaluated; its child has been killed."""


class WorkerBusyError(Exception):
    """No evaluation slot became free before the deadline."""


class WorkerCrashedError(Exception):
    """The child died while evaluating (a signal, or an abort on a failed allocation)."""

    def __init__(self, message: str, signal_number: int | None) -> None:
        super().__init__(message)
        self.signal_number = signal_number

    def __reduce__(self) -> tuple[Any, ...]:  # it crosses processes (RemotePool)
        return (type(self), (str(self), self.signal_number))


@dataclass(eq=False)
class _Call:
    payload: bytes  # pickled
    solo: bool = False  # evaluated alone, in a child of its own
    done: threading.Event = field(default_factory=threading.Event)
    answer: bytes | None = None  # pickled (ok, value)
    error: BaseException | None = None
    child: _Child | None = None
    number: int = 0


@dataclass(eq=False)
class _Child:
    pid: int
    conn: Connection
    solo: bool
    calls: dict[int, _Call] = field(default_factory=dict)
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    served: int = 0
    retiring: bool = False  # takes no new calls; stopped once idle
    killed: bool = False  # stopped by the pool: the calls it still had are not to blame
    dead: bool = False


class WorkerPool:
    """Up to ``size`` queries at once, in one child forked on demand and killed at a deadline."""

    def __init__(
        self,
        handler: Callable[[Any], Any],
        size: int,
        *,
        isolate_network: bool = True,
        memory_headroom: int = MEMORY_HEADROOM_BYTES,
    ) -> None:
        self.handler = handler
        self.size = max(1, size)
        self.isolate_network = isolate_network
        self.memory_headroom = memory_headroom
        self._reset()

    def _reset(self) -> None:
        self._owner = os.getpid()
        self._cond = threading.Condition(threading.Lock())
        self._fork_lock = threading.Lock()
        self._child: _Child | None = None  # the child new calls go to
        self._children: set[_Child] = set()
        self._busy = 0  # calls holding an evaluation slot
        self._numbers = itertools.count(1)
        self._closed = False
        self.forks = 0  # statistics, for tests and the benchmark
        self.kills = 0

    def _check_owner(self) -> None:
        # after a fork (a gunicorn worker forked from a preloading master), the children
        # belong to the parent; this process starts an empty pool of its own
        if self._owner != os.getpid():
            self._reset()

    # -- the public operations --------------------------------------------------------
    def call(self, payload: Any, deadline: float) -> Any:
        """``handler(payload)`` in a child; ``deadline`` is a ``time.monotonic()`` value."""
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        return _unpacked(self.call_pickled(data, deadline))

    def call_pickled(self, payload: bytes, deadline: float) -> bytes:
        """The same with the payload pickled, and the handler's ``(ok, value)`` pickled back."""
        self._check_owner()
        call = _Call(payload)
        self._take_slot(deadline)
        try:
            self._dispatch(call)
            if not call.done.wait(max(0.0, deadline - time.monotonic())):
                self._abandon(call)
        finally:
            self._give_slot()
        if call.error is not None:
            raise call.error
        assert call.answer is not None
        return call.answer

    def prefork(self) -> None:
        """Fork the child now, so that the first query does not wait for it."""
        self._check_owner()
        with contextlib.suppress(OSError, WorkerCrashedError):  # closed meanwhile
            self._shared_child()

    def close(self) -> None:
        """Stop every child of this pool; calls still waiting fail."""
        if self._owner != os.getpid():
            return
        with self._cond:
            self._closed = True
            children, self._child = list(self._children), None
            for child in children:
                child.killed = True
        for child in children:
            self._stop(child)

    # -- slots ------------------------------------------------------------------------
    def _take_slot(self, deadline: float) -> None:
        with self._cond:
            while self._busy >= self.size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerBusyError("every query evaluation slot is busy")
                self._cond.wait(remaining)
            self._busy += 1

    def _give_slot(self) -> None:
        with self._cond:
            self._busy -= 1
            self._cond.notify()

    # -- children ---------------------------------------------------------------------
    def _shared_child(self) -> _Child:
        with self._fork_lock:
            with self._cond:
                child = self._child
                if child is not None and not (child.dead or child.retiring or child.killed):
                    return child
                if self._closed:
                    raise WorkerCrashedError("the query pool is closed", None)
            child = self._fork(self.size, solo=False)
            with self._cond:
                self._child = child
            return child

    def _dispatch(self, call: _Call) -> None:
        """Send the call to a child (forking one if needed); failures end the call."""
        while not call.done.is_set():
            try:
                child = self._fork(1, solo=True) if call.solo else self._shared_child()
            except (OSError, WorkerCrashedError) as exc:
                self._finish(call, error=_as_crash(exc))
                return
            with self._cond:
                if call.done.is_set():  # abandoned at its deadline meanwhile
                    if call.solo:
                        self._stop(child)
                    return
                if child.dead or child.killed:
                    continue  # it died between: another one
                call.number, call.child = next(self._numbers), child
                child.calls[call.number] = call
            try:
                with child.send_lock:
                    child.conn.send_bytes(_REQUEST.pack(call.number) + call.payload)
            except OSError:
                pass  # the child is gone: its reader sends the call on, or ends it
            return

    def _finish(
        self, call: _Call, *, answer: bytes | None = None, error: BaseException | None = None
    ) -> None:
        with self._cond:
            if call.done.is_set():
                return
            call.answer, call.error = answer, error
            call.done.set()

    def _abandon(self, call: _Call) -> None:
        """The deadline passed: end the call, and kill the child evaluating it."""
        with self._cond:
            if call.done.is_set():
                return  # answered just now
            call.error = WorkerTimeoutError("deadline passed")
            call.done.set()
            child = call.child
            if child is None or child.calls.pop(call.number, None) is None:
                return  # between two children: nothing to kill
            self._detach(child)
        self._stop(child)
        self.kills += 1
        if not child.solo:
            self._replace_soon()

    def _detach(self, child: _Child) -> None:
        """Take ``child`` out of service before the pool kills it (hold ``_cond``)."""
        child.killed = True
        if self._child is child:
            self._child = None

    def _stop(self, child: _Child) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)

    def _replace_soon(self) -> None:
        """Fork a successor off the request path, so the next query does not wait for it."""
        threading.Thread(target=self.prefork, name="coopld-fork", daemon=True).start()

    def _fork(self, threads: int, *, solo: bool) -> _Child:
        parent_end, child_end = Pipe(duplex=True)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns
            try:
                parent_end.close()
                _child_main(
                    child_end, self.handler, threads, self.isolate_network, self.memory_headroom
                )
            finally:
                os._exit(0)
        child_end.close()
        child = _Child(pid, parent_end, solo)
        with self._cond:
            self._children.add(child)
            self.forks += 1
            if self._closed:
                child.killed = True
                self._stop(child)
        threading.Thread(
            target=self._read, args=(child,), name=f"coopld-pool-{pid}", daemon=True
        ).start()
        return child

    def _read(self, child: _Child) -> None:
        """Hand each answer of ``child`` to its call; when the child ends, its calls on."""
        while True:
            try:
                data = child.conn.recv_bytes()
            except (EOFError, OSError):
                break
            number, growth = _ANSWER.unpack_from(data)
            with self._cond:
                call = child.calls.pop(number, None)
                child.served += 1
                if child.solo or child.served >= RETIRE_AFTER_REQUESTS:
                    child.retiring = True
                elif growth > GROWTH_LIMIT_BYTES:
                    log.warning("query worker %d retires: %d MB private", child.pid, growth >> 20)
                    child.retiring = True
                if call is not None and not call.done.is_set():
                    call.answer = data[_ANSWER.size :]
                    call.done.set()
                idle_retired = child.retiring and not child.calls
                if idle_retired:
                    self._detach(child)
            if idle_retired:
                self._stop(child)
                if not child.solo:
                    self._replace_soon()
        signal_number = self._reap(child)
        with self._cond:
            child.dead = True
            self._children.discard(child)
            if self._child is child:
                self._child = None
            orphans = [call for call in child.calls.values() if not call.done.is_set()]
            child.calls.clear()
            closed = self._closed
        if not orphans:
            return
        if closed:
            for call in orphans:
                self._finish(call, error=WorkerCrashedError("the query pool is closed", None))
        elif child.killed:  # killed for another call's deadline: these are not to blame
            for call in orphans:
                self._dispatch(call)
        elif len(orphans) == 1:
            name = signal.Signals(signal_number).name if signal_number else "exit"
            error = WorkerCrashedError(f"query worker stopped ({name})", signal_number)
            self._finish(orphans[0], error=error)
        else:  # which one was it? each runs again alone
            for call in orphans:
                call.solo = True
                self._dispatch(call)
        if not child.solo and not closed:
            self._replace_soon()

    def _reap(self, child: _Child) -> int | None:
        """Wait for the child; the signal that ended it, if any."""
        child.conn.close()
        try:
            _, status = os.waitpid(child.pid, 0)
        except ChildProcessError:
            return None
        return os.WTERMSIG(status) if os.WIFSIGNALED(status) else None


def _unpacked(data: bytes) -> Any:
    """The handler's value from its pickled ``(ok, value)``; its exception raised if not ok."""
    ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value


def _as_crash(exc: BaseException) -> WorkerCrashedError:
    if isinstance(exc, WorkerCrashedError):
        return exc
    return WorkerCrashedError(f"no query worker could be started ({exc})", None)


# -- one pool for the whole server -----------------------------------------------------------
@dataclass(frozen=True)
class PoolAddress:
    """Where a pool server listens (an abstract Unix socket name: no file), and its key."""

    address: str
    authkey: bytes = field(repr=False)
    pid: int


def start_pool_server(pool: WorkerPool) -> PoolAddress:
    """Fork a process that serves ``pool`` to every process that knows the address.

    Called in the process that holds the store, before it forks anything else: the pool's
    children are forked from the pool server and so share that store. The socket listens
    before this returns (connections made early wait in its backlog). A connection must come
    from this user (``SO_PEERCRED``) and prove the key (``multiprocessing``'s HMAC handshake,
    made on the connection's own thread, so a silent caller holds up no one): no other local
    process can send a pickle. The server ends with the process that started it
    (``PR_SET_PDEATHSIG``).
    """
    address = f"\0coopld-pool-{os.getpid()}-{secrets.token_hex(8)}"
    authkey = secrets.token_bytes(32)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(address)
    listener.listen(64)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the pool server, which never returns
        try:
            _pool_server_main(pool, listener, authkey, parent)
        finally:
            os._exit(0)
    listener.close()
    return PoolAddress(address, authkey, pid)


def _pool_server_main(
    pool: WorkerPool, listener: socket.socket, authkey: bytes, parent: int
) -> None:  # pragma: no cover - runs in the pool server
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server; we follow it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform == "linux":
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        return
    gc.freeze()
    pool._reset()
    pool.prefork()
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            continue
        threading.Thread(
            target=_serve_connection, args=(pool, client, authkey), daemon=True
        ).start()


def _serve_connection(
    pool: WorkerPool, client: socket.socket, authkey: bytes
) -> None:  # pragma: no cover - runs in the pool server
    credentials = client.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    if uid != os.getuid():
        client.close()
        return
    with Connection(client.detach()) as conn:
        try:
            deliver_challenge(conn, authkey)
            answer_challenge(conn, authkey)
        except (OSError, EOFError, AuthenticationError):
            return
        while True:
            try:
                data = conn.recv_bytes()
            except (EOFError, OSError):
                return
            (deadline,) = _DEADLINE.unpack_from(data)
            try:
                answer = pool.call_pickled(data[_DEADLINE.size :], deadline)
            except (WorkerTimeoutError, WorkerBusyError, WorkerCrashedError) as exc:
                answer = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                conn.send_bytes(answer)
            except OSError:
                return


class _Unreachable(Exception):
    """The pool server cannot be reached (gone, or never there)."""


class RemotePool:
    """A web process's handle on the server's pool: the same ``call`` as :class:`WorkerPool`.

    Each thread keeps its own connection. If the pool server cannot be reached, this process
    logs it once and from then on evaluates in a :class:`WorkerPool` of its own (``fallback``):
    queries are still answered, with the deadline, only without the shared warm child.
    """

    def __init__(self, server: PoolAddress, fallback: Callable[[], WorkerPool]) -> None:
        self.server = server
        self._make_fallback = fallback
        self._fallback: WorkerPool | None = None
        self._local = threading.local()
        self._lock = threading.Lock()

    @property
    def fallback(self) -> WorkerPool | None:
        return self._fallback

    def call(self, payload: Any, deadline: float) -> Any:
        if self._fallback is None:
            try:
                data = self._call_remote(payload, deadline)
            except _Unreachable as exc:
                self._use_fallback(exc)
            else:
                return _unpacked(data)
        assert self._fallback is not None
        return self._fallback.call(payload, deadline)

    def _call_remote(self, payload: Any, deadline: float) -> bytes:
        conn: Connection | None = getattr(self._local, "conn", None)
        try:
            if conn is None:
                conn = Client(self.server.address, family="AF_UNIX", authkey=self.server.authkey)
                self._local.conn = conn
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            conn.send_bytes(_DEADLINE.pack(deadline) + data)
            wait = deadline - time.monotonic() + REMOTE_GRACE_SECONDS
            if not conn.poll(max(0.0, wait)):
                self._drop()
                raise WorkerTimeoutError("the query pool did not answer in time")
            return conn.recv_bytes()
        except (OSError, EOFError) as exc:
            self._drop()
            raise _Unreachable(str(exc) or type(exc).__name__) from None

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def _use_fallback(self, reason: _Unreachable) -> None:
        with self._lock:
            if self._fallback is None:
                log.warning("the query pool server is unreachable (%s): evaluating here", reason)
                self._fallback = self._make_fallback()

    def close(self) -> None:
        self._drop()
        if self._fallback is not None:
            self._fallback.close()


# -- the child --------------------------------------------------------------------------
def _child_main(
    conn: Connection,
    handler: Callable[[Any], Any],
    threads: int,
    isolate_network: bool,
    headroom: int,
) -> None:  # pragma: no cover - runs in the child
    keep = conn.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent; we follow at EOF
    gc.freeze()  # the collector never walks (and so never copies) the inherited objects
    if isolate_network:
        _deny_network_sockets()
    threading.stack_size(STACK_BYTES)
    jobs: queue.SimpleQueue[tuple[int, bytes]] = queue.SimpleQueue()
    send_lock = threading.Lock()
    baseline = _private_bytes()
    for number in range(threads):
        threading.Thread(
            target=_evaluate,
            args=(jobs, conn, send_lock, handler, baseline),
            name=f"coopld-query-{number}",
            daemon=True,
        ).start()
    _limit_address_space(headroom)
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            os._exit(0)
        (number,) = _REQUEST.unpack_from(data)
        jobs.put((number, data[_REQUEST.size :]))


def _evaluate(
    jobs: queue.SimpleQueue[tuple[int, bytes]],
    conn: Connection,
    send_lock: threading.Lock,
    handler: Callable[[Any], Any],
    baseline: int,
) -> None:  # pragma: no cover - runs in the child
    while True:
        number, payload = jobs.get()
        started = time.monotonic()
        try:
            answer: tuple[bool, Any] = (True, handler(pickle.loads(payload)))
        except Exception as exc:  # reported to the caller, which decides what it means
            answer = (False, exc)
        growth = -1
        if time.monotonic() - started >= HEAVY_SECONDS:
            _LIBC.malloc_trim(0)  # give back what the query allocated and freed
            growth = _private_bytes() - baseline
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            data = pickle.dumps((False, RuntimeError(f"unpicklable answer: {exc}")))
        try:
            with send_lock:
                conn.send_bytes(_ANSWER.pack(number, growth) + data)
        except OSError:
            os._exit(0)


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
