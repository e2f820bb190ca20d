"""The real dataset: it conforms, every resource has a label and a source, every quote is verbatim,
and the Joint Action Plan's annex is transcribed exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from coopld.records import load_records
from coopld.store import Dataset, open_dataset

from .conftest import ROOT, shared_path

PREFIXES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
"""

#: Annex of the Joint Action Plan: action number -> the priority areas it contributes to
ANNEX = {
    1: {1, 2, 3, 4},
    2: {1},
    3: {1, 2, 3},
    4: {1, 2, 3},
    5: {1},
    6: {1},
    7: {1, 3},
    8: {1, 3},
    9: {4},
    10: {1, 2, 3, 4},
    11: {2},
}


def select(dataset: Dataset, query: str) -> list[dict[str, str]]:
    coop = f"PREFIX coop: <{dataset.iris.coop}>\n"
    graph = dataset.graph("data")
    solutions = dataset.store.query(PREFIXES + coop + query, default_graph=graph)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in solutions]


def test_the_build_conforms_without_violations(built: Path) -> None:
    manifest = json.loads((built / "build.json").read_text())
    assert manifest["validation"]["violations"] == 0


def test_every_resource_has_an_english_label_and_a_source(dataset: Dataset) -> None:
    rows = select(
        dataset,
        f"""
        SELECT DISTINCT ?s WHERE {{
          ?s a ?type .
          FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{dataset.iris.base}/id/"))
          FILTER NOT EXISTS {{ ?s rdfs:label ?l . FILTER(langMatches(lang(?l), "en")) }}
        }}""",
    )
    assert rows == [], f"resources without an English label: {rows}"
    rows = select(
        dataset,
        f"""
        SELECT DISTINCT ?s WHERE {{
          ?s a ?type .
          FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{dataset.iris.base}/id/"))
          FILTER NOT EXISTS {{ ?s prov:wasDerivedFrom ?doc }}
        }}""",
    )
    assert rows == [], f"resources without a source: {rows}"


def test_every_quote_is_verbatim_in_its_seed() -> None:
    seeds = shared_path("seeds")
    records = load_records(ROOT / "data")
    files = {r.key: r.get("file") for r in records if r.type == "SourceDocument"}
    checked = 0
    for record in records:
        for source in record.get("sources"):
            doc = source["document"]
            if doc not in files:
                continue  # a publication cited by a seed: its record's own sources point at the seed
            quote = source.get("quote")
            if quote:
                text = (seeds / files[doc]).read_text(encoding="utf-8")
                assert quote in text, f"{record.origin}: quote not found in {files[doc]}: {quote!r}"
                checked += 1
    assert checked >= 50


def test_records_cover_all_five_seeds() -> None:
    seeds = sorted(p.name for p in shared_path("seeds").glob("*.txt"))
    records = load_records(ROOT / "data")
    files = sorted(r.get("file") for r in records if r.type == "SourceDocument")
    assert files == seeds
    used = {s["document"] for r in records for s in r.get("sources")}
    documents = {r.key for r in records if r.type == "SourceDocument"}
    assert documents <= used


def test_joint_action_plan_annex_is_transcribed_exactly(dataset: Dataset) -> None:
    rows = select(
        dataset,
        """
        SELECT ?n ?pa WHERE {
          ?jap a coop:JointActionPlan ; coop:signatureDate "2026-04-24"^^xsd:date ;
               coop:hasAction ?action .
          ?action coop:number ?n ; coop:contributesTo ?area .
          ?area coop:number ?pa .
        }""",
    )
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(int(row["n"]), set()).add(int(row["pa"]))
    assert found == ANNEX


def test_joint_action_plan_has_four_areas_three_signatories_and_its_place(dataset: Dataset) -> None:
    rows = select(
        dataset,
        """
        SELECT (COUNT(DISTINCT ?area) AS ?areas) (COUNT(DISTINCT ?person) AS ?people)
               (SAMPLE(?placeLabel) AS ?place) WHERE {
          ?jap a coop:JointActionPlan ; coop:signatureDate "2026-04-24"^^xsd:date ;
               coop:hasPriorityArea ?area ; coop:signatory ?person ;
               coop:signaturePlace/rdfs:label ?placeLabel .
          FILTER(lang(?placeLabel) = "en")
        }""",
    )
    assert rows == [{"areas": "4", "people": "3", "place": "Brussels"}]


def test_each_signatory_signs_in_a_post_they_hold(dataset: Dataset) -> None:
    rows = select(
        dataset,
        """
        SELECT ?person ?post WHERE {
          ?jap a coop:JointActionPlan ; prov:qualifiedAttribution ?sig .
          ?sig prov:agent ?person ; coop:inCapacityOf ?post .
          ?post org:heldBy ?person .
        }""",
    )
    assert len(rows) == 3


def test_counts_of_the_main_kinds(built: Path) -> None:
    counts = json.loads((built / "build.json").read_text())["counts"]
    assert counts["action"] >= 11
    assert counts["priority-area"] >= 4
    assert counts["document"] >= 5
    assert counts["agreement"] >= 10
    assert counts["organisation"] >= 15


@pytest.mark.parametrize("code", ["COM", "JRC", "RTD", "COR"])
def test_eu_bodies_carry_their_verified_authority_code(dataset: Dataset, code: str) -> None:
    rows = select(
        dataset,
        f"""
        SELECT ?org WHERE {{
          ?org coop:authorityCode <http://publications.europa.eu/resource/authority/corporate-body/{code}> }}""",
    )
    assert len(rows) == 1


def test_the_store_holds_exactly_the_dumps_statements_with_their_blank_node_labels(
    built: Path,
) -> None:
    """The store is filled subject by subject (store.py), not in the dump's order: nothing
    may be lost, added or relabelled on the way."""
    nq = built / "coopld.nq"
    dumped = list(ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS, rename_blank_nodes=False))
    assert any(isinstance(quad.subject, ox.BlankNode) for quad in dumped)
    store = open_dataset(built).store  # (the session's dataset is shared with the apps)
    assert len(store) == len(set(dumped)) > 3000
    assert set(store) == {_as_stored(quad) for quad in dumped}


def _as_stored(quad: ox.Quad) -> ox.Quad:
    """pyoxigraph's store keeps xsd:nonNegativeInteger (dcat:byteSize) as xsd:integer."""
    term = quad.object
    if isinstance(term, ox.Literal) and term.datatype.value.endswith("#nonNegativeInteger"):
        integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
        return ox.Quad(
            quad.subject, quad.predicate, ox.Literal(term.value, datatype=integer), quad.graph_name
        )
    return quad
