"""A small, hostile dataset for the web tests, independent of data/ (which changes).

It has what the real records may not: a label with markup in it, labels in two
languages, IRIs with non-ASCII characters, an encoded slash, a dot and a space in the
key, a hub with more inbound links than a document shows, blank nodes (a period, a
signature, a derivation with its quote) and an agreement with an action-by-area matrix.
The vocabulary and shapes are the project's own files, parsed under the same base.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from coopld.config import load_settings
from coopld.namespaces import Iris
from coopld.store import Dataset
from coopld.web import create_app

ROOT = Path(__file__).resolve().parent.parent
VERSION = "web-test-dataset-1"
BUILT = "2026-11-22T06:00:00Z"
HUB_LINKS = 130
XSS = "<script>alert('coopld')</script>"

PREFIXES = """
@prefix coop: <def/coop#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

DATA = (
    PREFIXES
    + f"""
<id/agreement/jap-test> a coop:JointActionPlan ;
    rdfs:label "Joint action plan {XSS}"@en , "Plan d'action commun"@fr ;
    skos:prefLabel "Joint action plan {XSS}"@en ;
    dct:title "Joint action plan {XSS}"@en ;
    skos:altLabel "JAP"@en ;
    dct:description "Cooperation on research & innovation, 2026–2029."@en ;
    coop:party <id/organisation/alpha> , <id/organisation/beta> ;
    coop:signatory <id/person/ana> ;
    coop:signatureDate "2026-04-24"^^xsd:date ;
    coop:signaturePlace <id/place/zürich> ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2026"^^xsd:gYear ;
                   dcat:endDate "2029"^^xsd:gYear ] ;
    prov:qualifiedAttribution [ a coop:Signature ; prov:agent <id/person/ana> ;
                                coop:inCapacityOf <id/post/chair> ] ;
    coop:priorityAreaScheme <id/scheme/jap-areas> ;
    coop:hasPriorityArea <id/priority-area/area-1> , <id/priority-area/area-2> ;
    coop:hasAction <id/action/act-1> , <id/action/act-2> ;
    coop:duration "P3Y"^^xsd:duration ;
    foaf:homepage <https://example.org/jap> ;
    rdfs:seeAlso <https://example.org/jap/annex> ;
    prov:wasDerivedFrom <id/document/source-doc> ;
    prov:qualifiedDerivation [ a prov:Derivation ; prov:entity <id/document/source-doc> ;
                               coop:locator "page 1, paragraph 2" ;
                               coop:quote "The parties agree to cooperate."@en ] .

<id/action/act-1> a coop:Action ;
    rdfs:label "Joint workshops"@en ; coop:number 1 ;
    coop:actionOf <id/agreement/jap-test> ;
    coop:contributesTo <id/priority-area/area-1> , <id/priority-area/area-2> ;
    coop:focusArea <id/priority-area/area-1> ;
    coop:involves <id/organisation/alpha> .

<id/action/act-2> a coop:Action ;
    rdfs:label "Shared database"@en ; coop:number 2 ;
    coop:actionOf <id/agreement/jap-test> ;
    coop:contributesTo <id/priority-area/area-2> .

<id/priority-area/area-1> a coop:PriorityArea ; rdfs:label "Green transition"@en ;
    coop:number 1 ; skos:inScheme <id/scheme/jap-areas> .
<id/priority-area/area-2> a coop:PriorityArea ; rdfs:label "Digital transition"@en ;
    coop:number 2 ; skos:inScheme <id/scheme/jap-areas> .
<id/scheme/jap-areas> a coop:PriorityAreaScheme ; rdfs:label "Priority areas of the plan"@en .

<id/organisation/alpha> a coop:Institution ;
    rdfs:label "Alpha Institute"@en , "Institut Alpha"@fr ; foaf:name "Alpha Institute"@en .
<id/organisation/beta> a coop:Institution ; rdfs:label "Beta Agency"@en .
<id/person/ana> a coop:Person ; rdfs:label "Ana Example"@en .
<id/post/chair> a <http://www.w3.org/ns/org#Post> ; rdfs:label "Chair"@en .
<id/place/zürich> a coop:Place ; rdfs:label "Zurich"@en , "Zürich"@de .

<id/document/source-doc> a coop:SourceDocument ;
    rdfs:label "The source document"@en ;
    dct:license <https://creativecommons.org/licenses/by/4.0/> .

<id/organisation/hub> a coop:Network ; rdfs:label "Hub network"@en .

<id/concept/a%2Fb> a skos:Concept ; rdfs:label "A key with an encoded slash"@en .
<id/concept/v1.2> a skos:Concept ; rdfs:label "A key with a dot"@en .
<id/concept/hello%20world> a skos:Concept ; rdfs:label "A key with a space"@en .
"""
    + "".join(
        f'<id/concept/member-{i:03d}> a skos:Concept ; rdfs:label "Member {i:03d}"@en ; '
        f"org:memberOf <id/organisation/hub> .\n"
        for i in range(HUB_LINKS)
    )
)

METADATA = (
    PREFIXES
    + """
<id/dataset/coopld> a void:Dataset ;
    dct:title "coopld web test dataset"@en ;
    dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
    dct:conformsTo <def/coop-shapes> .
"""
)


def make_dataset(base: str) -> Dataset:
    """The test dataset under ``base``, in the four named graphs of a real build."""
    iris = Iris(base)
    store = ox.Store()
    sources = {
        "data": DATA,
        "metadata": METADATA,
        "vocabulary": (ROOT / "ontology" / "coop.ttl").read_text(encoding="utf-8"),
    }
    shapes = ROOT / "shapes" / "coop.shapes.ttl"
    if shapes.exists():
        sources["shapes"] = shapes.read_text(encoding="utf-8")
    for name, text in sources.items():
        store.load(
            input=text.encode("utf-8"),
            format=ox.RdfFormat.TURTLE,
            base_iri=iris.resolve_base,
            to_graph=ox.NamedNode(str(iris.graph(name))),
        )
    manifest = {"version": VERSION, "built": BUILT, "base": base}
    return Dataset(store, iris, manifest)


def write_build(dataset: Dataset, folder: Path) -> Path:
    """Write the dataset as a build folder `coopld serve --out` can load."""
    folder.mkdir(parents=True, exist_ok=True)
    ox.serialize(dataset.store, str(folder / "coopld.nq"), ox.RdfFormat.N_QUADS)
    (folder / "build.json").write_text(json.dumps(dataset.manifest), encoding="utf-8")
    return folder


BASE = "http://127.0.0.1:5000"
#: where the Flask test client stands: not the canonical base, so every link is mapped
PUBLIC = "http://localhost"


def make_app(dataset: Dataset, **settings: object) -> Flask:
    """An app over ``dataset`` (settings: defaults, then ``settings``; no environment)."""
    app = create_app(load_settings(env={}, out=Path("/nonexistent"), **settings), dataset)
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="session")
def web_dataset() -> Dataset:
    return make_dataset(BASE)


@pytest.fixture(scope="session")
def web_app(web_dataset: Dataset) -> Flask:
    return make_app(web_dataset)


@pytest.fixture()
def web_client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()
