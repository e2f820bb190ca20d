"""Queries whose work is provably small are answered in the web process, exactly as a
worker would answer them; everything else still goes to a killable worker."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from coopld.bounded import BoundedQueries, Var, parse_query
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
    parsed = parse_query(text, "http://x/sparql")
    assert parsed is not None
    counted = [
        [tuple(None if isinstance(t, Var) else t for t in p) for p in b] for b in parsed.branches
    ]
    assert counted == branches


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
    assert parse_query(text, "http://x/sparql") is None


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


# -- ASKs answered by probing the indexes ------------------------------------------------------


def _engine_says(store: ox.Store, text: str) -> bool:
    return bool(store.query(text, use_default_graph_as_union=True))


def _iri(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str | None:
    return f"<{term.value}>" if isinstance(term, ox.NamedNode) else None


def _random_asks(store: ox.Store, seed: int, count: int) -> Iterator[str]:
    """ASKs of plain terms built from the store's own quads: each position kept as an IRI,
    or a variable from a pool of three (so patterns join, and repeat a variable), or an IRI
    that matches nothing; one to three patterns, sometimes a UNION of two branches."""
    import random

    rng = random.Random(seed)
    quads = [q for q in store if not isinstance(q.object, ox.Triple)]
    variables = ["?a", "?b", "$a", "?c"]  # ?a and $a are one variable

    def pattern() -> str:
        quad = rng.choice(quads)
        terms = []
        for position, term in enumerate((quad.subject, quad.predicate, quad.object)):
            iri = _iri(term)
            roll = rng.random()
            if iri is None or roll < 0.45:
                terms.append(rng.choice(variables))
            elif roll < 0.5 and position != 1:
                terms.append("<http://example.org/nothing>")
            else:
                terms.append(iri)
        if terms[1].startswith(("?", "$")) and rng.random() < 0.7:
            terms[1] = _iri(quad.predicate) or terms[1]
        return " ".join(terms)

    def group() -> str:
        return " . ".join(pattern() for _ in range(rng.randint(1, 3)))

    for _ in range(count):
        where = group() if rng.random() < 0.8 else f"{{ {group()} }} UNION {{ {group()} }}"
        yield f"ASK {{ {where} }}"


EX = "http://example.org/"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
RDF_TYPE_NODE = ox.NamedNode(RDF_TYPE)


def _mixed_store(*, triple_term: bool = False) -> ox.Store:
    """Triples in the default graph and in two named graphs, one of them in two graphs, a
    blank node, literals, a subject that is its own object (and a triple term)."""
    a, b, c, p, q, t = (ox.NamedNode(EX + name) for name in ("a", "b", "c", "p", "q", "T"))
    node = ox.BlankNode("n1")
    g1, g2 = ox.NamedNode(EX + "g1"), ox.NamedNode(EX + "g2")
    store = ox.Store()
    store.extend(
        [
            ox.Quad(a, p, b),
            ox.Quad(b, p, c, g1),
            ox.Quad(c, p, a, g2),
            ox.Quad(a, p, b, g2),
            ox.Quad(a, q, a, g1),
            ox.Quad(a, q, node, g1),
            ox.Quad(node, p, ox.Literal("x"), g1),
            ox.Quad(node, q, ox.Literal("1", datatype=ox.NamedNode(XSD_INTEGER)), g2),
            ox.Quad(b, RDF_TYPE_NODE, t, g2),
            ox.Quad(c, RDF_TYPE_NODE, t, g1),
        ]
    )
    if triple_term:
        store.add(ox.Quad(c, q, ox.Triple(a, p, b), g2))
    return store


@pytest.mark.parametrize("where", ["shipped", "mixed"])
def test_a_probed_ask_is_exactly_the_engines_answer(dataset: Dataset, where: str) -> None:
    store = dataset.store if where == "shipped" else _mixed_store(triple_term=True)
    bounded = BoundedQueries(store)
    probed = {True: 0, False: 0}
    for text in _random_asks(store, seed=7, count=3000):
        plan = bounded.plan(text)
        found = None if plan is None else bounded.exists(plan.parsed)
        if found is not None:
            assert found is _engine_says(store, text), text
            probed[found] += 1
    # both answers occur often, else the comparison proves little
    assert probed[True] > 300 and probed[False] > 300, probed


@pytest.mark.parametrize(
    ("where", "answer"),
    [
        ("", True),
        ("{ } UNION { e:nothing ?p ?o }", True),
        ("?x e:q ?x", True),  # the same variable twice
        ("?x e:p ?x", False),
        ("?s ?p e:b . e:b ?p ?o", True),  # a variable predicate, bound by the first pattern
        ("?s ?p e:c . e:c ?p e:b", False),
        ("?y e:q ?x . ?x e:p ?z . ?z e:q ?w", False),  # literals reached as subjects
        ("?s e:q ?o . ?o e:p ?l . ?l e:p ?z", True),
        ("?s e:q ?o . e:a ?o ?y", False),  # a blank node and a literal reached as predicates
        ("?s a e:T ; e:p e:a", True),
        ("{ e:a e:p e:c } UNION { e:c e:p e:a }", True),
        ("{ e:a e:p e:c } UNION { $s e:p ?s }", False),
    ],
)
def test_probes_on_chosen_shapes(where: str, answer: bool) -> None:
    store = _mixed_store()
    bounded = BoundedQueries(store)
    text = f"PREFIX e: <{EX}> ASK WHERE {{ {where} }}"
    plan = bounded.plan(text)
    assert plan is not None
    assert _engine_says(store, text) is answer
    assert bounded.exists(plan.parsed) is answer


def test_a_triple_term_reached_as_a_subject_is_left_to_the_engine() -> None:
    store = _mixed_store(triple_term=True)
    bounded = BoundedQueries(store)
    text = f"PREFIX e: <{EX}> ASK {{ e:c e:q ?t . ?t e:p ?o }}"
    plan = bounded.plan(text)
    assert plan is not None
    assert bounded.exists(plan.parsed) is None
    assert _engine_says(store, text) is False


@pytest.mark.parametrize(
    "text",
    [
        "ASK { <a> ?p ?o }",  # relative: resolved against the base
        "ASK { <http://example.org/x/../a> ?p ?o }",  # a dot segment
        "ASK { <http://example.org/./a> ?p ?o }",
        "BASE <http://example.org/> ASK { <http://example.org/a> ?p ?o }",
        "PREFIX e: <http://example.org/> ASK { e:a ?p 'x' }",  # a literal
        "ASK { <http://example.org/a> ?p true }",
        "ASK { <http://example.org/a> ?p ?o } LIMIT 1",
        "ASK { <http://example.org/a> ?p ?o } OFFSET 1",
        "ASK { ?é ?p ?o . <http://example.org/a> ?p ?o }",  # a variable of non-ASCII letters
        "PREFIX e: <http://example.org/> ASK { e:a\\u0062 ?p ?o }",  # an escape
        "PREFIX e: <http://example.org/> ASK { e:a ?p ?o } # \\",
        "PREFIX e.: <http://example.org/> ASK { e.:a ?p ?o }",  # not a prefix SPARQL allows
        "PREFIX e: <http://example.org/> SELECT * { e:a ?p ?o }",  # not an ASK
        "PREFIX e: <http://example.org/> CONSTRUCT WHERE { e:a ?p ?o }",
        "PREFIX x: <http://example.org/%zz> ASK { <http://example.org/a> ?p ?o }",  # unused, bad
    ],
)
def test_asks_that_leave_anything_to_interpret_go_to_the_engine(text: str) -> None:
    store = _mixed_store()
    bounded = BoundedQueries(store)
    plan = bounded.plan(text, "http://example.org/sparql")
    if plan is not None:  # (some are outside the bounded subset altogether)
        assert bounded.exists(plan.parsed) is None


def test_a_probe_that_would_read_too_many_quads_leaves_the_ask_to_the_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from coopld.bounded import ASK_STEPS

    ex = EX
    t, q, v = ox.NamedNode(ex + "T"), ox.NamedNode(ex + "q"), ox.NamedNode(ex + "v")
    store = ox.Store()
    for i in range(ASK_STEPS + 10):  # two disjoint sets of subjects: the join is empty
        store.add(ox.Quad(ox.NamedNode(f"{ex}s{i}"), RDF_TYPE_NODE, t, ox.NamedNode(ex + "g")))
        store.add(ox.Quad(ox.NamedNode(f"{ex}u{i}"), q, v, ox.NamedNode(ex + "g")))
    bounded = BoundedQueries(store, budget=(ASK_STEPS + 10) ** 2)  # bounded, but too much
    text = f"ASK {{ ?s a <{ex}T> . ?s <{ex}q> <{ex}v> }}"
    plan = bounded.plan(text)
    assert plan is not None
    assert bounded.exists(plan.parsed) is None
    assert _engine_says(store, text) is False
    # with more steps allowed, the same probes answer
    monkeypatch.setattr("coopld.bounded.ASK_STEPS", 4 * ASK_STEPS)
    assert bounded.exists(plan.parsed) is False


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_a_probed_ask_gets_the_workers_bytes_in_every_format(
    engines: tuple[QueryEngine, QueryEngine], dataset: Dataset, coop: str, fmt: str
) -> None:
    inline, workers_only = engines
    base = dataset.iris.base
    for text, answer in (
        (f"ASK {{ <{_plan(dataset)}> <{coop}party> ?x . ?x a <{coop}Organisation> }}", True),
        (f"ASK {{ <{_plan(dataset)}> <{coop}party> <{_plan(dataset)}> }}", False),
    ):
        spec = QuerySpec(text, fmt, base + "/sparql", 10000, canonical_base=base)
        mine, theirs = inline.run(spec, 5.0), workers_only.run(spec, 5.0)
        assert (mine.body, mine.kind, mine.rows) == (theirs.body, theirs.kind, theirs.rows)
        assert answer is (b"true" in mine.body)
    assert inline.probed == 2 and inline.pool.forks == 0
