"""The vocabulary and the shapes on the web: ``/def/coop``, ``/def/coop-shapes``.

Both are hash namespaces (``{base}/def/coop#Agreement``): the fragment never reaches the
server, so the document at ``/def/coop`` answers for every term, with an anchor per term
in its HTML, and the whole graph in every RDF format by negotiation or extension.
``/def/coop/context.jsonld`` is the JSON-LD context every JSON-LD document refers to.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from ..errors import NotFoundError
from ..formats import HTML, JSONLD, NQUADS, NTRIPLES, RDFXML, TRIG, TURTLE, Format, by_extension
from ..namespaces import DCTERMS, OWL, RDF, RDFS, SH, SKOS, VANN
from .base import BaseMap, base_map, request_iri
from .labels import Labeler, Ref, Text
from .publisher import CONTEXT_PATH, Publisher, get_publisher
from .representation import Link, choose, explicit_format, link_header, send

__all__ = ["VOCABULARY_FORMATS", "bp"]

bp = Blueprint("vocabulary", __name__)

VOCABULARY_FORMATS = (TURTLE, JSONLD, NTRIPLES, RDFXML, HTML, TRIG, NQUADS)
#: document name under /def/ -> (named graph, template)
DOCUMENTS = {"coop": ("vocabulary", "vocabulary.html"), "coop-shapes": ("shapes", "shapes.html")}

_TYPE = str(RDF.type)
_KINDS = (
    (str(OWL.Class), "Classes", "class"),
    (str(OWL.ObjectProperty), "Object properties", "object property"),
    (str(OWL.DatatypeProperty), "Datatype properties", "datatype property"),
    (str(OWL.AnnotationProperty), "Annotation properties", "annotation property"),
    (str(RDF.Property), "Other properties", "property"),
)
_SHAPE_KINDS = (
    (str(SH.NodeShape), "Node shapes", "node shape"),
    (str(SH.PropertyShape), "Property shapes", "property shape"),
)
_SHOWN_APART = frozenset(
    {
        _TYPE,
        str(RDFS.label),
        str(SKOS.definition),
        str(RDFS.comment),
        str(RDFS.isDefinedBy),
        str(SH.message),
    }
)


@bp.get(CONTEXT_PATH)
def context() -> Response:
    """The curated JSON-LD context, generated from the vocabulary."""
    publisher, bm = get_publisher(), base_map()
    href = bm.href(publisher.base + CONTEXT_PATH)
    chosen = choose((JSONLD,), [(JSONLD, href)])
    if isinstance(chosen, Response):
        return chosen
    representation = publisher.representation(
        ("context", bm.public), lambda: publisher.context(bm).to_json() + b"\n"
    )
    return send(
        representation,
        JSONLD.content_type,
        last_modified=publisher.dataset.built,
        max_age=publisher.settings.cache_max_age,
        vary=["Accept"],
        headers={
            "Content-Location": href,
            "Link": link_header(
                [(bm.href(publisher.base + "/def/coop"), "describedby", None, None)]
            ),
        },
    )


@bp.get("/def/<path:name>")
def definitions(name: str) -> Response:
    publisher, bm = get_publisher(), base_map()
    requested = request_iri()[len(publisher.base) + len("/def/") :]
    stem, dot, extension = requested.rpartition(".")
    if requested in DOCUMENTS:
        stem, extension = requested, ""
    elif not dot or not extension or stem not in DOCUMENTS:
        raise NotFoundError(
            f"nothing known about <{bm.to_public(publisher.base + '/def/' + requested)}>"
        )
    graph, template = DOCUMENTS[stem]
    doc = bm.href(f"{publisher.base}/def/{stem}")
    variants = [(f, f"{doc}.{f.extension}") for f in VOCABULARY_FORMATS]
    if extension and by_extension(extension, VOCABULARY_FORMATS) is None:
        raise NotFoundError(
            f"there is no .{extension} variant of <{doc}>",
            hint="variants: " + ", ".join(uri for _, uri in variants),
        )
    explicit, is_extension = explicit_format(extension or None, VOCABULARY_FORMATS)
    chosen = choose(VOCABULARY_FORMATS, variants, explicit, extension=is_extension)
    if isinstance(chosen, Response):
        return chosen
    fmt: Format = chosen
    links: list[Link] = [
        (uri, "alternate", f.media_type, f.label) for f, uri in variants if f is not fmt
    ]
    links.append((doc, "canonical", None, None))
    headers = {"Link": link_header(links), "Content-Location": f"{doc}.{fmt.extension}"}
    lang = "en" if fmt is HTML else ""

    def build() -> bytes:
        quads = publisher.describer.graph_quads(graph)
        if fmt is HTML:
            page = _definitions_page(publisher, bm, quads, stem)
            html = render_template(
                template,
                page=page,
                doc=doc,
                formats=[(f, uri) for f, uri in variants if f is not HTML],
                canonical=f"{doc}.html",
                context_href=bm.href(publisher.base + CONTEXT_PATH),
                shapes_href=bm.href(publisher.base + "/def/coop-shapes"),
                vocabulary_href=bm.href(publisher.base + "/def/coop"),
            )
            return html.encode("utf-8")
        return publisher.rdf_bytes(fmt, bm, [q.triple for q in quads], quads)

    key = ("def", stem, fmt.name, lang, bm.public, request.script_root)
    return publisher.respond(
        key,
        fmt,
        build,
        negotiated=explicit is None,
        lang=lang,
        headers=headers,
        lang_negotiated=False,
    )


def _definitions_page(
    publisher: Publisher, bm: BaseMap, quads: list[ox.Quad], stem: str
) -> dict[str, Any]:
    """The ontology (or shapes graph) header and one entry per term (or shape)."""
    labeler = Labeler(publisher.describer, bm, "en", publisher.prefixes(bm), terms=True)
    index: dict[Any, list[ox.Triple]] = {}
    for quad in quads:
        index.setdefault(quad.subject, []).append(quad.triple)
    subject = ox.NamedNode(f"{publisher.base}/def/{stem}")
    own = index.get(subject, [])
    namespace = f"{publisher.base}/def/{stem}#"
    kinds = _KINDS if stem == "coop" else _SHAPE_KINDS
    sections = []
    for type_iri, heading, singular in kinds:
        members = sorted(
            (
                s
                for s, triples in index.items()
                if isinstance(s, ox.NamedNode)
                and s.value.startswith(namespace)
                and any(
                    t.predicate.value == _TYPE
                    and isinstance(t.object, ox.NamedNode)
                    and t.object.value == type_iri
                    for t in triples
                )
            ),
            key=lambda s: s.value,
        )
        entries = [_entry(s, index, labeler, singular, namespace) for s in members]
        if entries:
            sections.append(
                {"heading": heading, "id": heading.lower().replace(" ", "-"), "entries": entries}
            )
    return {
        "iri": bm.to_public(subject.value),
        "title": _first_text(own, str(DCTERMS.title)) or labeler.label(subject),
        "descriptions": _texts(own, str(DCTERMS.description)),
        "rows": labeler.rows(
            own, index, skip=frozenset({str(DCTERMS.title), str(DCTERMS.description)})
        ),
        "prefix": _first_text(own, str(VANN.preferredNamespacePrefix)),
        "namespace": bm.to_public(namespace),
        "sections": sections,
    }


def _entry(
    node: ox.NamedNode,
    index: dict[Any, list[ox.Triple]],
    labeler: Labeler,
    kind: str,
    namespace: str,
) -> dict[str, Any]:
    triples = index.get(node, [])
    inverse: dict[str, list[Ref]] = {}
    for predicate, heading in (
        (str(RDFS.subClassOf), "subclasses"),
        (str(RDFS.subPropertyOf), "subproperties"),
        (str(RDFS.domain), "domain of"),
        (str(RDFS.range), "range of"),
    ):
        refs = sorted(
            (
                labeler.ref(s)
                for s, ts in index.items()
                if isinstance(s, ox.NamedNode)
                and any(t.predicate.value == predicate and t.object == node for t in ts)
            ),
            key=lambda r: r.label.value.casefold(),
        )
        if refs:
            inverse[heading] = refs
    return {
        "id": node.value[len(namespace) :],
        "iri": labeler.bm.to_public(node.value),
        "label": labeler.label(node),
        "kind": kind,
        "definitions": _texts(triples, str(SKOS.definition)),
        "comments": _texts(triples, str(RDFS.comment)),
        "messages": _texts(triples, str(SH.message)),
        "rows": labeler.rows(triples, index, skip=_SHOWN_APART),
        "inverse": inverse,
    }


def _texts(triples: list[ox.Triple], predicate: str) -> list[Text]:
    return [
        Text(t.object.value, t.object.language or None)
        for t in triples
        if t.predicate.value == predicate and isinstance(t.object, ox.Literal)
    ]


def _first_text(triples: list[ox.Triple], predicate: str) -> Text | None:
    texts = _texts(triples, predicate)
    return texts[0] if texts else None
