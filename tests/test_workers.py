"""The query pool on its own: one child evaluating several queries at once, deadlines that
kill it without losing the other queries, crashes blamed on the right query, and the pool
server that every web process of a gunicorn server shares."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client
from typing import Any

import pytest

from coopld import workers
from coopld.config import Settings
from coopld.errors import BadRequestError
from coopld.query import QueryEngine, QuerySpec, start_query_server
from coopld.store import Dataset
from coopld.workers import (
    PoolAddress,
    RemotePool,
    WorkerCrashedError,
    WorkerPool,
    WorkerTimeoutError,
    start_pool_server,
)

_HELD: list[bytes] = []


def task(payload: tuple[str, float]) -> tuple[int, int]:
    """A stand-in for a query: sleeps, crashes, fails or keeps memory; says who ran it."""
    action, amount = payload
    if action == "sleep":
        time.sleep(amount)
    elif action == "crash":
        time.sleep(amount)
        os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(5)  # the signal may land on another thread: wait for it
    elif action == "fail":
        raise BadRequestError("refused", hint="a hint")
    elif action == "grow":
        _HELD.append(b"x" * int(amount * 1024 * 1024))
        time.sleep(0.02)  # slow enough for its memory to be measured
    return os.getpid(), os.getppid()


def in_threads(*calls: tuple[Any, ...]) -> list[Any]:
    """Run ``pool.call(payload, deadline)`` for each (pool, payload, seconds), started in order
    50 ms apart; each outcome is the answer or the exception."""
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, pool: Any, payload: Any, seconds: float) -> None:
        try:
            outcomes[index] = pool.call(payload, time.monotonic() + seconds)
        except Exception as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    return outcomes


@pytest.fixture()
def pool() -> Iterator[WorkerPool]:
    pool = WorkerPool(task, 2, isolate_network=False)
    yield pool
    pool.close()


def test_one_child_evaluates_several_queries_at_once(pool: WorkerPool) -> None:
    started = time.monotonic()
    first, second = in_threads((pool, ("sleep", 0.6), 5), (pool, ("sleep", 0.6), 5))
    assert first == second == (first[0], os.getpid())  # the same child, forked from here
    assert time.monotonic() - started < 1.1  # side by side, not one after the other
    assert pool.forks == 1 and pool.kills == 0


def test_a_deadline_kills_the_child_and_the_other_query_is_still_answered(
    pool: WorkerPool,
) -> None:
    innocent, runaway = in_threads((pool, ("sleep", 0.8), 10), (pool, ("sleep", 30), 0.4))
    assert isinstance(runaway, WorkerTimeoutError)
    assert isinstance(innocent, tuple), innocent  # sent again to the successor
    assert pool.kills == 1 and pool.forks == 2
    assert pool.call(("sleep", 0), time.monotonic() + 5) == innocent  # the successor serves


def test_a_crash_is_blamed_on_the_query_that_causes_it(pool: WorkerPool) -> None:
    innocent, culprit = in_threads((pool, ("sleep", 0.6), 10), (pool, ("crash", 0.2), 10))
    assert isinstance(culprit, WorkerCrashedError)
    assert culprit.signal_number == signal.SIGSEGV
    assert isinstance(innocent, tuple), innocent  # ran again alone, and answered
    assert isinstance(pool.call(("sleep", 0), time.monotonic() + 5), tuple)


def test_a_lone_crash_is_reported_at_once(pool: WorkerPool) -> None:
    with pytest.raises(WorkerCrashedError) as raised:
        pool.call(("crash", 0), time.monotonic() + 5)
    assert raised.value.signal_number == signal.SIGSEGV
    assert pool.forks <= 2  # its successor at most: no rerun, there was no one else to suspect


def test_more_queries_than_slots_wait_their_turn(pool: WorkerPool) -> None:
    started = time.monotonic()
    outcomes = in_threads(*[(pool, ("sleep", 0.4), 5)] * 3)
    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert 0.8 <= time.monotonic() - started < 1.6  # two at once, then the third
    assert pool.forks == 1


def test_a_child_that_grew_too_much_is_replaced_when_idle(
    pool: WorkerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "GROWTH_LIMIT_BYTES", 32 * 1024 * 1024)
    small = pool.call(("grow", 1), time.monotonic() + 5)
    assert pool.call(("grow", 1), time.monotonic() + 5) == small  # within the limit: kept
    grown = pool.call(("grow", 64), time.monotonic() + 5)
    assert grown == small  # it answers, then retires
    assert pool.call(("sleep", 0), time.monotonic() + 5) != grown
    assert pool.kills == 0 and pool.forks == 2


# -- one pool for the whole server ------------------------------------------------------------------
def stop(address: PoolAddress) -> None:
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(address.pid, signal.SIGKILL)
        os.waitpid(address.pid, 0)


@pytest.fixture()
def server() -> Iterator[PoolAddress]:
    address = start_pool_server(WorkerPool(task, 2, isolate_network=False))
    yield address
    stop(address)


def local_fallback() -> WorkerPool:
    return WorkerPool(task, 1, isolate_network=False)


def test_every_caller_reaches_the_same_child_of_the_pool_server(server: PoolAddress) -> None:
    remotes = [RemotePool(server, local_fallback) for _ in range(2)]  # two web processes
    try:
        started = time.monotonic()
        answers = in_threads(*[(remote, ("sleep", 0.5), 5) for remote in remotes for _ in "ab"])
        assert time.monotonic() - started < 1.6  # two at a time: the pool's size
        assert len(set(answers)) == 1, answers
        child, parent = answers[0]
        assert parent == server.pid != os.getpid() and child != server.pid
        assert all(remote.fallback is None for remote in remotes)
    finally:
        for remote in remotes:
            remote.close()


def test_errors_cross_from_the_pool_server_as_themselves(server: PoolAddress) -> None:
    remote = RemotePool(server, local_fallback)
    try:
        with pytest.raises(BadRequestError, match="refused") as refused:
            remote.call(("fail", 0), time.monotonic() + 5)
        assert refused.value.hint == "a hint"
        started = time.monotonic()
        with pytest.raises(WorkerTimeoutError):
            remote.call(("sleep", 30), time.monotonic() + 0.4)
        assert time.monotonic() - started < 1.0
        with pytest.raises(WorkerCrashedError) as crashed:
            remote.call(("crash", 0), time.monotonic() + 5)
        assert crashed.value.signal_number == signal.SIGSEGV
        assert remote.call(("sleep", 0), time.monotonic() + 5)[1] == server.pid
    finally:
        remote.close()


def test_the_pool_server_refuses_a_caller_without_the_key(server: PoolAddress) -> None:
    with pytest.raises(AuthenticationError):
        Client(server.address, family="AF_UNIX", authkey=b"not the key")
    remote = RemotePool(server, local_fallback)
    try:
        assert remote.call(("sleep", 0), time.monotonic() + 5)[1] == server.pid
    finally:
        remote.close()


def test_without_the_pool_server_a_process_evaluates_itself(server: PoolAddress) -> None:
    remote = RemotePool(server, local_fallback)
    try:
        assert remote.call(("sleep", 0), time.monotonic() + 5)[1] == server.pid
        stop(server)
        _, parent = remote.call(("sleep", 0), time.monotonic() + 5)
        assert parent == os.getpid() and remote.fallback is not None
        with pytest.raises(WorkerTimeoutError):  # and the deadline still holds
            remote.call(("sleep", 30), time.monotonic() + 0.3)
    finally:
        remote.close()


def test_the_pool_server_ends_with_the_process_that_started_it() -> None:
    read_end, write_end = os.pipe()
    starter = os.fork()
    if starter == 0:  # pragma: no cover - the starter, which exits at once
        try:
            address = start_pool_server(WorkerPool(task, 1, isolate_network=False))
            os.write(write_end, str(address.pid).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    pid = int(os.read(read_end, 32))
    os.close(read_end)
    os.waitpid(starter, 0)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the pool server outlived the process that started it")


def test_an_engine_on_the_pool_server_answers_as_one_of_its_own(
    dataset: Dataset, settings: Settings
) -> None:
    settings = settings.replace(inline_query_budget=0)  # every query goes to the pool
    text = "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY ?type"
    base = dataset.iris.base
    query = QuerySpec(text, "json", base + "/sparql", 10000, canonical_base=base, public_base=base)
    local = QueryEngine(dataset, settings)
    address = start_query_server(dataset, settings)
    shared = QueryEngine(dataset, settings, address)
    try:
        assert shared.run(query, 5.0).body == local.run(query, 5.0).body
        assert isinstance(shared.pool, RemotePool) and shared.pool.fallback is None
    finally:
        shared.close()
        local.close()
        stop(address)
