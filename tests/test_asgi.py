"""The ASGI front of gunicorn's workers: the WSGI app's answers, ordinary lookups on the loop.

Requests go through ``Front`` as uvicorn hands them over (a scope, receive and send), and the
same requests through Flask's test client on an app of their own; status, headers and bytes
must agree. The live tests (test_sparql_live, test_web_live) run the same front under gunicorn
with uvicorn's HTTP.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from a2wsgi.wsgi import Body, build_environ
from flask import Flask
from werkzeug.datastructures import Headers
from werkzeug.test import Client

from coopld.config import Settings
from coopld.store import Dataset
from coopld.web import create_app
from coopld.web.asgi import QUICK, Deferred, Front, QuickGate, wsgi_environ

PLAN = "/id/agreement/cor-ec-jap-2026"
LOOKUP = "PREFIX coop: <{base}/def/coop#> ASK {{ <{base}{plan}> coop:party ?x . ?x a coop:Organisation }}"
DESCRIPTION = "CONSTRUCT {{ <{base}{plan}> ?p ?o }} WHERE {{ <{base}{plan}> ?p ?o }}"
ORIGIN = "http://127.0.0.1:5000"  # where the scopes below say they were sent
SCAN = "SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }}"


class Answer:
    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class Route:
    """Which way the front sent each request: on the loop, or to the thread pool."""

    def __init__(self, front: Front) -> None:
        self.threaded = 0
        inner = front.threaded

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            self.threaded += 1
            await inner(scope, receive, send)

        front.threaded = counting  # type: ignore[assignment]


def scope_of(
    path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": quote(path).encode("ascii"),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:5000"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 5000),
        **extra,
    }


def call(front: Front, scope: dict[str, Any], body: bytes = b"") -> Answer:
    messages: list[dict[str, Any]] = []
    incoming = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(front(scope, receive, send))
    start = messages[0]
    assert start["type"] == "http.response.start"
    headers = Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]])
    return Answer(start["status"], headers, b"".join(m.get("body", b"") for m in messages[1:]))


@pytest.fixture()
def fronts(settings: Settings, dataset: Dataset) -> Iterator[tuple[Front, Route, Flask]]:
    """A front with its route counter, and a separate app as the reference."""
    mine, reference = create_app(settings, dataset), create_app(settings, dataset)
    front = Front(mine, threads=2)
    yield front, Route(front), reference
    for app in (mine, reference):
        engine = app.extensions.get("coopld.query_engine")
        if engine is not None:
            engine.close()


def same_answer(front_answer: Answer, reference: Flask, url: str, headers: dict[str, str]) -> None:
    theirs = Client(reference).get(url, headers=headers, base_url=ORIGIN)
    assert front_answer.status == theirs.status_code, url
    assert front_answer.body == theirs.get_data(), url
    skip = {"server-timing", "content-length"} if front_answer.status != 200 else {"server-timing"}

    def fields(h: Headers) -> list[tuple[str, str]]:
        return sorted((k.lower(), v) for k, v in h.items() if k.lower() not in skip)

    assert fields(front_answer.headers) == fields(theirs.headers), url


def sparql_scope(text: str, accept: str) -> tuple[dict[str, Any], str]:
    query = urlencode({"query": text})
    return scope_of("/sparql", query.encode(), [(b"accept", accept.encode())]), "/sparql?" + query


def test_lookups_are_answered_on_the_loop_and_agree_with_flask(
    fronts: tuple[Front, Route, Flask], dataset: Dataset
) -> None:
    front, route, reference = fronts
    base = dataset.iris.base
    for template, accept in [
        (LOOKUP, "application/sparql-results+json"),
        (DESCRIPTION, "text/turtle"),
    ]:
        text = template.format(base=base, plan=PLAN)
        scope, url = sparql_scope(text, accept)
        answer = call(front, scope)
        assert answer.status == 200
        same_answer(answer, reference, url, {"Accept": accept})
    assert route.threaded == 0


def test_everything_else_goes_to_flask_on_a_thread_with_the_same_answer(
    fronts: tuple[Front, Route, Flask], dataset: Dataset
) -> None:
    front, route, reference = fronts
    cases = [
        sparql_scope(SCAN, "application/sparql-results+json"),  # a scan: the query pool's
        sparql_scope("SELECT * {", "application/sparql-results+json"),  # a 400, CORS and all
        sparql_scope(SCAN, "text/html"),  # the query page
        (scope_of("/"), "/"),
        (scope_of("/nothing-here"), "/nothing-here"),
    ]
    for number, (scope, url) in enumerate(cases, start=1):
        accept = dict(scope["headers"]).get(b"accept", b"*/*").decode()
        answer = call(front, scope)
        assert route.threaded == number, url
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        if answer.headers.get("Content-Type", "").startswith("text/html"):
            assert answer.status == theirs_status(reference, url, accept)  # pages show timings
        else:
            same_answer(answer, reference, url, {"Accept": accept})


def theirs_status(reference: Flask, url: str, accept: str) -> int:
    return Client(reference).get(url, headers={"Accept": accept}, base_url=ORIGIN).status_code


def test_a_get_with_a_body_and_a_post_go_to_flask(
    fronts: tuple[Front, Route, Flask], dataset: Dataset
) -> None:
    front, route, _ = fronts
    text = LOOKUP.format(base=dataset.iris.base, plan=PLAN)
    scope, _ = sparql_scope(text, "application/sparql-results+json")
    scope["headers"].append((b"content-length", b"3"))
    assert call(front, scope, b"abc").status == 200
    assert route.threaded == 1
    post = scope_of(
        "/sparql",
        headers=[
            (b"content-type", b"application/sparql-query"),
            (b"content-length", str(len(text)).encode()),
            (b"accept", b"application/sparql-results+json"),
        ],
        method="POST",
    )
    answer = call(front, post, text.encode())
    assert answer.status == 200 and answer.body == b'{"head":{},"boolean":true}'
    assert route.threaded == 2


def test_documents_come_from_the_loop_and_then_from_the_response_cache(
    fronts: tuple[Front, Route, Flask],
) -> None:
    front, route, reference = fronts
    path = PLAN.replace("/id/", "/doc/")
    for _ in range(2):
        answer = call(front, scope_of(path, headers=[(b"accept", b"text/turtle")]))
        assert answer.status == 200
        same_answer(answer, reference, path, {"Accept": "text/turtle"})
    assert route.threaded == 0
    # an encoded target is read as sent, by the view: the environ carries it in RAW_URI
    encoded = scope_of(path, headers=[(b"accept", b"text/turtle")])
    encoded["raw_path"] = path.replace("c", "%63", 1).encode()
    assert call(front, encoded).status in (200, 301, 303, 404)
    assert route.threaded == 1


def test_octets_over_127_in_the_query_string_are_a_clients_mistake_not_a_crash(
    fronts: tuple[Front, Route, Flask],
) -> None:
    front, _, reference = fronts
    raw = 'query=SELECT * { ?s ?p "caf\u00e9" }'.encode()  # UTF-8 octets, not escaped
    answer = call(front, scope_of("/sparql", raw, [(b"accept", b"text/csv")]))
    escaped = quote(raw, safe=bytes(range(33, 127)))
    assert answer.status == theirs_status(reference, f"/sparql?{escaped}", "text/csv")
    assert answer.status == 200 and "café".encode() not in answer.body  # no such literal


def test_the_environ_is_a2wsgis_plus_the_raw_target() -> None:
    scope = scope_of(
        "/app/doc/x y",
        b"a=1&b=%20",
        [(b"accept", b"text/turtle"), (b"accept", b"*/*"), (b"content-type", b"text/plain")],
        root_path="/app",
    )
    scope["raw_path"] = b"/app/doc/x%20y"
    mine = wsgi_environ(scope)
    theirs = build_environ(scope, Body(asyncio.new_event_loop(), None))  # type: ignore[arg-type]
    streams = {"wsgi.input", "wsgi.errors"}
    assert {k: v for k, v in mine.items() if k not in streams | {"RAW_URI"}} == {
        k: v for k, v in theirs.items() if k not in streams
    }
    assert mine["RAW_URI"] == "/app/doc/x%20y?a=1&b=%20"
    assert mine["HTTP_ACCEPT"] == "text/turtle,*/*" and mine["CONTENT_TYPE"] == "text/plain"
    assert isinstance(mine["wsgi.input"], io.BytesIO)


def test_the_gate_stops_only_requests_tried_on_the_loop() -> None:
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"flask"]

    gate = QuickGate(app)
    with pytest.raises(Deferred):
        gate({"PATH_INFO": "/a", QUICK: True}, lambda *a: None)
    assert gate({"PATH_INFO": "/b"}, lambda *a: None) == [b"flask"]
    assert seen == ["/b"]


def test_the_lifespan_protocol_is_answered(fronts: tuple[Front, Route, Flask]) -> None:
    front = fronts[0]
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    asyncio.run(front({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
