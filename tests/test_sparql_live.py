"""/sparql end to end: `coopld serve` on 127.0.0.1 (Flask's threaded server, and gunicorn
with preloaded workers), driven by real clients: SPARQLWrapper, rdflib's SPARQLStore, urllib.
Every server is started by the fixture `live_server` and stopped by it when the test ends."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from werkzeug.datastructures import Headers

from coopld.store import Dataset

pytestmark = pytest.mark.live

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def fetch(
    url: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
) -> tuple[int, Headers, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, Headers(list(response.headers.items())), response.read()
    except urllib.error.HTTPError as error:
        return error.code, Headers(list(error.headers.items())), error.read()


def sparql_get(
    url: str, text: str, accept: str = "application/sparql-results+json", **params: str
) -> tuple[int, Headers, bytes]:
    query = urllib.parse.urlencode({"query": text, **params})
    return fetch(f"{url}/sparql?{query}", headers={"Accept": accept})


@pytest.fixture(scope="module")
def expected(dataset: Dataset) -> dict[str, Any]:
    """What the served data holds, counted in-process on the same build."""
    base = dataset.iris.base
    agreement_class = f"{base}/def/coop#Agreement"
    agreements = sorted(
        row["a"].value  # type: ignore[index,union-attr]
        for row in dataset.store.query(  # type: ignore[union-attr]
            f"SELECT DISTINCT ?a {{ ?a a <{agreement_class}> }}", use_default_graph_as_union=True
        )
    )
    first = agreements[0]
    described = list(
        dataset.store.query(f"DESCRIBE <{first}>", use_default_graph_as_union=True)  # type: ignore[arg-type]
    )
    outgoing = list(dataset.store.quads_for_pattern(ox.NamedNode(first), None, None, None))
    return {
        "base": base,
        "agreements": agreements,
        "first": first,
        "described": len(described),
        "outgoing": len(outgoing),
    }


def public(iri: str, expected: dict[str, Any], url: str) -> str:
    return url + iri[len(expected["base"]) :]


@pytest.fixture(scope="module")
def server(module_server: str) -> str:
    return module_server


# -- SPARQLWrapper -------------------------------------------------------------------------------------------------------
METHODS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]
METHOD_IDS = ["GET", "POST-form", "POST-direct"]


def wrapper(url: str, method: tuple[str, str], fmt: str, text: str) -> Any:
    client = SPARQLWrapper(f"{url}/sparql")
    client.setMethod(method[0])
    client.setRequestMethod(method[1])
    client.setReturnFormat(fmt)
    client.setQuery(text)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error", RuntimeWarning
        )  # an unexpected content type, says SPARQLWrapper
        return client.queryAndConvert()


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(
    server: str, expected: dict[str, Any], method: tuple[str, str], fmt: str
) -> None:
    text = "PREFIX coop: <def/coop#> SELECT ?agreement WHERE { ?agreement a coop:Agreement } ORDER BY ?agreement"
    result = wrapper(server, method, fmt, text)
    if fmt == JSON:
        got = [row["agreement"]["value"] for row in result["results"]["bindings"]]
    elif fmt == XML:
        assert isinstance(result, Document)
        got = [node.firstChild.data for node in result.getElementsByTagName("uri")]
    else:
        separator = "," if fmt == CSV else "\t"
        lines = result.decode().strip().splitlines()[1:]
        got = [line.split(separator)[0].strip("<>") for line in lines]
    assert got == [public(iri, expected, server) for iri in expected["agreements"]]


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_ask(
    server: str, expected: dict[str, Any], method: tuple[str, str], fmt: str
) -> None:
    yes = f"ASK {{ <{public(expected['first'], expected, server)}> a ?type }}"
    no = f"ASK {{ <{public(expected['first'], expected, server)}-not> a ?type }}"
    for text, answer in ((yes, True), (no, False)):
        result = wrapper(server, method, fmt, text)
        if fmt == JSON:
            assert result["boolean"] is answer
        elif fmt == XML:
            assert result.getElementsByTagName("boolean")[0].firstChild.data == str(answer).lower()
        else:
            assert result.decode().strip().splitlines()[-1] == str(answer).lower()


@pytest.mark.parametrize("method", METHODS, ids=METHOD_IDS)
@pytest.mark.parametrize("fmt", [XML, RDFXML, TURTLE, N3, JSONLD])
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_sparqlwrapper_graphs(
    server: str, expected: dict[str, Any], method: tuple[str, str], fmt: str, form: str
) -> None:
    thing = public(expected["first"], expected, server)
    text = (
        f"CONSTRUCT WHERE {{ <{thing}> ?p ?o }}" if form == "CONSTRUCT" else f"DESCRIBE <{thing}>"
    )
    result = wrapper(server, method, fmt, text)
    if isinstance(result, bytes):
        result = Graph().parse(data=result, format="turtle")
    assert isinstance(result, Graph)
    size = expected["outgoing"] if form == "CONSTRUCT" else expected["described"]
    assert len(result) == size
    assert len(set(result.triples((URIRef(thing), None, None)))) == expected["outgoing"]


# -- rdflib's SPARQLStore --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("return_format", ["xml", "json"])
def test_rdflib_sparqlstore(server: str, expected: dict[str, Any], return_format: str) -> None:
    graph = Graph(store=SPARQLStore(f"{server}/sparql", returnFormat=return_format))
    thing = URIRef(public(expected["first"], expected, server))
    assert len(list(graph.triples((thing, None, None)))) == expected["outgoing"]
    rows = graph.query(
        "PREFIX coop: <def/coop#> SELECT ?a WHERE { ?a a coop:Agreement } ORDER BY ?a"
    )
    assert [str(row[0]) for row in rows] == [
        public(i, expected, server) for i in expected["agreements"]
    ]  # type: ignore[index]
    assert graph.query(f"ASK {{ <{thing}> ?p ?o }}").askAnswer is True
    if return_format == "xml":  # its Accept then names RDF/XML too; with "json" only results JSON
        described = graph.query(f"CONSTRUCT WHERE {{ <{thing}> ?p ?o }}")
        assert len(described.graph) == expected["outgoing"]  # type: ignore[arg-type]


# -- limits over real HTTP ---------------------------------------------------------------------------------------------------
def test_a_runaway_query_stops_at_the_deadline_while_others_are_served(
    live_server: Callable[..., str],
) -> None:
    url = live_server(env={"COOPLD_QUERY_TIMEOUT": "2"})
    outcome: dict[str, Any] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["response"] = sparql_get(url, CROSS_PRODUCT)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    latencies = []
    for number in range(30):
        started = time.monotonic()
        status, _, _ = sparql_get(url, f"ASK {{ ?s ?p {number} }}")
        latencies.append(time.monotonic() - started)
        assert status == 200
    thread.join()
    status, headers, body = outcome["response"]
    assert status == 503 and int(headers["Retry-After"]) >= 1
    assert b"did not finish within 2 s" in body
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert 2.0 <= outcome["seconds"] < 4.0
    assert max(latencies) < 1.0, latencies
    started = time.monotonic()
    assert sparql_get(url, "ASK { ?s a ?t }")[0] == 200
    assert time.monotonic() - started < 1.0


def _server_processes(port: int) -> dict[int, int]:
    """pid -> parent pid of every process serving this port (gunicorn master, workers, children)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        if b"serve" in command and str(port).encode() in command:
            ppid = int(
                next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:"))
            )
            found[int(entry)] = ppid
    return found


def test_under_gunicorn_one_query_pool_serves_every_worker(
    live_server: Callable[..., str], expected: dict[str, Any], tmp_path: Path
) -> None:
    # where gunicorn would put its control socket, which coopld turns off
    runtime = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path)}
    url = live_server("--workers", "2", env={"COOPLD_QUERY_TIMEOUT": "1.5", **runtime})
    port = int(url.rsplit(":", 1)[1])
    text = "PREFIX coop: <def/coop#> SELECT (COUNT(*) AS ?n) WHERE { ?a a coop:Agreement }"
    for number in range(12):  # new connections: both gunicorn workers take some
        status, _, body = sparql_get(url, f"{text} # {number}", timeout="5")
        assert status == 200
        assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == len(
            expected["agreements"]
        )
    status, headers, _ = sparql_get(url, CROSS_PRODUCT)
    assert status == 503 and headers["X-Coopld-Timeout"] == "1.5"
    assert sparql_get(url, "ASK { ?s ?p ?o FILTER (false) }")[0] == 200  # a successor serves
    processes = _server_processes(port)
    master = next(pid for pid, parent in processes.items() if parent not in processes)
    below_master = {pid for pid, parent in processes.items() if parent == master}
    pool_server = {pid for pid in below_master if any(processes[p] == pid for p in processes)}
    workers = below_master - pool_server
    evaluators = {pid for pid, parent in processes.items() if parent in pool_server}
    assert len(workers) == 2 and len(pool_server) == 1
    assert len(evaluators) == 1, "one child evaluates the queries of both workers"
    assert set(processes) == {master} | workers | pool_server | evaluators
    assert list(tmp_path.iterdir()) == [], "no control socket, nothing written to HOME"


def test_request_size_limits_over_http(live_server: Callable[..., str]) -> None:
    url = live_server(env={"COOPLD_MAX_REQUEST_BYTES": "2048"})
    padding = "#" + "x" * 4000 + "\nASK {}"
    status, headers, _ = fetch(
        f"{url}/sparql", data=padding.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert status == 413 and headers["Access-Control-Allow-Origin"] == "*"
    status, headers, body = sparql_get(url, padding)
    assert status == 414 and b"POST" in body
    status, _, _ = fetch(
        f"{url}/sparql",
        data=b"update=CLEAR+ALL",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 403


# -- no outbound requests -------------------------------------------------------------------------------------------------------
class Recorder(ThreadingHTTPServer):
    """A local SPARQL endpoint that records every connection (and answers one row)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.connections = 0
        super().__init__(("127.0.0.1", 0), _RecordingHandler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sparql"


class _RecordingHandler(BaseHTTPRequestHandler):
    server: Recorder

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.requests.append(self.rfile.read(length).decode())
        body = json.dumps(
            {
                "head": {"vars": ["remote"]},
                "results": {"bindings": [{"remote": {"type": "literal", "value": "hello"}}]},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture()
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_query_never_makes_the_server_connect_anywhere(server: str, recorder: Recorder) -> None:
    target = recorder.url
    refused = [
        f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?s ?p ?o }} }}",
        f"PREFIX r: <{target.rsplit('/', 1)[0]}/> SELECT * WHERE {{ SERVICE r:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{target}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    ]
    for text in refused:
        status, _, body = sparql_get(server, text)
        assert status == 403 and b"no outbound requests" in body
    answered = [
        f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"DESCRIBE <{target}>",
    ]
    for text in answered:
        status, _, body = sparql_get(server, text, "*/*", **{"default-graph-uri": target})
        assert status == 200
    status, _, body = sparql_get(server, "ASK { ?s ?p ?o }", **{"named-graph-uri": target})
    assert status == 200
    time.sleep(0.2)
    assert recorder.connections == 0 and recorder.requests == []


def test_an_allowed_service_is_called_and_no_other(
    live_server: Callable[..., str], recorder: Recorder
) -> None:
    url = live_server(env={"COOPLD_ALLOWED_SERVICES": recorder.url})
    status, _, body = sparql_get(
        url, f"SELECT ?remote WHERE {{ SERVICE <{recorder.url}> {{ ?x ?y ?remote }} }}"
    )
    assert status == 200, body
    assert [row["remote"]["value"] for row in json.loads(body)["results"]["bindings"]] == ["hello"]
    assert len(recorder.requests) == 1 and "?remote" in urllib.parse.unquote_plus(
        recorder.requests[0]
    )
    other = recorder.url.replace("/sparql", "/other")
    status, _, body = sparql_get(url, f"SELECT * WHERE {{ SERVICE <{other}> {{ ?s ?p ?o }} }}")
    assert status == 403 and recorder.url.encode() in body
    assert len(recorder.requests) == 1


def test_the_listener_would_have_seen_a_connection(recorder: Recorder) -> None:
    """The recorder is not blind: a direct connection is counted."""
    with socket.create_connection(
        ("127.0.0.1", recorder.server_address[1]), timeout=5
    ) as connection:
        connection.sendall(b"POST /sparql HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
        connection.recv(100)
    assert recorder.connections == 1


def _raw_exchange(url: str, request: bytes) -> tuple[int, str, bytes]:
    """Send ``request`` as is on a new connection; the status, header block and body (status 0:
    the connection was reset before anything came back)."""
    host, port = urllib.parse.urlsplit(url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except ConnectionResetError:  # the server closed while the request was still coming
            if not received:
                return 0, "", b""
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), "\r\n".join(lines[1:]).lower(), body


def test_under_gunicorn_request_targets_and_headers_have_limits(
    live_server: Callable[..., str],
) -> None:
    url = live_server("--workers", "1")
    ask = "ASK { ?s ?p ?o } #"

    def get(
        padding: int, extra: str = "", accept: str = "application/json"
    ) -> tuple[int, str, bytes]:
        target = "/sparql?" + urllib.parse.urlencode({"query": ask + "x" * padding})
        request = f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n{extra}Connection: close\r\n\r\n"
        return _raw_exchange(url, request.encode("latin-1"))

    # under the front's limit (httptools reads targets up to 64 KiB), the query is answered
    status, head, body = get(60_000)
    assert status == 200 and json.loads(body)["boolean"] is True
    # over it: the app's 414, with CORS and the advice to POST, not the HTTP parser's bare 400
    status, head, body = get(70_000)
    assert status == 414, body
    assert "access-control-allow-origin: *" in head
    assert "POST" in json.loads(body)["hint"]
    status, head, body = get(300_000, accept="text/html")
    assert status == 414 and "access-control-allow-origin: *" in head
    # a flood of header fields ends that connection with 400; the server goes on
    flood = "".join(f"X-Filler-{n}: {'y' * 1000}\r\n" for n in range(200))
    status, head, body = get(10, extra=flood)
    assert status in (400, 0)  # 0: reset before the 400 could be read
    # octets over 127 in the target are not HTTP: the parser's 400 says so, with CORS
    request = b"GET /sparql?query=ASK%7B%3Fs%20%3Fp%20%22caf\xc3\xa9%22%7D HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    status, head, body = _raw_exchange(url, request)
    assert status == 400 and b"percent-encoded" in body
    assert "access-control-allow-origin: *" in head
    assert get(10)[0] == 200


def test_under_gunicorn_answers_are_gzip_coded_on_both_routes(
    live_server: Callable[..., str], expected: dict[str, Any]
) -> None:
    import gzip

    url = live_server("--workers", "1")
    agreement = f"<{expected['first']}>"
    lookup = f"CONSTRUCT {{ {agreement} ?p ?o }} WHERE {{ {agreement} ?p ?o }}"  # on the loop
    scan = "SELECT * WHERE { ?s ?p ?o } LIMIT 300"  # by Flask, through the query pool
    for text, accept in ((lookup, "text/turtle"), (scan, "text/csv")):
        target = "/sparql?" + urllib.parse.urlencode({"query": text})
        answers = []
        for coding in ("", "Accept-Encoding: gzip\r\n"):
            request = f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: {accept}\r\n{coding}Connection: close\r\n\r\n"
            answers.append(_raw_exchange(url, request.encode("latin-1")))
        (status, head, plain), (coded_status, coded_head, coded) = answers
        assert status == coded_status == 200, text
        assert "content-encoding" not in head and "content-encoding: gzip" in coded_head
        assert gzip.decompress(coded) == plain and len(coded) < len(plain)
        assert f"content-length: {len(coded)}" in coded_head
