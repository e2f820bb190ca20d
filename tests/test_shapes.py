"""shapes/coop.shapes.ttl: valid SHACL, silent on valid data, and every constraint bites.

The negative fixtures are patches on tests/data/shapes/valid.ttl, listed with the result each must
produce in tests/data/shapes/cases.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyshacl
import pytest
import yaml
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF, RDFS, SH, SKOS
from rdflib.term import Node

BASE = "http://127.0.0.1:5000/"
ROOT = Path(__file__).resolve().parents[1]
SHAPES_FILE = ROOT / "shapes" / "coop.shapes.ttl"
ONTOLOGY_FILE = ROOT / "ontology" / "coop.ttl"
FIXTURES = Path(__file__).parent / "data" / "shapes"
SHACL_SHACL_FILE = Path(pyshacl.__file__).parent / "assets" / "shacl-shacl.ttl"
COOP = Namespace(BASE + "def/coop#")
COOPSH = Namespace(BASE + "def/coop-shapes#")
CC_BY = URIRef("https://creativecommons.org/licenses/by/4.0/")

CASES: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (FIXTURES / "cases.yaml").read_text(encoding="utf-8")
)
VIOLATIONS = CASES["violations"]
STILL_VALID = CASES["still_valid"]

# Predicates of the SHACL namespace that are not constraint parameters (or are parameters of a
# component already counted through another one: sh:qualifiedValueShape, sh:flags).
NOT_CONSTRAINTS = {
    SH.path, SH.property, SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group,
    SH.deactivated, SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
    SH.target, SH.qualifiedValueShape, SH.qualifiedValueShapesDisjoint, SH.flags,
    SH.ignoredProperties, SH.prefixes, SH.declare,
}  # fmt: skip

# The classes that records and their qualified nodes have, per docs/model.md.
MODEL_CLASSES = [
    COOP.Agreement,
    COOP.Action,
    COOP.Organisation,
    COOP.Country,
    COOP.Region,
    COOP.Person,
    ORG.Post,
    COOP.Place,
    SKOS.ConceptScheme,
    COOP.PriorityArea,
    SKOS.Concept,
    COOP.Objective,
    COOP.FundingInstrument,
    COOP.Document,
    COOP.SourceDocument,
    COOP.Signature,
    PROV.Derivation,
    DCTERMS.PeriodOfTime,
]


@dataclass(frozen=True)
class Result:
    shape: Node | None
    component: Node | None
    severity: Node | None
    focus: Node | None

    def __str__(self) -> str:
        return f"{self.shape} {self.component} {self.severity} on {self.focus}"


def load_shapes(base: str = BASE) -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle", publicID=base)


def load_ontology(base: str = BASE) -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle", publicID=base)


def load_valid(base: str = BASE) -> Graph:
    """valid.ttl, keeping exactly its own prefixes (rdflib's defaults would rebind schema:)."""
    text = (FIXTURES / "valid.ttl").read_text(encoding="utf-8").replace(BASE, base)
    return Graph(bind_namespaces="none").parse(data=text, format="turtle")


def validate(data: Graph, shapes: Graph, ontology: Graph) -> list[Result]:
    """Validate as the build should: ontology mixed in for its subclass axioms, no entailment.

    With inference="rdfs" the ontology's rdfs:range axioms would type every value as whatever
    the shapes check for, and add coop:contributesTo for each coop:focusArea, so those
    constraints could never fail; it also types the EU authority IRIs as skos:Concept, which
    makes valid.ttl fail.
    """
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True
    )
    return [
        Result(
            shape=report.value(result, SH.sourceShape),
            component=report.value(result, SH.sourceConstraintComponent),
            severity=report.value(result, SH.resultSeverity),
            focus=report.value(result, SH.focusNode),
        )
        for validation_report in report.subjects(RDF.type, SH.ValidationReport)
        for result in report.objects(validation_report, SH.result)
    ]


def patch(valid: Graph, update: str) -> Graph:
    graph = Graph(bind_namespaces="none")
    graph += valid
    graph.update(update, initNs=dict(valid.namespaces()))
    assert set(graph) != set(valid), "the patch changed nothing: it no longer matches valid.ttl"
    return graph


def expand(curie: str, valid: Graph) -> URIRef:
    prefix, local = curie.split(":", 1)
    return URIRef(dict(valid.namespaces())[prefix] + local)


def expected_results(
    case: dict[str, Any], coopsh: Namespace = COOPSH
) -> set[tuple[Node, Node, Node]]:
    severity = SH[case.get("severity", "Violation")]
    pairs = [(case["shape"], case["component"]), *case.get("also", [])]
    return {
        (coopsh[shape], SH[f"{component}ConstraintComponent"], severity)
        for shape, component in pairs
    }


def named_shapes(shapes: Graph) -> set[Node]:
    return set(shapes.subjects(RDF.type, SH.NodeShape)) | set(
        shapes.subjects(RDF.type, SH.PropertyShape)
    )


def component_of(parameter: URIRef) -> URIRef:
    if parameter == SH.sparql:
        return SH.SPARQLConstraintComponent
    name = parameter.removeprefix(str(SH))
    return SH[f"{name[0].upper()}{name[1:]}ConstraintComponent"]


def constraints_in(shapes: Graph) -> set[tuple[Node, Node]]:
    """(shape, constraint component) for every constraint parameter on a named shape."""
    return {
        (shape, component_of(predicate))
        for shape in named_shapes(shapes)
        for predicate in set(shapes.predicates(shape))
        if predicate.startswith(str(SH)) and predicate not in NOT_CONSTRAINTS
    }


def english(graph: Graph, node: Node, predicate: URIRef) -> list[Literal]:
    return [
        value
        for value in graph.objects(node, predicate)
        if isinstance(value, Literal) and value.language == "en"
    ]


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology()


@pytest.fixture(scope="module")
def valid() -> Graph:
    return load_valid()


def test_shapes_conform_to_shacl_for_shacl(shapes: Graph) -> None:
    shacl_shacl = Graph().parse(SHACL_SHACL_FILE, format="turtle")
    conforms, _report, text = pyshacl.validate(shapes, shacl_graph=shacl_shacl, inference="none")
    assert conforms, text


def test_shacl_for_shacl_rejects_a_shape_with_two_paths(shapes: Graph) -> None:
    broken = Graph()
    broken += shapes
    broken.add((COOPSH.LabelShape, SH.path, RDFS.comment))
    shacl_shacl = Graph().parse(SHACL_SHACL_FILE, format="turtle")
    conforms, _report, _text = pyshacl.validate(broken, shacl_graph=shacl_shacl, inference="none")
    assert not conforms


def test_shapes_graph_has_title_version_and_licence(shapes: Graph) -> None:
    graph = URIRef(BASE + "def/coop-shapes")
    assert (graph, RDF.type, OWL.Ontology) in shapes
    assert english(shapes, graph, DCTERMS.title)
    assert shapes.value(graph, OWL.versionInfo) is not None
    assert (graph, DCTERMS.license, CC_BY) in shapes


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: re.split("[#/]", cls)[-1])
def test_every_class_of_the_model_has_a_node_shape(shapes: Graph, cls: URIRef) -> None:
    assert list(shapes.subjects(SH.targetClass, cls))


def test_every_shape_is_named(shapes: Graph) -> None:
    shapes_in_use = named_shapes(shapes) | set(shapes.objects(None, SH.property))
    unnamed = [shape for shape in shapes_in_use if not shape.startswith(str(COOPSH))]
    assert not unnamed, "reports must point at a named shape"


def test_shapes_use_only_terms_the_ontology_defines(shapes: Graph, ontology: Graph) -> None:
    used = {term for triple in shapes for term in triple if term.startswith(str(COOP))}
    for query in shapes.objects(None, SH.select):
        used |= {COOP[name] for name in re.findall(r'"coop#(\w+)"', str(query))}
    undefined = sorted(term for term in used if (term, None, None) not in ontology)
    assert not undefined


def test_every_constraint_has_an_english_message(shapes: Graph) -> None:
    shapes_with_constraints = {
        shape
        for shape, component in constraints_in(shapes)
        if component != SH.SPARQLConstraintComponent
    }
    silent = [shape for shape in shapes_with_constraints if not english(shapes, shape, SH.message)]
    silent += [
        shape
        for shape, constraint in shapes.subject_objects(SH.sparql)
        if not english(shapes, constraint, SH.message)
    ]
    assert not silent


def test_every_warning_says_why_it_is_not_a_violation(shapes: Graph) -> None:
    warnings = set(shapes.subjects(SH.severity, SH.Warning))
    assert warnings
    assert [shape for shape in warnings if not english(shapes, shape, RDFS.comment)] == []


def test_valid_fixture_has_no_result_at_all(valid: Graph, shapes: Graph, ontology: Graph) -> None:
    assert [str(result) for result in validate(valid, shapes, ontology)] == []


@pytest.mark.parametrize("case", VIOLATIONS, ids=[case["id"] for case in VIOLATIONS])
def test_case_breaks_exactly_its_constraint(
    case: dict[str, Any], valid: Graph, shapes: Graph, ontology: Graph
) -> None:
    results = validate(patch(valid, case["update"]), shapes, ontology)
    reported = {(result.shape, result.component, result.severity) for result in results}
    assert reported == expected_results(case), "\n".join(map(str, results))
    if "focus" in case:
        focus = case["focus"] if isinstance(case["focus"], list) else [case["focus"]]
        assert {result.focus for result in results} == {expand(f, valid) for f in focus}


@pytest.mark.parametrize("case", STILL_VALID, ids=[case["id"] for case in STILL_VALID])
def test_edge_case_still_conforms(
    case: dict[str, Any], valid: Graph, shapes: Graph, ontology: Graph
) -> None:
    results = validate(patch(valid, case["update"]), shapes, ontology)
    assert [str(result) for result in results] == []


def test_every_constraint_has_a_negative_case(shapes: Graph) -> None:
    in_shapes = constraints_in(shapes)
    covered = {
        (shape, component)
        for case in VIOLATIONS
        for shape, component, _severity in expected_results(case)
    }
    assert sorted(in_shapes - covered) == [], "constraints without a case in cases.yaml"
    assert sorted(covered - in_shapes) == [], "cases naming no constraint of the shapes"
    for shape in named_shapes(shapes):
        assert len(list(shapes.objects(shape, SH.sparql))) <= 1, f"{shape}: one sh:sparql each"


# One case per SPARQL constraint: they build our terms from $currentShape, so check another base.
SPARQL_CASES = list({c["shape"]: c for c in VIOLATIONS if c["component"] == "SPARQL"}.values())


@pytest.mark.parametrize("case", SPARQL_CASES, ids=[case["id"] for case in SPARQL_CASES])
def test_sparql_constraints_follow_the_deployment_base(case: dict[str, Any]) -> None:
    base = "https://coop.example.org/ld/"
    valid = load_valid(base)
    results = validate(patch(valid, case["update"]), load_shapes(base), load_ontology(base))
    expected = expected_results(case, Namespace(base + "def/coop-shapes#"))
    assert {(result.shape, result.component, result.severity) for result in results} == expected
