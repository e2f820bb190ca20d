"""Queries whose work is provably small are answered in the web process, exactly as a
worker would answer them; everything else still goes to a killable worker."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from coopld.bounded import BoundedQueries, parse_bounded
from coopld.config import Settings
from coopld.query import QueryEngine, QuerySpec
from coopld.store import Dataset

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.mark.parametrize(
    ("text", "branches"),
    [
        ("ASK { <http://x/a> ?p ?o }", [[("http://x/a", None, None)]]),
        ("ask where { <a> ?p ?o . }", [[("http://x/a", None, None)]]),
        (
            "PREFIX c: <http://x/c#> CONSTRUCT { ?s c:p ?o } WHERE { ?s a c:T ; c:p ?o , ?z }",
            [
                [
                    (None, RDF_TYPE, "http://x/c#T"),
                    (None, "http://x/c#p", None),
                    (None, "http://x/c#p", None),
                ]
            ],
        ),
        ("CONSTRUCT WHERE { <a> <p> ?o } # a comment", [[("http://x/a", "http://x/p", None)]]),
        (
            "SELECT DISTINCT ?s ?o WHERE { ?s <p> 'x'@en . ?s <q> \"y\"^^<http://t> } LIMIT 5 OFFSET 10",
            [[(None, "http://x/p", None), (None, "http://x/q", None)]],
        ),
        (
            "SELECT * { ?s <p> true ; ; <q> ?o . }",
            [[(None, "http://x/p", None), (None, "http://x/q", None)]],
        ),
        (
            "BASE <http://y/> SELECT * { { <a> ?p ?o } UNION { ?s ?p <a> } UNION { <b> ?p ?o } }",
            [
                [("http://y/a", None, None)],
                [(None, None, "http://y/a")],
                [("http://y/b", None, None)],
            ],
        ),
        ("SELECT * {}", [[]]),
    ],
)
def test_the_recognised_subset(text: str, branches: list[list[tuple[str | None, ...]]]) -> None:
    union = parse_bounded(text, "http://x/sparql")
    assert union is not None
    assert [list(branch) for branch in union.branches] == branches


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { ?s ?p ?o FILTER(?o = 1) }",
        "SELECT * { ?s <p> ?o OPTIONAL { ?o <q> ?z } }",
        "SELECT * { ?s <p>/<q> ?o }",
        "SELECT * { ?s <p>* ?o }",
        "SELECT * { ?s ^<p> ?o }",
        "SELECT * { ?s <p>|<q> ?o }",
        "SELECT * { ?s !<p> ?o }",
        "SELECT * { GRAPH ?g { ?s <p> ?o } }",
        "SELECT * FROM <g> { ?s <p> ?o }",
        "SELECT * FROM NAMED <g> { ?s <p> ?o }",
        "SELECT * { SERVICE <http://example.org/sparql> { ?s <p> ?o } }",
        "SELECT * { { SELECT * { ?s <p> ?o } } }",
        "SELECT (COUNT(*) AS ?n) { ?s <p> ?o }",
        "SELECT ?s { ?s <p> ?o } GROUP BY ?s",
        "SELECT ?s { ?s <p> ?o } ORDER BY ?s",
        "SELECT * { ?s <p> ?o } VALUES ?s { <a> }",
        "SELECT * { ?s <p> ?o BIND(1 AS ?x) }",
        "SELECT * { ?s <p> [ <q> ?o ] }",
        "SELECT * { ?s <p> _:b }",
        "SELECT * { ?s <p> ( 1 2 ) }",
        "SELECT * { ?s <p> 12 }",
        "SELECT * { ?s <p> ?o MINUS { ?s <q> ?o } }",
        "SELECT * { ?s <p> ?o . { ?s <q> ?z } }",
        "SELECT * { ?s undeclared:p ?o }",
        "DESCRIBE <a>",
        "ASK { ?s <p> ?o } trailing",
        "ASK { ?s <p> ?o",
        "INSERT DATA { <a> <b> <c> }",
        "",
    ],
)
def test_everything_else_is_left_to_a_worker(text: str) -> None:
    assert parse_bounded(text, "http://x/sparql") is None


@pytest.fixture()
def coop(dataset: Dataset) -> str:
    return dataset.iris.base + "/def/coop#"


def _plan(dataset: Dataset) -> str:
    return dataset.iris.base + "/id/agreement/cor-ec-jap-2026"


def _rows(store: ox.Store, text: str) -> int:
    return sum(1 for _ in store.query(text, use_default_graph_as_union=True))  # type: ignore[union-attr]


def test_the_bound_is_never_below_the_real_work(dataset: Dataset, coop: str) -> None:
    bounded = BoundedQueries(dataset.store)
    plan = _plan(dataset)
    for where in (
        f"<{plan}> ?p ?o",
        f"<{plan}> <{coop}hasAction> ?a . ?a <{coop}contributesTo> ?area",
        f"?a <{coop}actionOf> <{plan}> . ?a <{coop}contributesTo> ?o",
        f"{{ <{plan}> ?p ?o }} UNION {{ ?s ?q <{plan}> }}",
    ):
        text = f"SELECT * WHERE {{ {where} }}"
        work = bounded.work(text)
        assert work is not None, where
        assert _rows(dataset.store, text) <= work
        assert work > 0


def test_patterns_with_too_many_matches_or_no_iri_are_not_bounded(
    dataset: Dataset, coop: str
) -> None:
    store = dataset.store
    actions = _rows(store, f"SELECT * {{ ?a a <{coop}Action> }}")
    assert actions > 4
    assert BoundedQueries(store).work(f"SELECT * {{ ?a a <{coop}Action> }}") == actions
    # the same pattern over a smaller cap, or over a smaller budget, goes to a worker
    assert (
        BoundedQueries(store, pattern_cap=actions - 1).work(f"ASK {{ ?a a <{coop}Action> }}")
        is None
    )
    join = f"SELECT * {{ ?a a <{coop}Action> . ?b a <{coop}Action> }}"
    assert BoundedQueries(store, budget=actions * actions).work(join) == actions * actions
    assert BoundedQueries(store, budget=actions * actions - 1).work(join) is None
    assert BoundedQueries(store).work("SELECT * { ?s ?p ?o }") is None
    # a pattern with no IRI is unbounded even when joined (its fan-out is not counted)
    assert BoundedQueries(store).work(f"SELECT * {{ ?a a <{coop}Action> . ?a ?p ?o }}") is None
    assert BoundedQueries(store).work("SELECT * { ?s ?p 'only a literal' }") is None
    assert BoundedQueries(store, budget=0).work(f"ASK {{ <{_plan(dataset)}> ?p ?o }}") is None


@pytest.fixture()
def engines(dataset: Dataset, settings: Settings) -> Iterator[tuple[QueryEngine, QueryEngine]]:
    inline = QueryEngine(dataset, settings)
    workers_only = QueryEngine(dataset, settings.replace(inline_query_budget=0))
    yield inline, workers_only
    inline.close()
    workers_only.close()


@pytest.mark.parametrize(
    ("where", "fmt"),
    [
        ("ASK {{ <{plan}> <{coop}party> ?x . ?x a <{coop}Organisation> }}", "json"),
        ("ASK {{ <{plan}> <{coop}party> <{plan}> }}", "xml"),
        ("CONSTRUCT {{ <{plan}> ?p ?o }} WHERE {{ <{plan}> ?p ?o }}", "ttl"),
        (
            "CONSTRUCT {{ ?s ?q <{plan}> }} WHERE {{ {{ <{plan}> ?p ?o }} UNION {{ ?s ?q <{plan}> }} }}",
            "nt",
        ),
        (
            "SELECT ?a ?label WHERE {{ ?a <{coop}actionOf> <{plan}> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }}",
            "csv",
        ),
        ("SELECT * WHERE {{ <{plan}> ?p ?o }} LIMIT 3", "tsv"),
    ],
)
def test_inline_answers_are_the_workers_answers(
    engines: tuple[QueryEngine, QueryEngine], dataset: Dataset, coop: str, where: str, fmt: str
) -> None:
    inline, workers_only = engines
    base = dataset.iris.base
    text = where.format(plan=_plan(dataset), coop=coop)
    spec = QuerySpec(
        text, fmt, base + "/sparql", 10000, canonical_base=base, public_base="http://public.example"
    )
    mine = inline.run(spec, 5.0)
    theirs = workers_only.run(spec, 5.0)
    assert inline.inline == 1 and inline.pool.forks == 0  # answered here, no worker forked
    assert workers_only.inline == 0 and workers_only.pool.forks == 1
    assert (mine.body, mine.kind, mine.rows, mine.truncated) == (
        theirs.body,
        theirs.kind,
        theirs.rows,
        theirs.truncated,
    )
    assert mine.rows > 0


def test_the_row_cap_applies_inline_too(dataset: Dataset, settings: Settings, coop: str) -> None:
    engine = QueryEngine(dataset, settings)
    try:
        base = dataset.iris.base
        text = f"SELECT ?p ?o WHERE {{ <{_plan(dataset)}> ?p ?o }}"
        result = engine.run(QuerySpec(text, "json", base + "/sparql", 2), 5.0)
        assert engine.inline == 1
        assert result.truncated and result.rows == 2
        assert len(json.loads(result.body)["results"]["bindings"]) == 2
    finally:
        engine.close()


def test_a_dataset_named_by_the_protocol_goes_to_a_worker(
    dataset: Dataset, settings: Settings
) -> None:
    engine = QueryEngine(dataset, settings)
    try:
        base = dataset.iris.base
        text = f"ASK {{ <{_plan(dataset)}> ?p ?o }}"
        spec = QuerySpec(text, "json", base + "/sparql", 10, default_graphs=(base + "/graph/data",))
        assert engine.run(spec, 5.0).body == b'{"head":{},"boolean":true}'
        assert engine.inline == 0 and engine.pool.forks == 1
    finally:
        engine.close()
