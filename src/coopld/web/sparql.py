"""``/sparql``: the SPARQL 1.1 Protocol, query operation only, read-only.

GET ``?query=``, POST ``application/x-www-form-urlencoded`` and POST
``application/sparql-query``; ``default-graph-uri`` / ``named-graph-uri`` select the dataset.
Without a query: the HTML query page for browsers, the Service Description for RDF clients.
Updates by any route are refused (403). Every answer says which limits applied to it:
``X-Coopld-Row-Limit``, ``X-Coopld-Truncated``, ``X-Coopld-Timeout``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.datastructures import MultiDict

from ..config import Settings
from ..errors import BadRequestError, CoopldError, NotAcceptableError
from ..formats import (
    DATASET_FORMATS,
    GRAPH_FORMATS,
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    RESULT_FORMATS,
    SRJ,
    SRX,
    TURTLE,
    Format,
    by_name,
)
from ..namespaces import DCTERMS, RDFS, SD, VOID, XSD
from ..query import QueryEngine, QuerySpec, QueryTimeoutError
from ..sparql_text import MAX_NESTING, QueryText, analyse_query
from . import get_dataset, get_settings
from .base import BaseMap, base_map
from .errors import error_response
from .negotiate import choose_format, parse_accept, wants_html
from .representation import MIN_GZIP_BYTES, accepts_gzip
from .sparql_page import render_query_page, service_description, vocabulary_prefixes

__all__ = ["bp"]

bp = Blueprint("sparql", __name__)

#: what an answer can be, in the server's preference order (the first one when Accept is absent)
RESULT_CHOICES = (*RESULT_FORMATS, HTML)
GRAPH_CHOICES = (*GRAPH_FORMATS, *DATASET_FORMATS, HTML)
DESCRIPTION_CHOICES = (*GRAPH_FORMATS, *DATASET_FORMATS, HTML)

#: media types clients send for a format registered under another name, beyond the aliases of
#: the formats table; each counts as the registered one (at the same q) unless the client also
#: names that one itself. The response always carries the registered type.
RESULT_ALIASES = {"application/json": SRJ, "application/xml": SRX, "text/xml": SRX}
GRAPH_ALIASES = {
    "application/x-json+ld": JSONLD,
    "application/xml": RDFXML,
    "text/xml": RDFXML,
    "text/rdf+n3": TURTLE,  # Turtle is N3
    "application/n3": TURTLE,
}
#: Fuseki's short names that the formats table spells differently
GRAPH_NAME_ALIASES = {"json": JSONLD.name, "n3": TURTLE.name, "rdf+xml": RDFXML.name}

FORM_CONTENT = "application/x-www-form-urlencoded"
QUERY_CONTENT = "application/sparql-query"
UPDATE_CONTENT = "application/sparql-update"
READ_ONLY = "this SPARQL endpoint is read-only: SPARQL Update is not accepted"

_engine_lock = threading.Lock()


def get_engine(app: Flask | None = None) -> QueryEngine:
    """The query engine of this process (made on first use; its workers fork even later)."""
    app = app or current_app
    engine: QueryEngine | None = app.extensions.get("coopld.query_engine")
    if engine is None or engine.pid != os.getpid():
        with _engine_lock:
            engine = app.extensions.get("coopld.query_engine")
            if engine is None or engine.pid != os.getpid():
                server = app.extensions.get("coopld.query_server")
                dataset, settings = app.extensions["coopld.dataset"], app.config["COOPLD_SETTINGS"]
                engine = QueryEngine(dataset, settings, server)
                app.extensions["coopld.query_engine"] = engine
    return engine


@dataclass(frozen=True)
class ProtocolRequest:
    """A query operation as the protocol defines it, read from GET or POST."""

    query: str | None
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    format: str | None  # Fuseki's `format` / `output`
    timeout: float


class ReadOnlyError(CoopldError):
    status = 403


# -- reading the request ------------------------------------------------------------------
def read_protocol_request(settings: Settings) -> ProtocolRequest:
    if len(request.query_string) > settings.max_request_bytes:
        raise CoopldError(
            f"the query string is longer than {settings.max_request_bytes} bytes",
            hint="send the query with POST",
            status=414,
        )
    args = request.args
    if request.method in ("GET", "HEAD"):
        params: MultiDict[str, str] = args
        queries = args.getlist("query")
    else:
        params, queries = _read_post(args)
    if "update" in params:
        raise ReadOnlyError(READ_ONLY)
    if len(queries) > 1:
        raise BadRequestError(
            f"{len(queries)} queries in one request", hint="send exactly one `query` parameter"
        )
    # getlist, never get: a missing key costs MultiDict.get an exception
    explicit = params.getlist("format") or params.getlist("output")
    timeout = params.getlist("timeout")
    return ProtocolRequest(
        queries[0] if queries else None,
        _graph_list(params, "default-graph-uri"),
        _graph_list(params, "named-graph-uri"),
        explicit[0] if explicit and explicit[0] else None,
        _timeout(timeout[0] if timeout else None, settings.query_timeout),
    )


def _read_post(args: MultiDict[str, str]) -> tuple[MultiDict[str, str], list[str]]:
    media_type = request.mimetype
    if media_type == FORM_CONTENT:
        form = request.form
        merged: MultiDict[str, str] = MultiDict(args)
        for key, value in form.items(multi=True):
            merged.add(key, value)
        return merged, merged.getlist("query")
    if media_type == QUERY_CONTENT:
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise CoopldError(
                f"a query body in {charset} cannot be read",
                hint="send application/sparql-query in UTF-8",
                status=415,
            )
        try:
            text = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError("the query body is not valid UTF-8") from None
        return args, [*args.getlist("query"), text]
    if media_type == UPDATE_CONTENT:
        raise ReadOnlyError(READ_ONLY)
    if not request.content_length and not media_type and "query" in args:
        return args, args.getlist("query")  # POST with the query in the URL (Blazegraph style)
    received = request.content_type or "no Content-Type"
    raise CoopldError(
        f"cannot read a POSTed query sent as {received}",
        hint=f"supported: {FORM_CONTENT}, {QUERY_CONTENT}",
        status=415,
    )


def _graph_list(params: MultiDict[str, str], name: str) -> tuple[str, ...] | None:
    values = params.getlist(name)
    if not values:
        return None
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError:
            raise BadRequestError(f"{name} {value!r} is not an absolute IRI") from None
    return tuple(values)


def _timeout(value: str | None, cap: float) -> float:
    if value is None or not value.strip():
        return cap
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise BadRequestError(
            f"timeout {value!r} is not a positive number of seconds",
            hint=f"at most {cap:g}, the limit of this endpoint",
        )
    return min(seconds, cap)


# -- negotiation ----------------------------------------------------------------------------
def _with_aliases(accept: str | None, aliases: dict[str, Format]) -> str | None:
    if not accept:
        return accept
    ranges = parse_accept(accept)
    named = {f"{r.type}/{r.subtype}" for r in ranges}
    extra = [
        f"{aliases[key].media_type};q={r.q}"
        for r in ranges
        if (key := f"{r.type}/{r.subtype}") in aliases and aliases[key].media_type not in named
    ]
    return ", ".join([accept, *extra]) if extra else accept


@lru_cache(maxsize=256)
def negotiate(form: str | None, accept: str | None, explicit: str | None) -> Format:
    """The answer's format: a valid ``format``/``output`` wins, else the Accept header."""
    graph = form in ("CONSTRUCT", "DESCRIBE")
    choices = GRAPH_CHOICES if graph else RESULT_CHOICES
    if explicit:
        name = explicit.strip().lower()
        name = GRAPH_NAME_ALIASES.get(name, name) if graph else name
        found = by_name(name, choices)
        if found is not None:
            return found
    return choose_format(_with_aliases(accept, GRAPH_ALIASES if graph else RESULT_ALIASES), choices)


# -- the view -------------------------------------------------------------------------------
@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    settings = get_settings()
    protocol = read_protocol_request(settings)
    g.sparql_protocol = protocol
    if protocol.query is None:
        if request.method == "POST":
            raise BadRequestError("no query in the request", hint="send a `query` parameter")
        return _service(protocol)
    return _answer(protocol, protocol.query, settings)


def _service(protocol: ProtocolRequest) -> Response:
    accept = request.environ.get("HTTP_ACCEPT")
    fmt = None
    if protocol.format:
        fmt = by_name(GRAPH_NAME_ALIASES.get(protocol.format, protocol.format), DESCRIPTION_CHOICES)
    fmt = fmt or choose_format(_with_aliases(accept, GRAPH_ALIASES), DESCRIPTION_CHOICES)
    if fmt is HTML:
        return render_query_page(get_engine(), base_map(), protocol=protocol)
    quads = service_description(get_engine(), base_map(), get_settings())
    rdf_format = ox.RdfFormat.from_media_type(fmt.media_type)
    assert rdf_format is not None
    prefixes = {"sd": str(SD), "void": str(VOID), "dct": str(DCTERMS), "rdfs": str(RDFS)}
    prefixes["xsd"] = str(XSD)
    prefixed = rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML)
    body = ox.serialize(quads, format=rdf_format, prefixes=prefixes if prefixed else None)
    response = Response(body, content_type=fmt.content_type)
    response.headers["Cache-Control"] = f"public, max-age={get_settings().cache_max_age}"
    return response


def check_query(analysis: QueryText, settings: Settings) -> None:
    if analysis.update_keyword:
        raise ReadOnlyError(f"{READ_ONLY} ({analysis.update_keyword} is an update operation)")
    if analysis.nesting > MAX_NESTING:
        raise BadRequestError(
            f"the query nests {analysis.nesting} levels deep; this endpoint accepts {MAX_NESTING}"
        )
    allowed = settings.allowed_services
    for service in analysis.services:
        if service is None or service not in allowed:
            what = f"<{service}>" if service else "a SERVICE whose endpoint is not a fixed IRI"
            raise ReadOnlyError(
                f"federated query to {what} is not allowed: this endpoint makes no outbound "
                "requests" + (f" except to {', '.join(allowed)}" if allowed else ""),
            )


def _answer(protocol: ProtocolRequest, text: str, settings: Settings) -> Response:
    basemap = base_map()
    endpoint_iri = basemap.canonical + "/sparql"
    analysis = analyse_query(text, endpoint_iri, basemap.public, basemap.canonical)
    check_query(analysis, settings)
    try:
        fmt = negotiate(analysis.form, request.environ.get("HTTP_ACCEPT"), protocol.format)
    except NotAcceptableError:
        if analysis.form is not None:
            raise
        fmt = SRJ  # unreadable: let the engine's parser say why (400)
    spec = query_spec(
        analysis,
        fmt,
        basemap,
        settings,
        _to_canonical(protocol.default_graphs, basemap),
        _to_canonical(protocol.named_graphs, basemap),
    )
    etag = query_etag(spec, fmt, get_dataset().version)
    # (the WSGI environ, not request.headers: a missing header costs werkzeug an exception)
    conditional = "HTTP_IF_NONE_MATCH" in request.environ and request.method in ("GET", "HEAD")
    if conditional and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag, weak=True)
        response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
        if fmt is not HTML:
            response.headers["Vary"] = ANSWER_VARY  # as the 200 would (RFC 9110 §15.4.5)
        return response
    engine = get_engine()
    try:
        result = engine.run(spec, protocol.timeout)
    except CoopldError as exc:
        if fmt is HTML:  # chosen by Accept or by format=html: the page, with the message
            return _error_page(exc)
        raise
    if fmt is HTML:
        response = render_query_page(engine, basemap, protocol=protocol, result=result)
    else:
        body, coding = coded_answer(result.body, request.environ.get("HTTP_ACCEPT_ENCODING"))
        response = Response(body, content_type=fmt.content_type)
        response.headers.update(coding)
        response.headers["Vary"] = ANSWER_VARY
    response.set_etag(etag, weak=True)
    g.sparql_truncated = result.truncated
    response.headers["Server-Timing"] = f"query;dur={result.seconds * 1000:.2f}"
    if request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
    return response


def query_spec(
    analysis: QueryText,
    fmt: Format,
    basemap: BaseMap,
    settings: Settings,
    default_graphs: tuple[str, ...] | None = None,
    named_graphs: tuple[str, ...] | None = None,
) -> QuerySpec:
    """What the engine evaluates for a read query answered in ``fmt``."""
    graph = analysis.form in ("CONSTRUCT", "DESCRIBE")
    engine_format = (NTRIPLES if graph else SRJ) if fmt is HTML else fmt
    return QuerySpec(
        text=analysis.text,
        format=engine_format.name,
        base_iri=basemap.canonical + "/sparql",
        max_rows=settings.max_rows,
        union_default_graph=not analysis.has_dataset_clause,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        canonical_base=basemap.canonical,
        public_base=basemap.public,
        prefixes=_output_prefixes(analysis, basemap) if graph else (),
    )


def _to_canonical(iris: tuple[str, ...] | None, basemap: BaseMap) -> tuple[str, ...] | None:
    return None if iris is None else tuple(basemap.to_canonical(iri) for iri in iris)


def _output_prefixes(analysis: QueryText, basemap: BaseMap) -> tuple[tuple[str, str], ...]:
    prefixes = dict(vocabulary_prefixes(basemap))
    for name, namespace in analysis.prefixes:
        prefixes[name] = basemap.to_public(namespace)
    return tuple(prefixes.items())


#: zlib level of an answer's gzip coding, made anew for each request: nginx's default, which
#: keeps most of the gain at a fraction of the cost of higher levels
ANSWER_GZIP_LEVEL = 1
#: what an answer (not the HTML page) depends on besides the request's target
ANSWER_VARY = "Accept, Accept-Encoding"


def coded_answer(body: bytes, accept_encoding: str | None) -> tuple[bytes, dict[str, str]]:
    """An answer's body as sent, gzip-coded when the client allows it, and the field that
    says so. Results and RDF are text and shrink several times. The weak entity tag is the
    same for both codings, which carry the same answer."""
    if len(body) >= MIN_GZIP_BYTES and accepts_gzip(accept_encoding):
        coded = gzip.compress(body, compresslevel=ANSWER_GZIP_LEVEL, mtime=0)
        return coded, {"Content-Encoding": "gzip"}
    return body, {}


def query_etag(spec: QuerySpec, fmt: Format, version: str) -> str:
    """A weak validator: the same dataset, request and representation give the same answer."""
    # the text last and as it is (a repr of it would cost a lookup more than the hash): no
    # field before it holds a NUL, so no two keys read the same
    fields = (
        version,
        fmt.name,
        spec.public_base,
        repr(spec.default_graphs),
        repr(spec.named_graphs),
    )
    key = "\0".join((*fields, spec.text)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(key, digest_size=16).hexdigest()


# -- what every /sparql response says ------------------------------------------------------------
def limit_headers(settings: Settings, timeout: float, truncated: bool) -> dict[str, str]:
    return {
        "X-Coopld-Truncated": "true" if truncated else "false",
        "X-Coopld-Row-Limit": str(settings.max_rows),
        "X-Coopld-Timeout": f"{timeout:g}",
    }


@bp.after_request
def limits(response: Response) -> Response:
    settings = get_settings()
    headers = response.headers
    protocol = g.get("sparql_protocol")
    timeout = protocol.timeout if protocol is not None else settings.query_timeout
    headers.update(limit_headers(settings, timeout, bool(g.get("sparql_truncated"))))
    vary = headers.getlist("Vary")  # getlist, not get: no exception when absent
    if not vary:
        headers["Vary"] = "Accept"
    elif "accept" not in {v.strip().lower() for value in vary for v in value.split(",")}:
        headers["Vary"] = ", ".join([*vary, "Accept"])
    return response


def _error_headers(exc: CoopldError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if isinstance(exc, QueryTimeoutError) or exc.status == 503:
        headers["Retry-After"] = str(max(1, round(get_settings().query_timeout)))
    if isinstance(exc, NotAcceptableError):
        headers["Vary"] = "Accept"
    return headers


def _error_page(exc: CoopldError) -> Response:
    """The query page again, the query kept in the editor, the message above it."""
    protocol = g.get("sparql_protocol")
    response = render_query_page(get_engine(), base_map(), protocol=protocol, error=exc)
    response.headers.update(_error_headers(exc))
    return response


@bp.errorhandler(CoopldError)
def sparql_error(exc: CoopldError) -> Response:
    if wants_html(request.environ.get("HTTP_ACCEPT")) and exc.status not in (406, 414, 415):
        return _error_page(exc)
    return error_response(exc.status, exc.message, exc.hint, _error_headers(exc))
