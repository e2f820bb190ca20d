"""End to end against a real server on 127.0.0.1: `coopld serve`, then real HTTP clients.

rdflib follows the 303 and fetches the JSON-LD context over HTTP itself; urllib checks what
the Flask client cannot (the server's own handling of HEAD, raw request targets, several
worker processes agreeing on validators).
"""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import FOAF, RDF, RDFS
from werkzeug.datastructures import Headers

from .webdata import make_dataset, write_build

pytestmark = pytest.mark.live

CHROME = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(
    url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, Headers, bytes]:
    """One request, redirects not followed, errors returned rather than raised."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, Headers(list(response.headers.items())), response.read()
    except urllib.error.HTTPError as error:
        return error.code, Headers(list(error.headers.items())), error.read()


def first_agreement(url: str) -> str:
    """An agreement of the served dataset, found through its index page."""
    status, _, body = fetch(f"{url}/doc/agreement/?format=ntriples")
    assert status == 200
    graph = Graph().parse(data=body, format="nt")
    topics = sorted(str(t) for t in graph.objects(URIRef(f"{url}/doc/agreement/"), FOAF.topic))
    assert topics, "the dataset has agreements"
    return topics[0]


@pytest.fixture()
def server(live_server: Callable[..., str]) -> str:
    return live_server()


def test_rdflib_follows_the_303_and_reads_the_description(server: str) -> None:
    thing = first_agreement(server)
    graph = Graph().parse(thing)  # rdflib's own Accept, the 303, then Turtle
    assert (URIRef(thing), RDF.type, None) in graph
    assert (URIRef(thing), RDFS.label, None) in graph
    document = URIRef(thing.replace("/id/", "/doc/"))
    assert (document, FOAF.primaryTopic, URIRef(thing)) in graph


@pytest.mark.parametrize("rdflib_format", ["json-ld", "xml", "nt", "turtle", "trig"])
def test_every_format_rdflib_asks_for_gives_the_same_graph(server: str, rdflib_format: str) -> None:
    thing = first_agreement(server)
    reference = Graph().parse(thing.replace("/id/", "/doc/") + ".nt", format="nt")
    if rdflib_format == "trig":
        from rdflib import Dataset

        dataset = Dataset()
        dataset.parse(thing, format="trig")
        graph = Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
    else:
        # json-ld: rdflib fetches the @context from this server; nt: it asks for text/plain
        graph = Graph().parse(thing, format=rdflib_format)
    assert isomorphic(graph, reference)


def test_the_303_and_the_document_over_the_wire(server: str) -> None:
    thing = first_agreement(server)
    status, headers, body = fetch(thing, {"Accept": "text/turtle"})
    assert status == 303
    document = thing.replace("/id/", "/doc/")
    assert headers["Location"] == document
    assert "Accept" in headers["Vary"]
    status, headers, body = fetch(document, {"Accept": "text/turtle"})
    assert status == 200
    assert headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert headers["Content-Location"] == f"{document}.ttl"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert int(headers["Content-Length"]) == len(body)


def test_head_parity_over_the_wire(server: str) -> None:
    document = first_agreement(server).replace("/id/", "/doc/")
    for headers in ({"Accept": "text/turtle"}, {"Accept": CHROME}, {"Accept-Encoding": "gzip"}):
        get_status, get_headers, body = fetch(document, headers)
        head_status, head_headers, empty = fetch(document, headers, method="HEAD")
        assert (head_status, empty) == (get_status, b"")
        for name in ("Content-Type", "Content-Length", "ETag", "Vary", "Link", "Last-Modified"):
            assert head_headers[name] == get_headers[name], name
        assert int(head_headers["Content-Length"]) == len(body)


def test_conditional_and_compressed_over_the_wire(server: str) -> None:
    document = first_agreement(server).replace("/id/", "/doc/") + ".ttl"
    _, plain_headers, plain = fetch(document)
    status, headers, zipped = fetch(document, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped) == plain
    assert headers["ETag"] != plain_headers["ETag"]
    status, headers, body = fetch(document, {"If-None-Match": plain_headers["ETag"]})
    assert status == 304 and body == b""
    assert headers["ETag"] == plain_headers["ETag"]


def test_html_page_for_a_browser(server: str) -> None:
    thing = first_agreement(server)
    request = urllib.request.Request(thing, headers={"Accept": CHROME})
    with urllib.request.urlopen(request, timeout=30) as response:  # follows the 303
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        body = response.read().decode("utf-8")
    assert "<h1" in body and 'rel="alternate"' in body
    status, _, css = fetch(f"{server}/static/coopld.css")
    assert status == 200 and b"focus-visible" in css


def test_gunicorn_workers_agree_on_bytes_and_validators(live_server: Callable[..., str]) -> None:
    url = live_server("--workers", "2")
    document = first_agreement(url).replace("/id/", "/doc/")
    answers = {fetch(document, {"Accept": "text/turtle"})[1]["ETag"] for _ in range(12)}
    bodies = {fetch(document, {"Accept": "application/ld+json"})[2] for _ in range(12)}
    assert len(answers) == 1, "a strong ETag means the same bytes in every worker"
    assert len(bodies) == 1
    status, headers, _ = fetch(first_agreement(url))
    assert status == 303 and headers["Location"] == document


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "dist"
    return write_build(make_dataset("http://127.0.0.1:5000"), folder)


@pytest.mark.parametrize("workers", ["0", "2"])
def test_unusual_iris_survive_a_real_server(
    live_server: Callable[..., str], hostile_build: Path, workers: str
) -> None:
    url = live_server("--out", str(hostile_build), "--workers", workers)
    status, headers, _ = fetch(f"{url}/id/place/z%C3%BCrich")
    assert status == 303 and headers["Location"] == f"{url}/doc/place/z%C3%BCrich"
    graph = Graph().parse(f"{url}/id/place/z%C3%BCrich")
    assert (URIRef(f"{url}/id/place/zürich"), RDF.type, None) in graph
    status, headers, _ = fetch(f"{url}/id/concept/a%2Fb")
    assert status == 303 and headers["Location"] == f"{url}/doc/concept/a%2Fb"
    status, _, body = fetch(f"{url}/doc/concept/a%2Fb.nt")
    assert status == 200 and f"<{url}/id/concept/a%2Fb>".encode() in body
    assert fetch(f"{url}/id/concept/a/b")[0] == 404
    status, _, body = fetch(f"{url}/static/..%2F..%2F..%2F..%2Fpyproject.toml")
    assert status == 404 and b"[project]" not in body


def test_behind_a_proxy_end_to_end(live_server: Callable[..., str], hostile_build: Path) -> None:
    url = live_server("--out", str(hostile_build), "--behind-proxy")
    forwarded = {
        "X-Forwarded-Host": "lod.example.org",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Prefix": "/data",
    }
    status, headers, _ = fetch(f"{url}/id/agreement/jap-test", forwarded)
    assert status == 303
    assert headers["Location"] == "https://lod.example.org/data/doc/agreement/jap-test"
    _, _, body = fetch(f"{url}/doc/agreement/jap-test.nt", forwarded)
    assert b"<https://lod.example.org/data/id/agreement/jap-test>" in body


def test_public_base_end_to_end(live_server: Callable[..., str], hostile_build: Path) -> None:
    url = live_server("--out", str(hostile_build), "--public-base", "https://example.org/lod")
    status, headers, _ = fetch(f"{url}/id/agreement/jap-test")
    assert status == 303
    assert headers["Location"] == "https://example.org/lod/doc/agreement/jap-test"


def test_a_restart_gives_the_same_bytes_for_the_same_validator(
    live_server: Callable[..., str], hostile_build: Path
) -> None:
    """Blank nodes keep their labels from the dump: strong ETags hold across processes."""
    answers = []
    for _ in range(2):  # two processes on two ports, seen from the same public address
        url = live_server("--out", str(hostile_build), "--public-base", "https://lod.test")
        _, headers, body = fetch(f"{url}/doc/agreement/jap-test.ttl")
        assert b"_:" in body  # the document has blank nodes (period, signature, source)
        answers.append((headers["ETag"], body))
    assert answers[0] == answers[1]
