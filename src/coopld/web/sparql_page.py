"""What ``/sparql`` shows without a machine format: the HTML query page (editor, examples,
prefixes, results as a table, downloads, limits) and the SPARQL 1.1 Service Description."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from flask import Response, render_template, request, url_for

from ..config import Settings
from ..errors import CoopldError
from ..formats import DATASET_FORMATS, GRAPH_FORMATS, RESULT_FORMATS
from ..namespaces import DCTERMS, RDF, RDFS, SD, SH, VOID, XSD, Iris
from ..query import QueryEngine, QueryResult
from ..sparql_text import MAX_NESTING, resolve_iri, rewrite_iris
from . import get_settings
from .base import BaseMap

if TYPE_CHECKING:
    from .sparql import ProtocolRequest

__all__ = [
    "Example",
    "load_examples",
    "render_query_page",
    "service_description",
    "vocabulary_prefixes",
]

_GRAPH_LABELS = {
    "data": "the records: agreements, actions, actors, documents ...",
    "vocabulary": "the coop vocabulary (OWL)",
    "shapes": "the SHACL shapes the data conforms to",
    "metadata": "the dataset's own description (VoID, DCAT-AP)",
}
DEFAULT_GRAPH_TEXT = (
    "The default graph is the union of all the named graphs (data, vocabulary, shapes and "
    "metadata), unless the query (FROM, FROM NAMED) or the request (default-graph-uri, "
    "named-graph-uri) names graphs; a graph name that is not in the store is an empty graph."
)


# -- examples and prefixes ------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    name: str  # file name without .rq
    title: str
    description: str
    text: str  # as stored: vocabulary IRIs relative (resolved against the endpoint)


def load_examples() -> tuple[Example, ...]:
    """The documented example queries, ``coopld/queries/*.rq``, in file-name order."""
    return _examples()


@lru_cache(maxsize=1)
def _examples() -> tuple[Example, ...]:
    folder = resources.files("coopld").joinpath("queries")
    examples = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".rq"):
            continue
        text = entry.read_text(encoding="utf-8")
        header = dict(re.findall(r"^# (title|description): (.+)$", text, flags=re.MULTILINE))
        examples.append(
            Example(
                entry.name[:-3],
                header.get("title", entry.name),
                header.get("description", ""),
                text,
            )
        )
    return tuple(examples)


def absolute_example(example: Example, basemap: BaseMap) -> str:
    """The example as a client would copy it: relative IRIs resolved against the endpoint."""
    endpoint = basemap.public + "/sparql"
    return rewrite_iris(example.text, lambda iri: resolve_iri(endpoint, iri))


@lru_cache(maxsize=16)
def _canonical_prefixes(base: str) -> tuple[tuple[str, str], ...]:
    from rdflib import Graph

    from ..mapping import bind_prefixes

    graph = bind_prefixes(Graph(bind_namespaces="none"), Iris(base))
    prefixes = {name: str(namespace) for name, namespace in graph.namespaces()}
    prefixes.update({"rdf": str(RDF), "void": str(VOID), "sh": str(SH)})
    return tuple(prefixes.items())


@lru_cache(maxsize=64)
def vocabulary_prefixes(basemap: BaseMap) -> tuple[tuple[str, str], ...]:
    """The prefixes of the vocabulary and the vocabularies it reuses, under the public base."""
    return tuple((p, basemap.to_public(ns)) for p, ns in _canonical_prefixes(basemap.canonical))


# -- result tables ------------------------------------------------------------------------------------
def _compact(iri: str, prefixes: tuple[tuple[str, str], ...]) -> str:
    best = max((ns for _, ns in prefixes if iri.startswith(ns)), key=len, default="")
    if best:
        local = iri[len(best) :]
        if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", local or "_") and not local.endswith("."):
            name = next(p for p, ns in prefixes if ns == best)
            return f"{name}:{local}"
    return iri


def _iri_cell(iri: str, prefixes: tuple[tuple[str, str], ...], public: str) -> dict[str, Any]:
    local = iri == public or iri.startswith(public + "/")
    return {"kind": "iri", "text": _compact(iri, prefixes), "href": iri, "local": local}


def _json_cell(
    term: dict[str, str], prefixes: tuple[tuple[str, str], ...], public: str
) -> dict[str, Any]:
    kind = term.get("type")
    if kind == "uri":
        return _iri_cell(term["value"], prefixes, public)
    if kind == "bnode":
        return {"kind": "bnode", "text": f"_:{term['value']}"}
    if kind in ("literal", "typed-literal"):
        datatype = term.get("datatype")
        return {
            "kind": "literal",
            "text": term.get("value", ""),
            "lang": term.get("xml:lang"),
            "datatype": _compact(datatype, prefixes) if datatype else None,
        }
    return {"kind": "other", "text": json.dumps(term.get("value", term))}


def _term_cell(term: Any, prefixes: tuple[tuple[str, str], ...], public: str) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return _iri_cell(term.value, prefixes, public)
    if isinstance(term, ox.BlankNode):
        return {"kind": "bnode", "text": f"_:{term.value}"}
    if isinstance(term, ox.Literal):
        lang = term.language
        datatype = None if lang else _compact(term.datatype.value, prefixes)
        return {"kind": "literal", "text": term.value, "lang": lang, "datatype": datatype}
    return {"kind": "other", "text": str(term)}


def _table(
    result: QueryResult, prefixes: tuple[tuple[str, str], ...], public: str
) -> dict[str, Any]:
    rows: list[list[dict[str, Any] | None]]
    if result.kind == "graph":
        rows = [
            [_term_cell(t, prefixes, public) for t in (q.subject, q.predicate, q.object)]
            for q in ox.parse(result.body, ox.RdfFormat.N_TRIPLES)
        ]
        return {"vars": ["subject", "predicate", "object"], "rows": rows}
    data = json.loads(result.body)
    if "boolean" in data:
        return {"boolean": bool(data["boolean"])}
    names = data["head"].get("vars", [])
    rows = [
        [_json_cell(b[n], prefixes, public) if n in b else None for n in names]
        for b in data["results"]["bindings"]
    ]
    return {"vars": names, "rows": rows}


# -- the page ---------------------------------------------------------------------------------------------
def limits(settings: Settings) -> dict[str, Any]:
    return {
        "timeout": f"{settings.query_timeout:g}",
        "max_rows": settings.max_rows,
        "max_request_bytes": settings.max_request_bytes,
        "query_workers": settings.query_workers,
        "allowed_services": settings.allowed_services,
        "max_nesting": MAX_NESTING,
    }


def render_query_page(
    engine: QueryEngine,
    basemap: BaseMap,
    *,
    protocol: ProtocolRequest | None,
    result: QueryResult | None = None,
    error: CoopldError | None = None,
) -> Response:
    settings = get_settings()
    prefixes = vocabulary_prefixes(basemap)
    examples = [
        {
            "name": e.name,
            "title": e.title,
            "description": e.description,
            "text": absolute_example(e, basemap),
        }
        for e in load_examples()
    ]
    query = protocol.query if protocol and protocol.query is not None else None
    if query is None:
        query = request.values.get("query") or (examples[0]["text"] if examples else "")
    graphs: dict[str, Any] = {}
    if protocol is not None:
        graphs = {
            "default-graph-uri": list(protocol.default_graphs or ()),
            "named-graph-uri": list(protocol.named_graphs or ()),
        }
    downloads = []
    if result is not None:
        family = GRAPH_FORMATS + DATASET_FORMATS if result.kind == "graph" else RESULT_FORMATS
        for fmt in family:
            href = url_for("sparql.endpoint", query=query, format=fmt.name, **graphs)
            downloads.append({"label": fmt.label, "href": href, "file": f"results.{fmt.extension}"})
    html = render_template(
        "sparql.html",
        endpoint=basemap.public + "/sparql",
        query=query,
        examples=examples,
        prefixes=prefixes,
        limits=limits(settings),
        result=result,
        table=_table(result, prefixes, basemap.public) if result is not None else None,
        downloads=downloads,
        error=error,
        sizes=_named_graph_sizes(engine, basemap),
        default_graph_text=DEFAULT_GRAPH_TEXT,
        void_url=basemap.public + "/.well-known/void",
        catalog_url=basemap.public + "/catalog",
    )
    status = error.status if error is not None else 200
    return Response(html, status=status, content_type="text/html; charset=utf-8")


def _named_graph_sizes(engine: QueryEngine, basemap: BaseMap) -> list[dict[str, Any]]:
    sizes = engine.graph_sizes()
    rows = []
    for name, iri in _graph_iris(engine, basemap):
        rows.append(
            {
                "name": name,
                "iri": iri,
                "triples": sizes.get(basemap.to_canonical(iri), 0),
                "label": _GRAPH_LABELS.get(name, ""),
            }
        )
    return rows


def _graph_iris(engine: QueryEngine, basemap: BaseMap) -> list[tuple[str, str]]:
    """(short name, public IRI) of every named graph in the store, ours first."""
    iris = engine.dataset.iris
    ours = [(name, basemap.to_public(str(iris.graph(name)))) for name in _GRAPH_LABELS]
    known = {basemap.to_canonical(iri) for _, iri in ours}
    others = sorted(iri for iri in engine.graph_sizes() if iri not in known)
    return ours + [(iri, basemap.to_public(iri)) for iri in others]


# -- the service description ----------------------------------------------------------------------------
def service_description(engine: QueryEngine, basemap: BaseMap, settings: Settings) -> list[ox.Quad]:
    """SPARQL 1.1 Service Description of this endpoint, as it is reached by this request."""
    endpoint = basemap.public + "/sparql"
    node = ox.NamedNode
    service, dataset, default = (
        node(endpoint),
        node(endpoint + "#dataset"),
        node(endpoint + "#default-graph"),
    )
    a = node(str(RDF.type))
    quads: list[ox.Quad] = []

    def term(value: Any) -> Any:
        return (
            value
            if isinstance(value, ox.NamedNode | ox.BlankNode | ox.Literal)
            else node(str(value))
        )

    def add(s: ox.NamedNode | ox.BlankNode, p: Any, o: Any) -> None:
        quads.append(ox.Quad(s, term(p), term(o)))

    def text(value: str) -> ox.Literal:
        return ox.Literal(value, language="en")

    def count(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=node(str(XSD.integer)))

    add(service, a, SD.Service)
    add(service, SD.endpoint, service)
    add(service, SD.supportedLanguage, SD.SPARQL11Query)
    for fmt in RESULT_FORMATS:
        results_format = ox.QueryResultsFormat.from_media_type(fmt.media_type)
        assert results_format is not None
        add(service, SD.resultFormat, results_format.iri)
    for fmt in GRAPH_FORMATS + DATASET_FORMATS:
        rdf_format = ox.RdfFormat.from_media_type(fmt.media_type)
        assert rdf_format is not None
        add(service, SD.resultFormat, rdf_format.iri)
    add(service, SD.feature, SD.UnionDefaultGraph)
    if settings.allowed_services:
        add(service, SD.feature, SD.BasicFederatedQuery)
    add(service, DCTERMS.title, text(f"SPARQL endpoint of {settings.title}"))
    lim = limits(settings)
    add(
        service,
        RDFS.comment,
        text(
            "Read-only SPARQL 1.1 query service (updates are refused with 403). Limits: "
            f"{lim['timeout']} s per query (a `timeout` parameter may lower it; 503 with "
            f"Retry-After when reached); at most {lim['max_rows']} rows or triples per answer "
            "(headers X-Coopld-Row-Limit and X-Coopld-Truncated); requests up to "
            f"{lim['max_request_bytes']} bytes; no outbound requests"
            + (
                f" except SERVICE calls to {', '.join(lim['allowed_services'])}"
                if lim["allowed_services"]
                else ""
            )
            + "."
        ),
    )
    for see_also in (basemap.public + "/.well-known/void", basemap.public + "/catalog"):
        add(service, RDFS.seeAlso, see_also)
        add(dataset, RDFS.seeAlso, see_also)
    add(service, SD.defaultDataset, dataset)
    add(dataset, a, SD.Dataset)
    add(dataset, DCTERMS.title, text(settings.title))
    add(dataset, SD.defaultGraph, default)
    add(default, a, SD.Graph)
    add(default, DCTERMS.description, text(DEFAULT_GRAPH_TEXT))
    sizes = engine.graph_sizes()
    add(default, VOID.triples, count(sum(sizes.values())))
    for name, iri in _graph_iris(engine, basemap):
        named, graph = node(f"{endpoint}#graph-{_slug(name)}"), ox.BlankNode()
        add(dataset, SD.namedGraph, named)
        add(named, a, SD.NamedGraph)
        add(named, SD.name, iri)
        add(named, SD.graph, graph)
        add(graph, a, SD.Graph)
        add(graph, VOID.triples, count(sizes.get(basemap.to_canonical(iri), 0)))
        if name in _GRAPH_LABELS:
            add(graph, DCTERMS.description, text(_GRAPH_LABELS[name]))
    add(node(basemap.to_public(str(engine.dataset.iris.dataset))), VOID.sparqlEndpoint, service)
    order = {s: i for i, s in enumerate(dict.fromkeys(q.subject for q in quads))}
    return sorted(quads, key=lambda q: order[q.subject])  # one Turtle block per subject


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
