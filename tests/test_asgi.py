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


def test_lookups_read_the_header_fields_as_the_environ_does(
    fronts: tuple[Front, Route, Flask], dataset: Dataset
) -> None:
    """Lookups go to the fast path straight from the scope; repeated fields, the Host, a
    condition and a name with an underscore must mean what they mean in the WSGI environ."""
    front, route, reference = fronts
    text = LOOKUP.format(base=dataset.iris.base, plan=PLAN)
    scope, url = sparql_scope(text, "text/csv")
    etag = call(front, scope).headers["ETag"]
    cases: list[tuple[list[tuple[bytes, bytes]], dict[str, str]]] = [
        (
            [(b"accept", b"text/csv;q=0.5"), (b"accept", b"text/tab-separated-values")],
            {"Accept": "text/csv;q=0.5,text/tab-separated-values"},
        ),
        ([(b"accept-encoding", b"gzip")], {"Accept-Encoding": "gzip"}),
        ([(b"accept_encoding", b"gzip")], {"Accept-Encoding": "gzip"}),
        ([(b"if-none-match", etag.encode())], {"If-None-Match": etag}),
    ]
    for fields, headers in cases:
        scope, url = sparql_scope(text, "application/sparql-results+xml")
        scope["headers"] = [h for h in scope["headers"] if h[0] != b"accept"] + fields
        headers.setdefault("Accept", "application/sparql-results+xml")
        if not any(name == b"accept" for name, _ in fields):
            scope["headers"].append((b"accept", headers["Accept"].encode()))
        same_answer(call(front, scope), reference, url, headers)
    for host in ("x", "data.example.org:8080"):
        scope, url = sparql_scope(text.replace("127.0.0.1:5000", host), "text/csv")
        scope["headers"] = [(b"host", host.encode()), *scope["headers"][1:]]
        theirs = Client(reference).get(url, headers={"Accept": "text/csv", "Host": host})
        mine = call(front, scope)
        assert (mine.status, mine.body) == (theirs.status_code, theirs.get_data()), host
    assert route.threaded == 1  # only the conditional request


def test_a_declined_lookup_is_not_tried_again_on_the_wsgi_route(
    fronts: tuple[Front, Route, Flask],
) -> None:
    front, route, _ = fronts
    sparql = front.sparql
    assert sparql is not None
    tries = {"lookup": 0, "environ": 0}
    lookup, answer = sparql.lookup, sparql._answer

    def counting_lookup(*args: Any) -> Any:
        tries["lookup"] += 1
        return lookup(*args)

    def counting_answer(environ: dict[str, Any]) -> Any:
        tries["environ"] += 1
        return answer(environ)

    sparql.lookup = counting_lookup  # type: ignore[method-assign]
    sparql._answer = counting_answer  # type: ignore[method-assign]
    scope, _ = sparql_scope(SCAN, "application/sparql-results+json")
    assert call(front, scope).status == 200
    assert tries == {"lookup": 1, "environ": 0} and route.threaded == 1


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


# -- uvicorn's protocol: answers written at once, the rest as ASGI tasks ----------------------


class Wire(asyncio.Transport):
    """A connection's server side: what the protocol writes, and whether it closed it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = self.closed_by_server = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 5000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Plain:
    """An ASGI app in front of ``Front`` that hides ``respond_now``: every request a task."""

    def __init__(self, front: Front) -> None:
        self.front = front

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.front(scope, receive, send)


def serve_raw(app: Any, raw: bytes) -> tuple[Wire, int]:
    """Feed ``raw`` to uvicorn's protocol as coopld's workers run it; (wire, tasks started)."""
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from coopld.web.asgi import protocol_class

    protocol = protocol_class()
    config = Config(app=app, http=protocol, lifespan="off", proxy_headers=False, access_log=False)
    config.load()
    loop = asyncio.new_event_loop()
    wire = Wire()
    started = 0
    try:
        state = ServerState()
        state.default_headers = [(b"date", b"Sun, 22 Nov 2026 12:00:00 GMT")]  # as uvicorn sets
        server = protocol(config=config, server_state=state, app_state={}, _loop=loop)
        start_task = server._start_asgi_task

        def counting(cycle: Any, app: Any) -> None:
            nonlocal started
            before = len(server.tasks)
            start_task(cycle, app)
            started += len(server.tasks) - before

        server._start_asgi_task = counting
        server.connection_made(wire)

        async def feed() -> None:
            server.data_received(raw)
            while server.tasks:
                await asyncio.sleep(0.01)

        loop.run_until_complete(asyncio.wait_for(feed(), 30))
        wire.closed_by_server = wire.closed
        server.connection_lost(None)
    finally:
        loop.close()
    return wire, started


def responses(data: bytes) -> list[tuple[str, list[tuple[str, str]], bytes]]:
    """Split what was written into (status line, header fields but the date, body)."""
    found = []
    while data:
        head, _, data = data.partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        fields = [tuple(line.split(": ", 1)) for line in lines]
        length = int(dict(fields)["content-length"])
        body, data = data[:length], data[length:]
        found.append((status, [f for f in fields if f[0] not in ("date", "server-timing")], body))
    return found  # type: ignore[return-value]


def request(target: str, accept: str, *extra: str, version: str = "1.1") -> bytes:
    lines = [f"GET {target} HTTP/{version}", "Host: 127.0.0.1:5000", f"Accept: {accept}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def test_the_protocol_writes_an_answer_at_once_as_the_asgi_route_would(
    fronts: tuple[Front, Route, Flask], dataset: Dataset
) -> None:
    front, route, reference = fronts
    text = LOOKUP.format(base=dataset.iris.base, plan=PLAN)
    target = "/sparql?" + urlencode({"query": text})
    raw = request(target, "application/sparql-results+json")
    wire, tasks = serve_raw(front, raw)
    assert tasks == 0 and len(wire.writes) == 1, "one write, no task"
    assert not wire.closed_by_server
    through_asgi, asgi_tasks = serve_raw(Plain(front), raw)
    assert asgi_tasks == 1
    ours = responses(wire.writes[0])
    assert ours == responses(b"".join(through_asgi.writes))
    status, fields, body = ours[0]
    assert status == "HTTP/1.1 200 OK"
    assert ("date", "Sun, 22 Nov 2026 12:00:00 GMT") in head_fields(wire)
    theirs = Client(reference).get(target, headers={"Accept": "application/sparql-results+json"})
    assert body == theirs.get_data()
    assert dict(fields)["access-control-allow-origin"] == "*"
    assert route.threaded == 0


def head_fields(wire: Wire) -> list[tuple[str, str]]:
    head = b"".join(wire.writes).split(b"\r\n\r\n", 1)[0].decode("latin-1")
    return [tuple(line.split(": ", 1)) for line in head.split("\r\n")[1:]]  # type: ignore[misc]


def test_the_protocol_closes_when_the_client_asks_or_speaks_http_1_0(
    fronts: tuple[Front, Route, Flask], dataset: Dataset
) -> None:
    front, _, _ = fronts
    target = "/sparql?" + urlencode({"query": LOOKUP.format(base=dataset.iris.base, plan=PLAN)})
    for raw in (
        request(target, "application/sparql-results+json", "Connection: close"),
        request(target, "application/sparql-results+json", version="1.0"),
    ):
        wire, tasks = serve_raw(front, raw)
        assert tasks == 0 and wire.closed_by_server
        assert ("connection", "close") in responses(wire.writes[0])[0][1]


def test_pipelined_requests_are_answered_in_order_whichever_route(
    fronts: tuple[Front, Route, Flask], dataset: Dataset
) -> None:
    front, route, _ = fronts
    base = dataset.iris.base
    lookup = "/sparql?" + urlencode({"query": LOOKUP.format(base=base, plan=PLAN)})
    scan = "/sparql?" + urlencode({"query": SCAN})
    json_results = "application/sparql-results+json"
    raw = (
        request(lookup, json_results) + request(scan, json_results) + request(lookup, json_results)
    )
    wire, tasks = serve_raw(front, raw)
    assert tasks == 1 and route.threaded == 1  # the scan
    answers = responses(b"".join(wire.writes))
    assert [a[0] for a in answers] == ["HTTP/1.1 200 OK"] * 3
    assert b'"boolean":true' in answers[0][2] and answers[0][2] == answers[2][2]
    assert b'"bindings"' in answers[1][2]


def test_the_protocol_falls_back_to_a_task_when_answering_at_once_fails(
    fronts: tuple[Front, Route, Flask], dataset: Dataset, caplog: pytest.LogCaptureFixture
) -> None:
    front, route, _ = fronts
    target = "/sparql?" + urlencode({"query": LOOKUP.format(base=dataset.iris.base, plan=PLAN)})

    def broken(scope: Any) -> None:
        raise RuntimeError("a bug")

    front.respond_now = broken  # type: ignore[method-assign]
    wire, tasks = serve_raw(front, request(target, "application/sparql-results+json"))
    assert tasks == 1 and route.threaded == 1
    assert responses(b"".join(wire.writes))[0][0] == "HTTP/1.1 200 OK"
    assert "answering /sparql at once failed" in caplog.text


def test_a_header_field_that_would_break_a_line_is_never_written_at_once() -> None:
    from coopld.web.asgi import _header_block

    assert _header_block([("Content-Type", "text/turtle"), ("Vary", "Accept")]) == (
        b"content-type: text/turtle\r\nvary: Accept\r\n"
    )
    for value in ("a\r\nset-cookie: x=1", "a\nb", "a\rb", "a\0b", "\u20ac"):
        assert _header_block([("Link", value)]) is None, value


def test_an_answer_written_at_once_always_says_how_long_its_body_is(
    fronts: tuple[Front, Route, Flask],
) -> None:
    front, _, _ = fronts
    front.respond_now = lambda scope: (200, [("Content-Type", "text/plain")], b"twelve bytes")  # type: ignore[method-assign,assignment]
    wire, tasks = serve_raw(front, request("/anything", "text/plain") * 2)
    assert tasks == 0
    answers = responses(b"".join(wire.writes))  # framed by content-length, else it fails
    assert [(a[1], a[2]) for a in answers] == [
        ([("content-type", "text/plain"), ("content-length", "12")], b"twelve bytes")
    ] * 2


def test_a_request_the_protocol_offered_is_not_offered_again_by_the_task(
    fronts: tuple[Front, Route, Flask],
) -> None:
    front, route, _ = fronts
    offers = []
    respond_now = front.respond_now

    def counting(scope: Any) -> Any:
        offers.append(scope["path"])
        return respond_now(scope)

    front.respond_now = counting  # type: ignore[method-assign]
    target = "/sparql?" + urlencode({"query": SCAN})
    wire, tasks = serve_raw(front, request(target, "application/sparql-results+json"))
    assert tasks == 1 and route.threaded == 1  # declined at once, then Flask's
    assert offers == ["/sparql"], "tried once, on the loop"
    assert responses(b"".join(wire.writes))[0][0] == "HTTP/1.1 200 OK"
