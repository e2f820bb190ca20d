"""The store is built on a thread of its own, and forked children keep out of its arena."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from coopld.arenas import arena_count, load_apart
from coopld.store import open_dataset

pytestmark = pytest.mark.skipif(arena_count() is None, reason="needs glibc's malloc_info")


def test_load_apart_returns_what_the_loader_returns_from_another_thread() -> None:
    caller = threading.get_ident()
    assert load_apart(threading.get_ident) != caller
    assert load_apart(lambda: [1, 2]) == [1, 2]


def test_what_load_apart_returns_lives_only_as_long_as_the_caller_keeps_it() -> None:
    import gc
    import weakref

    class Built:
        pass

    built = load_apart(Built)
    alive = weakref.ref(built)
    del built
    gc.collect()
    assert alive() is None, "the idle loader thread still holds what it built"


def test_load_apart_raises_what_the_loader_raised() -> None:
    def fail() -> None:
        raise ValueError("no such file")

    with pytest.raises(ValueError, match="no such file"):
        load_apart(fail)


def _in_child(report: dict[str, int]) -> None:  # pragma: no cover - runs in the child
    report["inherited"] = arena_count() or 0
    report["parked"] = sum(t.name.startswith("coopld-arena-") for t in threading.enumerate())
    worker = threading.Thread(target=lambda: bytearray(200_000).decode("latin-1"))
    worker.start()
    worker.join()
    report["after_thread"] = arena_count() or 0


def test_a_forked_child_parks_every_inherited_arena(built: Path) -> None:
    open_dataset(built)  # the store on its own thread: two arenas at least
    assert (arena_count() or 0) >= 2
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        report: dict[str, int] = {}
        try:
            _in_child(report)
        finally:
            os.write(write, json.dumps(report).encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        report = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert report["parked"] == report["inherited"] - 1
    # no inherited arena was free: the child's own thread was given a new one
    assert report["after_thread"] == report["inherited"] + 1


# a store of ~200,000 quads, then a fork whose threads allocate and whose main thread looks
# things up, as a web worker does; prints how much of the parent's memory the child copied
_PROBE = """  # noqa: E501
import os, sys, threading
import pyoxigraph as ox
from coopld.arenas import load_apart

def build():
    store = ox.Store()
    ex = "http://example.org/"
    store.bulk_extend(
        ox.Quad(ox.NamedNode(f"{ex}s{i // 8}"), ox.NamedNode(f"{ex}p{i % 8}"),
                ox.Literal(f"value {i} " * (1 + i % 5), language="en"), ox.NamedNode(f"{ex}g"))
        for i in range(200_000)
    )
    return store

store = load_apart(build) if sys.argv[1] == "apart" else build()

def private_dirty():
    for line in open("/proc/self/smaps_rollup"):
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1]) * 1024

def churn():
    for k in range(100):
        junk = [bytes(700 + (j * 37) % 3000) for j in range(300)]
        del junk

read, write = os.pipe()
pid = os.fork()
if pid == 0:
    before = private_dirty()
    threads = [threading.Thread(target=churn) for _ in range(4)]
    [t.start() for t in threads]
    for n in range(500):
        for _ in store.query(f"SELECT * {{ GRAPH ?g {{ <http://example.org/s{n * 11}> ?p ?o }} }}"):
            pass
    [t.join() for t in threads]
    os.write(write, str(private_dirty() - before).encode())
    os._exit(0)
os.close(write)
print(os.read(read, 64).decode())
os.waitpid(pid, 0)
"""


def _copied(mode: str) -> int:
    source = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_PROBE), mode],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    return int(done.stdout.strip())


def test_a_child_that_allocates_copies_far_less_of_a_store_loaded_apart() -> None:
    beside = _copied("main")  # built on the main thread, as a plain Store() is
    apart = _copied("apart")
    assert beside > 8 * 1024 * 1024, beside  # the probe does show the copying
    assert apart < beside / 3, (apart, beside)
