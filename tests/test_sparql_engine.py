"""The query engine without HTTP: reading query texts, evaluation, the row cap, the base
mapping of answers, and the killable worker processes."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from coopld import sparql_text
from coopld.config import Settings
from coopld.errors import BadRequestError
from coopld.query import (
    QueryEngine,
    QueryLimitError,
    QuerySpec,
    QueryTimeoutError,
    evaluate,
)
from coopld.sparql_text import analyse_query, rewrite_iris
from coopld.store import Dataset
from coopld.workers import (
    WorkerBusyError,
    WorkerCrashedError,
    WorkerPool,
    WorkerTimeoutError,
    network_isolation_supported,
)

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def spec(dataset: Dataset, text: str, fmt: str = "json", **changes: object) -> QuerySpec:
    base = dataset.iris.base
    values: dict[str, object] = {
        "text": text,
        "format": fmt,
        "base_iri": base + "/sparql",
        "max_rows": 10000,
        "canonical_base": base,
        "public_base": base,
    }
    values.update(changes)
    return QuerySpec(**values)  # type: ignore[arg-type]


def bindings(body: bytes) -> list[dict[str, dict[str, str]]]:
    rows: list[dict[str, dict[str, str]]] = json.loads(body)["results"]["bindings"]
    return rows


# -- reading query texts ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * { ?s ?p ?o }", "SELECT"),
        ("PREFIX ask: <http://x/> select ?s { ?s ask:p ?o }", "SELECT"),
        ("# CONSTRUCT in a comment\nASK { }", "ASK"),
        (
            "BASE <http://x/> CONSTRUCT { ?s ?p ?o } WHERE { { SELECT ?s { ?s ?p ?o } } }",
            "CONSTRUCT",
        ),
        ("describe <http://x/a>", "DESCRIBE"),
        ('"SELECT" junk', None),
    ],
)
def test_the_query_form_is_read_outside_strings_and_comments(text: str, form: str | None) -> None:
    assert analyse_query(text).form == form


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("INSERT DATA { <a> <b> <c> }", "INSERT"),
        ("PREFIX x: <http://x/> delete where { ?s ?p ?o }", "DELETE"),
        ("CLEAR ALL", "CLEAR"),
        ("LOAD <http://example.org/data.ttl>", "LOAD"),
        ("SELECT * {} ; DROP GRAPH <http://x/>", "DROP"),
        ('SELECT ("INSERT DATA" AS ?x) { }', None),
        ("SELECT * { ?s <http://x/delete> ?o } # CLEAR ALL", None),
        ("SELECT ?insert { ?insert ?drop ?clear }", None),
        ("PREFIX load: <http://x/> SELECT * { ?s load:copy ?o }", None),
    ],
)
def test_update_keywords_are_found_only_as_keywords(text: str, keyword: str | None) -> None:
    assert analyse_query(text).update_keyword == keyword


def test_dataset_clauses_services_prefixes_and_nesting_are_read() -> None:
    text = """
        PREFIX fed: <http://remote.example/>
        SELECT * FROM NAMED <http://g/> WHERE {
          SERVICE <http://a.example/sparql> { ?s ?p ?o }
          service silent fed:sparql { ?s ?p ?o }   # a prefixed endpoint
          SERVICE ?endpoint { ?s ?p ?o }
          SERVICE <relative> { ?s ?p ?o }
          FILTER (?o != "SERVICE <http://not.example/>")
        }"""
    text_read = analyse_query(text, "http://here.example/sparql")
    assert text_read.has_dataset_clause
    assert text_read.services == (
        "http://a.example/sparql",
        "http://remote.example/sparql",
        None,
        "http://here.example/relative",
    )
    assert dict(text_read.prefixes) == {"fed": "http://remote.example/"}
    assert text_read.nesting == 2
    assert not analyse_query("SELECT * { ?s <http://x/from> ?from }").has_dataset_clause


def test_reading_is_linear_on_hostile_texts() -> None:
    hostile = [
        "<" * 250_000,
        "'''" + "a" * 250_000,
        '"' * 250_000,
        "(" * 250_000,
        "a:" * 120_000,
        "\\" * 250_000,
    ]
    started = time.perf_counter()
    for text in hostile:
        analyse_query(text)
    assert time.perf_counter() - started < 5.0
    assert analyse_query("(" * 250_000).nesting == 250_000


def _named_tokens(text: str) -> tuple[tuple[str, str, int, int], ...]:
    """The tokens as the named groups of the tokenizer's pattern say: the reference."""
    return tuple(
        (match.lastgroup or "", match.group(), match.start(), match.end())
        for match in sparql_text._TOKEN.finditer(text)
        if match.lastgroup not in ("space", "comment")
    )


def test_the_tokens_kinds_read_off_their_text_are_the_patterns_groups() -> None:
    root = Path(__file__).resolve().parents[1]
    texts = [path.read_text() for path in sorted(root.glob("bench/queries/*.rq"))]
    texts += [path.read_text() for path in sorted(root.glob("src/coopld/queries/*.rq"))]
    assert len(texts) >= 10
    texts += [
        "ASK{?s a ?o.}",
        r"SELECT ?x$y ?_ @ @en-GB _: _:b0 ? $ < <> <a b> : :a a:b\.c a:b.c. é ü:x 12.5e3",
        """'''a''' \"\"\"b\"\"\" 'c' "d" ' " # tail""",
        "PREFIX : <#> SELECT * { ?s :p \"x\"^^xsd:string ; :q 'y'@fr , 3 } # x\n# y",
        "",
        "\u3000\u00a0ASK {}",
    ]
    alphabet = "aAé:_?$@<>'\"#\\{}()[]., \n\t0-^x\u00a0"
    chooser = random.Random(7)
    texts += ["".join(chooser.choices(alphabet, k=chooser.randint(1, 40))) for _ in range(3000)]
    for text in texts:
        assert sparql_text._significant(text) == _named_tokens(text), text


def test_rewrite_iris_touches_iri_references_only() -> None:
    text = 'SELECT * { <http://pub/id/a> ?p "<http://pub/id/a>" . ?s ?p <http://public/x> } # <http://pub/id/b>'
    rewritten = rewrite_iris(text, lambda iri: iri.replace("http://pub/", "http://canon/"))
    assert rewritten == (
        'SELECT * { <http://canon/id/a> ?p "<http://pub/id/a>" . ?s ?p <http://public/x> }'
        " # <http://pub/id/b>"
    )


# -- evaluation ------------------------------------------------------------------------------------------
def test_the_default_graph_is_the_union_of_the_named_graphs(dataset: Dataset) -> None:
    store = dataset.store
    total = sum(1 for _ in store.quads_for_pattern(None, None, None, None))
    result = evaluate(store, spec(dataset, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"))
    assert int(bindings(result.body)[0]["n"]["value"]) == total
    graphs = {g.value for g in store.named_graphs()}
    assert graphs == {
        str(dataset.iris.graph(n)) for n in ("data", "vocabulary", "shapes", "metadata")
    }


def test_the_named_graphs_are_disjoint_so_the_union_has_no_duplicates(dataset: Dataset) -> None:
    """pyoxigraph's union default graph is a bag; it equals the RDF merge only if no triple
    is in two graphs. The build keeps them disjoint; this guards that invariant."""
    counts = "SELECT (COUNT(*) AS ?all) (COUNT(DISTINCT *) AS ?distinct) { ?s ?p ?o }"
    row = bindings(evaluate(dataset.store, spec(dataset, counts)).body)[0]
    assert row["all"]["value"] == row["distinct"]["value"]


def test_from_selects_graphs_of_the_store_and_the_protocol_dataset_wins(dataset: Dataset) -> None:
    vocabulary = str(dataset.iris.graph("vocabulary"))
    count = "SELECT (COUNT(*) AS ?n) {0} {{ ?s ?p ?o }}"
    in_vocabulary = len(
        list(dataset.store.quads_for_pattern(None, None, None, ox.NamedNode(vocabulary)))
    )

    def run(text: str, **changes: object) -> int:
        return int(
            bindings(evaluate(dataset.store, spec(dataset, text, **changes)).body)[0]["n"]["value"]
        )

    with_from = count.format(f"FROM <{vocabulary}>")
    assert run(with_from, union_default_graph=False) == in_vocabulary
    assert run(count.format(""), default_graphs=(vocabulary,), named_graphs=()) == in_vocabulary
    assert run(with_from, default_graphs=("http://nowhere.example/g",), named_graphs=()) == 0


def test_the_row_cap_cuts_and_flags_in_every_format(dataset: Dataset) -> None:
    text = "SELECT ?s ?p ?o { ?s ?p ?o } ORDER BY ?s ?p ?o"
    full = evaluate(dataset.store, spec(dataset, text, fmt="tsv"))
    assert not full.truncated and full.rows > 7
    for fmt in ("json", "xml", "csv", "tsv"):
        capped = evaluate(dataset.store, spec(dataset, text, fmt=fmt, max_rows=7))
        assert capped.truncated and capped.rows == 7
        parsed = (
            capped.body.decode().strip().splitlines()[1:]
            if fmt == "csv"
            else list(
                ox.parse_query_results(
                    capped.body,
                    ox.QueryResultsFormat.from_media_type(
                        {
                            "json": "application/sparql-results+json",
                            "xml": "application/sparql-results+xml",
                            "tsv": "text/tab-separated-values",
                        }[fmt]
                    ),
                )
            )
        )
        assert len(parsed) == 7
    first_seven = full.body.split(b"\n")[: 1 + 7]
    assert (
        evaluate(dataset.store, spec(dataset, text, fmt="tsv", max_rows=7)).body
        == b"\n".join(first_seven) + b"\n"
    )
    exact = evaluate(dataset.store, spec(dataset, text, fmt="tsv", max_rows=full.rows))
    assert not exact.truncated and exact.rows == full.rows


def test_the_row_cap_applies_to_triples(dataset: Dataset) -> None:
    text = "CONSTRUCT WHERE { ?s ?p ?o }"
    for fmt in ("turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads"):
        result = evaluate(dataset.store, spec(dataset, text, fmt=fmt, max_rows=11))
        assert result.truncated and result.rows == 11
        media = {
            "turtle": "text/turtle",
            "ntriples": "application/n-triples",
            "jsonld": "application/ld+json",
            "rdfxml": "application/rdf+xml",
            "trig": "application/trig",
            "nquads": "application/n-quads",
        }[fmt]
        assert len(list(ox.parse(result.body, ox.RdfFormat.from_media_type(media)))) == 11


def test_answers_show_iris_under_the_public_base(dataset: Dataset) -> None:
    canonical = dataset.iris.base
    public = "https://public.example/coopld"
    agreement = f"{canonical}/id/agreement/"
    text = f"""SELECT ?s ?text ?typed WHERE {{
        ?s a <{canonical}/def/coop#Agreement> .
        BIND ("{agreement}" AS ?text)
        BIND (STRDT("x", <{canonical}/def/coop#T>) AS ?typed)
    }} LIMIT 3"""
    for fmt in ("json", "xml", "csv", "tsv"):
        body = evaluate(
            dataset.store, spec(dataset, text, fmt=fmt, public_base=public)
        ).body.decode()
        assert f"{public}/id/agreement/" in body
        assert fmt == "csv" or f"{public}/def/coop#T" in body  # CSV carries no datatypes
        assert body.count(agreement) == 3  # the string literal is data: never rewritten
    construct = (
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s a <{canonical}/def/coop#Agreement> ; ?p ?o }}"
    )
    body = evaluate(
        dataset.store, spec(dataset, construct, fmt="ntriples", public_base=public)
    ).body.decode()
    assert f"<{public}/id/agreement/" in body and f"<{canonical}/" not in body


@pytest.mark.parametrize("local_datatype", [False, True], ids=["fast", "field-by-field"])
def test_the_base_mapping_never_touches_the_text_of_literals(
    dataset: Dataset, local_datatype: bool
) -> None:
    canonical = dataset.iris.base
    public = "https://public.example"
    tricky = f"see <{canonical}/id/x> and\t<{canonical}/y>\n<{canonical}>"
    if local_datatype:  # this also takes TSV field by field, as does a local datatype
        tricky += f' \\"^^<{canonical}/z>'
    datatype = f"{canonical}/def/coop#T" if local_datatype else "http://example.org/T"
    text = f"""SELECT ?s ?text ?typed WHERE {{
        BIND (<{canonical}/id/agreement/a> AS ?s)
        BIND ({json.dumps(tricky)} AS ?text)
        BIND (STRDT({json.dumps(tricky)}, <{datatype}>) AS ?typed)
    }}"""
    for fmt in ("json", "xml", "tsv"):
        result = evaluate(dataset.store, spec(dataset, text, fmt=fmt, public_base=public))
        media = {
            "json": "application/sparql-results+json",
            "xml": "application/sparql-results+xml",
            "tsv": "text/tab-separated-values",
        }[fmt]
        row = next(
            iter(ox.parse_query_results(result.body, ox.QueryResultsFormat.from_media_type(media)))
        )
        assert row["s"] == ox.NamedNode(f"{public}/id/agreement/a")
        assert row["text"] == ox.Literal(tricky)
        assert row["typed"].value == tricky
        assert row["typed"].datatype.value == datatype.replace(canonical, public)
    construct = text.replace(
        "SELECT ?s ?text ?typed", "CONSTRUCT { ?s <http://example.org/p> ?text, ?typed }"
    )
    for fmt, rdf_format in (("ntriples", ox.RdfFormat.N_TRIPLES), ("ttl", ox.RdfFormat.TURTLE)):
        body = evaluate(dataset.store, spec(dataset, construct, fmt=fmt, public_base=public)).body
        parsed = list(ox.parse(body, rdf_format))
        assert {q.object for q in parsed} == {
            ox.Literal(tricky),
            ox.Literal(tricky, datatype=ox.NamedNode(datatype.replace(canonical, public))),
        }, fmt
        assert {q.subject for q in parsed} == {ox.NamedNode(f"{public}/id/agreement/a")}, fmt


def test_small_turtle_answers_are_written_in_one_pass_and_moved(dataset: Dataset) -> None:
    """One agreement's triples: under the public base, with its prefixes, as many as stored."""
    canonical, public = dataset.iris.base, "https://public.example/coop"
    plan = f"{canonical}/id/agreement/cor-ec-jap-2026"
    text = f"CONSTRUCT {{ <{plan}> ?p ?o }} WHERE {{ <{plan}> ?p ?o }}"
    prefixes = (("coop", f"{public}/def/coop#"), ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"))
    small = evaluate(
        dataset.store, spec(dataset, text, fmt="ttl", public_base=public, prefixes=prefixes)
    )
    assert small.body.startswith(b"@prefix ")
    assert f"@prefix coop: <{public}/def/coop#>".encode() in small.body
    assert canonical.encode() not in small.body
    ntriples = evaluate(dataset.store, spec(dataset, text, fmt="ntriples", public_base=public))
    assert small.rows == ntriples.rows > 10
    assert ox.Dataset(ox.parse(small.body, ox.RdfFormat.TURTLE)) == ox.Dataset(
        ox.parse(ntriples.body, ox.RdfFormat.N_TRIPLES)
    )
    capped = evaluate(dataset.store, spec(dataset, text, fmt="ttl", public_base=public, max_rows=3))
    assert capped.truncated and capped.rows == 3
    assert len(list(ox.parse(capped.body, ox.RdfFormat.TURTLE))) == 3


def test_a_syntax_error_carries_the_parsers_message(dataset: Dataset) -> None:
    with pytest.raises(BadRequestError, match=r"error at 1:6"):
        evaluate(dataset.store, spec(dataset, "ASK {"))


# -- worker processes --------------------------------------------------------------------------------------
@pytest.fixture()
def engine(dataset: Dataset, settings: Settings) -> Iterator[QueryEngine]:
    engine = QueryEngine(dataset, settings.replace(query_workers=2))
    yield engine
    engine.close()


def test_a_runaway_query_is_killed_at_the_deadline_and_the_worker_replaced(
    engine: QueryEngine, dataset: Dataset
) -> None:
    ask = spec(dataset, "ASK { ?s ?p ?o }")
    assert engine.run(ask, 5.0).body == b'{"head":{},"boolean":true}'
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match=r"within 0\.5 s"):
        engine.run(spec(dataset, CROSS_PRODUCT), 0.5)
    assert 0.5 <= time.monotonic() - started < 2.0
    assert engine.pool.kills == 1
    after = time.monotonic()
    assert engine.run(spec(dataset, "ASK { ?s a ?t }"), 5.0).rows == 1
    assert time.monotonic() - after < 1.0  # free again at once


def test_a_runaway_query_does_not_hold_up_other_clients(
    engine: QueryEngine, dataset: Dataset
) -> None:
    outcome: list[BaseException] = []

    def runaway() -> None:
        try:
            engine.run(spec(dataset, CROSS_PRODUCT), 3.0)
        except QueryTimeoutError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    latencies = []
    for number in range(20):
        started = time.monotonic()
        engine.run(spec(dataset, f"ASK {{ ?s ?p {number} }}"), 3.0)
        latencies.append(time.monotonic() - started)
    thread.join()
    assert outcome and isinstance(outcome[0], QueryTimeoutError)
    assert max(latencies) < 1.0, latencies


def test_answers_are_cached_per_spec(engine: QueryEngine, dataset: Dataset) -> None:
    text = spec(dataset, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    first = engine.run(text, 5.0)
    forks = engine.pool.forks
    assert engine.run(text, 5.0) is first
    assert engine.pool.forks == forks


def test_a_crashing_worker_is_reported_and_replaced() -> None:
    def crash(payload: str) -> str:
        if payload == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
            time.sleep(5)  # the signal may land on the other thread: wait for it
        return payload.upper()

    pool = WorkerPool(crash, 1)
    try:
        assert pool.call("a", time.monotonic() + 5) == "A"
        with pytest.raises(WorkerCrashedError) as raised:
            pool.call("crash", time.monotonic() + 5)
        assert raised.value.signal_number == signal.SIGSEGV
        assert pool.call("b", time.monotonic() + 5) == "B"
        assert pool.forks == 2
    finally:
        pool.close()


def test_exceptions_come_back_as_themselves_and_the_worker_stays() -> None:
    def fail(payload: int) -> int:
        raise BadRequestError(f"bad {payload}", hint="a hint")

    pool = WorkerPool(fail, 1)
    try:
        for number in range(3):
            with pytest.raises(BadRequestError, match=f"bad {number}") as raised:
                pool.call(number, time.monotonic() + 5)
            assert raised.value.hint == "a hint"
        assert pool.forks == 1
    finally:
        pool.close()


def test_waiting_for_a_busy_pool_counts_against_the_deadline() -> None:
    pool = WorkerPool(time.sleep, 1)
    try:
        thread = threading.Thread(target=lambda: pool.call(1.0, time.monotonic() + 5))
        thread.start()
        time.sleep(0.2)
        started = time.monotonic()
        with pytest.raises((WorkerBusyError, WorkerTimeoutError)):
            pool.call(0.0, time.monotonic() + 0.3)
        assert time.monotonic() - started < 0.8
        thread.join()
    finally:
        pool.close()


def test_a_query_that_explodes_in_memory_is_stopped(dataset: Dataset, settings: Settings) -> None:
    engine = QueryEngine(dataset, settings)
    engine.pool.memory_headroom = 512 * 1024 * 1024
    doubling = " ".join(f"BIND (CONCAT(?v{i}, ?v{i}) AS ?v{i + 1})" for i in range(40))
    text = f'SELECT (STRLEN(?v40) AS ?n) {{ BIND ("0123456789" AS ?v0) {doubling} }}'
    try:
        with pytest.raises((QueryLimitError, QueryTimeoutError)) as raised:
            engine.run(spec(dataset, text), 20.0)
        assert isinstance(raised.value, QueryLimitError), raised.value
        assert "memory" in raised.value.message
        assert engine.run(spec(dataset, "ASK {}"), 5.0).rows == 1
    finally:
        engine.close()


@pytest.mark.skipif(
    not network_isolation_supported(), reason="seccomp filter is Linux x86_64/aarch64"
)
def test_workers_cannot_open_network_sockets_even_if_a_service_slips_through(
    engine: QueryEngine, dataset: Dataset
) -> None:
    """The analysis refuses SERVICE before evaluation; this bypasses it to prove the layer
    behind: a worker process cannot create an INET socket at all."""
    connections: list[object] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        text = f"SELECT * {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
        with pytest.raises(Exception) as raised:
            engine.run(spec(dataset, text), 5.0)
        assert "ermission" in str(raised.value) or "denied" in str(raised.value), raised.value
        with contextlib.suppress(TimeoutError):
            connections.append(listener.accept())
    assert connections == []


def test_ask_answers_are_pyoxigraphs_own_bytes_for_each_format_and_value(
    dataset: Dataset,
) -> None:
    from coopld.formats import RESULT_FORMATS

    for text, value in [("ASK { ?s ?p ?o }", True), ("ASK { ?s ?p ?o FILTER (false) }", False)]:
        raw = dataset.store.query(text, use_default_graph_as_union=True)
        assert isinstance(raw, ox.QueryBoolean) and bool(raw) is value
        for fmt in RESULT_FORMATS:
            expected = raw.serialize(format=ox.QueryResultsFormat.from_media_type(fmt.media_type))
            for _ in range(2):  # written once, then reused: still the same bytes
                result = evaluate(dataset.store, spec(dataset, text, fmt.name))
                assert (result.kind, result.body) == ("boolean", expected), (fmt.name, value)
