"""The SPARQL query engine: evaluate a query on the dataset in a killable worker process,
serialize the answer natively with pyoxigraph, and cap it at ``max_rows``.

The dataset seen by a query: the four named graphs (data, vocabulary, shapes, metadata), and
a default graph that is their union, unless the query (FROM / FROM NAMED) or the protocol
(``default-graph-uri`` / ``named-graph-uri``, which win over the query's) names graphs. A
graph name that is not in the store is an empty graph. Nothing is ever fetched: FROM selects
graphs of the store, and SERVICE is refused before evaluation unless the operator allows the
endpoint (see :mod:`coopld.sparql_text`), with a kernel filter behind that (:mod:`coopld.workers`).

The row cap: the answer is first written in a line-based format (TSV for solutions,
N-Triples for graphs: one row or triple per line) through a writer that stops pyoxigraph
after ``max_rows`` + 1 rows, so a huge answer is never produced; when that one extra row
exists the answer is cut and flagged ``truncated``. The kept lines are then re-serialized
natively in the requested format. IRIs under the canonical base are rewritten to the
client's public base on those lines, where every term is a separate field (the text of a
literal is never touched).

Allowed SERVICE calls are made by pyoxigraph's own HTTP client, within the same deadline.

A query whose work has a small proven upper bound (:mod:`coopld.bounded`: triple patterns
and UNION, their matches counted on the store) cannot outlive any deadline; it is evaluated
in the web process, saving the round trip to a worker, which costs more than such a lookup.

The dataset never changes while it is served, so each web process keeps recent answers
(``CACHE_BYTES``) and answers a repeated query without evaluating it again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import OrderedDict
from functools import cache, partial
from itertools import islice
from typing import IO, Literal, NamedTuple, cast

import pyoxigraph as ox

from .bounded import BoundedQueries, Plan
from .config import Settings
from .errors import BadRequestError, CoopldError
from .formats import DATASET_FORMATS, GRAPH_FORMATS, RESULT_FORMATS, TURTLE, by_name
from .serialize import map_ntriples, rebase_turtle, swap_base, swap_datatype
from .store import Dataset
from .workers import (
    PoolAddress,
    RemotePool,
    WorkerBusyError,
    WorkerCrashedError,
    WorkerPool,
    WorkerTimeoutError,
    start_pool_server,
)

__all__ = [
    "QueryEngine",
    "QueryFailedError",
    "QueryLimitError",
    "QueryResult",
    "QuerySpec",
    "QueryTimeoutError",
    "evaluate",
    "start_query_server",
]

Kind = Literal["solutions", "boolean", "graph"]

#: bytes of answers each web process keeps to answer a repeated query without evaluating it
CACHE_BYTES = 8 * 1024 * 1024
CACHE_ENTRY_BYTES = 1024 * 1024


class QueryTimeoutError(CoopldError):
    """The deadline passed (503, with Retry-After)."""

    status = 503


class QueryLimitError(CoopldError):
    """Evaluation hit a resource limit other than time: memory or stack (503)."""

    status = 503


class QueryFailedError(CoopldError):
    """Evaluation failed for a reason that is not the query text (a remote SERVICE, I/O)."""

    status = 502


class QuerySpec(NamedTuple):
    """Everything that determines an answer; also the key of the answer cache.

    Named tuples, not frozen dataclasses, for the values every lookup makes: a frozen
    dataclass sets each field through ``object.__setattr__``, and took 3.6 µs to make."""

    text: str  # with canonical-base IRIs
    format: str  # a short name from the formats table (results or graph family)
    base_iri: str  # against which relative IRIs resolve: the endpoint's canonical IRI
    max_rows: int
    union_default_graph: bool = True  # False when the query has its own FROM / FROM NAMED
    default_graphs: tuple[str, ...] | None = None  # the protocol's dataset, when given
    named_graphs: tuple[str, ...] | None = None
    canonical_base: str = ""  # IRIs under it are shown under public_base
    public_base: str = ""
    prefixes: tuple[tuple[str, str], ...] = ()  # for Turtle, TriG and RDF/XML answers


class QueryResult(NamedTuple):
    body: bytes
    kind: Kind
    format: str
    rows: int  # solutions or triples sent (1 for ASK)
    truncated: bool
    seconds: float = 0.0  # evaluation + serialization


# -- evaluation (runs in a worker process) ---------------------------------------------------
class _Enough(Exception):
    """Raised from the writer to stop pyoxigraph once the cap is exceeded."""


class _LineCappedWriter:
    """A binary writer that raises :class:`_Enough` once more than ``limit`` lines came in."""

    __slots__ = ("chunks", "limit", "lines")

    def __init__(self, limit: int) -> None:
        self.chunks: list[bytes] = []
        self.lines = 0
        self.limit = limit

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _Enough
        return len(chunk)

    def flush(self) -> None:
        return None

    def head(self) -> tuple[bytes, bool]:
        """The first ``limit`` lines, and whether anything was cut."""
        data = b"".join(self.chunks)
        if self.lines <= self.limit:
            return data, False
        end = -1
        for _ in range(self.limit):
            end = data.index(b"\n", end + 1)
        return data[: end + 1], True


@cache
def _results_format(name: str) -> ox.QueryResultsFormat:
    fmt = by_name(name, RESULT_FORMATS)
    assert fmt is not None, name
    found = ox.QueryResultsFormat.from_media_type(fmt.media_type)
    assert found is not None, name
    return found


@cache
def _rdf_format(name: str) -> ox.RdfFormat:
    fmt = by_name(name, GRAPH_FORMATS + DATASET_FORMATS)
    assert fmt is not None, name
    found = ox.RdfFormat.from_media_type(fmt.media_type)
    assert found is not None, name
    return found


_BOOLEANS: dict[tuple[str, bool], bytes] = {}


def boolean_answer(value: bool, fmt: str) -> bytes:
    """An ASK answer: pyoxigraph's bytes for it, written once per format and value."""
    key = (fmt, value)
    body = _BOOLEANS.get(key)
    if body is None:
        query = "ASK {}" if value else "ASK { FILTER(false) }"
        result = ox.Store().query(query)
        assert isinstance(result, ox.QueryBoolean) and bool(result) is value
        written = result.serialize(format=_results_format(fmt))
        assert written is not None
        body = _BOOLEANS[key] = written
    return body


def _map_tsv(data: bytes, canonical: bytes, public: bytes) -> bytes:
    """TSV: every term starts a line or follows a tab, and literals escape both (SPARQL TSV)."""
    if b"<<" in data or b'"^^<' + canonical in data:  # triple terms, local datatypes: slowly
        lines = data.split(b"\n")
        fields = (line.split(b"\t") for line in lines)
        return b"\n".join(
            b"\t".join(
                swap_datatype(f, canonical, public)
                if f.startswith(b'"')
                else swap_base(f, canonical, public)
                for f in row
            )
            for row in fields
        )
    data = b"\n" + data
    for separator in (b"\n", b"\t"):
        for end in (b"/", b">"):
            data = data.replace(separator + b"<" + canonical + end, separator + b"<" + public + end)
    return data[1:]


def _map_lines(data: bytes, spec: QuerySpec, *, ntriples: bool) -> bytes:
    if spec.canonical_base == spec.public_base or not spec.public_base:
        return data
    canonical, public = spec.canonical_base.encode(), spec.public_base.encode()
    if b"<" + canonical not in data:
        return data
    if ntriples:
        return map_ntriples(data, canonical, public)
    return _map_tsv(data, canonical, public)


def _solutions(results: ox.QuerySolutions, spec: QuerySpec) -> tuple[bytes, int, bool]:
    writer = _LineCappedWriter(spec.max_rows + 1)  # the header line, then rows
    with contextlib.suppress(_Enough):
        results.serialize(cast(IO[bytes], writer), ox.QueryResultsFormat.TSV)
    tsv, truncated = writer.head()
    tsv = _map_lines(tsv, spec, ntriples=False)
    rows = max(tsv.count(b"\n") - 1, 0)
    target = _results_format(spec.format)
    if target == ox.QueryResultsFormat.TSV:
        return tsv, rows, truncated
    body = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV).serialize(format=target)
    assert body is not None
    return body, rows, truncated


#: answers of at most this many triples asked for in Turtle are written in one pass
SMALL_ANSWER = 2000


def _small_turtle(triples: list[ox.Triple], spec: QuerySpec) -> bytes | None:
    """A small answer in Turtle in one pass: written under the canonical base, then moved
    (None when a literal holds the base: then the line-by-line way)."""
    canonical, public = spec.canonical_base, spec.public_base
    moved = public and public != canonical
    prefixes = {
        name: canonical + namespace[len(public) :]
        if moved and (namespace == public or namespace.startswith(public + "/"))
        else namespace  # (a namespace that merely starts with the same letters stays)
        for name, namespace in spec.prefixes
    }
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes or None)
    assert body is not None
    if not public or public == canonical:
        return body
    return rebase_turtle(body, canonical, public)


def _triples(results: ox.QueryTriples, spec: QuerySpec) -> tuple[bytes, int, bool]:
    writer = _LineCappedWriter(spec.max_rows)
    head: list[ox.Triple] = []
    if spec.format == TURTLE.name:
        small = min(spec.max_rows, SMALL_ANSWER)
        head = list(islice(results, small + 1))
        if len(head) <= small:
            body = _small_turtle(head, spec)
            if body is not None:
                return body, len(head), False
    with contextlib.suppress(_Enough):
        if head:
            written = ox.serialize(head, format=ox.RdfFormat.N_TRIPLES)
            assert written is not None
            writer.write(written)
        results.serialize(cast(IO[bytes], writer), ox.RdfFormat.N_TRIPLES)
    nt, truncated = writer.head()
    nt = _map_lines(nt, spec, ntriples=True)
    rows = nt.count(b"\n")
    target = _rdf_format(spec.format)
    if target == ox.RdfFormat.N_TRIPLES:
        return nt, rows, truncated
    prefixed = target in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML)
    prefixes = dict(spec.prefixes) if prefixed and spec.prefixes else None
    body = ox.serialize(ox.parse(nt, ox.RdfFormat.N_TRIPLES), format=target, prefixes=prefixes)
    assert body is not None
    return body, rows, truncated


def evaluate(store: ox.Store, spec: QuerySpec) -> QueryResult:
    """Evaluate and serialize; the function each worker process runs."""
    started = time.perf_counter()
    options: dict[str, object] = {}
    if spec.default_graphs is not None or spec.named_graphs is not None:
        options["default_graph"] = [ox.NamedNode(iri) for iri in spec.default_graphs or ()]
        options["named_graphs"] = [ox.NamedNode(iri) for iri in spec.named_graphs or ()]
    elif spec.union_default_graph:
        options["use_default_graph_as_union"] = True
    kind: Kind
    try:
        results = store.query(spec.text, base_iri=spec.base_iri, **options)  # type: ignore[arg-type]
        if isinstance(results, ox.QueryBoolean):
            body = boolean_answer(bool(results), spec.format)
            kind, rows, truncated = "boolean", 1, False
        elif isinstance(results, ox.QuerySolutions):
            kind, (body, rows, truncated) = "solutions", _solutions(results, spec)
        else:
            kind, (body, rows, truncated) = "graph", _triples(results, spec)
    except SyntaxError as exc:
        raise BadRequestError(f"SPARQL syntax error: {exc}") from None
    except OSError as exc:  # evaluation errors pyoxigraph raises as I/O: a SERVICE that failed
        raise QueryFailedError(f"the query could not be evaluated: {exc}") from None
    return QueryResult(body, kind, spec.format, rows, truncated, time.perf_counter() - started)


# -- the engine (runs in the web process) -----------------------------------------------------
class _AnswerCache:
    """A small LRU of answers by spec: the dataset never changes while it is served."""

    def __init__(self, budget: int, entry_limit: int) -> None:
        self.budget, self.entry_limit, self.used = budget, entry_limit, 0
        self._entries: OrderedDict[QuerySpec, QueryResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, spec: QuerySpec) -> QueryResult | None:
        with self._lock:
            result = self._entries.get(spec)
            if result is not None:
                self._entries.move_to_end(spec)
            return result

    def put(self, spec: QuerySpec, result: QueryResult) -> None:
        size = len(result.body) + len(spec.text)
        if size > self.entry_limit:
            return
        with self._lock:
            if spec in self._entries:
                return
            self._entries[spec] = result
            self.used += size
            while self.used > self.budget:
                old_spec, old = self._entries.popitem(last=False)
                self.used -= len(old.body) + len(old_spec.text)


def _query_pool(dataset: Dataset, settings: Settings) -> WorkerPool:
    return WorkerPool(
        partial(evaluate, dataset.store),
        settings.query_workers,
        isolate_network=not settings.allowed_services,
    )


def start_query_server(dataset: Dataset, settings: Settings) -> PoolAddress:
    """The server-wide query pool in a process of its own (called before gunicorn forks)."""
    return start_pool_server(_query_pool(dataset, settings))


class QueryEngine:
    """Evaluates :class:`QuerySpec` values with a deadline; one per web process.

    ``server``: the server-wide query pool to send queries to; without it (the development
    server, tests), this process keeps the pool itself.
    """

    def __init__(
        self, dataset: Dataset, settings: Settings, server: PoolAddress | None = None
    ) -> None:
        self.dataset = dataset
        self.settings = settings
        self.pool: WorkerPool | RemotePool = (
            _query_pool(dataset, settings)
            if server is None
            else RemotePool(server, partial(_query_pool, dataset, settings))
        )
        self.cache = _AnswerCache(CACHE_BYTES, CACHE_ENTRY_BYTES)
        self.bounded = BoundedQueries(dataset.store, settings.inline_query_budget)
        self.inline = 0  # queries answered in this process (statistics, for tests)
        self.probed = 0  # of those, ASKs answered by probing the indexes
        self._sizes: dict[str, int] | None = None
        self.pid = os.getpid()  # an engine serves the process that made it

    def run(self, spec: QuerySpec, timeout: float) -> QueryResult:
        """The answer, from the cache, this process or a worker; raises a
        :class:`CoopldError` otherwise."""
        at_once = self.answer_at_once(spec)
        if at_once is not None:
            return at_once
        try:
            result: QueryResult = self.pool.call(spec, time.monotonic() + timeout)
        except WorkerTimeoutError:
            raise QueryTimeoutError(
                f"the query did not finish within {timeout:g} s, the time limit of this endpoint",
                hint="make it more selective (a LIMIT does not help an ORDER BY or GROUP BY "
                "over many rows), or ask for a smaller `timeout` only to fail faster",
            ) from None
        except WorkerBusyError:
            raise QueryTimeoutError(
                f"every query worker stayed busy for {timeout:g} s", hint="try again shortly"
            ) from None
        except WorkerCrashedError as exc:
            raise QueryLimitError(_crash_message(exc.signal_number)) from None
        self.cache.put(spec, result)
        return result

    def answer_at_once(self, spec: QuerySpec) -> QueryResult | None:
        """The answer from the cache, or evaluated here if its work is provably small;
        None when only a worker may evaluate it."""
        cached = self.cache.get(spec)
        if cached is not None:
            return cached
        plan = self.inline_plan(spec)
        if plan is None:
            return None
        started = time.perf_counter()
        found = self.bounded.exists(plan.parsed)
        self.inline += 1
        if found is not None:  # an ASK the store's indexes answer (coopld.bounded), sooner
            self.probed += 1  # than the answer cache would: it is not cached
            body = boolean_answer(found, spec.format)
            return QueryResult(
                body, "boolean", spec.format, 1, False, time.perf_counter() - started
            )
        result = evaluate(self.dataset.store, spec)
        self.cache.put(spec, result)
        return result

    def inline_plan(self, spec: QuerySpec) -> Plan | None:
        """The query and its bound when its work is small enough to skip the worker (and so
        the deadline); None otherwise."""
        if spec.default_graphs is not None or spec.named_graphs is not None:
            return None
        if not spec.union_default_graph:
            return None
        return self.bounded.plan(spec.text, spec.base_iri)

    def graph_sizes(self) -> dict[str, int]:
        """Triples per named graph (IRIs as stored), counted once per process."""
        if self._sizes is None:
            query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
            sizes: dict[str, int] = {}
            for solution in self.dataset.store.query(query):  # type: ignore[union-attr]
                graph, count = solution["g"], solution["n"]
                assert isinstance(graph, ox.NamedNode) and isinstance(count, ox.Literal)
                sizes[graph.value] = int(count.value)
            self._sizes = sizes
        return self._sizes

    def close(self) -> None:
        self.pool.close()


def _crash_message(signal_number: int | None) -> str:
    if signal_number == signal.SIGSEGV:
        return (
            "the query engine ran out of stack on this query: it is nested too deeply or "
            "chains too many operators; split it up"
        )
    if signal_number == signal.SIGABRT:
        return "the query needed more memory than this endpoint grants one query"
    return "the query worker stopped while evaluating this query; it may be too expensive"
