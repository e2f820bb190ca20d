"""The vocabulary and the shapes on the web: documentation for people, RDF for machines.

The ground truth is the files themselves: ``ontology/coop.ttl`` and
``shapes/coop.shapes.ttl`` parsed with rdflib under the client's base must be isomorphic
to what every format of ``/def/coop`` and ``/def/coop-shapes`` says.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from .test_web_resources import CHROME, jsonld_graph, links, parse, vary
from .webdata import PUBLIC
from .webdata import web_app as web_app
from .webdata import web_client as web_client
from .webdata import web_dataset as web_dataset

ROOT = Path(__file__).resolve().parent.parent
COOP = f"{PUBLIC}/def/coop#"
FORMATS = {
    "ttl": "turtle",
    "jsonld": "json-ld",
    "nt": "nt",
    "rdf": "xml",
    "trig": "trig",
    "nq": "nquads",
}


def source(name: str) -> Graph:
    path = {
        "coop": ROOT / "ontology" / "coop.ttl",
        "coop-shapes": ROOT / "shapes" / "coop.shapes.ttl",
    }
    if not path[name].exists():
        pytest.skip(f"{path[name]} is not written yet")
    return Graph().parse(path[name], format="turtle", publicID=f"{PUBLIC}/")


class Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(str(attributes["href"]))


def ids(body: str) -> Ids:
    parser = Ids()
    parser.feed(body)
    return parser


def own_terms(graph: Graph) -> dict[str, set[URIRef]]:
    kinds: dict[str, set[URIRef]] = {}
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty):
        kinds[str(kind)] = {
            s
            for s in graph.subjects(RDF.type, kind)
            if isinstance(s, URIRef) and s.startswith(COOP)
        }
    return kinds


@pytest.mark.parametrize("name", ["coop", "coop-shapes"])
@pytest.mark.parametrize("extension", list(FORMATS))
def test_every_format_is_the_source_file(
    web_client: FlaskClient, name: str, extension: str
) -> None:
    expected = source(name)
    response = web_client.get(f"/def/{name}.{extension}")
    assert response.status_code == 200
    assert isomorphic(parse(web_client, response, FORMATS[extension]), expected)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        (CHROME, "text/html"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
    ],
)
def test_the_vocabulary_negotiates(
    web_client: FlaskClient, accept: str | None, media_type: str
) -> None:
    response = web_client.get("/def/coop", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "accept" in vary(response)
    assert response.headers["Content-Location"].startswith(f"{PUBLIC}/def/coop.")
    types = {link["type"] for link in links(response) if link["rel"] == "alternate"}
    assert media_type not in types and len(types) == 6
    assert response.headers["ETag"] and response.headers["Last-Modified"]


def test_nothing_acceptable_is_406(web_client: FlaskClient) -> None:
    response = web_client.get("/def/coop", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert f"{PUBLIC}/def/coop.ttl" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/def/nothing", "/def/coop.yaml", "/def/coop/other", "/def/"])
def test_unknown_definitions_are_404(web_client: FlaskClient, path: str) -> None:
    assert web_client.get(path).status_code == 404


def test_every_class_and_property_is_documented_with_an_anchor(web_client: FlaskClient) -> None:
    ontology = source("coop")
    response = web_client.get("/def/coop", headers={"Accept": CHROME})
    body = response.get_data(as_text=True)
    found = ids(body)
    assert len(found.ids) == len(set(found.ids)), "every id is unique"
    terms = own_terms(ontology)
    assert sum(len(v) for v in terms.values()) > 40
    for kind_terms in terms.values():
        for term in kind_terms:
            local = term[len(COOP) :]
            assert local in found.ids, local
            section = body.split(f'id="{local}"', 1)[1].split('<section class="term"', 1)[0]
            label = ontology.value(term, RDFS.label)
            assert label is not None and str(label) in section.replace("&#39;", "'"), local
            definition = ontology.value(term, SKOS.definition)
            if definition is not None:
                assert _text(str(definition)) in _text(section), local


def _text(html_or_text: str) -> str:
    return re.sub(r"\s+", " ", html_or_text.replace("&#39;", "'").replace("&amp;", "&"))


def test_domain_range_and_the_hierarchy_are_shown(web_client: FlaskClient) -> None:
    ontology = source("coop")
    body = web_client.get("/def/coop", headers={"Accept": CHROME}).get_data(as_text=True)

    def section(local: str) -> str:
        return body.split(f'id="{local}"', 1)[1].split('<section class="term"', 1)[0]

    for term, parent in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(term, URIRef) and isinstance(parent, URIRef) and term.startswith(COOP):
            if not parent.startswith(COOP):
                continue
            local, parent_local = term[len(COOP) :], parent[len(COOP) :]
            assert f'href="{COOP}{parent_local}"' in section(local)  # its superclass
            assert f'href="{COOP}{local}"' in section(parent_local)  # and back
    for term, domain in ontology.subject_objects(RDFS.domain):
        if isinstance(term, URIRef) and term.startswith(COOP) and isinstance(domain, URIRef):
            assert "rdfs:domain" in section(term[len(COOP) :])
    party = section("party")
    assert "rdfs:range" in party and "rdfs:domain" in party


def test_hash_terms_resolve_through_the_vocabulary_document(web_client: FlaskClient) -> None:
    # a browser asks for /def/coop#Agreement as /def/coop, then scrolls to the anchor
    response = web_client.get("/def/coop#Agreement", headers={"Accept": CHROME})
    assert response.status_code == 200
    assert 'id="Agreement"' in response.get_data(as_text=True)
    # and a resource page's type link goes there
    page = web_client.get("/doc/agreement/jap-test", headers={"Accept": CHROME})
    assert f'href="{COOP}JointActionPlan"' in page.get_data(as_text=True)


def test_the_vocabulary_page_header(web_client: FlaskClient) -> None:
    ontology = source("coop")
    body = web_client.get("/def/coop", headers={"Accept": CHROME}).get_data(as_text=True)
    title = ontology.value(URIRef(f"{PUBLIC}/def/coop"), DCTERMS.title)
    assert f'<h1 id="title" lang="en">{title}</h1>' in body
    assert f'href="{PUBLIC}/def/coop/context.jsonld"' in body
    assert f'href="{PUBLIC}/def/coop-shapes"' in body
    for extension in ("ttl", "jsonld", "nt", "rdf", "trig", "nq"):
        assert f'href="{PUBLIC}/def/coop.{extension}"' in body


def test_every_shape_is_documented_with_its_message(web_client: FlaskClient) -> None:
    shapes = source("coop-shapes")
    body = web_client.get("/def/coop-shapes", headers={"Accept": CHROME}).get_data(as_text=True)
    found = ids(body).ids
    namespace = f"{PUBLIC}/def/coop-shapes#"
    sh = "http://www.w3.org/ns/shacl#"
    named = {
        s
        for kind in ("NodeShape", "PropertyShape")
        for s in shapes.subjects(RDF.type, URIRef(sh + kind))
        if isinstance(s, URIRef) and s.startswith(namespace)
    }
    assert named
    for shape in named:
        local = shape[len(namespace) :]
        assert local in found, local
        message = shapes.value(shape, URIRef(sh + "message"))
        if message is not None:
            assert _text(str(message)) in _text(body), local


def test_the_context_covers_every_property_of_the_vocabulary(web_client: FlaskClient) -> None:
    ontology = source("coop")
    context = web_client.get("/def/coop/context.jsonld").get_json()["@context"]
    by_iri = {}
    for name, definition in context.items():
        iri = definition["@id"] if isinstance(definition, dict) else definition
        by_iri[iri.replace("coop:", COOP)] = (name, definition)
    terms = own_terms(ontology)
    for term in terms[str(OWL.ObjectProperty)]:
        name, definition = by_iri[str(term)]
        assert name == term[len(COOP) :]
        assert definition.get("@type") == "@id", name
    for term in terms[str(OWL.Class)]:
        assert str(term) in by_iri
    for term in terms[str(OWL.DatatypeProperty)]:
        assert str(term) in by_iri


def test_jsonld_of_the_vocabulary_round_trips_through_its_own_context(
    web_client: FlaskClient,
) -> None:
    body = web_client.get("/def/coop.jsonld").data
    assert json.loads(body)["@context"] == f"{PUBLIC}/def/coop/context.jsonld"
    assert isomorphic(jsonld_graph(web_client, body), source("coop"))


def test_the_dataset_states_that_it_conforms_to_the_shapes(web_client: FlaskClient) -> None:
    graph = Graph().parse(data=web_client.get("/doc/dataset/coopld.nt").data, format="nt")
    shapes = URIRef(f"{PUBLIC}/def/coop-shapes")
    assert (URIRef(f"{PUBLIC}/id/dataset/coopld"), DCTERMS.conformsTo, shapes) in graph
    assert web_client.get("/def/coop-shapes").status_code == 200


def test_the_real_dataset_conforms_to_the_published_shapes(client: FlaskClient) -> None:
    """Against the real build (conftest's ``client``): the claim and the target both work."""
    response = client.get("/doc/dataset/coopld.nt", base_url="http://127.0.0.1:5000")
    graph = Graph().parse(data=response.data, format="nt")
    shapes = URIRef("http://127.0.0.1:5000/def/coop-shapes")
    dataset = URIRef("http://127.0.0.1:5000/id/dataset/coopld")
    assert (dataset, DCTERMS.conformsTo, shapes) in graph
    assert client.get("/def/coop-shapes.ttl").status_code == 200
