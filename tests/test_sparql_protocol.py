"""The W3C SPARQL 1.1 Protocol test suite, run against the real app.

The manifest (shared/external/sparql11-protocol/manifest.ttl) describes each test as HTTP
requests (method, path, headers, body) and expected responses (status class, result format,
ASK answer). This runner builds every request, sends it through a Flask test client of an app
serving the real dataset plus data1.nt .. data3.nt as the named graphs the manifest names,
and checks the response. Query tests must pass as written; the endpoint is read-only, so every
update test must be refused with 403 and leave the store as it was (its follow-up ASK is then
false), and the malformed-update tests get the 4xx the manifest asks for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS

from coopld.config import Settings
from coopld.store import Dataset, open_dataset
from coopld.web import create_app

from .conftest import SHARED, shared_path

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")

SUITE = SHARED / "external" / "sparql11-protocol"
STATUS_CLASSES = {HTS.StatusCode2xx: 2, HTS.StatusCode3xx: 3, HTS.StatusCode4xx: 4}
BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[int]  # acceptable status classes: 2, 3, 4
    format: str | None  # "boolean", "tabular", "RDF"
    boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    graphs: tuple[tuple[str, str], ...]  # (graph IRI, file name)
    exchanges: tuple[Exchange, ...]

    @property
    def is_update(self) -> bool:
        return self.name.startswith("update_")


def _exchange(manifest: Graph, node: object) -> Exchange:
    headers = []
    header_list = manifest.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(manifest, header_list):
            name = str(manifest.value(header, HT.fieldName))
            headers.append((name, str(manifest.value(header, HT.fieldValue))))
    body = None
    content = manifest.value(node, HT.body)
    if content is not None:
        encoding = str(manifest.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(manifest.value(content, CNT.chars)).encode(encoding.lower())
    response = manifest.value(node, HT.resp)
    statuses = frozenset(STATUS_CLASSES[s] for s in manifest.objects(response, MF.expectedStatus))
    fmt = manifest.value(response, MF.expectedFormat)
    boolean = manifest.value(response, MF.expectedBoolean)
    return Exchange(
        method=str(manifest.value(node, HT.methodName)),
        path=str(manifest.value(node, HT.absolutePath)),
        headers=tuple(headers),
        body=body,
        statuses=statuses,
        format=str(fmt) if fmt is not None else None,
        boolean=bool(boolean.toPython()) if isinstance(boolean, Literal) else None,
    )


def load_manifest(path: Path) -> list[ProtocolTest]:
    manifest = Graph().parse(path, format="turtle")
    root = next(manifest.subjects(MF.entries, None))
    tests = []
    for entry in Collection(manifest, manifest.value(root, MF.entries)):
        graphs = tuple(
            sorted(
                (
                    str(manifest.value(data, RDFS.label)),
                    Path(str(manifest.value(data, UT.graph))).name,
                )
                for data in manifest.objects(entry, UT.graphData)
            )
        )
        action = manifest.value(entry, MF.action)
        requests = Collection(manifest, manifest.value(action, HT.requests))
        name = str(entry).rsplit("#", 1)[-1]
        title = str(manifest.value(entry, MF.name))
        tests.append(
            ProtocolTest(name, title, graphs, tuple(_exchange(manifest, r) for r in requests))
        )
    return tests


def _collected() -> list[ProtocolTest]:
    path = SUITE / "manifest.ttl"
    return load_manifest(path) if path.exists() else []


TESTS = _collected()


@pytest.fixture(scope="module")
def protocol_app(settings: Settings, built: Path) -> Iterator[Flask]:
    """The real dataset, plus the suite's three graphs under the names the manifest gives."""
    suite = shared_path("external", "sparql11-protocol")
    dataset: Dataset = open_dataset(built)
    for test in TESTS:
        for graph, file_name in test.graphs:
            dataset.store.load(
                path=str(suite / file_name),
                format=ox.RdfFormat.N_TRIPLES,
                to_graph=ox.NamedNode(graph),
            )
    app = create_app(settings, dataset)
    app.config["TESTING"] = True
    yield app
    engine = app.extensions.get("coopld.query_engine")
    if engine is not None:
        engine.close()


def _quads(app: Flask) -> list[str]:
    store = app.extensions["coopld.dataset"].store
    return sorted(str(q) for q in store)


def send(client: FlaskClient, exchange: Exchange) -> tuple[int, str, bytes]:
    path = exchange.path
    assert path.startswith("/sparql/"), path
    path = "/sparql" + path[len("/sparql/") :]  # the endpoint's own path, as the manifest asks
    headers = {name: value for name, value in exchange.headers}
    response = client.open(path, method=exchange.method, data=exchange.body, headers=headers)
    return response.status_code, response.mimetype, response.get_data()


def check_format(
    exchange: Exchange, media_type: str, body: bytes, boolean: bool | None = None
) -> None:
    """The response is in the expected kind of format, and says what it should."""
    expected = exchange.boolean if boolean is None else boolean
    if exchange.format == "boolean":
        assert media_type in BOOLEAN_TYPES, media_type
        parsed = ox.parse_query_results(body, ox.QueryResultsFormat.from_media_type(media_type))
        assert isinstance(parsed, ox.QueryBoolean)
        if expected is not None:
            assert bool(parsed) is expected
    elif exchange.format == "tabular":
        assert media_type in TABULAR_TYPES, media_type
        if media_type == "application/sparql-results+json":
            data = json.loads(body)
            assert "head" in data and "bindings" in data["results"]
    elif exchange.format == "RDF":
        assert media_type in RDF_TYPES, media_type
        Graph().parse(data=body, format=RDF_TYPES[media_type])


def _is_recognisably_update(exchange: Exchange) -> bool:
    headers = dict((n.lower(), v) for n, v in exchange.headers)
    if headers.get("content-type", "").startswith("application/sparql-update"):
        return True
    query = parse_qs(urlsplit(exchange.path).query)
    form = headers.get("content-type") == "application/x-www-form-urlencoded"
    body = parse_qs(exchange.body.decode()) if form and exchange.body else {}
    return "update" in query or "update" in body


def test_the_manifest_is_read_completely() -> None:
    shared_path("external", "sparql11-protocol", "manifest.ttl")
    assert len(TESTS) == 34
    assert sum(t.name.startswith("query_") for t in TESTS) == 13
    assert all(t.exchanges for t in TESTS)
    assert {t.name for t in TESTS if t.graphs} >= {"query_dataset_full", "query_multiple_dataset"}


@pytest.mark.parametrize("test", [t for t in TESTS if not t.is_update], ids=lambda t: t.name)
def test_query_side(test: ProtocolTest, protocol_app: Flask) -> None:
    """Query tests and malformed-request tests, exactly as the manifest states them."""
    client = protocol_app.test_client()
    for exchange in test.exchanges:
        status, media_type, body = send(client, exchange)
        assert status // 100 in exchange.statuses, (test.title, status, body[:300])
        if status // 100 == 2:
            check_format(exchange, media_type, body)
        if test.name.startswith("bad_update"):
            expected = 403 if _is_recognisably_update(exchange) else 415
            assert status == expected, (test.title, status, body[:300])


@pytest.mark.parametrize("test", [t for t in TESTS if t.is_update], ids=lambda t: t.name)
def test_update_is_refused(test: ProtocolTest, protocol_app: Flask) -> None:
    """An update the suite expects to succeed is refused (403) and changes nothing."""
    client = protocol_app.test_client()
    before = _quads(protocol_app)
    first, *rest = test.exchanges
    status, _, body = send(client, first)
    assert status == 403, body
    assert b"read-only" in body
    assert _quads(protocol_app) == before
    for exchange in rest:  # the suite's checks that the update happened: it did not
        status, media_type, body = send(client, exchange)
        assert status == 200
        check_format(exchange, media_type, body, boolean=False)


def test_the_protocol_dataset_wins_over_the_query_dataset(protocol_app: Flask) -> None:
    """query_multiple_dataset, made strict: FROM data3 must be ignored when named graphs are given."""
    client = protocol_app.test_client()
    query = "ASK FROM <http://kasei.us/2009/09/sparql/data/data3.rdf> { ?s ?p ?o }"
    graph = "http://kasei.us/2009/09/sparql/data/data1.rdf"
    with_protocol = client.get("/sparql", query_string={"query": query, "named-graph-uri": graph})
    without = client.get("/sparql", query_string={"query": query})
    assert json.loads(with_protocol.data)["boolean"] is False  # default graph: empty
    assert json.loads(without.data)["boolean"] is True  # default graph: data3
    assert URIRef(graph)  # the IRI is well formed
