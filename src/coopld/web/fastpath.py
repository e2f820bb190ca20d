"""The commonest requests answered as plain WSGI, outside Flask.

Lookups that institutions send by the thousand (``GET /sparql?query=…`` of one resource's
triples, an ASK) take pyoxigraph a tenth of a millisecond or two, and a document rendered at
build time takes less to read; Flask's request context, routing and response objects cost
several times that. These middlewares answer such a request themselves when everything about
it is ordinary:

* ``SparqlFastPath``: ``GET /sparql`` with ``query`` as the only parameter, a format other
  than HTML, a query the engine answers without a worker (:mod:`coopld.bounded`) or has already
  answered;
* ``DocumentFastPath``: ``GET /doc/{kind}/{key}`` of a resource whose document the build
  rendered (:mod:`coopld.docstore`), negotiated to Turtle, without a query string.

Neither answers a conditional request, HEAD, a path or address that needs decoding, or
anything behind a proxy whose public base is not configured. Each builds the answer with the
same functions as the Flask view (analysis, negotiation, spec, entity tags, limit and link
headers) and sends the same fields. Anything else, and any error, goes on to the Flask app
unchanged, which stays the reference: the tests send the same requests both ways and compare
status, headers and bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import unquote

from flask import Flask
from werkzeug.sansio.utils import get_current_url, get_host

from ..config import Settings
from ..errors import CoopldError
from ..formats import HTML, TURTLE
from ..query import QueryEngine
from ..sparql_text import analyse_query
from .asgi import TRIED
from .base import BaseMap
from .cache import mark_cacheable
from .negotiate import choose_format, wants_html
from .representation import http_date, validator_fields
from .sparql import (
    ANSWER_VARY,
    check_query,
    coded_answer,
    get_engine,
    limit_headers,
    negotiate,
    query_etag,
    query_spec,
)

__all__ = ["DocumentFastPath", "SparqlFastPath", "query_parameter"]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _FastPath:
    """What both fast paths share: when they may answer, and the client's base."""

    def __init__(self, wsgi_app: WSGIApp, app: Flask) -> None:
        from . import CORS_HEADERS

        self.wsgi_app = wsgi_app
        self.app = app
        self.settings: Settings = app.config["COOPLD_SETTINGS"]
        # behind a proxy, the public base comes from forwarded headers unless it is set
        self.enabled = bool(self.settings.public_base) or not self.settings.behind_proxy
        self.enabled = self.enabled and not app.config.get("TRUSTED_HOSTS")
        self.answered = 0  # statistics, for tests
        self.cors = [*CORS_HEADERS.items(), ("X-Content-Type-Options", "nosniff")]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answer = self._answer(environ) if self._ordinary(environ) else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        headers, body = answer
        self.answered += 1
        start_response("200 OK", headers)
        return [body]

    def _ordinary(self, environ: dict[str, Any]) -> bool:
        return (
            self.enabled
            and environ.get("REQUEST_METHOD") == "GET"
            and "HTTP_IF_NONE_MATCH" not in environ
            and "HTTP_IF_MODIFIED_SINCE" not in environ
            and self.mine(environ)
        )

    def mine(self, environ: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _answer(self, environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
        raise NotImplementedError

    def public_base(self, environ: dict[str, Any]) -> str | None:
        if environ.get("SCRIPT_NAME") and not self.settings.public_base:
            return None
        return self.public_of(
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME", ""),
            environ.get("SERVER_PORT"),
        )

    def public_of(self, scheme: str, host: str | None, name: str, port: str | None) -> str | None:
        """The client's base from the request's scheme, Host field and server address."""
        if self.settings.public_base:
            return self.settings.public_base
        return _public_base(scheme, host, name, port)


class SparqlFastPath(_FastPath):
    def mine(self, environ: dict[str, Any]) -> bool:
        # TRIED: the ASGI front has offered this request to ``lookup`` already
        return bool(environ.get("PATH_INFO") == "/sparql") and TRIED not in environ

    def _answer(self, environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
        public = self.public_base(environ)
        if public is None:
            return None
        return self.lookup(
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT"),
            environ.get("HTTP_ACCEPT_ENCODING"),
            public,
        )

    def lookup(
        self, raw: str, accept: str | None, accept_encoding: str | None, public: str
    ) -> tuple[list[tuple[str, str]], bytes] | None:
        """The answer to ``GET /sparql?{raw}`` with these header fields, reached at ``public``,
        when it is an ordinary lookup (see the module's text); None leaves it to the view.

        The WSGI route and the ASGI front (:mod:`coopld.web.asgi`) both come here, with what
        each read of the request."""
        settings = self.settings
        if not raw or len(raw) > settings.max_request_bytes or not raw.isascii():
            return None
        text = query_parameter(raw)
        if text is None or wants_html(accept):
            return None
        basemap = self._basemap(public)
        analysis = analyse_query(
            text, basemap.canonical + "/sparql", basemap.public, basemap.canonical
        )
        if analysis.form is None:
            return None
        try:
            check_query(analysis, settings)  # the view's checks; their errors are the view's
            fmt = negotiate(analysis.form, accept, None)
        except CoopldError:
            return None
        if fmt is HTML:
            return None
        spec = query_spec(analysis, fmt, basemap, settings)
        engine = self.engine()
        try:
            result = engine.answer_at_once(spec)
        except CoopldError:
            return None  # the view says why, in the shape the client asked for
        if result is None:
            return None
        etag = query_etag(spec, fmt, engine.dataset.version)
        body, coding = coded_answer(result.body, accept_encoding)
        headers = [
            ("Content-Type", fmt.content_type),
            ("Content-Length", str(len(body))),
            *coding.items(),
            ("ETag", f'W/"{etag}"'),
            ("Server-Timing", f"query;dur={result.seconds * 1000:.2f}"),
            *self._fields[result.truncated],
        ]
        return headers, body

    @cached_property
    def _fields(self) -> dict[bool, list[tuple[str, str]]]:
        """The fields after the validator, which depend only on the settings (and whether
        the rows were cut)."""
        settings = self.settings
        return {
            truncated: [
                ("Cache-Control", f"public, max-age={settings.cache_max_age}"),
                *limit_headers(settings, settings.query_timeout, truncated).items(),
                ("Vary", ANSWER_VARY),
                *self.cors,
            ]
            for truncated in (False, True)
        }

    def _basemap(self, public: str) -> BaseMap:
        found = self._basemaps.get(public)
        if found is None:
            if len(self._basemaps) >= 256:  # the few names this server is reached by
                self._basemaps.clear()
            found = self._basemaps[public] = BaseMap(self.settings.base, public)
        return found

    @cached_property
    def _basemaps(self) -> dict[str, BaseMap]:
        return {}

    def engine(self) -> QueryEngine:
        return get_engine(self.app)


def query_parameter(raw: str) -> str | None:
    """The value of ``query`` when the (ASCII) query string is ``query=…`` and nothing else.

    The same string as ``urllib.parse.parse_qsl(raw, errors="replace")`` gives, decoded in C:
    Python's ``unquote`` walks the text escape by escape (21 µs for a lookup of one resource,
    against 5 µs here: a few percent of the whole answer). Every ``%`` becomes ``\\x`` (and every backslash ``\\x5c`` first, so no other
    escape can appear) for the ``unicode_escape`` codec; an escape that is not two hex digits
    makes it fail, and then ``unquote`` decides.
    """
    if not raw.startswith("query=") or "&" in raw:
        return None
    value = raw[len("query=") :].replace("+", " ")
    if "%" not in value:
        return value
    escaped = value.replace("\\", "\\x5c").replace("%", "\\x")
    try:
        octets = escaped.encode("ascii").decode("unicode_escape").encode("latin-1")
    except UnicodeError:
        return unquote(value, errors="replace")
    return octets.decode("utf-8", "replace")


class DocumentFastPath(_FastPath):
    _modified: str | None = None

    def mine(self, environ: dict[str, Any]) -> bool:
        path = environ.get("PATH_INFO", "")
        return path.startswith("/doc/") and _PLAIN_PATH.fullmatch(path) is not None

    def _answer(self, environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
        from .publisher import get_publisher
        from .resources import DOC_FORMATS, document_headers, document_key

        path = environ["PATH_INFO"]
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
        if environ.get("QUERY_STRING") or (raw is not None and raw != path):
            return None  # the view reads ?format= and the target as sent
        publisher = get_publisher(self.app)
        stored = publisher.stored
        thing = publisher.base + "/id/" + path[len("/doc/") :]
        if stored is None or not stored.turtle_known(thing):
            return None
        try:
            fmt = choose_format(environ.get("HTTP_ACCEPT"), DOC_FORMATS)
        except CoopldError:
            return None
        public = self.public_base(environ)
        if fmt is not TURTLE or public is None:
            return None
        bm = BaseMap(self.settings.base, public)
        key = document_key(thing, fmt, "", bm, "")
        representation = publisher.representation(
            key, lambda: publisher.document_bytes(thing, fmt, bm)
        )
        extra = document_headers(publisher, bm, thing, fmt)
        accept_encoding = environ.get("HTTP_ACCEPT_ENCODING")
        max_age = self.settings.cache_max_age
        compress, fields = validator_fields(
            representation, accept_encoding, max_age, ["Accept"], extra
        )
        body = representation.gzipped() if compress else representation.body
        headers = [
            ("Content-Type", fmt.content_type),
            ("Content-Length", str(len(body))),
            *{**extra, **fields}.items(),
            ("Last-Modified", self._last_modified(publisher.dataset.built)),
            *([("Content-Encoding", "gzip")] if compress else []),
            *self.cors,
        ]
        mark_cacheable(environ)
        return headers, body

    def _last_modified(self, built: datetime) -> str:
        """The dataset's build time as an HTTP date (formatted once: it never changes)."""
        if self._modified is None:
            self._modified = http_date(built)
        return self._modified


#: a document path the view would read the same way, decoded or not (no escapes, no dots
#: segments, nothing a server normalises)
_PLAIN_PATH = re.compile(r"/doc/[A-Za-z0-9_~-]+/[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


@lru_cache(maxsize=256)  # the few names this server is reached by
def _public_base(scheme: str, host_header: str | None, name: str, port: str | None) -> str | None:
    """What ``request.host_url`` gives for these fields, without a trailing slash; None when
    the host needs werkzeug's decoding (the view handles those)."""
    host = get_host(scheme, host_header, (name, int(port or 0) or None))
    if not host or not host.isascii() or "%" in host:
        return None
    return get_current_url(scheme, host).rstrip("/")
