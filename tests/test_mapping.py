"""Records -> RDF: golden graph, determinism, IRIs minted from the configured base."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from coopld.build import sorted_ntriples
from coopld.mapping import date_literal, records_to_graph
from coopld.namespaces import DCAT, DCTERMS, ORG, PROV, RDF, SKOS, XSD, Iris
from coopld.records import load_records

HERE = Path(__file__).parent
RECORDS = HERE / "data" / "records"
GOLDEN = HERE / "data" / "expected" / "tiny.ttl"
BASE = "http://example.org/coop"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return records_to_graph(load_records(RECORDS), Iris(BASE)).graph


def test_tiny_records_give_the_golden_graph(graph: Graph) -> None:
    expected = Graph().parse(GOLDEN)
    if not isomorphic(graph, expected):
        _, only_here, only_expected = graph_diff(to_isomorphic(graph), to_isomorphic(expected))
        pytest.fail(
            "converted graph differs from tests/data/expected/tiny.ttl (run `make golden` if the "
            f"change is intended)\nonly produced:\n{only_here.serialize(format='nt')}\n"
            f"only expected:\n{only_expected.serialize(format='nt')}"
        )


def test_same_records_give_byte_identical_sorted_ntriples() -> None:
    first = sorted_ntriples(records_to_graph(load_records(RECORDS), Iris(BASE)).graph)
    second = sorted_ntriples(records_to_graph(load_records(RECORDS), Iris(BASE)).graph)
    assert first == second
    assert first.count(b"\n") == len(Graph().parse(data=first.decode(), format="nt"))


def test_iris_follow_the_configured_base() -> None:
    other = records_to_graph(load_records(RECORDS), Iris("https://data.example.eu/x")).graph
    subjects = {str(s) for s in other.subjects() if isinstance(s, URIRef)}
    assert "https://data.example.eu/x/id/agreement/plan-2026" in subjects
    assert all(s.startswith("https://data.example.eu/x/id/") for s in subjects)
    assert (None, URIRef("https://data.example.eu/x/def/coop#party"), None) in other


def test_dates_get_the_datatype_their_precision_says() -> None:
    assert date_literal("2026") == Literal("2026", datatype=XSD.gYear)
    assert date_literal("2023-06") == Literal("2023-06", datatype=XSD.gYearMonth)
    assert date_literal("2026-04-24") == Literal("2026-04-24", datatype=XSD.date)


def test_period_signature_and_sources_are_structured(graph: Graph) -> None:
    iris = Iris(BASE)
    plan = iris.thing("agreement", "plan-2026")
    period = graph.value(plan, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
    assert graph.value(period, DCAT.startDate) == Literal("2026", datatype=XSD.gYear)
    signature = graph.value(plan, PROV.qualifiedAttribution)
    assert graph.value(signature, PROV.agent) == iris.thing("person", "jane-doe")
    assert graph.value(signature, iris.coop.inCapacityOf) == iris.thing("post", "head-of-a")
    derivation = graph.value(plan, PROV.qualifiedDerivation)
    assert graph.value(derivation, iris.coop.quote) == Literal("2026–2029", lang="en")


def test_inverse_links_are_written_both_ways(graph: Graph) -> None:
    iris = Iris(BASE)
    unit, org = iris.thing("organisation", "org-a-unit"), iris.thing("organisation", "org-a")
    assert (unit, ORG.unitOf, org) in graph and (org, ORG.hasUnit, unit) in graph
    plan, action = iris.thing("agreement", "plan-2026"), iris.thing("action", "plan-2026-action-1")
    assert (plan, iris.coop.hasAction, action) in graph
    area = iris.thing("priority-area", "plan-2026-pa-1")
    assert (plan, iris.coop.hasPriorityArea, area) in graph
    assert (area, SKOS.notation, Literal("1")) in graph


def test_focus_and_lead_imply_the_general_links(graph: Graph) -> None:
    iris = Iris(BASE)
    action = iris.thing("action", "plan-2026-action-1")
    area = iris.thing("priority-area", "plan-2026-pa-1")
    unit = iris.thing("organisation", "org-a-unit")
    assert (action, iris.coop.focusArea, area) in graph
    assert (action, iris.coop.contributesTo, area) in graph
    assert (action, iris.coop.leadActor, unit) in graph
    assert (action, iris.coop.involves, unit) in graph


def test_authority_codes_become_publications_office_iris(graph: Graph) -> None:
    org = Iris(BASE).thing("organisation", "org-a")
    code = graph.value(org, Iris(BASE).coop.authorityCode)
    assert code == URIRef("http://publications.europa.eu/resource/authority/corporate-body/COM")
