"""The catalogue blueprint over HTTP (Flask test client): negotiation, the DCAT-AP
catalogue, VoID checked against SPARQL counts, the dumps (bytes, ranges, checksums,
isomorphism with the store), the sitemap, robots.txt, base mapping and escaping."""

from __future__ import annotations

import gzip
import hashlib
import json
import shlex
from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from coopld.build import write_dataset
from coopld.config import Settings
from coopld.metadata import describe_dataset
from coopld.store import Dataset, open_dataset
from coopld.web import create_app

from .test_metadata import build_result, small_graph

VOID = Namespace("http://rdfs.org/ns/void#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
PUBLIC = "http://localhost"  # where the Flask test client stands
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
INTEGER_SUBTYPES = {
    XSD[name]
    for name in [
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
}


def sparql(dataset: Dataset, query: str) -> list[dict[str, Any]]:
    results = dataset.store.query(query)
    names = [v.value for v in results.variables]
    return [{n: row[n] for n in names} for row in results]


def data_graph_of_store(dataset: Dataset, name: str = "data") -> Graph:
    text = dataset.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=dataset.graph(name))
    return Graph().parse(data=text.decode("utf-8"), format="nt")


def public(iri: str, base: str) -> str:
    return PUBLIC + iri[len(base) :] if iri.startswith(base) else iri


# -- negotiation ------------------------------------------------------------------------------

CATALOG_CASES = [
    ("/catalog", None, "text/turtle"),
    ("/catalog", "*/*", "text/turtle"),
    ("/catalog", BROWSER, "text/html"),
    ("/catalog", "application/ld+json", "application/ld+json"),
    ("/catalog", "application/n-triples", "application/n-triples"),
    ("/catalog", "application/rdf+xml", "application/rdf+xml"),
    ("/catalog", "text/turtle;q=0.5, application/ld+json", "application/ld+json"),
    ("/catalog", "text/*", "text/turtle"),
    ("/catalog", "application/pdf", 406),
    ("/catalog?format=jsonld", BROWSER, "application/ld+json"),
    ("/catalog?format=bogus", None, 400),
    ("/catalog.rdf", BROWSER, "application/rdf+xml"),
    ("/catalog.nt", None, "application/n-triples"),
    ("/catalog.html", "text/turtle", "text/html"),
    ("/catalog.pdf", None, 400),
    ("/catalog?profile=dcat-ap-2.1.1", None, "text/turtle"),
    ("/catalog?profile=dcat-ap-9", None, 400),
    ("/.well-known/void", None, "text/turtle"),
    ("/.well-known/void", BROWSER, "text/html"),
    ("/.well-known/void", "application/ld+json", "application/ld+json"),
    ("/.well-known/void", "image/png", 406),
    ("/", BROWSER, "text/html"),
    ("/", None, "text/html"),
    ("/", "*/*", "text/html"),
    ("/", "text/turtle", "text/turtle"),
    ("/", "application/ld+json", "application/ld+json"),
]


@pytest.mark.parametrize(("path", "accept", "expected"), CATALOG_CASES)
def test_negotiation(
    client: FlaskClient, path: str, accept: str | None, expected: str | int
) -> None:
    response = client.get(path, headers={"Accept": accept} if accept else {})
    if isinstance(expected, int):
        assert response.status_code == expected
        return
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == expected
    assert "Accept" in response.headers["Vary"]
    if expected != "text/html":
        fmt = {"text/turtle": "turtle", "application/ld+json": "json-ld"}.get(expected)
        fmt = fmt or {"application/n-triples": "nt", "application/rdf+xml": "xml"}[expected]
        graph = Graph().parse(data=response.data, format=fmt)
        kind = VOID.Dataset if path in ("/", "/.well-known/void") else DCAT.Catalog
        assert (None, RDF.type, kind) in graph


def test_every_rdf_format_of_the_catalogue_says_the_same(client: FlaskClient) -> None:
    graphs = []
    for fmt, parser in (
        ("turtle", "turtle"),
        ("jsonld", "json-ld"),
        ("ntriples", "nt"),
        ("rdfxml", "xml"),
    ):
        response = client.get(f"/catalog?format={fmt}")
        graphs.append(Graph().parse(data=response.data, format=parser))
    assert all(isomorphic(graphs[0], g) for g in graphs[1:])


def test_validators_and_links(client: FlaskClient) -> None:
    first = client.get("/catalog", headers={"Accept": "text/turtle"})
    assert first.headers["ETag"].startswith('"')
    assert first.headers["Content-Location"] == "/catalog.ttl"
    assert first.headers["Content-Profile"] == "<https://semiceu.github.io/DCAT-AP/releases/3.0.1/>"
    assert '</catalog.jsonld>; rel="alternate"; type="application/ld+json"' in first.headers["Link"]
    again = client.get(
        "/catalog", headers={"Accept": "text/turtle", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    other = client.get("/catalog", headers={"Accept": "application/ld+json"})
    assert other.headers["ETag"] != first.headers["ETag"]
    two = client.get("/catalog?profile=dcat-ap-2.1.1", headers={"Accept": "text/turtle"})
    assert two.headers["ETag"] != first.headers["ETag"]
    assert "2.1.1" in two.headers["Content-Profile"]


def test_head_has_the_headers_of_get(client: FlaskClient) -> None:
    get, head = client.get("/catalog"), client.head("/catalog")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Type"] == get.headers["Content-Type"]


# -- the catalogue ----------------------------------------------------------------------------


def catalogue(client: FlaskClient, profile: str = "dcat-ap-3.0.1") -> Graph:
    response = client.get(
        "/catalog", query_string={"profile": profile}, headers={"Accept": "text/turtle"}
    )
    return Graph().parse(data=response.data, format="turtle")


def test_catalogue_describes_the_dataset_its_dumps_and_the_endpoint(
    client: FlaskClient, dataset: Dataset
) -> None:
    graph = catalogue(client)
    d = URIRef(public(str(dataset.iris.dataset), dataset.iris.base))
    assert d == URIRef(PUBLIC + "/id/dataset/coopld")
    assert (URIRef(PUBLIC + "/catalog"), DCAT.dataset, d) in graph
    downloads = {str(u) for u in graph.objects(None, DCAT.downloadURL)}
    assert downloads == {f"{PUBLIC}/dumps/{name}" for name in dataset.manifest["files"]}
    service = graph.value(None, DCAT.endpointURL, URIRef(PUBLIC + "/sparql"))
    assert service is not None
    assert (service, DCAT.servesDataset, d) in graph
    assert (service, DCAT.endpointDescription, URIRef(PUBLIC + "/sparql")) in graph
    assert (d, DCTERMS.conformsTo, URIRef(PUBLIC + "/def/coop-shapes")) in graph
    media = {str(m) for m in graph.objects(None, DCAT.mediaType)}
    assert "http://www.iana.org/assignments/media-types/text/turtle" in media
    formats = {str(f).rsplit("/", 1)[1] for f in graph.objects(None, DCTERMS.format)}
    assert formats == {
        "RDF_TURTLE",
        "JSON_LD",
        "RDF_XML",
        "RDF_N_TRIPLES",
        "RDF_N_QUADS",
        "RDF_TRIG",
        "GZIP",
        "SPARQLQ",
    }


@pytest.mark.parametrize(
    ("profile", "algorithm"), [("dcat-ap-3.0.1", "sha256"), ("dcat-ap-2.1.1", "sha1")]
)
def test_checksums_and_sizes_match_the_downloaded_bytes(
    client: FlaskClient, dataset: Dataset, profile: str, algorithm: str
) -> None:
    graph = catalogue(client, profile)
    checked = 0
    for distribution, url in graph.subject_objects(DCAT.downloadURL):
        body = client.get(str(url)[len(PUBLIC) :]).data
        checksum = graph.value(distribution, SPDX.checksum)
        assert graph.value(checksum, SPDX.algorithm) == SPDX[f"checksumAlgorithm_{algorithm}"]
        value = str(graph.value(checksum, SPDX.checksumValue))
        assert value == hashlib.new(algorithm, body).hexdigest(), url
        assert Decimal(str(graph.value(distribution, DCAT.byteSize))) == len(body)
        checked += 1
    assert checked == len(dataset.manifest["files"]) == 7


def test_the_store_metadata_graph_cannot_hold_the_checksum_of_the_files_that_contain_it(
    dataset: Dataset,
) -> None:
    rows = sparql(
        dataset,
        f"""PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX spdx: <http://spdx.org/rdf/terms#>
        SELECT ?url (COUNT(?c) AS ?n) WHERE {{ GRAPH <{dataset.iris.graph("metadata")}> {{
          ?d dcat:downloadURL ?url OPTIONAL {{ ?d spdx:checksum ?c }} }} }} GROUP BY ?url""",
    )
    found = {row["url"].value.rsplit("/", 1)[1]: int(row["n"].value) for row in rows}
    assert found == {
        "coopld.ttl": 1,
        "coopld.jsonld": 1,
        "coopld.nt": 1,
        "coopld.rdf": 1,
        "coopld.nt.gz": 1,
        "coopld.trig": 0,
        "coopld.nq": 0,
    }


# -- VoID against SPARQL counts -----------------------------------------------------------------


@pytest.fixture(scope="module")
def void(app: Flask) -> Graph:
    response = app.test_client().get("/.well-known/void", headers={"Accept": "text/turtle"})
    return Graph().parse(data=response.data, format="turtle")


def count(dataset: Dataset, select: str, where: str) -> int:
    rows = sparql(
        dataset,
        f"SELECT ({select} AS ?n) WHERE {{ GRAPH <{dataset.iris.graph('data')}> {{ {where} }} }}",
    )
    return int(rows[0]["n"].value)


def test_void_totals_equal_sparql_counts(void: Graph, dataset: Dataset) -> None:
    d = URIRef(PUBLIC + "/id/dataset/coopld")
    space = f"{dataset.iris.base}/id/"

    def number(p: URIRef) -> int:
        return int(void.value(d, p))

    assert number(VOID.triples) == count(dataset, "COUNT(*)", "?s ?p ?o")
    assert number(VOID.entities) == count(
        dataset,
        "COUNT(DISTINCT ?s)",
        f'?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{space}"))',
    )
    assert number(VOID.distinctSubjects) == count(dataset, "COUNT(DISTINCT ?s)", "?s ?p ?o")
    assert number(VOID.properties) == count(dataset, "COUNT(DISTINCT ?p)", "?s ?p ?o")
    assert number(VOID.classes) == count(dataset, "COUNT(DISTINCT ?c)", "?s a ?c")


def test_void_distinct_objects_equal_sparql_count(void: Graph, dataset: Dataset) -> None:
    in_store = count(dataset, "COUNT(DISTINCT ?o)", "?s ?p ?o")
    found = int(void.value(URIRef(PUBLIC + "/id/dataset/coopld"), VOID.distinctObjects))
    assert found == in_store


def canonical_integer(term: Any) -> Any:
    if isinstance(term, Literal) and term.datatype in INTEGER_SUBTYPES:
        return Literal(str(term), datatype=XSD.integer)
    return term


def test_void_partitions_equal_sparql_counts(void: Graph, dataset: Dataset) -> None:
    d = URIRef(PUBLIC + "/id/dataset/coopld")
    space = f"{dataset.iris.base}/id/"
    rows = sparql(
        dataset,
        f"""SELECT ?c (COUNT(DISTINCT ?s) AS ?all)
                  (COUNT(DISTINCT IF(isIRI(?s) && STRSTARTS(STR(?s), "{space}"), ?s, ?none)) AS ?entities)
            WHERE {{ GRAPH <{dataset.iris.graph("data")}> {{ ?s a ?c }} }} GROUP BY ?c""",
    )
    expected = {
        public(r["c"].value, dataset.iris.base): (int(r["entities"].value), int(r["all"].value))
        for r in rows
    }
    found = {
        str(void.value(node, VOID["class"])): (
            int(void.value(node, VOID.entities)),
            int(void.value(node, VOID.distinctSubjects)),
        )
        for node in void.objects(d, VOID.classPartition)
    }
    assert found == expected
    rows = sparql(
        dataset,
        f"""SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?s_) WHERE {{
            GRAPH <{dataset.iris.graph("data")}> {{ ?s ?p ?o }} }} GROUP BY ?p""",
    )
    expected_p = {
        public(r["p"].value, dataset.iris.base): (int(r["n"].value), int(r["s_"].value))
        for r in rows
    }
    found_p = {
        str(void.value(node, VOID.property)): (
            int(void.value(node, VOID.triples)),
            int(void.value(node, VOID.distinctSubjects)),
        )
        for node in void.objects(d, VOID.propertyPartition)
    }
    assert found_p == expected_p


def test_void_linksets_equal_sparql_counts(void: Graph, dataset: Dataset) -> None:
    authority = "http://publications.europa.eu/resource/authority/"
    rows = sparql(
        dataset,
        f"""SELECT ?target (COUNT(*) AS ?n) WHERE {{
              GRAPH <{dataset.iris.graph("data")}> {{ ?s ?p ?o }}
              FILTER(isIRI(?o) && ?p != <{RDF.type}> && !STRSTARTS(STR(?o), "{dataset.iris.base}/"))
              BIND(IF(STRSTARTS(STR(?o), "{authority}"),
                      REPLACE(STR(?o), "^({authority}[a-z0-9-]+)/.*$", "$1"),
                      LCASE(REPLACE(STR(?o), "^https?://([^/?#]+).*$", "$1"))) AS ?target)
              FILTER(STRSTARTS(STR(?o), "http"))
            }} GROUP BY ?target""",
    )
    expected = {r["target"].value: int(r["n"].value) for r in rows}

    def key(target: str) -> str:
        return target if target.startswith(authority) else target.split("://", 1)[1].rstrip("/")

    found = {
        key(str(void.value(ls, VOID.objectsTarget))): int(void.value(ls, VOID.triples))
        for ls in void.subjects(RDF.type, VOID.Linkset)
        if (URIRef(PUBLIC + "/id/dataset/coopld"), VOID.subset, ls) in void
    }
    assert found == expected
    assert authority + "corporate-body" in found and authority + "country" in found


def test_void_access_points_work(void: Graph, client: FlaskClient, dataset: Dataset) -> None:
    d = URIRef(PUBLIC + "/id/dataset/coopld")
    assert void.value(d, VOID.sparqlEndpoint) == URIRef(PUBLIC + "/sparql")
    assert str(void.value(d, VOID.uriSpace)) == PUBLIC + "/id/"
    dumps = list(void.objects(d, VOID.dataDump))
    assert len(dumps) == 5
    for url in dumps:
        assert client.head(str(url)[len(PUBLIC) :]).status_code == 200
    subjects = {str(s) for s in data_graph_of_store(dataset).subjects()}
    examples = [str(e) for e in void.objects(d, VOID.exampleResource)]
    assert examples and all(public_to_canonical(e, dataset) in subjects for e in examples)
    used = {str(p) for p in data_graph_of_store(dataset).predicates()}
    vocabularies = {str(v) for v in void.objects(d, VOID.vocabulary)}
    for predicate in used:
        assert any(
            public(predicate, dataset.iris.base).startswith(v) or v == PUBLIC + "/def/coop"
            for v in vocabularies
        ), predicate


def test_the_dataset_iri_dereferences_to_its_void_statistics(
    client: FlaskClient, void: Graph
) -> None:
    """{base}/id/dataset/coopld is a thing like the others: its page comes from the metadata
    graph, so it carries the same numbers as /.well-known/void."""
    response = client.get(
        "/id/dataset/coopld", headers={"Accept": "text/turtle"}, follow_redirects=True
    )
    assert response.status_code == 200
    page = Graph().parse(data=response.data, format="turtle")
    d = URIRef(PUBLIC + "/id/dataset/coopld")
    for p in (VOID.triples, VOID.entities, VOID.distinctSubjects, VOID.distinctObjects):
        assert page.value(d, p) == void.value(d, p) is not None
    assert len(list(page.objects(d, VOID.classPartition))) == len(
        list(void.objects(d, VOID.classPartition))
    )
    assert (d, RDF.type, DCAT.Dataset) in page


def public_to_canonical(iri: str, dataset: Dataset) -> str:
    return dataset.iris.base + iri[len(PUBLIC) :] if iri.startswith(PUBLIC) else iri


# -- dumps --------------------------------------------------------------------------------------

DUMP_TYPES = {
    "coopld.ttl": "text/turtle; charset=utf-8",
    "coopld.jsonld": "application/ld+json",
    "coopld.nt": "application/n-triples",
    "coopld.rdf": "application/rdf+xml; charset=utf-8",
    "coopld.nt.gz": "application/gzip",
    "coopld.trig": "application/trig; charset=utf-8",
    "coopld.nq": "application/n-quads",
}


@pytest.mark.parametrize("name", sorted(DUMP_TYPES))
def test_dump_is_served_with_its_type_size_validators_and_name(
    client: FlaskClient, dataset: Dataset, name: str
) -> None:
    data = dataset.file(name).read_bytes()
    response = client.get(f"/dumps/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == DUMP_TYPES[name]
    assert "Content-Encoding" not in response.headers  # the .gz is the resource, not a coding
    assert int(response.headers["Content-Length"]) == len(data) == len(response.data)
    assert response.data == data
    assert response.headers["ETag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert (
        client.get(
            f"/dumps/{name}", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )


def test_dump_ranges(client: FlaskClient, dataset: Dataset) -> None:
    data = dataset.file("coopld.nt").read_bytes()
    part = client.get("/dumps/coopld.nt", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert part.data == data[100:200]
    tail = client.get("/dumps/coopld.nt", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == data[-10:]
    beyond = client.get("/dumps/coopld.nt", headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize(
    "path",
    [
        "/dumps/build.json",
        "/dumps/validation-report.ttl",
        "/dumps/../build.json",
        "/dumps/nothing.ttl",
    ],
)
def test_only_the_dumps_are_served(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


OX = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "json-ld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}
OX_INTEGER_SUBTYPES = {str(t) for t in INTEGER_SUBTYPES}


def canonical(triples: Any, integers: bool = True) -> set[ox.Quad]:
    """The triples with blank nodes canonically named (RDFC-1.0), as comparable quads."""

    def term(value: Any) -> Any:
        if (
            integers
            and isinstance(value, ox.Literal)
            and value.datatype.value in OX_INTEGER_SUBTYPES
        ):
            return ox.Literal(value.value, datatype=ox.NamedNode(str(XSD.integer)))
        return value

    graph = ox.Dataset(
        ox.Quad(t.subject, t.predicate, term(t.object), ox.DefaultGraph()) for t in triples
    )
    graph.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(graph)


def stored(dataset: Dataset, name: str = "data") -> list[ox.Quad]:
    return list(dataset.store.quads_for_pattern(None, None, None, dataset.graph(name)))


@pytest.mark.parametrize(
    ("name", "parser"),
    [
        ("coopld.ttl", "turtle"),
        ("coopld.nt", "nt"),
        ("coopld.nt.gz", "nt"),
        ("coopld.jsonld", "json-ld"),
        ("coopld.rdf", "xml"),
    ],
)
def test_each_graph_dump_is_the_data_graph_the_endpoint_serves(
    client: FlaskClient, dataset: Dataset, name: str, parser: str
) -> None:
    body = client.get(f"/dumps/{name}").data
    if name.endswith(".gz"):
        body = gzip.decompress(body)
    dump = list(ox.parse(body, format=OX[parser]))
    assert len(dump) == len(stored(dataset)) == dataset.manifest["triples"]
    assert canonical(dump) == canonical(stored(dataset))


@pytest.mark.parametrize(("name", "parser"), [("coopld.trig", "trig"), ("coopld.nq", "nquads")])
def test_each_dataset_dump_holds_the_four_graphs_the_endpoint_serves(
    client: FlaskClient, dataset: Dataset, name: str, parser: str
) -> None:
    quads = list(ox.parse(client.get(f"/dumps/{name}").data, format=OX[parser]))
    names = {q.graph_name for q in quads}
    assert names == {dataset.graph(n) for n in ("data", "vocabulary", "shapes", "metadata")}
    for graph_name in ("data", "vocabulary", "shapes", "metadata"):
        mine = [q for q in quads if q.graph_name == dataset.graph(graph_name)]
        assert canonical(mine) == canonical(stored(dataset, graph_name)), graph_name


def test_the_store_keeps_the_datatypes_the_dumps_have(dataset: Dataset) -> None:
    dump = list(ox.parse(dataset.file("coopld.nt").read_bytes(), format=ox.RdfFormat.N_TRIPLES))
    assert canonical(dump, integers=False) == canonical(stored(dataset), integers=False)


# -- sitemap and robots.txt ---------------------------------------------------------------------

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_every_resource_page_and_each_answers(
    client: FlaskClient, dataset: Dataset
) -> None:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    locs = [e.text or "" for e in root.iter(f"{SITEMAP}loc")]
    assert len(locs) == len(set(locs))
    things = count(
        dataset,
        "COUNT(DISTINCT ?s)",
        f'?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{dataset.iris.base}/id/"))',
    )
    pages = [loc for loc in locs if loc.startswith(PUBLIC + "/doc/")]
    assert len(pages) == things + 1  # and the dataset's own page
    assert PUBLIC + "/doc/dataset/coopld" in pages
    statuses = Counter()
    for loc in locs:
        assert loc.startswith(PUBLIC + "/")
        answer = client.get(loc[len(PUBLIC) :], headers={"Accept": BROWSER})
        statuses[answer.status_code] += 1
        assert answer.status_code == 200, loc
        assert answer.mimetype == "text/html", loc
    assert statuses == {200: len(locs)}


def test_robots_txt_points_at_the_sitemap(client: FlaskClient) -> None:
    text = client.get("/robots.txt").data.decode("utf-8")
    assert f"Sitemap: {PUBLIC}/sitemap.xml" in text.splitlines()
    assert "Disallow: /sparql?" in text.splitlines()
    assert client.get("/sitemap.xml").status_code == 200


# -- base mapping -------------------------------------------------------------------------------


def test_links_work_from_where_the_client_stands(settings: Settings, dataset: Dataset) -> None:
    app = create_app(settings.replace(public_base="https://data.example.org/coopld"), dataset)
    client = app.test_client()
    body = client.get("/catalog", headers={"Accept": "application/n-triples"}).data.decode("utf-8")
    assert "https://data.example.org/coopld/dumps/coopld.ttl" in body
    assert settings.base not in body
    void = client.get("/.well-known/void").data.decode("utf-8")
    assert '"https://data.example.org/coopld/id/"' in void  # void:uriSpace follows too
    sitemap = client.get("/sitemap.xml").data.decode("utf-8")
    assert "<loc>https://data.example.org/coopld/doc/" in sitemap


def test_a_mounted_app_links_under_its_prefix(client: FlaskClient) -> None:
    page = client.get(
        "/", headers={"Accept": BROWSER}, environ_overrides={"SCRIPT_NAME": "/coopld"}
    )
    links = Links()
    links.feed(page.data.decode("utf-8"))
    local = [h for h in links.hrefs if h.startswith("/")]
    assert local and all(h.startswith("/coopld/") for h in local), local
    robots = client.get("/robots.txt", environ_overrides={"SCRIPT_NAME": "/coopld"}).data.decode()
    assert "Sitemap: http://localhost/coopld/sitemap.xml" in robots


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if found.get("href"):
            self.hrefs.append(found["href"] or "")
        if tag == "script":
            self._script = found

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts.append((self._script, data))
            self._script = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


# -- the landing page ---------------------------------------------------------------------------


def test_landing_page_says_what_it_contains_and_embeds_schema_org(
    client: FlaskClient, dataset: Dataset
) -> None:
    page = client.get("/", headers={"Accept": BROWSER})
    html = page.data.decode("utf-8")
    parser = Links()
    parser.feed(html)
    scripts = [
        json.loads(text)
        for attrs, text in parser.scripts
        if attrs.get("type") == "application/ld+json"
    ]
    assert len(scripts) == 1
    schema = scripts[0]
    assert schema["@type"] == "Dataset"
    assert schema["@id"] == PUBLIC + "/id/dataset/coopld"
    downloads = {d["contentUrl"] for d in schema["distribution"]}
    assert downloads == {f"{PUBLIC}/dumps/{name}" for name in dataset.manifest["files"]}
    assert schema["includedInDataCatalog"]["url"] == PUBLIC + "/catalog"
    assert f'id="count-triples">{dataset.manifest["triples"]}<' in html
    for href in ("/catalog", "/.well-known/void", "/sparql", "/dumps/coopld.nt.gz"):
        assert href in parser.hrefs
    queries = sorted((Path(__file__).parents[1] / "src" / "coopld" / "queries").glob("*.rq"))
    assert html.count('<li><a href="/sparql?query=') == len(queries) > 0
    for kind, n in dataset.manifest["counts"].items():
        assert f'<th scope="row">{kind}</th><td>{n}</td>' in html


def test_every_link_on_the_pages_answers(client: FlaskClient) -> None:
    for path in ("/", "/catalog", "/.well-known/void"):
        parser = Links()
        parser.feed(client.get(path, headers={"Accept": BROWSER}).data.decode("utf-8"))
        for href in {h for h in parser.hrefs if h.startswith("/")}:
            assert client.head(href, headers={"Accept": BROWSER}).status_code in (200, 303), (
                path,
                href,
            )


def test_curl_lines_stay_one_word_per_url_whatever_the_host(client: FlaskClient) -> None:
    host = "evil.example:8080"
    page = client.get("/", headers={"Accept": BROWSER, "Host": host}).data.decode("utf-8")
    import html as html_module

    lines = [
        html_module.unescape(chunk.split("</code>")[0]) for chunk in page.split("<pre><code>")[1:]
    ]
    assert lines
    for line in lines:
        words = shlex.split(line.split("&&")[0])
        assert words[0] == "curl"
        assert any(w.startswith(f"http://{host}/") for w in words), line


# -- escaping: a hostile deployment ------------------------------------------------------------

HOSTILE = "</script><script>alert(\"x\")</script> & <b>bold</b> 'q'"


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    folder = tmp_path_factory.mktemp("hostile") / "dist"
    settings = Settings(
        base="http://example.org/ld",
        out=folder,
        title="Plans " + HOSTILE,
        description="About <img src=x onerror=alert(1)> " + HOSTILE,
        publisher_name="O'Brien & <Sons>",
        contact_url="javascript:alert(1)",
        keywords=(HOSTILE,),
    )
    write_dataset(
        build_result(small_graph()), folder, metadata=lambda r, m: describe_dataset(r, m, settings)
    )
    app = create_app(settings, open_dataset(Path(folder)))
    app.config["TESTING"] = True
    return app


@pytest.mark.parametrize("path", ["/", "/catalog", "/.well-known/void"])
def test_pages_escape_every_value(hostile_app: Flask, path: str) -> None:
    html = hostile_app.test_client().get(path, headers={"Accept": BROWSER}).data.decode("utf-8")
    parser = Links()
    parser.feed(html)
    assert "img" not in parser.tags and "b" not in parser.tags
    assert [attrs.get("type") for attrs, _ in parser.scripts] in ([], ["application/ld+json"])
    assert "alert(" not in "".join(
        text for attrs, text in parser.scripts if attrs.get("type") != "application/ld+json"
    )
    assert "&lt;/script&gt;" in html or "\\u003c/script\\u003e" in html
    assert not [h for h in parser.hrefs if h.lower().startswith("javascript:")]


def test_schema_org_survives_hostile_values_intact(hostile_app: Flask) -> None:
    html = hostile_app.test_client().get("/", headers={"Accept": BROWSER}).data.decode("utf-8")
    parser = Links()
    parser.feed(html)
    (schema,) = [
        json.loads(text)
        for attrs, text in parser.scripts
        if attrs.get("type") == "application/ld+json"
    ]
    assert schema["name"] == "Plans " + HOSTILE
    assert schema["publisher"]["name"] == "O'Brien & <Sons>"


def test_rdf_keeps_hostile_values_as_data(hostile_app: Flask) -> None:
    body = hostile_app.test_client().get("/catalog", headers={"Accept": "text/turtle"}).data
    graph = Graph().parse(data=body, format="turtle")
    assert Literal("Plans " + HOSTILE, lang="en") in set(graph.objects(None, DCTERMS.title))
