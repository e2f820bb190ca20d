"""The vocabulary, ontology/coop.ttl: it resolves under the deployment base, covers docs/model.md,
documents every term, stays clean OWL 2 DL, and is consistent under OWL 2 RL with data shaped like
the converter's output."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import owlrl
import pytest
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_FILE = ROOT / "ontology" / "coop.ttl"
MODEL_PAGE = ROOT / "docs" / "model.md"

BASE = "http://127.0.0.1:5000/"
ONTOLOGY = URIRef(BASE + "def/coop")
COOP = Namespace(BASE + "def/coop#")
# A plain Namespace: rdflib's closed XSD namespace warns when pytest inspects the module.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")

DECLARATION_KINDS = {
    OWL.Class,
    RDFS.Datatype,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
}
TERM_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
AXIOM_PREDICATES = (
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    RDFS.domain,
    RDFS.range,
    OWL.inverseOf,
    OWL.equivalentClass,
)
BUILT_IN_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))


def load_ontology(base: str = BASE) -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle", publicID=base)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_ontology()


def coop_terms(graph: Graph, kind: URIRef | None = None) -> set[URIRef]:
    kinds = TERM_KINDS if kind is None else (kind,)
    return {
        term
        for k in kinds
        for term in graph.subjects(RDF.type, k)
        if isinstance(term, URIRef) and term.startswith(COOP)
    }


def declared_kinds(graph: Graph, iri: Node) -> set[Node]:
    return set(graph.objects(iri, RDF.type)) & DECLARATION_KINDS


def is_built_in(iri: URIRef) -> bool:
    # str() first: rdflib's Identifier.startswith does not accept a tuple of prefixes.
    return str(iri).startswith(BUILT_IN_NAMESPACES)


def owl_rl_errors(graph: Graph) -> list[str]:
    """Expand `graph` in place with the OWL 2 RL closure and return the inconsistencies found.

    owlrl does not raise on an inconsistency: `Closure.Core.closure()` collects them with
    `add_error()` and, at the end, writes each one into the graph as
    `[] a err:ErrorMessage ; err:error "message"`, where err is `owlrl.Namespaces.ERRNS`.
    """
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return sorted(
        str(message)
        for node in graph.subjects(RDF.type, ERRNS.ErrorMessage)
        for message in graph.objects(node, ERRNS.error)
    )


# Data shaped the way docs/model.md says the converter writes records: relative IRIs under the
# same base, qualified signature and derivation nodes, language-tagged notes, typed literals.
SAMPLE_DATA = """
@prefix coop:   <def/coop#> .
@prefix dcat:   <http://www.w3.org/ns/dcat#> .
@prefix dct:    <http://purl.org/dc/terms/> .
@prefix foaf:   <http://xmlns.com/foaf/0.1/> .
@prefix org:    <http://www.w3.org/ns/org#> .
@prefix prov:   <http://www.w3.org/ns/prov#> .
@prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
@prefix skos:   <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:    <http://www.w3.org/2001/XMLSchema#> .

<id/agreement/ec-cor-jap-2026> a coop:JointActionPlan ;
    rdfs:label "Joint Action Plan on research and innovation 2026-2029"@en ;
    skos:prefLabel "Joint Action Plan on research and innovation 2026-2029"@en ;
    skos:altLabel "JAP"@en ;
    dct:title "Joint Action Plan on research and innovation 2026-2029"@en ;
    dct:description "Cooperation between DG RTD, the JRC and the CoR."@en ;
    coop:party <id/organisation/com> , <id/organisation/cor> ;
    coop:coordinator <id/organisation/dg-rtd> ;
    coop:signatory <id/person/cor-president> ;
    prov:qualifiedAttribution [
        a coop:Signature ;
        prov:agent <id/person/cor-president> ;
        coop:inCapacityOf <id/post/cor-president>
    ] ;
    coop:signatureDate "2026-04-24"^^xsd:date ;
    coop:signaturePlace <id/place/brussels> ;
    dct:temporal [ a dct:PeriodOfTime ;
        dcat:startDate "2026"^^xsd:gYear ; dcat:endDate "2029"^^xsd:gYear ] ;
    dct:created "2026-04-24"^^xsd:date ;
    coop:documentedIn <id/document/jap-2026> ;
    coop:renews <id/agreement/ec-cor-jap-2020> ;
    coop:buildsOn <id/agreement/ec-cor-jap-2020> ;
    coop:inLineWith <id/agreement/ec-cor-protocol-2024> ;
    coop:implements <id/agreement/ec-cor-protocol-2024> ;
    coop:priorityAreaScheme <id/scheme/jap-2026-priority-areas> ;
    coop:hasPriorityArea <id/priority-area/jap-2026-1> ;
    coop:theme <id/concept/regional-innovation> ;
    coop:formOfCooperation <id/concept/joint-events> ;
    coop:hasObjective <id/objective/jap-2026-regional-dimension> ;
    coop:fundedUnder <id/instrument/horizon-europe> ;
    coop:fundingNote "Each party bears its own costs."@en ;
    coop:coordinationNote "DG RTD coordinates on the Commission side."@en ;
    coop:monitoringNote "Progress is reviewed every year."@en ;
    coop:schedule "Annual coordination meeting."@en ;
    coop:duration "P4Y"^^xsd:duration ;
    coop:hasOutput <id/document/jap-2026> ;
    coop:hasAction <id/action/jap-2026-1> ;
    dct:spatial <id/country/bel> ;
    prov:wasDerivedFrom <id/document/jap-2026> ;
    prov:qualifiedDerivation [
        a prov:Derivation ;
        prov:entity <id/document/jap-2026> ;
        coop:locator "p. 3" ;
        coop:quote "this renewed action plan establishes a structured framework"@en
    ] .

<id/agreement/ec-cor-jap-2020> a coop:JointActionPlan ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020"^^xsd:gYear ] .

<id/agreement/ec-cor-protocol-2024> a coop:CooperationProtocol ;
    coop:signatureDate "2024"^^xsd:gYear ;
    coop:party <id/organisation/com> , <id/organisation/cor> .

<id/agreement/eu-russia-common-space> a coop:CooperationFramework ;
    dct:created "2003"^^xsd:gYear ;
    coop:party <id/country/rus> , <id/organisation/eu> .

<id/agreement/eu-russia-st-roadmap> a coop:Roadmap ;
    coop:implements <id/agreement/eu-russia-common-space> .
<id/agreement/jrc-arrangement-au-commission> a coop:WorkingArrangement ;
    coop:party <id/organisation/jrc> , <id/organisation/au-commission> .
<id/agreement/h2020-international-cooperation> a coop:Programme .
<id/agreement/eu-japan-st-partnership> a coop:Partnership ;
    coop:memberCount 2 .

<id/agreement/era-net-rus-plus> a coop:CollaborativeProject ;
    coop:fundedUnder <id/instrument/fp7> ;
    dct:isPartOf <id/agreement/eu-russia-common-space> ;
    rdfs:seeAlso <https://cordis.europa.eu/project/id/609556> ;
    foaf:homepage <http://www.eranet-rus.eu/> .

<id/action/jap-2026-1> a coop:Action ;
    coop:actionOf <id/agreement/ec-cor-jap-2026> ;
    coop:number "1"^^xsd:integer ;
    coop:contributesTo <id/priority-area/jap-2026-1> ;
    coop:focusArea <id/priority-area/jap-2026-1> ;
    coop:involves <id/organisation/cor> , <id/region/lombardy> ;
    coop:leadActor <id/organisation/dg-rtd> ;
    dct:relation <id/instrument/horizon-europe> ;
    coop:fundedUnder <id/instrument/horizon-europe> ;
    coop:fundingNote "Within existing budgets."@en .

<id/organisation/com> a coop:Institution ;
    foaf:name "European Commission"@en ;
    coop:authorityCode <http://publications.europa.eu/resource/authority/corporate-body/COM> ;
    org:hasUnit <id/organisation/dg-rtd> .
<id/organisation/dg-rtd> a coop:OrganisationalUnit ;
    org:unitOf <id/organisation/com> ;
    coop:authorityCode <http://publications.europa.eu/resource/authority/corporate-body/RTD> .
<id/organisation/cor> a coop:Institution ;
    coop:authorityCode <http://publications.europa.eu/resource/authority/corporate-body/COR> ;
    coop:hasObjective <id/objective/cor-regional-voice> ;
    coop:basedIn <id/place/brussels> .
<id/organisation/eu> a coop:InternationalOrganisation ;
    coop:countryCode <http://publications.europa.eu/resource/authority/country/EUR> .
<id/organisation/jrc> a coop:OrganisationalUnit ;
    org:unitOf <id/organisation/com> .
<id/organisation/au-commission> a coop:Organisation .
<id/organisation/who> a coop:InternationalOrganisation ;
    coop:authorityCode <http://publications.europa.eu/resource/authority/corporate-body/WHO> .
<id/organisation/polis> a coop:Network ;
    coop:memberCount 100 ;
    dct:created "1989"^^xsd:gYear .
<id/organisation/era-net-rus-plus-consortium> a coop:Consortium ;
    org:memberOf <id/organisation/polis> .
<id/organisation/s3-cop-interregional-wg> a coop:WorkingGroup ;
    dct:created "2023-06"^^xsd:gYearMonth .

<id/country/rus> a coop:Country ;
    coop:countryCode <http://publications.europa.eu/resource/authority/country/RUS> .
<id/country/bel> a coop:Country ;
    coop:countryCode <http://publications.europa.eu/resource/authority/country/BEL> .
<id/region/lombardy> a coop:Region ;
    coop:basedIn <id/place/milan> .
<id/place/brussels> a coop:Place ;
    coop:inCountry <id/country/bel> .

<id/person/cor-president> a coop:Person ;
    foaf:name "President of the CoR"@en ;
    org:holds <id/post/cor-president> .
<id/post/cor-president> a org:Post ;
    org:postIn <id/organisation/cor> ;
    org:heldBy <id/person/cor-president> .

<id/scheme/jap-2026-priority-areas> a coop:PriorityAreaScheme ;
    coop:schemeOf <id/agreement/ec-cor-jap-2026> ;
    skos:hasTopConcept <id/priority-area/jap-2026-1> .
<id/priority-area/jap-2026-1> a coop:PriorityArea ;
    skos:inScheme <id/scheme/jap-2026-priority-areas> ;
    skos:topConceptOf <id/scheme/jap-2026-priority-areas> ;
    coop:number "1"^^xsd:integer ;
    skos:notation "1" .
<id/scheme/forms-of-cooperation> a skos:ConceptScheme ;
    coop:schemeOf <id/agreement/ec-cor-jap-2026> .
<id/concept/joint-events> a skos:Concept ;
    skos:inScheme <id/scheme/forms-of-cooperation> ;
    coop:number "2"^^xsd:integer .
<id/concept/regional-innovation> a skos:Concept .

<id/objective/jap-2026-regional-dimension> a coop:Objective ;
    coop:objectiveOf <id/agreement/ec-cor-jap-2026> ;
    coop:number "1"^^xsd:integer .
<id/objective/cor-regional-voice> a coop:Objective ;
    coop:objectiveOf <id/organisation/cor> .

<id/instrument/horizon-europe> a coop:FundingInstrument ;
    coop:managedBy <id/organisation/dg-rtd> ;
    dct:temporal [ a dct:PeriodOfTime ;
        dcat:startDate "2021"^^xsd:gYear ; dcat:endDate "2027"^^xsd:gYear ] .
<id/instrument/fp7> a coop:FundingInstrument ;
    dct:isPartOf <id/agreement/eu-russia-common-space> .

<id/document/jap-2026> a coop:SourceDocument , coop:Publication ;
    dct:title "Joint Action Plan 2026-2029"@en ;
    coop:fileName "003_0fd582925424b6b1.txt" ;
    schema:url "https://cor.europa.eu/"^^xsd:anyURI ;
    dct:publisher <id/organisation/cor> ;
    dct:issued "2026"^^xsd:gYear ;
    dct:license <https://creativecommons.org/licenses/by/4.0/> ;
    coop:doi "10.2863/6425473" ;
    coop:isbn "978-92-895-4042-1" ;
    coop:catalogueNumber "QG-01-26-020-EN-N" ;
    dct:identifier "QG-01-26-020-EN-N" ;
    dct:bibliographicCitation "European Committee of the Regions, 2026."@en ;
    dct:language "en"^^xsd:language .
"""


def load_sample_data() -> Graph:
    return Graph().parse(data=SAMPLE_DATA, format="turtle", publicID=BASE)


def node(path: str) -> URIRef:
    return URIRef(BASE + path)


JAP_2026 = node("id/agreement/ec-cor-jap-2026")


# --- Relative IRIs and the deployment base ----------------------------------------------------


def test_ontology_file_is_written_with_relative_iris() -> None:
    text = ONTOLOGY_FILE.read_text(encoding="utf-8")
    assert "@prefix coop: <def/coop#> ." in re.sub(r"[ \t]+", " ", text)
    assert not re.search(r"<https?://127\.0\.0\.1", text), "an absolute IRI under the default base"


def test_terms_resolve_under_the_deployment_base(ontology: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    assert (COOP.Agreement, RDF.type, OWL.Class) in ontology
    foreign = {
        iri
        for triple in ontology
        for iri in triple
        if isinstance(iri, URIRef) and "/def/coop" in iri and not iri.startswith(BASE)
    }
    assert foreign == set()


def test_another_base_moves_the_whole_vocabulary() -> None:
    other_base = "https://lod.example.org/coop/"
    graph = load_ontology(other_base)
    assert (URIRef(other_base + "def/coop"), RDF.type, OWL.Ontology) in graph
    assert (URIRef(other_base + "def/coop#Agreement"), RDF.type, OWL.Class) in graph
    assert not any(BASE in str(term) for triple in graph for term in triple)


# --- Coverage of docs/model.md ----------------------------------------------------------------


def model_page_coop_terms() -> set[str]:
    return set(re.findall(r"\bcoop:([A-Za-z]+)\b", MODEL_PAGE.read_text(encoding="utf-8")))


def test_model_page_names_coop_terms() -> None:
    # Guards the next test against a regex that silently matches nothing.
    assert {"Agreement", "party", "signatureDate", "inCapacityOf"} <= model_page_coop_terms()


@pytest.mark.parametrize("name", sorted(model_page_coop_terms()))
def test_every_coop_term_of_the_model_page_is_defined(ontology: Graph, name: str) -> None:
    properties = {OWL.ObjectProperty, OWL.DatatypeProperty}
    expected_kinds = {OWL.Class} if name[0].isupper() else properties
    assert declared_kinds(ontology, COOP[name]) & expected_kinds, f"coop:{name} is not defined"


def model_page_record_types() -> list[tuple[str, str]]:
    """(type, parent) for the rows of the kind table whose rdf:type is `coop:{type}`."""
    pairs = []
    for line in MODEL_PAGE.read_text(encoding="utf-8").splitlines():
        if "`coop:{type}`" not in line:
            continue
        types_cell = line.split("|")[1]
        parent = re.search(r"⊑ `coop:(\w+)`", line)
        assert parent, f"no parent class in: {line}"
        pairs += [(name, parent.group(1)) for name in re.findall(r"`(\w+)`", types_cell)]
    return pairs


def test_model_page_lists_record_types() -> None:
    assert ("JointActionPlan", "Agreement") in model_page_record_types()
    assert ("Consortium", "Organisation") in model_page_record_types()


@pytest.mark.parametrize(("name", "parent"), model_page_record_types())
def test_every_record_type_is_a_subclass_as_the_model_page_says(
    ontology: Graph, name: str, parent: str
) -> None:
    assert (COOP[name], RDF.type, OWL.Class) in ontology
    assert name == parent or (COOP[name], RDFS.subClassOf, COOP[parent]) in ontology


@pytest.mark.parametrize(
    ("sub", "predicate", "sup"),
    [
        (COOP.PriorityArea, RDFS.subClassOf, SKOS.Concept),
        (COOP.PriorityAreaScheme, RDFS.subClassOf, SKOS.ConceptScheme),
        (COOP.SourceDocument, RDFS.subClassOf, COOP.Document),
        (COOP.Publication, RDFS.subClassOf, COOP.Document),
        (COOP.focusArea, RDFS.subPropertyOf, COOP.contributesTo),
        (COOP.leadActor, RDFS.subPropertyOf, COOP.involves),
        (COOP.doi, RDFS.subPropertyOf, DCTERMS.identifier),
        (COOP.isbn, RDFS.subPropertyOf, DCTERMS.identifier),
        (COOP.catalogueNumber, RDFS.subPropertyOf, DCTERMS.identifier),
        (COOP.number, RDFS.range, XSD.integer),
        (COOP.duration, RDFS.range, XSD.duration),
        (COOP.hasAction, OWL.inverseOf, COOP.actionOf),
        (COOP.hasObjective, OWL.inverseOf, COOP.objectiveOf),
    ],
)
def test_axioms_the_model_page_states_are_in_the_vocabulary(
    ontology: Graph, sub: URIRef, predicate: URIRef, sup: URIRef
) -> None:
    assert (sub, predicate, sup) in ontology


# --- Documentation of every term --------------------------------------------------------------


def test_the_vocabulary_has_the_expected_number_of_terms(ontology: Graph) -> None:
    assert len(coop_terms(ontology, OWL.Class)) == 30
    assert len(coop_terms(ontology, OWL.ObjectProperty)) == 30
    assert len(coop_terms(ontology, OWL.DatatypeProperty)) == 14


def test_every_term_has_exactly_one_english_label(ontology: Graph) -> None:
    def english_labels(term: URIRef) -> list[Node]:
        return [
            label
            for label in ontology.objects(term, RDFS.label)
            if isinstance(label, Literal) and label.language == "en"
        ]

    assert [term for term in coop_terms(ontology) if len(english_labels(term)) != 1] == []


def test_every_term_has_one_english_definition(ontology: Graph) -> None:
    def english_definitions(term: URIRef) -> list[Node]:
        return [
            text
            for text in ontology.objects(term, SKOS.definition)
            if isinstance(text, Literal) and text.language == "en" and len(text) > 20
        ]

    assert [t for t in coop_terms(ontology) if len(english_definitions(t)) != 1] == []


def test_every_term_is_defined_by_the_ontology(ontology: Graph) -> None:
    assert [
        term
        for term in coop_terms(ontology)
        if set(ontology.objects(term, RDFS.isDefinedBy)) != {ONTOLOGY}
    ] == []


def test_every_coop_iri_in_the_file_is_a_declared_term(ontology: Graph) -> None:
    used = {
        iri
        for subject, _, obj in ontology
        if subject != ONTOLOGY  # the header names the namespace itself
        for iri in (subject, obj)
        if isinstance(iri, URIRef) and iri.startswith(COOP)
    }
    assert used - coop_terms(ontology) == set()


# --- The ontology header ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        (OWL.versionIRI, URIRef(BASE + "def/coop/0.1.0")),
        (OWL.versionInfo, Literal("0.1.0")),
        (DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")),
        (DCTERMS.creator, Literal("coopld contributors")),
        (DCTERMS.created, Literal("2026-11-22", datatype=XSD.date)),
        (URIRef("http://purl.org/vocab/vann/preferredNamespacePrefix"), Literal("coop")),
        (URIRef("http://purl.org/vocab/vann/preferredNamespaceUri"), URIRef(str(COOP))),
    ],
)
def test_header_has_its_fixed_values(ontology: Graph, predicate: URIRef, expected: Node) -> None:
    assert set(ontology.objects(ONTOLOGY, predicate)) == {expected}


@pytest.mark.parametrize("predicate", [DCTERMS.title, DCTERMS.description])
def test_header_has_an_english_title_and_description(ontology: Graph, predicate: URIRef) -> None:
    values = list(ontology.objects(ONTOLOGY, predicate))
    assert len(values) == 1
    assert isinstance(values[0], Literal)
    assert values[0].language == "en"


def test_header_modified_date_is_not_before_created(ontology: Graph) -> None:
    created = ontology.value(ONTOLOGY, DCTERMS.created)
    modified = ontology.value(ONTOLOGY, DCTERMS.modified)
    assert isinstance(modified, Literal)
    assert modified.datatype == XSD.date
    assert isinstance(created, Literal)
    assert modified.toPython() >= created.toPython()


# --- OWL 2 DL hygiene ---------------------------------------------------------------------------


def test_no_iri_is_declared_as_two_kinds_of_entity(ontology: Graph) -> None:
    subjects = set(ontology.subjects(RDF.type, None))
    punned = {iri: declared_kinds(ontology, iri) for iri in subjects}
    assert {iri: kinds for iri, kinds in punned.items() if len(kinds) > 1} == {}


def axiom_iris(graph: Graph) -> Iterator[URIRef]:
    """The IRIs on either side of a subClassOf, subPropertyOf, domain, range or inverseOf axiom."""
    for predicate in AXIOM_PREDICATES:
        for subject, obj in graph.subject_objects(predicate):
            for iri in (subject, obj):
                if isinstance(iri, URIRef) and not is_built_in(iri):
                    yield iri


def test_every_term_used_in_an_axiom_is_declared(ontology: Graph) -> None:
    undeclared = {iri for iri in axiom_iris(ontology) if not declared_kinds(ontology, iri)}
    assert undeclared == set()


def test_every_iri_mentioned_outside_the_header_is_declared(ontology: Graph) -> None:
    mentioned = {
        iri
        for subject, _, obj in ontology
        if subject != ONTOLOGY
        for iri in (subject, obj)
        if isinstance(iri, URIRef) and not is_built_in(iri)
    }
    undeclared = {iri for iri in mentioned if not declared_kinds(ontology, iri)}
    assert undeclared - {ONTOLOGY} == set()


def test_every_annotation_predicate_is_declared(ontology: Graph) -> None:
    predicates = {p for p in ontology.predicates() if not is_built_in(p)}
    assert {p for p in predicates if (p, RDF.type, OWL.AnnotationProperty) not in ontology} == set()


def test_subproperties_and_inverses_keep_their_kind(ontology: Graph) -> None:
    mismatched = [
        (sub, sup)
        for sub, sup in ontology.subject_objects(RDFS.subPropertyOf)
        if declared_kinds(ontology, sub) != declared_kinds(ontology, sup)
    ]
    mismatched += [
        (one, other)
        for one, other in ontology.subject_objects(OWL.inverseOf)
        if not declared_kinds(ontology, one)
        == declared_kinds(ontology, other)
        == {OWL.ObjectProperty}
    ]
    assert mismatched == []


def test_subclass_axioms_relate_classes(ontology: Graph) -> None:
    assert [
        (sub, sup)
        for sub, sup in ontology.subject_objects(RDFS.subClassOf)
        if not declared_kinds(ontology, sub) == declared_kinds(ontology, sup) == {OWL.Class}
    ] == []


def is_datatype(graph: Graph, range_: Node) -> bool:
    if isinstance(range_, BNode):
        return (range_, RDF.type, RDFS.Datatype) in graph
    return str(range_).startswith(str(XSD)) or range_ in (RDF.langString, RDFS.Literal)


def test_datatype_properties_range_over_datatypes(ontology: Graph) -> None:
    properties = coop_terms(ontology, OWL.DatatypeProperty)
    assert all(ontology.value(p, RDFS.range) is not None for p in properties)
    assert [
        p
        for p in properties
        for r in ontology.objects(p, RDFS.range)
        if not is_datatype(ontology, r)
    ] == []


def test_object_properties_range_over_classes(ontology: Graph) -> None:
    assert [
        (p, r)
        for p in coop_terms(ontology, OWL.ObjectProperty)
        for r in ontology.objects(p, RDFS.range)
        if (r, RDF.type, OWL.Class) not in ontology
    ] == []


def test_domains_are_declared_classes(ontology: Graph) -> None:
    assert [
        (p, d)
        for p, d in ontology.subject_objects(RDFS.domain)
        if (d, RDF.type, OWL.Class) not in ontology
    ] == []


def test_authority_codes_point_at_concepts_and_never_identify_the_agent(ontology: Graph) -> None:
    for code in (COOP.authorityCode, COOP.countryCode):
        assert set(ontology.objects(code, RDFS.range)) == {SKOS.Concept}
    assert not list(ontology.triples((None, OWL.sameAs, None)))
    assert not list(ontology.triples((None, OWL.equivalentProperty, None)))


# --- OWL 2 RL consistency -----------------------------------------------------------------------


def test_the_vocabulary_alone_is_consistent_under_owl_rl(ontology: Graph) -> None:
    graph = Graph()
    graph += ontology
    assert owl_rl_errors(graph) == []
    # The closure really ran over our axioms.
    assert (COOP.Institution, RDFS.subClassOf, COOP.Actor) in graph


@pytest.fixture(scope="module")
def closure_with_data(ontology: Graph) -> tuple[Graph, list[str]]:
    graph = Graph()
    graph += ontology
    graph += load_sample_data()
    return graph, owl_rl_errors(graph)


def test_model_shaped_data_is_consistent_with_the_vocabulary(
    closure_with_data: tuple[Graph, list[str]],
) -> None:
    _, errors = closure_with_data
    assert errors == []


@pytest.mark.parametrize(
    "entailed",
    [
        (JAP_2026, RDF.type, COOP.Agreement),
        (JAP_2026, RDF.type, PROV.Plan),
        (JAP_2026, COOP.hasAction, node("id/action/jap-2026-1")),
        (JAP_2026, PROV.wasAttributedTo, node("id/person/cor-president")),
        (JAP_2026, DCTERMS.subject, node("id/priority-area/jap-2026-1")),
        (node("id/action/jap-2026-1"), COOP.involves, node("id/organisation/dg-rtd")),
        (node("id/action/jap-2026-1"), DCTERMS.isPartOf, JAP_2026),
        (node("id/agreement/era-net-rus-plus"), RDF.type, FOAF.Project),
        (node("id/organisation/dg-rtd"), RDF.type, ORG.OrganizationalUnit),
        (node("id/organisation/cor"), RDF.type, FOAF.Agent),
        (node("id/person/cor-president"), RDF.type, PROV.Agent),
        (node("id/document/jap-2026"), DCTERMS.identifier, Literal("10.2863/6425473")),
        (node("id/place/brussels"), RDF.type, PROV.Location),
        (node("id/objective/cor-regional-voice"), RDF.type, COOP.Objective),
        (node("id/organisation/cor"), COOP.hasObjective, node("id/objective/cor-regional-voice")),
    ],
)
def test_owl_rl_draws_the_intended_conclusions_from_model_shaped_data(
    closure_with_data: tuple[Graph, list[str]], entailed: tuple[Node, Node, Node]
) -> None:
    graph, _ = closure_with_data
    assert entailed in graph


def test_model_shaped_data_draws_no_surprising_types(
    closure_with_data: tuple[Graph, list[str]],
) -> None:
    graph, _ = closure_with_data
    # No domain or range turns an organisation into an agreement, or an agreement into an actor.
    assert (node("id/organisation/cor"), RDF.type, COOP.Agreement) not in graph
    assert (node("id/organisation/eu"), RDF.type, COOP.Country) not in graph
    assert (JAP_2026, RDF.type, COOP.Actor) not in graph
    assert (node("id/scheme/forms-of-cooperation"), RDF.type, COOP.PriorityAreaScheme) not in graph


INTEGER_DATATYPES = {XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger}


def literal_fits(graph: Graph, literal: Literal, datatype: Node) -> bool:
    """Whether `literal` is in the value space of the range `datatype`, in the small part of
    OWL 2 semantics this vocabulary needs. owlrl skips this for xsd:gYear and friends; a DL
    reasoner would not, so a misfit here is an inconsistency waiting for a reasoner."""
    if isinstance(datatype, BNode):
        members = graph.value(datatype, OWL.unionOf)
        assert members is not None, "only union datatypes are expected"
        return any(literal_fits(graph, literal, m) for m in graph.items(members))
    if literal.language:
        return datatype == RDF.langString
    actual = literal.datatype or XSD.string
    if datatype in (XSD.nonNegativeInteger, XSD.positiveInteger) and actual in INTEGER_DATATYPES:
        return int(literal) >= (1 if datatype == XSD.positiveInteger else 0)
    return actual == datatype


ABSTRACT_CLASSES = {COOP.Agreement, COOP.Actor, COOP.Document}


def test_the_sample_data_uses_every_concrete_term(ontology: Graph) -> None:
    data = load_sample_data()
    used = set(data.predicates()) | set(data.objects(None, RDF.type))
    assert coop_terms(ontology) - ABSTRACT_CLASSES - used == set()


def test_model_shaped_literals_fit_the_datatype_ranges(ontology: Graph) -> None:
    data = load_sample_data()
    checked = [
        (p, o, r)
        for p in coop_terms(ontology, OWL.DatatypeProperty)
        for r in ontology.objects(p, RDFS.range)
        for o in data.objects(None, p)
        if isinstance(o, Literal)
    ]
    assert [(p, o) for p, o, r in checked if not literal_fits(ontology, o, r)] == []


@pytest.mark.parametrize(
    ("literal", "datatype", "fits"),
    [
        (Literal("2024", datatype=XSD.gYear), XSD.date, False),
        (Literal("3", datatype=XSD.integer), XSD.positiveInteger, True),
        (Literal("0", datatype=XSD.integer), XSD.positiveInteger, False),
        (Literal("quote", lang="en"), XSD.string, False),
        (Literal("p. 3"), XSD.string, True),
    ],
)
def test_the_range_check_tells_fitting_literals_from_misfits(
    ontology: Graph, literal: Literal, datatype: URIRef, fits: bool
) -> None:
    assert literal_fits(ontology, literal, datatype) is fits


INCONSISTENT_ADDITIONS = {
    # name: (Turtle added to the vocabulary and the sample data, what the report must mention)
    "an individual in two disjoint classes": (
        """
        @prefix coop: <def/coop#> .
        @prefix owl:  <http://www.w3.org/2002/07/owl#> .
        coop:Person owl:disjointWith coop:Organisation .
        <id/person/x> a coop:Person , coop:Institution .
        """,
        BASE + "id/person/x",
    ),
    "a date that does not exist": (
        """
        @prefix coop: <def/coop#> .
        @prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
        <id/agreement/x> a coop:Roadmap ; coop:signatureDate "2026-02-30"^^xsd:date .
        """,
        "2026-02-30",
    ),
}


@pytest.mark.parametrize(
    ("addition", "culprit"), INCONSISTENT_ADDITIONS.values(), ids=INCONSISTENT_ADDITIONS
)
def test_the_consistency_check_reports_an_inconsistent_graph(
    ontology: Graph, addition: str, culprit: str
) -> None:
    graph = Graph()
    graph += ontology
    graph += load_sample_data()
    graph.parse(data=addition, format="turtle", publicID=BASE)
    errors = owl_rl_errors(graph)
    assert len(errors) == 1
    assert culprit in errors[0]
