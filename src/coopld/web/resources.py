"""Dereferenceable things (W3C "Cool URIs for the Semantic Web", 303 pattern).

``/id/{kind}/{key}`` names a thing: it answers 303 See Other to the document about it,
``/doc/{kind}/{key}``, which answers 200 in the negotiated format, or in the one its
extension (``.ttl``, ``.jsonld``...) or ``?format=`` names. ``/doc/{kind}/`` lists a
kind, ``/doc/{kind}/{key}/inbound`` pages through everything that points at a thing.
Every response says what it varies on, where its variants are (``Link``,
``Content-Location``) and how to revalidate it (``ETag``, ``Last-Modified``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request
from flask.blueprints import BlueprintSetupState

from ..describe import RDF_TYPE, RDFS_LABEL, Description
from ..errors import BadRequestError, NotFoundError
from ..formats import (
    HTML,
    JSONLD,
    NQUADS,
    NTRIPLES,
    RDFXML,
    TRIG,
    TURTLE,
    Format,
    by_extension,
)
from ..namespaces import FOAF, KINDS, VOID
from .base import BaseMap, base_map, request_iri
from .cache import ResponseCache, mark_cacheable
from .labels import Labeler
from .negotiate import choose_language
from .pages import KIND_TITLES, inbound_rows, resource_page, schema_org
from .publisher import Publisher, get_publisher
from .representation import Link, choose, explicit_format, link_header
from .vocabulary import bp as vocabulary_bp

__all__ = ["DOC_FORMATS", "LIST_FORMATS", "bp"]

bp = Blueprint("resources", __name__)
bp.register_blueprint(vocabulary_bp)

#: a thing's document, in preference order: Turtle for machines that accept anything
DOC_FORMATS = (TURTLE, JSONLD, NTRIPLES, RDFXML, HTML, TRIG, NQUADS)
#: lists (a kind, the inbound links of a thing)
LIST_FORMATS = (TURTLE, JSONLD, NTRIPLES, RDFXML, HTML)
PAGE_SIZE = 100

_FOAF_DOCUMENT = ox.NamedNode(str(FOAF.Document))
_FOAF_TOPIC = ox.NamedNode(str(FOAF.topic))
_IN_DATASET = ox.NamedNode(str(VOID.inDataset))


@bp.app_context_processor
def _kind_titles() -> dict[str, Any]:
    return {"kind_titles": KIND_TITLES}


@bp.record_once
def _install_response_cache(state: BlueprintSetupState) -> None:
    from .fastpath import DocumentFastPath

    app: Any = state.app
    # documents from the build's store skip Flask; the cache replays both
    app.wsgi_app = ResponseCache(DocumentFastPath(app.wsgi_app, app))


# -- helpers ----------------------------------------------------------------------------------


def _not_found(what: str, hint: str | None = None) -> NotFoundError:
    return NotFoundError(f"nothing known about <{what}>", hint=hint)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequestError(f"page {raw!r} is not a page number", hint="pages count from 1")
    return int(raw)


def _language(fmt: Format, publisher: Publisher) -> str:
    if fmt is not HTML:
        return ""
    languages = publisher.describer.languages()
    return choose_language(request.headers.get("Accept-Language"), languages, "en")


# -- things: 303 ------------------------------------------------------------------------------


@bp.get("/id/")
@bp.get("/id/<kind>/")
def thing_index(kind: str | None = None) -> Response:
    """``/id/`` and ``/id/{kind}/`` are not things: see the lists at ``/doc/...``."""
    bm = base_map()
    path = "/doc/" + (f"{kind}/" if kind else "")
    query = request.query_string.decode("latin-1")
    return _see_other(bm.href(bm.canonical + path) + (f"?{query}" if query else ""), None)


@bp.get("/id/<kind>/<path:rest>")
def thing(kind: str, rest: str) -> Response:
    publisher, bm = get_publisher(), base_map()
    iri = request_iri()
    if not publisher.describer.exists(iri):
        raise _not_found(bm.to_public(iri))
    document = bm.href(publisher.document_of(iri))
    variants = [(f, f"{document}.{f.extension}") for f in DOC_FORMATS]
    explicit = request.args.get("format")
    chosen = choose(DOC_FORMATS, variants, explicit)
    if isinstance(chosen, Response):
        return chosen
    location = f"{document}.{chosen.extension}" if explicit else document
    return _see_other(location, document)


def _see_other(location: str, described_by: str | None) -> Response:
    response = Response(f"303 See Other: {location}\n", status=303, mimetype="text/plain")
    response.headers["Location"] = location
    response.headers["Vary"] = "Accept"
    if described_by:
        response.headers["Link"] = link_header([(described_by, "describedby", None, None)])
    response.headers["Cache-Control"] = f"public, max-age={get_publisher().settings.cache_max_age}"
    mark_cacheable(request.environ)
    return response


# -- documents --------------------------------------------------------------------------------


@bp.get("/doc/<kind>/<path:rest>")
def document(kind: str, rest: str) -> Response:
    publisher, bm = get_publisher(), base_map()
    describer = publisher.describer
    base = publisher.base
    requested = request_iri()
    thing_iri = base + "/id/" + requested[len(base) + len("/doc/") :]
    extension: str | None = None
    if not describer.exists(thing_iri):  # else the generic document (a key may hold a dot)
        owner = thing_iri.removesuffix("/inbound")
        if owner != thing_iri and describer.exists(owner):
            return _inbound_view(publisher, bm, owner)
        stem, dot, ext = thing_iri.rpartition(".")
        if not (dot and "/" not in ext and describer.exists(stem)):
            raise _not_found(bm.to_public(thing_iri))
        thing_iri, extension = stem, ext
    doc = bm.href(publisher.document_of(thing_iri))
    variants = [(f, f"{doc}.{f.extension}") for f in DOC_FORMATS]
    if extension is not None and by_extension(extension, DOC_FORMATS) is None:
        raise NotFoundError(
            f"there is no .{extension} variant of <{doc}>",
            hint="variants: " + ", ".join(uri for _, uri in variants),
        )
    explicit, is_extension = explicit_format(extension, DOC_FORMATS)
    chosen = choose(DOC_FORMATS, variants, explicit, extension=is_extension)
    if isinstance(chosen, Response):
        return chosen
    fmt = chosen
    lang = _language(fmt, publisher)
    headers = document_headers(publisher, bm, thing_iri, fmt)
    key = document_key(thing_iri, fmt, lang, bm, request.script_root)

    def build() -> bytes:
        if fmt is HTML:
            description = publisher.description(thing_iri)
            return _document_html(publisher, bm, description, lang, kind, variants)
        return publisher.document_bytes(thing_iri, fmt, bm)

    return publisher.respond(
        key, fmt, build, negotiated=explicit is None, lang=lang, headers=headers
    )


def document_key(
    thing_iri: str, fmt: Format, lang: str, bm: BaseMap, script_root: str
) -> tuple[str, ...]:
    """What a document representation (its bytes, its ETag) depends on."""
    return ("doc", thing_iri, fmt.name, lang, bm.public, script_root)


def document_headers(
    publisher: Publisher, bm: BaseMap, thing_iri: str, fmt: Format
) -> dict[str, str]:
    """``Link`` (every other variant, canonical, the thing, the licence) and
    ``Content-Location`` of ``thing_iri``'s document in ``fmt``."""
    doc = bm.href(publisher.document_of(thing_iri))
    links: list[Link] = [
        (f"{doc}.{f.extension}", "alternate", f.media_type, f.label)
        for f in DOC_FORMATS
        if f is not fmt
    ]
    links += [(doc, "canonical", None, None), (bm.href(thing_iri), "describes", None, None)]
    if publisher.describer.license is not None:
        links.append((bm.href(publisher.describer.license.value), "license", None, None))
    return {"Link": link_header(links), "Content-Location": f"{doc}.{fmt.extension}"}


def _document_html(
    publisher: Publisher,
    bm: BaseMap,
    description: Description,
    lang: str,
    kind: str,
    variants: list[tuple[Format, str]],
) -> bytes:
    labeler = Labeler(publisher.describer, bm, lang)
    matrix = publisher.describer.matrix(description.topic) if kind == "agreement" else None
    page = resource_page(description, labeler, matrix)
    doc = bm.href(description.document.value)
    homepage = next(
        (
            t.object.value
            for t in description.triples()
            if t.subject == description.topic
            and t.predicate.value == str(FOAF.homepage)
            and isinstance(t.object, ox.NamedNode)
        ),
        None,
    )
    html = render_template(
        "resource.html",
        page=page,
        kind=kind,
        doc=doc,
        formats=[(f, uri) for f, uri in variants if f is not HTML],
        alternates=[(f, uri) for f, uri in variants if f is not HTML],
        canonical=f"{doc}.html",
        schema_json=schema_org(page, kind, doc, homepage),
        inbound_total=(
            description.inbound_total
            if description.inbound_total is not None
            else publisher.describer.count_inbound(description.topic.value)
        ),
        inbound_shown=description.inbound_shown,
        inbound_href=f"{doc}/inbound" if description.truncated else None,
        license=labeler.ref(publisher.describer.license) if publisher.describer.license else None,
        dataset=labeler.ref(ox.NamedNode(str(publisher.dataset.iris.dataset))),
        built=publisher.dataset.built,
    )
    return html.encode("utf-8")


# -- lists ------------------------------------------------------------------------------------


@dataclass
class _Listing:
    """One page of a list: what it is about, what it shows, how the HTML names it."""

    key: tuple[str, ...]
    page_iri: str  # canonical
    topics: list[ox.NamedNode]  # ``<page> foaf:topic <topic>``, with their labels and types
    triples: list[ox.Triple]  # anything else the page holds
    page: int
    pages: int
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def _list_response(publisher: Publisher, bm: BaseMap, listing: _Listing) -> Response:
    """A paged list in HTML or RDF, with first/prev/next/last links."""
    here = bm.href(listing.page_iri.split("?", 1)[0])
    page, pages = listing.page, listing.pages

    def at(number: int, fmt: Format | None = None) -> str:
        query = [f"page={number}"] if number > 1 else []
        if fmt is not None:
            query.append(f"format={fmt.name}")
        return here + ("?" + "&".join(query) if query else "")

    variants = [(f, at(page, f)) for f in LIST_FORMATS]
    explicit = request.args.get("format")
    chosen = choose(LIST_FORMATS, variants, explicit)
    if isinstance(chosen, Response):
        return chosen
    fmt = chosen
    lang = _language(fmt, publisher)
    links: list[Link] = [
        (uri, "alternate", f.media_type, f.label) for f, uri in variants if f is not fmt
    ]
    links += [(at(1), "first", None, None), (at(pages), "last", None, None)]
    if page > 1:
        links.append((at(page - 1), "prev", None, None))
    if page < pages:
        links.append((at(page + 1), "next", None, None))
    headers = {"Link": link_header(links), "Content-Location": at(page, fmt)}

    def build() -> bytes:
        if fmt is HTML:
            labeler = Labeler(publisher.describer, bm, lang)
            html = render_template(
                listing.template,
                items=[labeler.ref(t) for t in listing.topics],
                page=page,
                pages=pages,
                at=at,
                formats=[(f, at(page, f)) for f in LIST_FORMATS if f is not HTML],
                labeler=labeler,
                **listing.context,
            )
            return html.encode("utf-8")
        return publisher.rdf_bytes(fmt, bm, _list_triples(publisher, listing))

    key = (*listing.key, str(page), fmt.name, lang, bm.public, request.script_root)
    negotiated = explicit is None
    return publisher.respond(key, fmt, build, negotiated=negotiated, lang=lang, headers=headers)


def _list_triples(publisher: Publisher, listing: _Listing) -> list[ox.Triple]:
    page = ox.NamedNode(listing.page_iri)
    dataset = ox.NamedNode(str(publisher.dataset.iris.dataset))
    triples = [ox.Triple(page, RDF_TYPE, _FOAF_DOCUMENT), ox.Triple(page, _IN_DATASET, dataset)]
    triples += [ox.Triple(page, _FOAF_TOPIC, t) for t in listing.topics]
    triples += listing.triples
    store = publisher.dataset.store
    for topic in listing.topics:
        for predicate in (RDFS_LABEL, RDF_TYPE):
            triples += [q.triple for q in store.quads_for_pattern(topic, predicate, None, None)]
    return list(dict.fromkeys(triples))


@bp.get("/doc/")
def kinds() -> Response:
    """The kinds of thing, with how many of each: where browsing starts."""
    publisher, bm = get_publisher(), base_map()
    counts = [(k, len(publisher.describer.members(k))) for k in KINDS]
    fmt = choose((HTML,), [(HTML, bm.href(bm.canonical + "/doc/"))])
    if isinstance(fmt, Response):
        return fmt

    def build() -> bytes:
        return render_template("resource_kinds.html", counts=counts).encode("utf-8")

    key = ("kinds", bm.public, request.script_root)
    return publisher.respond(
        key, HTML, build, negotiated=True, lang="en", headers={}, lang_negotiated=False
    )


@bp.get("/doc/<kind>/")
def kind_index(kind: str) -> Response:
    publisher, bm = get_publisher(), base_map()
    if kind not in KINDS:
        raise _not_found(
            bm.to_public(f"{publisher.base}/id/{kind}/"), hint=f"kinds: {', '.join(KINDS)}"
        )
    members = publisher.sorted_members(kind)
    page = _page_number()
    pages = max(1, ceil(len(members) / PAGE_SIZE))
    if page > pages:
        raise NotFoundError(f"page {page} of {kind} does not exist", hint=f"pages 1 to {pages}")
    listing = _Listing(
        key=("index", kind),
        page_iri=f"{publisher.base}/doc/{kind}/" + (f"?page={page}" if page > 1 else ""),
        topics=members[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        triples=[],
        page=page,
        pages=pages,
        template="resource_index.html",
        context={"kind": kind, "total": len(members)},
    )
    return _list_response(publisher, bm, listing)


def _inbound_view(publisher: Publisher, bm: BaseMap, thing_iri: str) -> Response:
    """``/doc/{kind}/{key}/inbound``: every triple that points at a thing, a page at a time."""
    page = _page_number()
    quads, total = publisher.describer.inbound_page(thing_iri, page, PAGE_SIZE)
    pages = max(1, ceil(total / PAGE_SIZE))
    if page > pages:
        raise NotFoundError(
            f"page {page} of the links to <{bm.to_public(thing_iri)}> does not exist",
            hint=f"pages 1 to {pages}",
        )
    doc = publisher.document_of(thing_iri)
    page_iri = f"{doc}/inbound" + (f"?page={page}" if page > 1 else "")
    topic = ox.NamedNode(thing_iri)
    body = [q.triple for q in quads]
    view = Description(topic, ox.NamedNode(page_iri), tuple(quads), ())
    index: dict[Any, list[ox.Triple]] = {}
    for triple in body:
        index.setdefault(triple.subject, []).append(triple)
    listing = _Listing(
        key=("inbound", thing_iri),
        page_iri=page_iri,
        topics=[topic],
        triples=body,
        page=page,
        pages=pages,
        template="resource_inbound.html",
        context={
            "thing": bm.href(doc),
            "topic": topic,
            "total": total,
            "rows_for": lambda labeler: inbound_rows(view, body, index, labeler),
        },
    )
    return _list_response(publisher, bm, listing)
