"""The commonest SPARQL request answered as plain WSGI, outside Flask.

Lookups that institutions send by the thousand (``GET /sparql?query=…`` of one resource's
triples, an ASK) take pyoxigraph a tenth of a millisecond or two; Flask's request context,
routing and response objects cost several times that. This middleware answers such a
request itself when everything about it is ordinary: ``GET`` with ``query`` as the only
parameter, no conditional header, a format other than HTML, a query the engine answers
without a worker (:mod:`coopld.bounded`) or has already answered. It builds the answer with
the same functions as the ``/sparql`` view (analysis, negotiation, the engine's spec, the
entity tag, the limit headers) and sends the same headers. Anything else, and any error,
goes on to the Flask app unchanged, which stays the reference: the tests send the same
requests both ways and compare status, headers and bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.sansio.utils import get_current_url, get_host

from ..config import Settings
from ..errors import CoopldError
from ..formats import HTML
from ..sparql_text import MAX_NESTING, analyse_query
from .base import BaseMap
from .negotiate import wants_html

__all__ = ["SparqlFastPath"]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class SparqlFastPath:
    def __init__(self, wsgi_app: WSGIApp, app: Flask) -> None:
        from . import CORS_HEADERS

        self.wsgi_app = wsgi_app
        self.app = app
        self.settings: Settings = app.config["COOPLD_SETTINGS"]
        # behind a proxy, the public base comes from forwarded headers unless it is set
        self.enabled = bool(self.settings.public_base) or not self.settings.behind_proxy
        self.enabled = self.enabled and not app.config.get("TRUSTED_HOSTS")
        self.answered = 0  # statistics, for tests
        self._bases: dict[tuple[Any, ...], str | None] = {}
        self.tail = [
            ("Vary", "Accept"),
            *CORS_HEADERS.items(),
            ("X-Content-Type-Options", "nosniff"),
        ]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (
            self.enabled
            and environ.get("PATH_INFO") == "/sparql"
            and environ.get("REQUEST_METHOD") == "GET"
        ):
            answer = self._answer(environ)
            if answer is not None:
                headers, body = answer
                self.answered += 1
                start_response("200 OK", headers)
                return [body]
        return self.wsgi_app(environ, start_response)

    def _public_base(self, environ: dict[str, Any]) -> str | None:
        if self.settings.public_base:
            return self.settings.public_base
        if environ.get("SCRIPT_NAME"):
            return None
        key = (
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME", ""),
            environ.get("SERVER_PORT"),
        )
        found = self._bases.get(key, "")
        if found == "":
            found = _public_base(*key)
            if len(self._bases) < 256:  # the few names this server is reached by
                self._bases[key] = found
        return found

    def _answer(self, environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
        from .sparql import get_engine, limit_headers, negotiate, query_etag, query_spec

        settings = self.settings
        raw = environ.get("QUERY_STRING", "")
        if not raw or len(raw) > settings.max_request_bytes or not raw.isascii():
            return None
        if "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ:
            return None
        params = parse_qsl(raw, keep_blank_values=True, errors="replace")
        if len(params) != 1 or params[0][0] != "query":
            return None
        accept = environ.get("HTTP_ACCEPT")
        if wants_html(accept):
            return None
        public = self._public_base(environ)
        if public is None:
            return None
        basemap = BaseMap(settings.base, public)
        analysis = analyse_query(
            params[0][1], basemap.canonical + "/sparql", basemap.public, basemap.canonical
        )
        if analysis.form is None or analysis.update_keyword or analysis.services:
            return None
        if analysis.nesting > MAX_NESTING:
            return None
        try:
            fmt = negotiate(analysis.form, accept, None)
        except CoopldError:
            return None
        if fmt is HTML:
            return None
        spec = query_spec(analysis, fmt, basemap, settings)
        engine = get_engine(self.app)
        try:
            result = engine.answer_at_once(spec)
        except CoopldError:
            return None  # the view says why, in the shape the client asked for
        if result is None:
            return None
        etag = query_etag(spec, fmt, engine.dataset.version)
        headers = [
            ("Content-Type", fmt.content_type),
            ("Content-Length", str(len(result.body))),
            ("ETag", f'W/"{etag}"'),
            ("Server-Timing", f"query;dur={result.seconds * 1000:.2f}"),
            ("Cache-Control", f"public, max-age={settings.cache_max_age}"),
            *limit_headers(settings, settings.query_timeout, result.truncated).items(),
            *self.tail,
        ]
        return headers, result.body


def _public_base(scheme: str, host_header: str | None, name: str, port: str | None) -> str | None:
    """What ``request.host_url`` gives for these fields, without a trailing slash; None when
    the host needs werkzeug's decoding (the view handles those)."""
    host = get_host(scheme, host_header, (name, int(port or 0) or None))
    if not host or not host.isascii() or "%" in host:
        return None
    return get_current_url(scheme, host).rstrip("/")
