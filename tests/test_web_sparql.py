"""/sparql through the Flask test client: protocol, negotiation, limits, safety, the page."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from coopld.config import Settings
from coopld.store import Dataset
from coopld.web import create_app
from coopld.web.sparql_page import load_examples

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
PUBLIC = "http://localhost"  # where the Flask test client stands
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SRJ, SRX = "application/sparql-results+json", "application/sparql-results+xml"
SELECT = "SELECT ?s WHERE { ?s a ?type FILTER (isIRI(?s)) } ORDER BY ?s LIMIT 5"
CONSTRUCT = "CONSTRUCT { ?s a ?type } WHERE { ?s a ?type FILTER (isIRI(?s)) } ORDER BY ?s LIMIT 5"
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def make_app(settings: Settings, dataset: Dataset, **changes: object) -> Flask:
    app = create_app(settings.replace(**changes), dataset)
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="module")
def capped(settings: Settings, dataset: Dataset) -> Iterator[Flask]:
    app = make_app(settings, dataset, max_rows=5, query_timeout=2.0, max_request_bytes=4096)
    yield app
    engine = app.extensions.get("coopld.query_engine")
    if engine is not None:
        engine.close()


def query(client: FlaskClient, text: str, accept: str | None = None, **params: str) -> object:
    headers = {"Accept": accept} if accept else {}
    return client.get("/sparql", query_string={"query": text, **params}, headers=headers)


def solutions(body: bytes) -> list[dict[str, dict[str, str]]]:
    rows: list[dict[str, dict[str, str]]] = json.loads(body)["results"]["bindings"]
    return rows


# -- the three ways to send a query ------------------------------------------------------------------
def test_get_form_post_and_direct_post_give_the_same_answer(client: FlaskClient) -> None:
    by_get = client.get("/sparql", query_string={"query": SELECT})
    by_form = client.post("/sparql", data={"query": SELECT})
    by_body = client.post("/sparql", data=SELECT.encode(), content_type="application/sparql-query")
    assert by_get.status_code == by_form.status_code == by_body.status_code == 200
    assert by_get.data == by_form.data == by_body.data
    assert len(solutions(by_get.data)) == 5


def test_graph_parameters_select_the_dataset(client: FlaskClient, dataset: Dataset) -> None:
    vocabulary = f"{PUBLIC}/graph/vocabulary"
    count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    in_vocabulary = sum(
        1 for _ in dataset.store.quads_for_pattern(None, None, None, dataset.graph("vocabulary"))
    )
    response = client.get("/sparql", query_string={"query": count, "default-graph-uri": vocabulary})
    assert int(solutions(response.data)[0]["n"]["value"]) == in_vocabulary
    unknown = client.get(
        "/sparql", query_string={"query": count, "default-graph-uri": "http://nowhere.example/g"}
    )
    assert unknown.status_code == 200 and solutions(unknown.data)[0]["n"]["value"] == "0"
    named = client.post(
        "/sparql?named-graph-uri=" + quote(vocabulary, safe=""),
        data="SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }",
        content_type="application/sparql-query",
    )
    assert [row["g"]["value"] for row in solutions(named.data)] == [vocabulary]


# -- negotiation -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "accept", "params", "expected"),
    [
        (SELECT, None, {}, SRJ),
        (SELECT, "*/*", {}, SRJ),
        (SELECT, SRX, {}, SRX),
        (SELECT, "text/csv", {}, "text/csv"),
        (SELECT, "text/tab-separated-values", {}, "text/tab-separated-values"),
        (SELECT, "application/json", {}, SRJ),
        (SELECT, "application/xml", {}, SRX),
        (SELECT, "application/sparql-results+json,application/json,text/javascript", {}, SRJ),
        (SELECT, f"{SRX};q=0.5, {SRJ};q=0.9", {}, SRJ),
        (SELECT, BROWSER, {}, "text/html"),
        (SELECT, "text/turtle", {}, 406),
        (SELECT, "image/png", {}, 406),
        (SELECT, SRJ, {"format": "csv"}, "text/csv"),
        (SELECT, SRJ, {"output": "xml"}, SRX),
        (SELECT, SRJ, {"format": "tsv", "output": "json"}, "text/tab-separated-values"),
        (SELECT, SRX, {"format": "turtle"}, SRX),  # not valid for SELECT: Accept decides
        (SELECT, SRX, {"format": "nonsense"}, SRX),
        ("ASK { ?s ?p ?o }", None, {}, SRJ),
        ("ASK { ?s ?p ?o }", SRX, {}, SRX),
        (CONSTRUCT, None, {}, "text/turtle"),
        (CONSTRUCT, "*/*", {}, "text/turtle"),
        (CONSTRUCT, "application/ld+json", {}, "application/ld+json"),
        (CONSTRUCT, "application/json", {}, "application/ld+json"),
        (CONSTRUCT, "application/n-triples", {}, "application/n-triples"),
        (CONSTRUCT, "text/plain", {}, "application/n-triples"),
        (CONSTRUCT, "application/rdf+xml", {}, "application/rdf+xml"),
        (CONSTRUCT, "application/xml", {}, "application/rdf+xml"),
        (CONSTRUCT, "application/n-quads", {}, "application/n-quads"),
        (CONSTRUCT, "application/trig", {}, "application/trig"),
        (
            CONSTRUCT,
            "text/rdf+n3,application/n-triples,application/turtle,text/n3,text/turtle",
            {},
            "text/turtle",
        ),
        (CONSTRUCT, SRJ, {}, 406),
        (CONSTRUCT, SRJ, {"format": "jsonld"}, "application/ld+json"),
        (CONSTRUCT, "text/turtle", {"output": "json"}, "application/ld+json"),
        (CONSTRUCT, "text/turtle", {"format": "csv"}, "text/turtle"),
        ("DESCRIBE <http://example.org/>", "application/n-triples", {}, "application/n-triples"),
    ],
)
def test_negotiation(
    client: FlaskClient, text: str, accept: str | None, params: dict[str, str], expected: str | int
) -> None:
    response = query(client, text, accept, **params)
    if isinstance(expected, int):
        assert response.status_code == expected
        assert "Accept" in response.headers.get("Vary", "")
        return
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == expected
    assert "Accept" in response.headers["Vary"]
    if expected.startswith("application/sparql-results") or expected.startswith("text/"):
        assert "charset=utf-8" in response.content_type or expected != "text/csv"


def test_results_are_never_labelled_plain_json(client: FlaskClient) -> None:
    for accept in ("application/json", "*/*", None, "application/json, */*;q=0.1"):
        assert query(client, SELECT, accept).mimetype == SRJ


def test_every_result_format_parses_to_the_same_rows(client: FlaskClient) -> None:
    by_format = {}
    for fmt, media in (("json", SRJ), ("xml", SRX), ("tsv", "text/tab-separated-values")):
        body = query(client, SELECT, format=fmt).data
        parsed = ox.parse_query_results(body, ox.QueryResultsFormat.from_media_type(media))
        by_format[fmt] = [row["s"].value for row in parsed]
    rows = list(csv.reader(io.StringIO(query(client, SELECT, format="csv").data.decode())))
    by_format["csv"] = [row[0] for row in rows[1:]]
    assert len(set(map(tuple, by_format.values()))) == 1
    assert len(by_format["json"]) == 5


def test_every_graph_format_parses_to_the_same_graph(client: FlaskClient) -> None:
    graphs = []
    for media, parser in (
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/trig", "trig"),
        ("application/n-quads", "nquads"),
    ):
        response = query(client, CONSTRUCT, media)
        assert response.mimetype == media
        graph = Graph()
        graph.parse(data=response.data, format=parser)
        graphs.append({(str(s), str(p), str(o)) for s, p, o in graph})
    assert all(g == graphs[0] for g in graphs) and len(graphs[0]) == 5


# -- client errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "says"),
    [
        ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", {}, 400, "2 queries"),
        ("POST", "/sparql", {"data": {"default-graph-uri": "http://x/"}}, 400, "no query"),
        ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs", {}, 400, "error at 1:"),
        ("GET", "/sparql?query=ASK%7B%7D&timeout=soon", {}, 400, "timeout"),
        ("GET", "/sparql?query=ASK%7B%7D&timeout=-1", {}, 400, "timeout"),
        ("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=not%20an%20iri", {}, 400, "IRI"),
        ("POST", "/sparql", {"data": "ASK {}", "content_type": "text/plain"}, 415, "text/plain"),
        ("POST", "/sparql", {"data": b"ASK {}"}, 415, "no Content-Type"),
        (
            "POST",
            "/sparql",
            {
                "data": "ASK {}".encode("utf-16"),
                "content_type": "application/sparql-query; charset=UTF-16",
            },
            415,
            "UTF-8",
        ),
        (
            "POST",
            "/sparql",
            {"data": b"ASK { \xff }", "content_type": "application/sparql-query"},
            400,
            "UTF-8",
        ),
        ("PUT", "/sparql?query=ASK%7B%7D", {}, 405, ""),
        ("DELETE", "/sparql", {}, 405, ""),
    ],
)
def test_bad_requests(
    client: FlaskClient, method: str, path: str, kwargs: dict[str, object], status: int, says: str
) -> None:
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status, response.data
    assert says in response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    if status == 405:
        assert "POST" in response.headers["Allow"]


def test_errors_have_one_json_shape(client: FlaskClient) -> None:
    response = query(client, "ASK {", accept=SRJ)
    body = json.loads(response.data)
    assert body["ok"] is False and body["status"] == 400 and "error at 1:6" in body["error"]


# -- read-only -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "GET", "query_string": {"update": "CLEAR ALL"}},
        {"method": "POST", "data": {"update": "DROP ALL"}},
        {"method": "POST", "data": {"query": "ASK {}", "update": "DROP ALL"}},
        {"method": "POST", "data": "CLEAR ALL", "content_type": "application/sparql-update"},
        {"method": "GET", "query_string": {"query": "INSERT DATA { <http://x/a> <http://x/b> 1 }"}},
        {"method": "POST", "data": {"query": "PREFIX x: <http://x/> DELETE WHERE { ?s ?p ?o }"}},
        {
            "method": "POST",
            "data": "LOAD <http://x/data>",
            "content_type": "application/sparql-query",
        },
    ],
)
def test_updates_are_refused_by_every_route(
    client: FlaskClient, dataset: Dataset, kwargs: dict[str, object]
) -> None:
    before = len(dataset.store)
    response = client.open("/sparql", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "read-only" in text and text.count("\n") <= 2
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert len(dataset.store) == before


# -- limits ------------------------------------------------------------------------------------------------------------
def test_the_row_cap_is_signalled_never_silent(capped: Flask) -> None:
    client = capped.test_client()
    every = query(client, "SELECT ?s ?p ?o { ?s ?p ?o }")
    assert (
        every.headers["X-Coopld-Truncated"] == "true" and every.headers["X-Coopld-Row-Limit"] == "5"
    )
    assert len(solutions(every.data)) == 5
    lines = (
        query(client, "SELECT ?s { ?s ?p ?o }", format="csv").data.decode().strip().split("\r\n")
    )
    assert len(lines) == 1 + 5
    few = query(client, "SELECT ?s { ?s ?p ?o } LIMIT 3")
    assert few.headers["X-Coopld-Truncated"] == "false" and len(solutions(few.data)) == 3
    exactly = query(client, "SELECT ?s { ?s ?p ?o } LIMIT 5")
    assert exactly.headers["X-Coopld-Truncated"] == "false"
    graph = query(client, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert graph.headers["X-Coopld-Truncated"] == "true" and graph.data.count(b"\n") == 5
    page = query(client, "SELECT ?s { ?s ?p ?o }", BROWSER)
    assert b'id="truncated"' in page.data and b"only the first" in page.data
    ask = query(client, "ASK {}")
    assert ask.headers["X-Coopld-Truncated"] == "false" and ask.headers["X-Coopld-Row-Limit"] == "5"
    for response in (
        client.get("/sparql", headers={"Accept": "text/turtle"}),
        query(client, "ASK {"),
    ):
        assert response.headers["X-Coopld-Row-Limit"] == "5"


def test_the_deadline_gives_503_with_retry_after_and_frees_the_worker(capped: Flask) -> None:
    client = capped.test_client()
    started = time.monotonic()
    response = query(client, CROSS_PRODUCT, timeout="0.5")
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and 0.5 <= elapsed < 2.0
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["X-Coopld-Timeout"] == "0.5"
    assert "did not finish within 0.5 s" in response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    started = time.monotonic()
    assert query(client, "ASK { ?s ?p ?o }").status_code == 200
    assert time.monotonic() - started < 1.0
    # the cap cannot be raised by the client
    raised = query(client, CROSS_PRODUCT, timeout="3600")
    assert raised.status_code == 503 and raised.headers["X-Coopld-Timeout"] == "2"
    page = query(client, CROSS_PRODUCT, BROWSER, timeout="0.3")
    assert page.status_code == 503 and b"did not finish" in page.data and b"<textarea" in page.data
    assert int(page.headers["Retry-After"]) >= 1


def test_request_size_is_capped(capped: Flask) -> None:
    client = capped.test_client()
    padding = "#" + "x" * 5000 + "\nASK {}"
    body = client.post("/sparql", data=padding.encode(), content_type="application/sparql-query")
    assert body.status_code == 413
    form = client.post("/sparql", data={"query": padding})
    assert form.status_code == 413
    url = client.get("/sparql", query_string={"query": padding})
    assert url.status_code == 414 and "POST" in url.get_data(as_text=True)
    for response in (body, form, url):
        assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
        "SELECT * " + "{" * 3000 + "}" * 3000,
        "SELECT * { " + " UNION ".join(["{}"] * 3000) + " }",
        "SELECT * { FILTER(" + "+".join(["1"] * 8000) + " > 0) }",
        'SELECT * { FILTER(REGEX("' + "a" * 30000 + '!", "^(a+)+$")) }',
        'SELECT (STRLEN("' + "x" * 150_000 + '") AS ?n) {}',
    ],
    ids=["parentheses", "groups", "unions", "operators", "regex", "huge-literal"],
)
def test_pathological_queries_are_answered_promptly(client: FlaskClient, text: str) -> None:
    started = time.monotonic()
    response = client.post("/sparql", data=text.encode(), content_type="application/sparql-query")
    assert response.status_code in (200, 400, 503), response.data[:300]
    assert time.monotonic() - started < 5.0 + 3.0
    assert query(client, "ASK {}").status_code == 200  # and the endpoint still answers


def test_deep_nesting_is_refused_before_evaluation(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK " + "{" * 300 + "}" * 300})
    assert response.status_code == 400 and "nests 300 levels" in response.get_data(as_text=True)


# -- no outbound requests -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * { service silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "PREFIX r: <http://127.0.0.1:9/> SELECT * { SERVICE r:sparql { ?s ?p ?o } }",
        "SELECT * { VALUES ?e { <http://127.0.0.1:9/> } SERVICE ?e { ?s ?p ?o } }",
        "SELECT * { SERVICE # a comment\n <http://127.0.0.1:9/> { ?s ?p ?o } }",
    ],
)
def test_service_is_refused_with_a_clear_message(client: FlaskClient, text: str) -> None:
    response = query(client, text)
    assert response.status_code == 403
    assert "no outbound requests" in response.get_data(as_text=True)


def test_the_word_service_elsewhere_is_not_a_service_call(client: FlaskClient) -> None:
    text = 'SELECT ?service { BIND ("SERVICE <http://127.0.0.1:9/>" AS ?service) } # SERVICE <x:y>'
    response = query(client, text)
    assert response.status_code == 200
    assert solutions(response.data)[0]["service"]["value"].startswith("SERVICE")


# -- the base mapping: queries see what documents say ------------------------------------------------------------------
def test_public_iris_in_queries_and_answers(client: FlaskClient, dataset: Dataset) -> None:
    canonical = dataset.iris.base
    response = query(client, f"SELECT ?s {{ ?s a <{PUBLIC}/def/coop#Agreement> }}")
    agreements = [row["s"]["value"] for row in solutions(response.data)]
    assert agreements and all(iri.startswith(f"{PUBLIC}/id/agreement/") for iri in agreements)
    whole = query(client, "SELECT * { ?s ?p ?o }", format="tsv").data.decode()
    assert f"<{canonical}/" not in whole
    relative = query(client, "SELECT ?s { ?s a <def/coop#Agreement> }")
    assert solutions(relative.data) == solutions(response.data)


def test_every_statement_of_a_document_is_visible_to_sparql(client: FlaskClient) -> None:
    """What the dereferenced document says about its thing, SPARQL sees: same IRIs, same base."""
    first = solutions(
        query(
            client, f"SELECT ?s {{ ?s a <{PUBLIC}/def/coop#Agreement> }} ORDER BY ?s LIMIT 1"
        ).data
    )
    thing = ox.NamedNode(first[0]["s"]["value"])
    document = client.get(
        thing.value, headers={"Accept": "application/n-triples"}, follow_redirects=True
    )
    assert document.status_code == 200
    statements = [
        q
        for q in ox.parse(document.data, ox.RdfFormat.N_TRIPLES)
        if q.subject == thing and not isinstance(q.object, ox.BlankNode)  # no blank nodes in VALUES
    ]
    assert len(statements) > 5
    values = " ".join(f"({q.subject} {q.predicate} {q.object})" for q in statements)
    text = f"SELECT (COUNT(*) AS ?n) {{ VALUES (?s ?p ?o) {{ {values} }} ?s ?p ?o }}"
    response = client.post("/sparql", data={"query": text})
    assert int(solutions(response.data)[0]["n"]["value"]) == len(statements)


# -- CORS ----------------------------------------------------------------------------------------------------------------------
def test_preflight_for_a_direct_post(client: FlaskClient) -> None:
    response = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert {"X-Coopld-Truncated", "X-Coopld-Row-Limit", "Retry-After"} <= set(
        re.split(r",\s*", exposed)
    )


def test_head_has_the_headers_of_get_and_no_body(client: FlaskClient) -> None:
    get = query(client, SELECT)
    head = client.head("/sparql", query_string={"query": SELECT})
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["ETag"] == get.headers["ETag"]


def test_a_repeated_get_can_be_revalidated(client: FlaskClient) -> None:
    first = query(client, SELECT)
    again = client.get(
        "/sparql", query_string={"query": SELECT}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    other = client.get(
        "/sparql",
        query_string={"query": SELECT},
        headers={"Accept": SRX, "If-None-Match": first.headers["ETag"]},
    )
    assert other.status_code == 200


# -- the service description ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        (None, "turtle"),
    ],
)
def test_the_service_description(
    client: FlaskClient, dataset: Dataset, accept: str | None, parser: str
) -> None:
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    sd = Graph().parse(data=response.data, format=parser)
    service = URIRef(f"{PUBLIC}/sparql")
    assert (service, RDF.type, SD.Service) in sd
    assert (service, SD.endpoint, service) in sd
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in sd
    assert (service, SD.feature, SD.UnionDefaultGraph) in sd
    assert (service, SD.feature, SD.BasicFederatedQuery) not in sd
    formats = {str(f) for f in sd.objects(service, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats and len(formats) == 10
    default_dataset = sd.value(service, SD.defaultDataset)
    default_graph = sd.value(default_dataset, SD.defaultGraph)
    assert "union" in str(sd.value(default_graph, URIRef("http://purl.org/dc/terms/description")))
    sizes = {}
    for named in sd.objects(default_dataset, SD.namedGraph):
        graph = sd.value(named, SD.graph)
        sizes[str(sd.value(named, SD.name))] = int(sd.value(graph, VOID.triples))
    expected = {
        f"{PUBLIC}/graph/{name}": sum(
            1 for _ in dataset.store.quads_for_pattern(None, None, None, dataset.graph(name))
        )
        for name in ("data", "vocabulary", "shapes", "metadata")
    }
    assert sizes == expected
    assert int(sd.value(default_graph, VOID.triples)) == sum(expected.values())
    see_also = {
        str(o) for o in sd.objects(service, URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso"))
    }
    assert see_also == {f"{PUBLIC}/.well-known/void", f"{PUBLIC}/catalog"}
    for url in see_also:  # served by the catalogue, and naming this endpoint
        linked = client.get(url, headers={"Accept": "text/turtle"})
        assert linked.status_code == 200 and f"<{PUBLIC}/sparql>".encode() in linked.data
    assert (URIRef(f"{PUBLIC}/id/dataset/coopld"), VOID.sparqlEndpoint, service) in sd


def test_federation_is_described_only_when_allowed(settings: Settings, dataset: Dataset) -> None:
    app = make_app(settings, dataset, allowed_services=("http://partner.example/sparql",))
    sd = Graph().parse(
        data=app.test_client().get("/sparql", headers={"Accept": "text/turtle"}).data,
        format="turtle",
    )
    assert (URIRef(f"{PUBLIC}/sparql"), SD.feature, SD.BasicFederatedQuery) in sd
    refused = query(
        app.test_client(), "SELECT * { SERVICE <http://other.example/sparql> { ?s ?p ?o } }"
    )
    assert refused.status_code == 403 and "http://partner.example/sparql" in refused.get_data(
        as_text=True
    )


# -- the query page --------------------------------------------------------------------------------------------------------------
def test_a_browser_gets_the_query_page(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    examples = load_examples()
    assert len(examples) >= 5
    first = examples[0]
    assert '<textarea id="query" name="query"' in page and first.title in page
    assert f"PREFIX coop: &lt;{PUBLIC}/def/coop#&gt;" in page  # the vocabulary's prefixes
    assert "<dt>Time</dt>" in page and "10000 rows" in page  # the limits in force
    assert (
        'src="/static/sparql.js"' in page
        and "https://"
        not in re.sub(r'href="https://www\.w3\.org[^"]*"', "", page)
        .split("<main")[1]
        .split("</main>")[0]
    )
    assert client.get("/static/sparql.js").status_code == 200


def test_the_page_shows_results_with_links_and_downloads(client: FlaskClient) -> None:
    response = query(
        client,
        f"SELECT ?agreement ?title {{ ?agreement a <{PUBLIC}/def/coop#Agreement> ; <http://purl.org/dc/terms/title> ?title }} ORDER BY ?agreement",
        BROWSER,
    )
    page = response.get_data(as_text=True)
    links = re.findall(r'<a class="iri" href="([^"]+)"', page)
    assert links and all(link.startswith(f"{PUBLIC}/id/agreement/") for link in links)
    assert client.get(links[0]).status_code == 303  # a resource page, by way of its IRI
    downloads = dict(
        re.findall(r'<a href="([^"]+)" download="results\.(\w+)"', page)[i][::-1] for i in range(4)
    )
    assert set(downloads) == {"srj", "srx", "csv", "tsv"}
    for extension, href in downloads.items():
        got = client.get(href.replace("&amp;", "&"))
        assert got.status_code == 200 and got.mimetype != "text/html", extension


def test_the_page_escapes_everything_it_shows(client: FlaskClient) -> None:
    evil = "<script>alert(1)</script>"
    response = query(client, f'SELECT ?x {{ BIND ("{evil}" AS ?x) }}', BROWSER)
    page = response.get_data(as_text=True)
    assert evil not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    error = query(client, f"SELECT {evil}", BROWSER).get_data(as_text=True)
    assert evil not in error and "&lt;script&gt;" in error


# -- the documented examples ----------------------------------------------------------------------------------------------------------
def _run_example(client: FlaskClient, name: str) -> object:
    example = next(e for e in load_examples() if e.name == name)
    return client.post("/sparql", data={"query": example.text})


def test_every_example_is_documented_and_answers(client: FlaskClient) -> None:
    for example in load_examples():
        assert example.title and len(example.description) > 20, example.name
        response = client.post("/sparql", data={"query": example.text})
        assert response.status_code == 200, (example.name, response.data[:300])
        assert response.headers["X-Coopld-Truncated"] == "false"


def test_the_examples_shown_on_the_page_mean_what_the_files_say(client: FlaskClient) -> None:
    """The page resolves the files' relative IRIs against the endpoint, for copying elsewhere."""
    page = client.get("/sparql", headers={"Accept": BROWSER}).get_data(as_text=True)
    shown = json.loads(
        re.search(r'<script type="application/json" id="example-data">(.*?)</script>', page, re.S)[
            1
        ]
    )
    for example, file in zip(shown, load_examples(), strict=True):
        assert "<def/coop#>" not in example["text"]
        if "<def/coop#>" in file.text:
            assert f"<{PUBLIC}/def/coop#>" in example["text"]
        as_shown = client.post("/sparql", data={"query": example["text"]})
        as_stored = client.post("/sparql", data={"query": file.text})
        assert as_shown.status_code == 200 and as_shown.data == as_stored.data, file.name


def test_example_agreements(client: FlaskClient, dataset: Dataset) -> None:
    rows = solutions(_run_example(client, "01-agreements").data)
    agreements = dataset.store.query(
        f"SELECT DISTINCT ?a {{ GRAPH ?g {{ ?a a <{dataset.iris.base}/def/coop#Agreement> }} }}"
    )
    assert {r["agreement"]["value"] for r in rows} == {
        a["a"].value.replace(dataset.iris.base, PUBLIC) for a in agreements
    }
    assert all(r["title"].get("xml:lang") == "en" for r in rows)
    assert sum("signed" in r for r in rows) >= 1 and sum("type" in r for r in rows) == len(rows)


def test_example_parties(client: FlaskClient) -> None:
    rows = solutions(_run_example(client, "02-parties").data)
    counts = [int(r["agreements"]["value"]) for r in rows]
    assert rows and counts == sorted(counts, reverse=True) and counts[0] >= 2


def test_example_actions_by_priority_area(client: FlaskClient) -> None:
    rows = solutions(_run_example(client, "03-actions-by-priority-area").data)
    assert rows and all(r["area"]["value"].startswith(f"{PUBLIC}/id/priority-area/") for r in rows)
    assert sum(int(r["actions"]["value"]) for r in rows) >= len(rows)


def test_example_provenance(client: FlaskClient) -> None:
    rows = solutions(_run_example(client, "04-provenance").data)
    assert rows and all(r["document"]["value"].startswith(f"{PUBLIC}/id/document/") for r in rows)
    assert any("quote" in r for r in rows)


def test_example_vocabulary(client: FlaskClient) -> None:
    rows = solutions(_run_example(client, "05-vocabulary").data)
    classes = {r["class"]["value"] for r in rows}
    assert {f"{PUBLIC}/def/coop#Agreement", f"{PUBLIC}/def/coop#Action"} <= classes


def test_example_describe_agreement(client: FlaskClient) -> None:
    response = _run_example(client, "06-describe-agreement")
    assert response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    subjects = {s for s in graph.subjects() if isinstance(s, URIRef)}
    assert len(subjects) == 1 and str(next(iter(subjects))).startswith(f"{PUBLIC}/id/agreement/")
    assert len(graph) > 10


def test_example_graphs(client: FlaskClient) -> None:
    rows = solutions(_run_example(client, "07-graphs").data)
    assert {r["graph"]["value"] for r in rows} == {
        f"{PUBLIC}/graph/{n}" for n in ("data", "vocabulary", "shapes", "metadata")
    }
    assert all(int(r["triples"]["value"]) > 0 for r in rows)


def test_the_examples_are_packaged_files(tmp_path: Path) -> None:
    from importlib import resources

    files = [
        e.name
        for e in resources.files("coopld").joinpath("queries").iterdir()
        if e.name.endswith(".rq")
    ]
    assert sorted(f[:-3] for f in files) == [e.name for e in load_examples()]


def test_answers_are_gzip_coded_when_the_client_allows_it(client: FlaskClient) -> None:
    import gzip

    text = "SELECT * WHERE { ?s ?p ?o } LIMIT 200"
    plain = client.get("/sparql", query_string={"query": text})
    coded = client.get(
        "/sparql", query_string={"query": text}, headers={"Accept-Encoding": "br, gzip"}
    )
    assert plain.status_code == coded.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert coded.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(coded.get_data()) == plain.get_data()
    assert int(coded.headers["Content-Length"]) == len(coded.get_data()) < len(plain.get_data())
    for response in (plain, coded):  # one answer, two codings: one weak validator, and a Vary
        assert response.headers["Vary"] == "Accept, Accept-Encoding"
    assert coded.headers["ETag"] == plain.headers["ETag"] and plain.headers["ETag"][:2] == "W/"
    refused = client.get(
        "/sparql", query_string={"query": text}, headers={"Accept-Encoding": "gzip;q=0, *;q=0"}
    )
    assert "Content-Encoding" not in refused.headers and refused.get_data() == plain.get_data()
    posted = client.post("/sparql", data={"query": text}, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(posted.get_data()) == plain.get_data()
    small = client.get(
        "/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers={"Accept-Encoding": "gzip"}
    )
    assert "Content-Encoding" not in small.headers  # too small to gain from it
    again = client.get(
        "/sparql",
        query_string={"query": text},
        headers={"Accept-Encoding": "gzip", "If-None-Match": coded.headers["ETag"]},
    )
    assert again.status_code == 304 and again.headers["Vary"] == "Accept, Accept-Encoding"
    page = client.get(
        "/sparql",
        query_string={"query": text},
        headers={"Accept": "text/html", "Accept-Encoding": "gzip"},
    )
    assert page.status_code == 200 and "Content-Encoding" not in page.headers
