"""Dereferencing through the Flask client: 303s, documents in every format, headers, caching,
CORS, the base-IRI mapping, unusual IRIs, errors, and the HTML pages people read.

The dataset is ``webdata``'s small hostile one; the client stands at http://localhost while
the data is minted under http://127.0.0.1:5000, so every response is mapped.
"""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from typing import Any

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import FOAF, RDF, RDFS, VOID
from werkzeug.test import TestResponse

from coopld.describe import INBOUND_LIMIT
from coopld.store import Dataset as CoopDataset

from .webdata import BASE, HUB_LINKS, PUBLIC, ROOT, XSS, make_app
from .webdata import web_app as web_app
from .webdata import web_client as web_client
from .webdata import web_dataset as web_dataset

THING = "/id/agreement/jap-test"
DOC = "/doc/agreement/jap-test"
COOP = Namespace(f"{PUBLIC}/def/coop#")
DCT = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
RDF_FORMATS = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}
DATASET_FORMATS = {"trig": ("application/trig", "trig"), "nq": ("application/n-quads", "nquads")}


# -- helpers ------------------------------------------------------------------------------------


def public(iri: str) -> str:
    return PUBLIC + iri[len(BASE) :] if iri.startswith(BASE) else iri


def links(response: TestResponse) -> list[dict[str, str]]:
    """The Link header as a list of {uri, rel, type...} (RFC 8288, enough for our values)."""
    found = []
    for part in re.findall(r"<[^>]*>[^,<]*", response.headers.get("Link", "")):
        uri = part[1 : part.index(">")]
        params = dict(re.findall(r';\s*(\w+)="([^"]*)"', part))
        found.append({"uri": uri, **params})
    return found


def vary(response: TestResponse) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",") if v.strip()}


def jsonld_graph(client: FlaskClient, body: bytes) -> Graph:
    """Parse JSON-LD after fetching its context through the client (no network)."""
    document = json.loads(body)
    context_url = document["@context"]
    assert isinstance(context_url, str)
    context = client.get(context_url.replace(PUBLIC, "")).get_json()
    document["@context"] = context["@context"]
    return Graph().parse(data=json.dumps(document), format="json-ld")


def parse(client: FlaskClient, response: TestResponse, rdflib_format: str) -> Graph:
    if rdflib_format == "json-ld":
        return jsonld_graph(client, response.data)
    if rdflib_format in ("trig", "nquads"):
        dataset = Dataset()
        dataset.parse(data=response.data, format=rdflib_format)
        graph = Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
        return graph
    return Graph().parse(data=response.data, format=rdflib_format)


def store_graph(dataset: CoopDataset) -> Graph:
    """Every triple of the store, IRIs mapped to the client's base: what documents draw on."""
    text = ox.serialize(dataset.store, format=ox.RdfFormat.N_QUADS)
    assert text is not None
    mapped = text.decode("utf-8").replace(f"<{BASE}/", f"<{PUBLIC}/")
    quads = Dataset()
    quads.parse(data=mapped, format="nquads")
    graph = Graph()
    for s, p, o, _ in quads.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def reachable(graph: Graph, start: URIRef) -> Graph:
    """``start``'s own triples and those of the blank nodes it reaches."""
    out = Graph()
    todo: list[Any] = [start]
    seen = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for s, p, o in graph.triples((node, None, None)):
            out.add((s, p, o))
            if isinstance(o, BNode):
                todo.append(o)
    return out


class Heads(HTMLParser):
    """<link> elements, <a> hrefs with classes, the <title> and every element's tag."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.anchors: list[dict[str, str | None]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "link":
            self.links.append(attributes)
        elif tag == "a":
            self.anchors.append(attributes)
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def html(response: TestResponse) -> Heads:
    parser = Heads()
    parser.feed(response.get_data(as_text=True))
    return parser


# -- things: 303 --------------------------------------------------------------------------------


def test_thing_answers_303_see_other_to_its_document(web_client: FlaskClient) -> None:
    response = web_client.get(THING, headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PUBLIC}{DOC}"
    assert "accept" in vary(response)
    assert {"uri": f"{PUBLIC}{DOC}", "rel": "describedby"} in links(response)
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert f"{PUBLIC}{DOC}" in response.get_data(as_text=True)


def test_thing_redirect_names_the_variant_the_request_named(web_client: FlaskClient) -> None:
    response = web_client.get(f"{THING}?format=jsonld")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PUBLIC}{DOC}.jsonld"


def test_following_the_303_gets_the_description(web_client: FlaskClient) -> None:
    response = web_client.get(
        THING, headers={"Accept": "application/n-triples"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert response.request.path == DOC
    assert response.mimetype == "application/n-triples"
    graph = Graph().parse(data=response.data, format="nt")
    assert (URIRef(PUBLIC + THING), RDF.type, COOP.JointActionPlan) in graph


def test_thing_with_nothing_acceptable_is_406_listing_the_variants(web_client: FlaskClient) -> None:
    response = web_client.get(THING, headers={"Accept": "image/png"})
    assert response.status_code == 406
    body = response.get_data(as_text=True)
    for media_type in ("text/turtle", "application/ld+json", "text/html", "application/n-quads"):
        assert media_type in body
    assert f"{PUBLIC}{DOC}.ttl" in body
    assert {link["type"] for link in links(response) if link["rel"] == "alternate"} >= {
        "text/turtle",
        "application/rdf+xml",
    }
    assert "accept" in vary(response)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "path",
    ["/id/agreement/nope", "/doc/agreement/nope", "/doc/agreement/nope.ttl", "/id/nokind/x"],
)
def test_unknown_resource_is_404_nothing_known(web_client: FlaskClient, path: str) -> None:
    response = web_client.get(path)
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "nothing known about <http://localhost/id/" in text
    assert "Traceback" not in text
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_errors_have_one_json_shape_for_json_clients(web_client: FlaskClient) -> None:
    response = web_client.get("/id/agreement/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    payload = response.get_json()
    assert payload["ok"] is False and payload["status"] == 404
    assert "nothing known about" in payload["error"]


def test_errors_are_html_for_browsers_and_escaped(web_client: FlaskClient) -> None:
    response = web_client.get("/id/agreement/%3Cscript%3E&x", headers={"Accept": CHROME})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    # "<" never decodes into an IRI (RFC 3987), and what is shown is escaped
    assert "<script>" not in body
    assert "&lt;http://localhost/id/agreement/%3Cscript%3E&amp;x&gt;" in body


def test_unknown_format_parameter_is_400_not_a_fallback(web_client: FlaskClient) -> None:
    for path in (THING, DOC):
        response = web_client.get(f"{path}?format=yaml", headers={"Accept": "text/turtle"})
        assert response.status_code == 400
        assert "yaml" in response.get_data(as_text=True)
        assert "turtle" in response.get_data(as_text=True)


# -- documents ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        (CHROME, "text/html"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml;q=0.9, application/n-triples;q=0.5", "application/rdf+xml"),
        ("application/trig", "application/trig"),
        ("application/n-quads", "application/n-quads"),
        ("text/plain, */*;q=0.1", "application/n-triples"),
    ],
)
def test_document_negotiates_on_accept(
    web_client: FlaskClient, accept: str | None, expected: str
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = web_client.get(DOC, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected
    assert {"accept", "accept-encoding"} <= vary(response)
    extension = {
        "text/turtle": "ttl",
        "text/html": "html",
        "application/ld+json": "jsonld",
        "application/rdf+xml": "rdf",
        "application/trig": "trig",
        "application/n-quads": "nq",
        "application/n-triples": "nt",
    }[expected]
    assert response.headers["Content-Location"] == f"{PUBLIC}{DOC}.{extension}"


def test_exactly_the_registered_content_types(web_client: FlaskClient) -> None:
    expected = {
        "ttl": "text/turtle; charset=utf-8",
        "jsonld": "application/ld+json",
        "nt": "application/n-triples",
        "rdf": "application/rdf+xml; charset=utf-8",
        "trig": "application/trig; charset=utf-8",
        "nq": "application/n-quads",
        "html": "text/html; charset=utf-8",
    }
    for extension, content_type in expected.items():
        assert web_client.get(f"{DOC}.{extension}").headers["Content-Type"] == content_type


@pytest.mark.parametrize("extension", [*RDF_FORMATS, *DATASET_FORMATS])
def test_every_format_parses_back_to_the_same_graph(
    web_client: FlaskClient, extension: str
) -> None:
    reference = Graph().parse(data=web_client.get(f"{DOC}.nt").data, format="nt")
    media_type, rdflib_format = {**RDF_FORMATS, **DATASET_FORMATS}[extension]
    response = web_client.get(f"{DOC}.{extension}", headers={"Accept": "image/png"})
    assert response.status_code == 200  # the extension wins over Accept
    assert response.mimetype == media_type
    assert "accept" not in vary(response)  # Accept did not choose this one
    graph = parse(web_client, response, rdflib_format)
    assert isomorphic(graph, reference)


def test_format_parameter_gives_the_same_bytes_as_the_extension(web_client: FlaskClient) -> None:
    by_param = web_client.get(f"{DOC}?format=rdfxml")
    by_extension = web_client.get(f"{DOC}.rdf")
    assert by_param.data == by_extension.data
    assert by_param.headers["ETag"] == by_extension.headers["ETag"]
    assert by_param.headers["Content-Location"] == f"{PUBLIC}{DOC}.rdf"


def test_the_description_holds_what_the_store_says(
    web_client: FlaskClient, web_dataset: CoopDataset
) -> None:
    everything = store_graph(web_dataset)
    doc = Graph().parse(data=web_client.get(f"{DOC}.nt").data, format="nt")
    thing = URIRef(PUBLIC + THING)
    # the thing's triples and the blank nodes it owns (period, signature, derivation)
    assert isomorphic(reachable(doc, thing), reachable(everything, thing))
    assert len(list(reachable(doc, thing).subjects(unique=True))) == 4
    # inbound triples
    inbound = set(everything.triples((None, None, thing)))
    assert inbound and inbound <= set(doc)
    # labels and types of every resource it links to
    for _, _, other in everything.triples((thing, None, None)):
        if isinstance(other, URIRef) and other.startswith(PUBLIC + "/id/"):
            assert set(everything.triples((other, RDFS.label, None))) <= set(doc), other
            assert set(everything.triples((other, RDF.type, None))) <= set(doc), other
    # the document says what it is about, where it belongs, under which licence, from what
    document = URIRef(PUBLIC + DOC)
    assert (document, FOAF.primaryTopic, thing) in doc
    assert (document, VOID.inDataset, URIRef(f"{PUBLIC}/id/dataset/coopld")) in doc
    assert (
        document,
        DCT.license,
        URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"),
    ) in doc
    assert (document, DCT.source, URIRef(f"{PUBLIC}/id/document/source-doc")) in doc


def test_the_named_graph_view_keeps_each_triple_in_its_graph(web_client: FlaskClient) -> None:
    dataset = Dataset()
    dataset.parse(data=web_client.get(f"{DOC}.trig").data, format="trig")
    thing, document = URIRef(PUBLIC + THING), URIRef(PUBLIC + DOC)
    data = dataset.graph(URIRef(f"{PUBLIC}/graph/data"))
    vocabulary = dataset.graph(URIRef(f"{PUBLIC}/graph/vocabulary"))
    assert (thing, RDF.type, COOP.JointActionPlan) in data
    assert (COOP.party, RDFS.label, Literal("party", lang="en")) in vocabulary
    assert (document, FOAF.primaryTopic, thing) in dataset.default_graph


def test_a_hub_shows_a_bounded_inbound_list_and_links_to_the_rest(
    web_client: FlaskClient,
) -> None:
    hub = URIRef(f"{PUBLIC}/id/organisation/hub")
    doc = Graph().parse(data=web_client.get("/doc/organisation/hub.nt").data, format="nt")
    members = {s for s in doc.subjects(None, hub) if str(s).startswith(f"{PUBLIC}/id/")}
    assert len(members) == INBOUND_LIMIT < HUB_LINKS
    inbound_view = URIRef(f"{PUBLIC}/doc/organisation/hub/inbound")
    assert (URIRef(f"{PUBLIC}/doc/organisation/hub"), RDFS.seeAlso, inbound_view) in doc
    page_one = web_client.get("/doc/organisation/hub/inbound", headers={"Accept": "text/turtle"})
    assert page_one.status_code == 200
    assert {"uri": f"{PUBLIC}/doc/organisation/hub/inbound?page=2", "rel": "next"} in links(
        page_one
    )
    seen: set[Any] = set()
    for page in (1, 2):
        response = web_client.get(f"/doc/organisation/hub/inbound?page={page}&format=nt")
        graph = Graph().parse(data=response.data, format="nt")
        seen |= {s for s in graph.subjects(None, hub) if str(s).startswith(f"{PUBLIC}/id/")}
    assert len(seen) == HUB_LINKS
    assert web_client.get("/doc/organisation/hub/inbound?page=3").status_code == 404
    assert web_client.get("/doc/organisation/hub/inbound?page=zero").status_code == 400


def test_every_response_links_its_alternates_canonical_and_topic(web_client: FlaskClient) -> None:
    response = web_client.get(DOC, headers={"Accept": "text/turtle"})
    found = links(response)
    alternates = {link["type"]: link["uri"] for link in found if link["rel"] == "alternate"}
    assert alternates == {
        "application/ld+json": f"{PUBLIC}{DOC}.jsonld",
        "application/n-triples": f"{PUBLIC}{DOC}.nt",
        "application/rdf+xml": f"{PUBLIC}{DOC}.rdf",
        "text/html": f"{PUBLIC}{DOC}.html",
        "application/trig": f"{PUBLIC}{DOC}.trig",
        "application/n-quads": f"{PUBLIC}{DOC}.nq",
    }
    assert {"uri": f"{PUBLIC}{DOC}", "rel": "canonical"} in found
    assert {"uri": f"{PUBLIC}{THING}", "rel": "describes"} in found
    for uri in alternates.values():  # and every one of them works
        assert web_client.get(uri.replace(PUBLIC, "")).status_code == 200


def test_the_html_head_mirrors_the_link_header(web_client: FlaskClient) -> None:
    response = web_client.get(DOC, headers={"Accept": CHROME})
    header = {(x["type"], x["uri"]) for x in links(response) if x["rel"] == "alternate"}
    head = {(x["type"], x["href"]) for x in html(response).links if x.get("rel") == "alternate"}
    assert head == header and len(head) == 6


def test_unknown_extension_is_404_naming_the_variants(web_client: FlaskClient) -> None:
    response = web_client.get(f"{DOC}.yaml")
    assert response.status_code == 404
    assert f"{PUBLIC}{DOC}.ttl" in response.get_data(as_text=True)


def test_extension_and_format_that_disagree_are_400(web_client: FlaskClient) -> None:
    assert web_client.get(f"{DOC}.ttl?format=jsonld").status_code == 400
    assert web_client.get(f"{DOC}.ttl?format=turtle").status_code == 200


# -- JSON-LD --------------------------------------------------------------------------------------


def test_jsonld_is_compact_and_refers_to_the_published_context(web_client: FlaskClient) -> None:
    document = web_client.get(f"{DOC}.jsonld").get_json()
    assert document["@context"] == f"{PUBLIC}/def/coop/context.jsonld"
    thing = next(node for node in document["@graph"] if node["id"] == PUBLIC + THING)
    assert thing["type"] == "JointActionPlan"
    assert thing["label"]["fr"] == "Plan d'action commun"
    assert sorted(thing["party"]) == [
        f"{PUBLIC}/id/organisation/alpha",
        f"{PUBLIC}/id/organisation/beta",
    ]
    assert thing["qualifiedDerivation"]["locator"] == "page 1, paragraph 2"  # embedded
    assert not any(key.startswith("http") for key in thing)


def test_the_context_is_generated_from_the_vocabulary(web_client: FlaskClient) -> None:
    response = web_client.get("/def/coop/context.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    context = response.get_json()["@context"]
    assert context["coop"] == f"{PUBLIC}/def/coop#"
    assert context["party"] == {"@id": "coop:party", "@type": "@id"}
    assert context["quote"] == {"@id": "coop:quote", "@container": "@language"}
    ontology = Graph().parse(ROOT / "ontology" / "coop.ttl", publicID=f"{PUBLIC}/")
    (number_range,) = ontology.objects(COOP.number, RDFS.range)  # one datatype: coerced
    assert context["number"] == {
        "@id": "coop:number",
        "@type": "xsd:" + str(number_range).rsplit("#", 1)[1],
    }
    assert context["Agreement"] == "coop:Agreement"
    assert response.headers["ETag"] and response.headers["Access-Control-Allow-Origin"] == "*"


# -- caching ---------------------------------------------------------------------------------


def test_validators_are_strong_and_differ_per_representation(web_client: FlaskClient) -> None:
    tags = {}
    for extension in ("ttl", "jsonld", "nt", "rdf", "html"):
        response = web_client.get(f"{DOC}.{extension}")
        assert response.headers["ETag"].startswith('"'), "a strong validator"
        assert response.headers["Last-Modified"] == "Sun, 22 Nov 2026 06:00:00 GMT"
        tags[extension] = response.headers["ETag"]
    assert len(set(tags.values())) == len(tags)
    french = web_client.get(f"{DOC}.html", headers={"Accept-Language": "fr"})
    assert french.headers["ETag"] != tags["html"]
    again = web_client.get(f"{DOC}.ttl")
    assert again.headers["ETag"] == tags["ttl"]


def test_if_none_match_gives_304_from_the_app_and_from_the_response_cache(
    web_dataset: CoopDataset,
) -> None:
    client = make_app(web_dataset).test_client()  # a fresh response cache
    etag = client.get("/doc/organisation/beta.ttl").headers["ETag"]
    fresh = make_app(web_dataset).test_client()
    first = fresh.get("/doc/organisation/beta.ttl", headers={"If-None-Match": etag})  # the app
    fresh.get("/doc/organisation/beta.ttl")
    second = fresh.get("/doc/organisation/beta.ttl", headers={"If-None-Match": etag})  # replayed
    for response in (first, second):
        assert response.status_code == 304
        assert response.data == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Content-Location"] == f"{PUBLIC}/doc/organisation/beta.ttl"
        assert "Content-Type" not in response.headers or response.headers.get("Content-Length") in (
            None,
            "0",
        )
    assert sorted(first.headers.keys()) == sorted(second.headers.keys())
    stale = fresh.get("/doc/organisation/beta.ttl", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.data


def test_if_modified_since(web_client: FlaskClient) -> None:
    later = web_client.get(DOC, headers={"If-Modified-Since": "Mon, 23 Nov 2026 00:00:00 GMT"})
    assert later.status_code == 304
    earlier = web_client.get(DOC, headers={"If-Modified-Since": "Sat, 21 Nov 2026 00:00:00 GMT"})
    assert earlier.status_code == 200
    both = web_client.get(
        DOC,
        headers={"If-None-Match": '"nope"', "If-Modified-Since": "Mon, 23 Nov 2026 00:00:00 GMT"},
    )
    assert both.status_code == 200  # If-None-Match takes precedence


def test_cache_control_follows_the_setting(web_dataset: CoopDataset) -> None:
    client = make_app(web_dataset, cache_max_age=123).test_client()
    assert client.get(DOC).headers["Cache-Control"] == "public, max-age=123"
    assert client.get(THING).headers["Cache-Control"] == "public, max-age=123"


@pytest.mark.parametrize(
    "path", [THING, DOC, f"{DOC}.html", f"{DOC}.jsonld", "/doc/agreement/", "/def/coop", "/id/x/y"]
)
def test_head_answers_exactly_like_get(web_dataset: CoopDataset, path: str) -> None:
    for warm in (False, True):  # through the app, then from the response cache
        client = make_app(web_dataset).test_client()
        if warm:
            client.get(path)
        head = client.head(path)
        get = client.get(path)
        assert head.status_code == get.status_code
        assert head.data == b""
        assert dict(head.headers) == dict(get.headers)


def test_gzip_when_asked_with_its_own_validator(web_client: FlaskClient) -> None:
    plain = web_client.get(f"{DOC}.ttl")
    zipped = web_client.get(f"{DOC}.ttl", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert "accept-encoding" in vary(zipped) and "accept-encoding" in vary(plain)
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data)
    refused = web_client.get(f"{DOC}.ttl", headers={"Accept-Encoding": "gzip;q=0, br"})
    assert "Content-Encoding" not in refused.headers
    revalidated = web_client.get(
        f"{DOC}.ttl",
        headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]},
    )
    assert revalidated.status_code == 304


def test_documents_never_touch_a_sparql_engine(web_dataset: CoopDataset) -> None:
    class QuadsOnly:
        def __init__(self, store: ox.Store) -> None:
            self._store = store

        def quads_for_pattern(self, *args: Any) -> Any:
            return self._store.quads_for_pattern(*args)

        def query(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("a document request parsed SPARQL")

    guarded = CoopDataset(QuadsOnly(web_dataset.store), web_dataset.iris, web_dataset.manifest)  # type: ignore[arg-type]
    client = make_app(guarded).test_client()
    for path in (DOC, f"{DOC}.jsonld", f"{DOC}.html", "/doc/organisation/hub/inbound"):
        assert client.get(path).status_code == 200, path


# -- CORS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        (DOC, {}, 200),
        (THING, {}, 303),
        ("/id/agreement/nope", {}, 404),
        (DOC, {"Accept": "image/png"}, 406),
        (f"{DOC}?format=nope", {}, 400),
        (DOC, {"If-Modified-Since": "Mon, 23 Nov 2026 00:00:00 GMT"}, 304),
    ],
)
def test_cors_on_every_response_errors_included(
    web_client: FlaskClient, path: str, headers: dict[str, str], status: int
) -> None:
    response = web_client.get(path, headers={"Origin": "https://example.org", **headers})
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Link", "ETag", "Content-Location", "Vary"} <= exposed


def test_cors_preflight(web_client: FlaskClient) -> None:
    response = web_client.options(
        DOC,
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept, if-none-match",
        },
    )
    assert response.status_code == 204
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "accept" in allowed and "if-none-match" in allowed
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# -- where the client stands ---------------------------------------------------------------------


def test_identity_when_the_client_stands_at_the_base(web_client: FlaskClient) -> None:
    response = web_client.get(THING, base_url=BASE)
    assert response.headers["Location"] == f"{BASE}{DOC}"
    doc = Graph().parse(data=web_client.get(f"{DOC}.nt", base_url=BASE).data, format="nt")
    assert (URIRef(BASE + THING), RDF.type, URIRef(f"{BASE}/def/coop#JointActionPlan")) in doc


def test_public_base_setting(web_dataset: CoopDataset) -> None:
    public_base = "https://data.example.org/coopld"
    client = make_app(web_dataset, public_base=public_base).test_client()
    assert client.get(THING).headers["Location"] == f"{public_base}{DOC}"
    doc = Graph().parse(data=client.get(f"{DOC}.ttl").data, format="turtle")
    assert (URIRef(public_base + THING), None, None) in doc
    assert not any(str(s).startswith(BASE) for s in doc.subjects())
    page = client.get(DOC, headers={"Accept": CHROME}).get_data(as_text=True)
    assert f'href="{public_base}/doc/organisation/alpha"' in page
    jsonld = client.get(f"{DOC}.jsonld").get_json()
    assert jsonld["@context"] == f"{public_base}/def/coop/context.jsonld"


def test_behind_a_proxy_links_follow_the_forwarded_headers(web_dataset: CoopDataset) -> None:
    client = make_app(web_dataset, behind_proxy=True).test_client()
    forwarded = {
        "X-Forwarded-Host": "lod.example.org",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Prefix": "/data",
    }
    response = client.get(THING, headers=forwarded)
    assert response.headers["Location"] == f"https://lod.example.org/data{DOC}"
    page = client.get(DOC, headers={**forwarded, "Accept": CHROME}).get_data(as_text=True)
    assert 'href="/data/static/coopld.css"' in page
    assert 'href="https://lod.example.org/data/doc/organisation/alpha"' in page
    doc = Graph().parse(data=client.get(f"{DOC}.nt", headers=forwarded).data, format="nt")
    assert (URIRef(f"https://lod.example.org/data{THING}"), None, None) in doc
    # the same request without a proxy in front, or through another host name: no mix-up
    # through any cache
    assert client.get(THING).headers["Location"] == f"{PUBLIC}{DOC}"
    other = {**forwarded, "X-Forwarded-Host": "mirror.example.org"}
    assert client.get(THING, headers=other).headers["Location"] == (
        f"https://mirror.example.org/data{DOC}"
    )


def test_forwarded_headers_are_ignored_unless_trusted(web_client: FlaskClient) -> None:
    response = web_client.get(THING, headers={"X-Forwarded-Host": "evil.example"})
    assert response.headers["Location"] == f"{PUBLIC}{DOC}"


# -- IRIs -------------------------------------------------------------------------------------------


def test_non_ascii_iris_round_trip(web_client: FlaskClient) -> None:
    response = web_client.get("/id/place/z%C3%BCrich")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PUBLIC}/doc/place/z%C3%BCrich"
    doc = web_client.get("/doc/place/z%C3%BCrich.nt")
    assert doc.status_code == 200
    graph = Graph().parse(data=doc.data, format="nt")
    assert (URIRef(f"{PUBLIC}/id/place/zürich"), RDFS.label, Literal("Zürich", lang="de")) in graph
    assert web_client.get("/doc/place/zurich").status_code == 404


def test_an_encoded_slash_stays_in_the_key(web_client: FlaskClient) -> None:
    response = web_client.get("/id/concept/a%2Fb")
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PUBLIC}/doc/concept/a%2Fb"
    graph = Graph().parse(data=web_client.get("/doc/concept/a%2Fb.nt").data, format="nt")
    assert (URIRef(f"{PUBLIC}/id/concept/a%2Fb"), RDF.type, None) in graph
    assert web_client.get("/id/concept/a/b").status_code == 404


def test_dots_and_spaces_in_keys(web_client: FlaskClient) -> None:
    assert web_client.get("/doc/concept/v1.2").mimetype == "text/turtle"
    assert web_client.get("/doc/concept/v1.2.jsonld").mimetype == "application/ld+json"
    assert web_client.get("/id/concept/hello%20world").headers["Location"] == (
        f"{PUBLIC}/doc/concept/hello%20world"
    )
    graph = Graph().parse(data=web_client.get("/doc/concept/hello%20world.nt").data, format="nt")
    assert (URIRef(f"{PUBLIC}/id/concept/hello%20world"), RDF.type, None) in graph


@pytest.mark.parametrize(
    "path",
    [
        "/doc/agreement/..%2F..%2Fpyproject.toml",
        "/doc/agreement/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2F..%2F..%2Fpyproject.toml",
        "/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
        "/def/..%2Fpyproject.toml",
        "/id/agreement/jap-test%00",
        "/id/agreement/%ZZ",
        "/doc/agreement/%",
        "/def/coop.",
        "/doc/agreement/jap-test.",
    ],
)
def test_paths_that_try_to_escape_map_to_nothing(web_client: FlaskClient, path: str) -> None:
    response = web_client.get(path)
    assert response.status_code in (400, 404)
    assert b"[project]" not in response.data


# -- pages for people ---------------------------------------------------------------------------


def page(client: FlaskClient, path: str = DOC, **headers: str) -> tuple[TestResponse, str]:
    response = client.get(path, headers={"Accept": CHROME, **headers})
    assert response.status_code == 200
    return response, response.get_data(as_text=True)


def test_a_label_with_markup_stays_text(web_client: FlaskClient) -> None:
    _, body = page(web_client)
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#39;coopld&#39;)&lt;/script&gt;" in body
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert ld is not None and "<" not in ld.group(1)
    assert json.loads(ld.group(1))["name"] == f"Joint action plan {XSS}"


def test_title_and_language_follow_accept_language(web_client: FlaskClient) -> None:
    english, body = page(web_client)
    assert html(english).title.startswith("Joint action plan <script>")
    assert english.headers["Content-Language"] == "en"
    french, body = page(web_client, **{"Accept-Language": "fr-CH, fr;q=0.9"})
    assert html(french).title.startswith("Plan d'action commun")
    assert french.headers["Content-Language"] == "fr, en"
    assert {"accept", "accept-language"} <= vary(french)
    assert '<h1 id="title" lang="fr">' in body
    unknown, _ = page(web_client, **{"Accept-Language": "ja"})
    assert html(unknown).title.startswith("Joint action plan")


def test_properties_are_named_by_their_vocabulary_labels(web_client: FlaskClient) -> None:
    _, body = page(web_client)
    assert ">signature date<" in body and ">party<" in body and ">signature place<" in body
    visible = re.sub(r"<[^>]+>", " ", body)
    assert "def/coop#" not in visible.replace(f"{PUBLIC}/id/agreement/jap-test", "")


def test_links_internal_and_external(web_client: FlaskClient) -> None:
    response, _ = page(web_client)
    anchors = html(response).anchors
    internal = [a for a in anchors if a.get("href") == f"{PUBLIC}/doc/organisation/alpha"]
    assert internal and "external" not in (internal[0].get("class") or "")
    external = [a for a in anchors if a.get("href") == "https://example.org/jap"]
    assert external and "external" in (external[0].get("class") or "")
    assert external[0].get("rel") == "external"
    formats = {a["href"] for a in anchors if a.get("type")}
    assert {
        f"{PUBLIC}{DOC}.{ext}" for ext in ("ttl", "jsonld", "nt", "rdf", "trig", "nq")
    } <= formats
    assert web_client.get("/doc/organisation/alpha", headers={"Accept": CHROME}).status_code == 200


def test_referenced_by_sources_and_quotes(web_client: FlaskClient) -> None:
    _, body = page(web_client)
    referenced = body.split('id="inbound-heading"', 1)[1]
    assert "Joint workshops" in referenced and "action of" in referenced
    sources = body.split('id="sources-heading"', 1)[1].split("</section>", 1)[0]
    assert "The source document" in sources
    assert "page 1, paragraph 2" in sources
    assert '<blockquote lang="en"><p>The parties agree to cooperate.</p></blockquote>' in sources


def test_an_agreement_shows_its_action_by_priority_area_matrix(web_client: FlaskClient) -> None:
    _, body = page(web_client)
    matrix = body.split('<table class="matrix">', 1)[1].split("</table>", 1)[0]
    header, rows = matrix.split("<tbody>", 1)
    assert header.index("Green transition") < header.index("Digital transition")
    first, second = rows.split("</tr>")[:2]
    assert "Joint workshops" in first and "Shared database" in second
    assert re.findall(r'class="cell-(\w+)"', first) == ["focus", "yes"]
    assert re.findall(r'class="cell-(\w+)"', second) == ["none", "yes"]


def test_pages_are_accessible_landmarks_headings_focus(web_client: FlaskClient) -> None:
    response, body = page(web_client)
    tags = html(response).tags
    assert sum(1 for tag, _ in tags if tag == "h1") == 1
    assert any(tag == "main" and a.get("id") == "main" for tag, a in tags)
    assert any(tag == "header" and a.get("role") == "banner" for tag, a in tags)
    assert any(tag == "footer" and a.get("role") == "contentinfo" for tag, a in tags)
    assert any(tag == "a" and a.get("href") == "#main" for tag, a in tags)
    assert all(a.get("alt") for tag, a in tags if tag == "img")
    assert 'name="viewport"' in body
    css = web_client.get("/static/coopld.css").get_data(as_text=True)
    assert ":focus-visible" in css and "@media (max-width" in css
    assert "http" not in css.replace("http://", "")  # no external asset


def test_no_external_asset_in_pages(web_client: FlaskClient) -> None:
    response, _ = page(web_client)
    for tag, attributes in html(response).tags:
        if tag in ("script", "link", "img") and attributes.get("src" if tag != "link" else "href"):
            target = attributes.get("src") or attributes.get("href") or ""
            if tag == "link" and attributes.get("rel") in ("alternate", "canonical"):
                continue
            assert target.startswith(("/", "data:")), (tag, target)


def test_index_pages_list_every_thing_of_a_kind_with_paging(web_client: FlaskClient) -> None:
    redirect = web_client.get("/id/concept/")
    assert redirect.status_code == 303
    assert redirect.headers["Location"] == f"{PUBLIC}/doc/concept/"
    first, body = page(web_client, "/doc/concept/")
    assert "A key with a dot" in body
    assert {"uri": f"{PUBLIC}/doc/concept/?page=2", "rel": "next"} in links(first)
    second, body2 = page(web_client, "/doc/concept/?page=2")
    assert {"uri": f"{PUBLIC}/doc/concept/", "rel": "prev"} in links(second)
    items = set(re.findall(r'href="http://localhost/doc/concept/([^"?]+)"', body + body2))
    assert len(items) == HUB_LINKS + 3
    turtle = web_client.get("/doc/concept/", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=turtle.data, format="turtle")
    assert len(set(graph.objects(URIRef(f"{PUBLIC}/doc/concept/"), FOAF.topic))) == 100
    assert web_client.get("/doc/concept/?page=9").status_code == 404
    assert web_client.get("/doc/nokind/").status_code == 404
    _, kinds = page(web_client, "/doc/")
    assert 'href="/doc/agreement/"' in kinds


def test_agreement_index_links_to_the_agreement_page(web_client: FlaskClient) -> None:
    _, body = page(web_client, "/doc/agreement/")
    assert f'href="{PUBLIC}{DOC}"' in body


def test_resource_pages_link_to_the_index_pages(web_client: FlaskClient) -> None:
    _, body = page(web_client)
    assert 'href="/doc/agreement/"' in body and 'href="/doc/"' in body


def test_the_app_is_independent_of_the_process_wide_state(web_app: Flask) -> None:
    # two apps over two datasets do not share descriptions or caches
    other = make_app(__import__("tests.webdata", fromlist=["make_dataset"]).make_dataset(BASE))
    assert other.extensions.get("coopld.publisher") is not web_app.extensions.get(
        "coopld.publisher"
    )


def test_the_real_dataset_round_trips_in_every_format(client: FlaskClient) -> None:
    """Against the real build (conftest's ``client``): one thing of each kind, every format."""
    base = "http://127.0.0.1:5000"
    kinds = client.get("/doc/", base_url=base).get_data(as_text=True)
    checked = 0
    for kind in re.findall(r'href="/doc/([a-z-]+)/"', kinds):
        listing = client.get(f"/doc/{kind}/?format=ntriples", base_url=base)
        topics = Graph().parse(data=listing.data, format="nt").objects(None, FOAF.topic)
        thing = min(str(t) for t in topics)
        path = "/doc/" + thing[len(base) + len("/id/") :]
        reference = Graph().parse(data=client.get(f"{path}.nt", base_url=base).data, format="nt")
        assert (URIRef(thing), None, None) in reference
        for extension, (_, rdflib_format) in {**RDF_FORMATS, **DATASET_FORMATS}.items():
            response = client.get(f"{path}.{extension}", base_url=base)
            if rdflib_format == "json-ld":
                document = json.loads(response.data)
                context = client.get("/def/coop/context.jsonld", base_url=base).get_json()
                document["@context"] = context["@context"]
                graph = Graph().parse(data=json.dumps(document), format="json-ld")
            else:
                graph = parse(client, response, rdflib_format)
            assert isomorphic(graph, reference), (path, extension)
        assert client.get(path, base_url=base, headers={"Accept": CHROME}).status_code == 200
        checked += 1
    assert checked >= 10
