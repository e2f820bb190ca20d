"""The SPARQL fast path answers exactly as the Flask view would, or leaves the request to it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
from flask import Flask
from werkzeug.test import Client

from coopld.config import Settings
from coopld.store import Dataset
from coopld.web import create_app
from coopld.web.fastpath import DocumentFastPath, SparqlFastPath, query_parameter
from coopld.web.publisher import get_publisher

PLAN = "{base}/id/agreement/cor-ec-jap-2026"
COOP = "{base}/def/coop#"

BOUNDED = [
    "ASK {{ <{plan}> ?p ?o }}",
    "PREFIX coop: <{coop}> ASK {{ <{plan}> coop:party ?x . ?x a coop:Organisation }}",
    "CONSTRUCT {{ <{plan}> ?p ?o }} WHERE {{ <{plan}> ?p ?o }}",
    "CONSTRUCT {{ ?s ?q <{plan}> }} WHERE {{ {{ <{plan}> ?p ?o }} UNION {{ ?s ?q <{plan}> }} }}",
    "PREFIX coop: <{coop}> SELECT ?a ?l WHERE {{ ?a coop:actionOf <{plan}> ; "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?l }}",
    "SELECT * WHERE {{ <{plan}> ?p ?o }} LIMIT 4 # a comment",
]
OTHERS = [
    "SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }}",
    "SELECT ?o WHERE {{ <{plan}> ?p ?o FILTER(isLiteral(?o)) }}",
    "ASK {{",
    "INSERT DATA {{ <a> <b> <c> }}",
    "DESCRIBE <{plan}>",
]
ACCEPTS = [
    None,
    "*/*",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
    "application/json",
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
    "text/turtle;q=0.5, application/n-triples",
    "image/png",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
]


def _pair(settings: Settings, dataset: Dataset) -> tuple[Flask, Flask]:
    """Two apps on the same dataset: one's own engine per app, so nothing is shared."""
    return create_app(settings, dataset), create_app(settings, dataset)


@pytest.fixture()
def apps(settings: Settings, dataset: Dataset) -> Iterator[tuple[Flask, Flask]]:
    fast, reference = _pair(settings, dataset)
    yield fast, reference
    for app in (fast, reference):
        engine = app.extensions.get("coopld.query_engine")
        if engine is not None:
            engine.close()


def _compare(fast: Flask, reference: Flask, url: str, headers: dict[str, str]) -> bool:
    """Send ``url`` both ways; True when the fast path answered it (then it is a 200)."""
    middleware = fast.wsgi_app
    assert isinstance(middleware, SparqlFastPath)
    before = middleware.answered
    mine = Client(fast.wsgi_app).get(url, headers=headers)
    reference_app = reference.wsgi_app
    assert isinstance(reference_app, SparqlFastPath)
    theirs = Client(reference_app.wsgi_app).get(url, headers=headers)  # Flask only
    answered = middleware.answered > before
    assert mine.status == theirs.status, url
    if not answered:
        return False  # both answers are the view's (an HTML page may show its timing)
    assert mine.get_data() == theirs.get_data(), url
    mine_headers = sorted((k, v) for k, v in mine.headers.items() if k != "Server-Timing")
    theirs_headers = sorted((k, v) for k, v in theirs.headers.items() if k != "Server-Timing")
    assert mine_headers == theirs_headers, url
    assert ("Server-Timing" in mine.headers) == ("Server-Timing" in theirs.headers)
    assert mine.status_code == 200
    return True


def _url(text: str, base: str) -> str:
    from urllib.parse import urlencode

    query = text.format(plan=PLAN.format(base=base), coop=COOP.format(base=base))
    return "/sparql?" + urlencode({"query": query})


@pytest.mark.parametrize("coding", [None, "gzip"])
@pytest.mark.parametrize("accept", ACCEPTS)
def test_answers_are_the_views_answers(
    apps: tuple[Flask, Flask], dataset: Dataset, accept: str | None, coding: str | None
) -> None:
    fast, reference = apps
    headers = {"Accept": accept} if accept else {}
    if coding:
        headers["Accept-Encoding"] = coding
    base = dataset.iris.base
    html = accept is not None and "text/html" in accept
    for text in BOUNDED:
        url = _url(text, base)
        acceptable = Client(reference.wsgi_app).get(url, headers=headers).status_code == 200
        # a 406 and the query page are the view's; every other lookup is the fast path's
        assert _compare(fast, reference, url, headers) == (acceptable and not html), text
    for text in OTHERS:
        assert not _compare(fast, reference, _url(text, base), headers), text


@pytest.mark.parametrize(
    "host",
    # "x": http://x starts the IRIs of other namespaces (http://xmlns.com/foaf/0.1/)
    ["localhost", "127.0.0.1:5000", "data.example.org", "data.example.org:8080", "x"],
)
def test_iris_follow_the_host_the_client_used(
    apps: tuple[Flask, Flask], dataset: Dataset, host: str
) -> None:
    fast, reference = apps
    public = f"http://{host}"
    for text in BOUNDED:
        # the client writes IRIs under the address it uses; answers come back under it
        url = _url(text, public)
        assert _compare(fast, reference, url, {"Host": host})
        assert _compare(fast, reference, url, {"Host": host, "Accept": "*/*"})
    body = Client(fast.wsgi_app).get(_url(BOUNDED[2], public), headers={"Host": host}).get_data()
    assert f"<{public}/id/agreement/cor-ec-jap-2026>".encode() in body or (
        b"cor-ec-jap-2026" in body and public.encode() in body
    )
    assert dataset.iris.base.encode() not in body or public == dataset.iris.base


def test_a_configured_public_base_and_the_row_cap(settings: Settings, dataset: Dataset) -> None:
    changed = settings.replace(public_base="https://data.example.org/coop", max_rows=3)
    fast, reference = _pair(changed, dataset)
    for text in BOUNDED:
        assert _compare(fast, reference, _url(text, "https://data.example.org/coop"), {})
    response = Client(fast.wsgi_app).get(_url(BOUNDED[2], "https://data.example.org/coop"))
    assert response.headers["X-Coopld-Truncated"] == "true"
    assert response.headers["X-Coopld-Row-Limit"] == "3"


def test_what_it_leaves_to_the_view(apps: tuple[Flask, Flask], dataset: Dataset) -> None:
    fast, reference = apps
    url = _url(BOUNDED[0], dataset.iris.base)
    for headers in (
        {"If-None-Match": 'W/"x"'},
        {"If-Modified-Since": "Sun, 01 Jan 2023 00:00:00 GMT"},
    ):
        assert not _compare(fast, reference, url, headers)
    for extra in ("&format=json", "&timeout=1", "&default-graph-uri=http://x/g", "&query=ASK{}"):
        assert not _compare(fast, reference, url + extra, {})
    assert not _compare(fast, reference, url.replace("/sparql", "/sparql/"), {})
    response = Client(fast.wsgi_app).head(url)
    assert response.status_code == 200 and not response.get_data()


def test_behind_a_proxy_without_a_public_base_it_stands_aside(
    settings: Settings, dataset: Dataset
) -> None:
    app = create_app(settings.replace(behind_proxy=True), dataset)
    middleware = app.wsgi_app
    assert isinstance(middleware, SparqlFastPath) and not middleware.enabled
    response = Client(middleware).get(
        _url(BOUNDED[0], "https://public.example/coop"),
        headers={
            "X-Forwarded-Host": "public.example",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Prefix": "/coop",
        },
    )
    assert response.status_code == 200 and middleware.answered == 0


# -- documents ----------------------------------------------------------------------------------
def _without_fast_paths(app: Flask) -> Flask:
    """Switch off every fast path of ``app``: its answers are then the views' own."""
    layer: object = app.wsgi_app
    while layer is not None:
        if isinstance(layer, (SparqlFastPath, DocumentFastPath)):
            layer.enabled = False
        layer = getattr(layer, "wsgi_app", None) or getattr(layer, "app", None)
    return app


def _document_fast_path(app: Flask) -> DocumentFastPath:
    layer: object = app.wsgi_app
    while not isinstance(layer, DocumentFastPath):
        layer = getattr(layer, "wsgi_app", None) or getattr(layer, "app", None)
        assert layer is not None
    return layer


DOC_ACCEPTS = [
    None,
    "*/*",
    "text/turtle",
    "text/turtle;q=0.9, application/ld+json;q=0.5",
    "application/ld+json",
    "application/n-triples",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "image/png",
]


def _compare_documents(
    fast: Flask, reference: Flask, path: str, headers: dict[str, str], method: str = "GET"
) -> bool:
    middleware = _document_fast_path(fast)
    before = middleware.answered
    mine = Client(fast.wsgi_app).open(path, method=method, headers=headers)
    theirs = Client(reference.wsgi_app).open(path, method=method, headers=headers)
    assert mine.status == theirs.status, path
    if middleware.answered == before:
        return False
    assert mine.status_code == 200
    assert mine.get_data() == theirs.get_data(), path
    assert sorted(mine.headers.items()) == sorted(theirs.headers.items()), path
    return True


@pytest.mark.parametrize("accept", DOC_ACCEPTS)
@pytest.mark.parametrize("gzip", [False, True])
def test_documents_are_the_views_documents(
    settings: Settings, dataset: Dataset, accept: str | None, gzip: bool
) -> None:
    fast = create_app(settings, dataset)
    reference = _without_fast_paths(create_app(settings, dataset))
    headers = {"Accept": accept} if accept else {}
    if gzip:
        headers["Accept-Encoding"] = "gzip, deflate"
    stored = get_publisher(fast).stored
    assert stored is not None
    turtle = accept in (None, "*/*", "text/turtle", "text/turtle;q=0.9, application/ld+json;q=0.5")
    for thing in sorted(stored.index)[::7]:
        path = "/doc/" + thing
        assert _compare_documents(fast, reference, path, headers) == turtle, (path, accept)


@pytest.mark.parametrize("host", ["localhost", "data.example.org:8080"])
def test_documents_follow_the_host_and_replay_from_the_cache(
    settings: Settings, dataset: Dataset, host: str
) -> None:
    fast = create_app(settings, dataset)
    reference = _without_fast_paths(create_app(settings, dataset))
    path = "/doc/agreement/cor-ec-jap-2026"
    assert _compare_documents(fast, reference, path, {"Host": host})
    body = Client(fast.wsgi_app).get(path, headers={"Host": host}).get_data()
    assert f"<http://{host}/id/agreement/cor-ec-jap-2026>".encode() in body
    # the next one is the response cache's (outside the fast path), and the same
    again = Client(fast.wsgi_app).get(path, headers={"Host": host})
    assert again.get_data() == body


def test_what_documents_leave_to_the_view(settings: Settings, dataset: Dataset) -> None:
    fast = create_app(settings, dataset)
    reference = _without_fast_paths(create_app(settings, dataset))
    plan = "/doc/agreement/cor-ec-jap-2026"
    for path, headers in [
        (plan, {"If-None-Match": '"x"'}),
        (plan, {"If-Modified-Since": "Sun, 01 Jan 2023 00:00:00 GMT"}),
        (plan + "?format=ttl", {}),
        (plan + ".ttl", {}),
        (plan + "/inbound", {}),
        ("/doc/agreement/no-such-thing", {}),
        ("/doc/agreement/cor%2Dec-jap-2026", {}),
        ("/doc/agreement/", {}),
    ]:
        assert not _compare_documents(fast, reference, path, headers), path
    assert not _compare_documents(fast, reference, plan, {}, method="HEAD")


def test_the_query_parameter_is_decoded_as_parse_qsl_decodes_it() -> None:
    """Every escape, broken escape, backslash, plus and byte that is not UTF-8, at random."""
    pieces = [
        "%41",
        "%e2%82%ac",
        "%E2%82",
        "%ff",
        "%",
        "%4",
        "%zz",
        "%%",
        "\\",
        "\\x41",
        "%5C",
        "%5cx41",
        "+",
        "%2B",
        "a",
        "{",
        " ",
        "%0A",
        "%00",
        "\\u0041",
        "%C3%A9",
        "#",
    ]
    generator = random.Random(20261122)
    for _ in range(3000):
        value = "".join(generator.choice(pieces) for _ in range(generator.randint(0, 12)))
        raw = "query=" + value
        expected = parse_qsl(raw, keep_blank_values=True, errors="replace")
        assert [("query", query_parameter(raw))] == expected, raw
    for other in ("", "query", "format=json", "query=a&format=json", "query=a&", "Query=a"):
        assert query_parameter(other) is None, other
