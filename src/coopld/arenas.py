"""Keep the loaded store in pages that forked processes share, and out of their allocations.

The server loads its store once and forks the processes that read it (gunicorn's workers,
the query pool). A page stays shared after a fork only while no process writes to it. Two
kinds of write copy the store's pages:

- reading the store: pyoxigraph's in-memory store counts references in the nodes it walks.
  A lookup walks a few nodes; a scan walks most of them, so the query worker, which runs
  the scans, ends up with its own copy of what they touched. That is the price of the
  in-memory store's speed, paid once for the whole server (coopld.workers).
- allocating: glibc's malloc serves a thread from its *arena*, and hands out the free
  chunks left between the store's nodes by the parsing that built them. Any allocation in
  a forked process that lands in such a hole copies the page around it. A web worker
  answering lookups copied about 80 MB of the store that way at one million triples.

So the store is built on a thread of its own (:func:`load_apart`), whose arena then holds
the store and nothing else: the main thread, which answers lookups, allocates from glibc's
main arena instead. After a fork, glibc offers every arena the child inherited to the next
thread that needs one, so the child's first threads would take the store's arena and
allocate in its holes again. :func:`_park_inherited_arenas` runs in every forked child
first: it starts one idle thread per inherited arena, each of which takes one and keeps it,
so the threads the child starts later get new arenas. On a C library without glibc's
``malloc_info`` nothing is parked: the store is then only less well shared.
"""

from __future__ import annotations

import ctypes
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["arena_count", "load_apart"]

T = TypeVar("T")

_M_ARENA_MAX = -8  # mallopt parameter (glibc's malloc.h)
#: stack of a parked thread: it only waits
_PARK_STACK_BYTES = 256 * 1024

_libc = ctypes.CDLL(None)
_GLIBC = all(hasattr(_libc, name) for name in ("malloc_info", "open_memstream", "mallopt"))
if _GLIBC:
    _libc.open_memstream.restype = ctypes.c_void_p
    _libc.open_memstream.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    _libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    _libc.fclose.argtypes = [ctypes.c_void_p]
    _libc.malloc.restype = ctypes.c_void_p
    _libc.malloc.argtypes = [ctypes.c_size_t]
    _libc.free.argtypes = [ctypes.c_void_p]

_registered = False


def arena_count() -> int | None:
    """How many malloc arenas this process has (None when the C library does not say)."""
    if not _GLIBC:
        return None
    text = ctypes.c_void_p()
    size = ctypes.c_size_t()
    stream = _libc.open_memstream(ctypes.byref(text), ctypes.byref(size))
    if not stream:
        return None
    try:
        _libc.malloc_info(0, stream)
    finally:
        _libc.fclose(stream)
    try:
        return ctypes.string_at(text.value, size.value).count(b"<heap nr=") if text.value else None
    finally:
        _libc.free(text.value)


def load_apart(load: Callable[[], T]) -> T:
    """Run ``load`` on a thread of its own and return what it returns (or raise what it raised).

    The thread stays, idle, for the life of the process, so that no later thread of this
    process is given its arena; children forked from this process have that arena parked.
    """
    global _registered
    # the thread hands its result over and keeps no reference to it (the result lives as
    # long as the caller keeps it, not as long as the idle thread)
    handoff: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

    def run() -> None:
        try:
            handoff.put((True, load()))
        except BaseException as exc:  # raised again in the caller's thread
            handoff.put((False, exc))
        _wait_forever()

    threading.Thread(target=run, name="coopld-store", daemon=True).start()
    loaded, value = handoff.get()
    if not loaded:
        raise value
    if _GLIBC and not _registered:
        os.register_at_fork(after_in_child=_park_inherited_arenas)
        _registered = True
    result: T = value
    return result


def _park_inherited_arenas() -> None:
    """In a forked child, before any thread of its own: one idle thread holds each arena
    the child inherited but is not using (see the module's docstring)."""
    count = arena_count()
    if not count or count < 2:
        return
    # the parked arenas are not to be shared out again when the child's threads outnumber
    # glibc's default limit (8 per core): raise the limit by as many as are parked
    _libc.mallopt(_M_ARENA_MAX, count + 8 * (os.cpu_count() or 1))
    previous = threading.stack_size(_PARK_STACK_BYTES)
    try:
        for number in range(count - 1):
            taken = threading.Event()
            threading.Thread(
                target=_park, args=(taken,), name=f"coopld-arena-{number}", daemon=True
            ).start()
            taken.wait()
    finally:
        threading.stack_size(previous)


def _park(taken: threading.Event) -> None:
    _libc.free(_libc.malloc(64))  # the first malloc of a thread gives it an arena for good
    taken.set()
    _wait_forever()


def _wait_forever() -> None:
    hold = threading.Lock()  # this thread's own: nothing a fork could leave locked
    hold.acquire()
    hold.acquire()
