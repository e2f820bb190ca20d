"""What gunicorn's workers run: uvicorn's HTTP on an event loop, with the Flask app behind it.

gunicorn's threaded worker parses HTTP in Python: on two cores it answers an empty WSGI
application 7,500 to 9,300 times a second, fewer than the Oxigraph server answers a SPARQL
ASK on the same cores. uvicorn's gunicorn worker parses with httptools (llhttp, in C) and runs
on uvloop: 31,600 answers a second for an empty application, measured the same way
(bench/README.md). gunicorn still manages the processes: it forks the workers from the loaded
app, restarts one that dies, and stops them all.

``Front`` is the ASGI application those workers serve. A ``GET`` is first offered to the WSGI
fast paths (:mod:`coopld.web.fastpath`) and the response cache, run right on the event loop:
they answer from memory or from pyoxigraph within a bounded amount of work, in a fraction of a
millisecond. Whatever they pass on (the innermost layer, ``QuickGate``, stops it before Flask)
goes to the Flask app on a small thread pool (a2wsgi), where a query can wait for the query
pool, or a dump stream, without holding the loop. Both routes read the same WSGI environ,
built here, with the raw request target in ``RAW_URI`` as gunicorn sets it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, ClassVar
from urllib.parse import quote

from flask import Flask

from .cache import drain

log = logging.getLogger("coopld.web")

__all__ = [
    "OFFERED",
    "QUICK",
    "TOO_LONG",
    "TRIED",
    "Deferred",
    "Front",
    "QuickGate",
    "protocol_class",
    "worker_class",
    "wsgi_environ",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

#: set in the environ of a request tried on the event loop
QUICK = "coopld.quick"
#: set in the scope and the environ of a request whose target was too long to read (its length)
TOO_LONG = "coopld.target_too_long"
#: set in the scope by the worker's protocol once it has offered the request to ``respond_now``
OFFERED = "coopld.offered"
#: set in the scope and the environ of a request ``SparqlFastPath`` has declined already
TRIED = "coopld.sparql_tried"
#: longest request target read: httptools' URL parser keeps offsets in 16 bits, and fails
#: on a longer one; the app answers 414 instead (POST has no such limit)
TARGET_LIMIT = 65_000
#: most octets of header fields read from one request (gunicorn's defaults allow 100 fields
#: of 8,190); more closes the connection with 400
HEADER_LIMIT = 128 * 1024
#: what the HTTP parser's own 400 says (the app never sees such a request)
BAD_REQUEST = (
    "not a valid HTTP/1.1 request: the request line or a header field is malformed (octets "
    "over 127 must be percent-encoded in the target), or the header fields pass "
    f"{HEADER_LIMIT} bytes\n"
)


class Deferred(Exception):
    """The request needs the Flask app: answer it on a thread instead."""


class QuickGate:
    """The innermost WSGI layer: Flask, unless the request is being tried on the event loop."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get(QUICK):
            raise Deferred
        return self.app(environ, start_response)


class Front:
    """The ASGI application of one gunicorn worker (see the module's text)."""

    def __init__(self, app: Flask, threads: int) -> None:
        from a2wsgi import WSGIMiddleware

        from .fastpath import SparqlFastPath

        self.wsgi = app.wsgi_app
        # the outermost layer: lookups go to it straight from the scope (see ``_lookup``)
        self.sparql = app.wsgi_app if isinstance(app.wsgi_app, SparqlFastPath) else None
        raw_target: Any = _RawTarget(app.wsgi_app)  # a2wsgi types the environ as a TypedDict
        threaded: Any = WSGIMiddleware(raw_target, workers=threads)
        self.threaded: Callable[[Scope, Receive, Send], Awaitable[None]] = threaded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here; uvicorn closes the connection
        answer = None
        if OFFERED not in scope:  # (the protocol's offer was declined: not twice)
            try:
                answer = self.respond_now(scope)
            except Exception:  # a fault of the fast paths: Flask, the reference, answers instead
                log.exception("answering %s on the loop failed", scope.get("path"))
        if answer is not None:
            status, headers, body = answer
            fields = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            await send({"type": "http.response.start", "status": status, "headers": fields})
            await send({"type": "http.response.body", "body": body})
            return
        await self.threaded(scope, receive, send)

    def respond_now(self, scope: Scope) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """The whole answer, made on the calling thread, when the fast paths or the response
        cache have it; None when the request is for the threaded route."""
        _ascii_query(scope)
        if scope["method"] != "GET" or TOO_LONG in scope:
            return None
        sparql = self.sparql
        if scope["path"] == "/sparql" and sparql is not None and not scope.get("root_path"):
            fields = _lookup_fields(scope) if sparql.enabled else None
            if fields is not None:
                accept, encoding, host = fields
                name, port = scope.get("server") or ("localhost", 80)
                public = sparql.public_of(scope.get("scheme", "http"), host, name, str(port or 0))
                if public is not None:
                    query = scope["query_string"].decode("ascii")
                    answer = sparql.lookup(query, accept, encoding, public)
                    if answer is not None:
                        sparql.answered += 1
                        return 200, *answer
                scope[TRIED] = True  # and declined: neither WSGI route need ask again
        if _has_body(scope):
            return None
        return self._quick(scope)

    def _quick(self, scope: Scope) -> tuple[int, list[tuple[str, str]], bytes] | None:
        environ = wsgi_environ(scope)
        environ[QUICK] = True
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started[:] = [(status, headers)]

        try:
            result = self.wsgi(environ, start_response)
        except Deferred:
            return None
        body = drain(result)
        status, headers = started[0]
        return int(status[:3]), headers, body


class _RawTarget:
    """Adds gunicorn's ``RAW_URI`` (the target as sent) to a2wsgi's environ."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        scope = environ.get("asgi.scope")
        if scope is not None:
            environ["RAW_URI"] = _raw_uri(scope)
            for mark in (TOO_LONG, TRIED):
                if mark in scope:
                    environ[mark] = scope[mark]
        return self.app(environ, start_response)


def wsgi_environ(scope: Scope) -> dict[str, Any]:
    """The WSGI environ of a request without a body: the fields a2wsgi fills, and ``RAW_URI``."""
    root = scope.get("root_path", "").encode("utf-8").decode("latin-1")
    path = scope["path"].encode("utf-8").decode("latin-1")
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "asgi.scope": scope,
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root,
        "PATH_INFO": path,
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "RAW_URI": _raw_uri(scope),
        **({TRIED: True} if TRIED in scope else {}),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1] or 0),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client is not None:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = client[0], str(client[1])
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if name not in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            name = "HTTP_" + name
        value = raw_value.decode("latin-1")
        environ[name] = environ[name] + "," + value if name in environ else value
    return environ


def _raw_uri(scope: Scope) -> str:
    raw: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    return (raw + b"?" + query if query else raw).decode("latin-1")


def _ascii_query(scope: Scope) -> None:
    """Percent-encode octets over 127 in the query string (a2wsgi reads it as ASCII).

    The query's meaning does not change: every parser decodes ``%XX`` to the same octet.
    """
    query: bytes = scope.get("query_string", b"")
    if not query.isascii():
        scope["query_string"] = quote(query, safe=bytes(range(33, 127))).encode("ascii")


def _lookup_fields(scope: Scope) -> tuple[str | None, str | None, str | None] | None:
    """Accept, Accept-Encoding and the public base of a request ``SparqlFastPath.lookup``
    may answer, read from the scope as the WSGI route reads them from the environ; None when
    it may not (a body, a conditional request, a field name the environ would merge)."""
    accept = encoding = host = None
    for name, raw in scope["headers"]:
        if name == b"accept":
            value = raw.decode("latin-1")
            accept = value if accept is None else accept + "," + value
        elif name == b"accept-encoding":
            value = raw.decode("latin-1")
            encoding = value if encoding is None else encoding + "," + value
        elif name == b"host":
            value = raw.decode("latin-1")
            host = value if host is None else host + "," + value
        elif (
            name in _NOT_A_LOOKUP
            or b"_" in name
            or (name == b"content-length" and raw.strip() != b"0")
        ):
            return None
    return accept, encoding, host


#: header fields that take a request off ``SparqlFastPath.lookup``: a body, or a condition
_NOT_A_LOOKUP = frozenset({b"transfer-encoding", b"if-none-match", b"if-modified-since"})


def _has_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def worker_class() -> type:
    """uvicorn's gunicorn worker, set up for this app (imported only when gunicorn serves)."""
    from uvicorn_worker import UvicornWorker

    class Worker(UvicornWorker):  # type: ignore[misc]
        CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
            "loop": "uvloop",
            "http": protocol_class(),
            "lifespan": "on",
            # the app reads X-Forwarded-* itself, only when settings.behind_proxy says so
            "proxy_headers": False,
            "server_header": False,
            "access_log": False,  # gunicorn's accesslog setting is off as well
        }

    return Worker


def protocol_class() -> type:
    """uvicorn's httptools protocol, with limits on the request target and the header fields.

    A target over :data:`TARGET_LIMIT` octets is not kept: the request goes on as ``GET /``
    marked :data:`TOO_LONG`, and the app answers it 414 with its CORS fields (httptools alone
    would answer a bare 400). Header fields over :data:`HEADER_LIMIT` octets end the connection.
    """
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

    class Protocol(HttpToolsProtocol):
        target_length = 0  # of a target too long to keep; 0 while within the limit
        header_octets = 0

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.target_length = self.header_octets = 0

        def on_url(self, url: bytes) -> None:
            if self.target_length:
                self.target_length += len(url)
            elif len(self.url) + len(url) > TARGET_LIMIT:
                self.target_length = len(self.url) + len(url)
                self.url = b"/"
            else:
                self.url += url

        def on_header(self, name: bytes, value: bytes) -> None:
            self.header_octets += len(name) + len(value) + 4
            if self.header_octets > HEADER_LIMIT:
                raise ValueError("header fields too large")  # httptools: 400, then close
            super().on_header(name, value)

        def send_400_response(self, msg: str) -> None:
            from . import CORS_HEADERS

            body = BAD_REQUEST.encode("ascii")
            fields = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Connection", "close"),
                *CORS_HEADERS.items(),
                ("X-Content-Type-Options", "nosniff"),
            ]
            head = _header_block(fields) or b""
            self.transport.write(STATUS_LINE[400] + head + b"\r\n" + body)
            self.transport.close()

        def on_headers_complete(self) -> None:
            if self.target_length:
                self.scope[TOO_LONG] = self.target_length  # type: ignore[literal-required]
            super().on_headers_complete()

        def _start_asgi_task(self, cycle: Any, app: Any) -> None:
            """Answer at once what the app can answer at once; else start the ASGI task.

            uvicorn runs every request as an asyncio task that sends the status line and the
            header fields, then the body, as ASGI messages, each checked, each written to the
            socket on its own. A lookup costs the app a fifth of a millisecond; that machinery
            would add a third as much again. ``Front.respond_now`` answers from the loop's own
            thread or declines, and the answer goes out in one write.
            """
            respond_now = getattr(app, "respond_now", None)
            answer = None
            if respond_now is not None:
                cycle.scope[OFFERED] = True
                try:
                    answer = respond_now(cycle.scope)
                except Exception:  # a fault of the fast paths: the task takes it to Flask
                    log.exception("answering %s at once failed", cycle.scope.get("path"))
            head = _header_block(answer[1]) if answer is not None else None
            if answer is None or head is None:
                super()._start_asgi_task(cycle, app)
                return
            status, _, body = answer
            if status not in (204, 304) and b"\r\ncontent-length:" not in b"\r\n" + head:
                head += b"content-length: %d\r\n" % len(body)  # the body's only framing
            cycle.response_started = cycle.response_complete = True
            default = b"".join(
                name + b": " + value + b"\r\n" for name, value in cycle.default_headers
            )
            close = b"" if cycle.keep_alive else b"connection: close\r\n"
            self.transport.write(
                b"".join((STATUS_LINE[status], default, head, close, b"\r\n", body))
            )
            if not cycle.keep_alive:
                self.transport.close()
            cycle.on_response()

    return Protocol


def _header_block(headers: list[tuple[str, str]]) -> bytes | None:
    """The header fields as sent (names in lower case), or None if one would break a line."""
    text = "".join(f"{name.lower()}: {value}\r\n" for name, value in headers)
    if text.count("\r") != len(headers) or text.count("\n") != len(headers) or "\0" in text:
        return None
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return None
