"""The catalogue blueprint: how portals, crawlers and people find the dataset.

- ``/``: the landing page (HTML; an RDF client gets the VoID description instead);
- ``/catalog`` (and ``/catalog.ttl``...): the DCAT-AP catalogue, by content negotiation;
  ``?profile=dcat-ap-2.1.1`` gives the DCAT-AP 2.1.1 variant (docs/dcat-ap.md);
- ``/.well-known/void``: the VoID description (RFC 8615 well-known name, VoID §7.2);
- ``/dumps/<file>``: the files `coopld build` wrote, with ranges and validators;
- ``/sitemap.xml`` and ``/robots.txt`` for search engines.

Every IRI in a response is shown under the base the client used (``base_map``).
"""

from __future__ import annotations

import base64
import hashlib
import shlex
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from flask import Blueprint, Response, current_app, render_template, request, send_file, url_for
from rdflib import Graph, Literal, URIRef
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from ..catalogue import PROFILES
from ..errors import BadRequestError, NotFoundError
from ..formats import GRAPH_FORMATS, HTML, Format, by_media_type
from ..namespaces import DCTERMS, VOID
from . import get_dataset, get_settings
from .base import BaseMap, base_map
from .errors import error_response
from .negotiate import choose_format
from .overview import SITEMAP_LIMIT, Overview, get_overview
from .representation import Representation, link_header, make_etag, send

__all__ = ["bp"]

bp = Blueprint("catalog", __name__)

#: machines first: a harvester or curl that sends no (or a wildcard) Accept gets Turtle
DOCUMENT_FORMATS = (*GRAPH_FORMATS, HTML)
#: people first: ``/`` is the landing page; an RDF Accept gets the VoID description
HOME_FORMATS = (HTML, *GRAPH_FORMATS)
DEFAULT_PROFILE = "dcat-ap-3.0.1"
#: sitemaps.org: UTF-8 XML; robots.txt: RFC 9309 plain text (neither is an RDF format)
SITEMAP_TYPE = "application/xml; charset=utf-8"
ROBOTS_TYPE = "text/plain; charset=utf-8"


def _overview() -> Overview:
    return get_overview(current_app, get_dataset())


# -- RDF documents -----------------------------------------------------------------------------


#: properties whose literal values are IRIs of ours (the URI space, the identifier)
_IRI_LITERALS = frozenset({VOID.uriSpace, DCTERMS.identifier})


def _to_public(graph: Graph, bm: BaseMap) -> Graph:
    """The graph with every IRI under the canonical base shown under the public one."""
    if bm.identity:
        return graph
    out = Graph(bind_namespaces="none")
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, URIRef(bm.to_public(str(namespace))))

    def term(node: Any) -> Any:
        return URIRef(bm.to_public(str(node))) if isinstance(node, URIRef) else node

    for s, p, o in graph:
        if p in _IRI_LITERALS and isinstance(o, Literal):  # IRIs written as strings
            o = Literal(bm.to_public(str(o)), lang=o.language, datatype=o.datatype)
        out.add((term(s), term(p), term(o)))
    return out


def _serialize(graph: Graph, fmt: Format) -> bytes:
    if fmt.name == "ntriples":
        lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
        return ("\n".join(sorted(line for line in lines if line.strip())) + "\n").encode()
    if fmt.name == "jsonld":
        context = {prefix: str(ns) for prefix, ns in graph.namespaces()}
        return graph.serialize(format="json-ld", context=context, encoding="utf-8")
    return graph.serialize(format=fmt.rdflib or fmt.name, encoding="utf-8")


Links = list[tuple[str, str, str | None, str | None]]


def _respond(
    body: bytes,
    content_type: str,
    *parts: str,
    links: Links | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """200 (or 304) with a strong ETag of exactly these bytes, and ``Vary: Accept``."""
    tag = make_etag(*parts, content_type, hashlib.sha256(body).hexdigest())
    extra = dict(headers or {})
    if links:
        extra["Link"] = link_header(links)
    return send(
        Representation(body, tag),
        content_type,
        last_modified=get_dataset().built,
        max_age=get_settings().cache_max_age,
        vary=("Accept",),
        headers=extra,
    )


def _profile() -> str:
    token = request.args.get("profile")
    if token is None:
        return DEFAULT_PROFILE
    for name, iri in PROFILES.items():
        if token in (name, iri):
            return name
    raise BadRequestError(
        f"unknown profile {token!r}", hint="supported: " + ", ".join(PROFILES), status=400
    )


@bp.get("/catalog")
@bp.get("/catalog.<ext>")
def catalog(ext: str | None = None) -> Response:
    """The DCAT-AP catalogue: DCAT-AP 3.0.1, or 2.1.1 with ``?profile=dcat-ap-2.1.1``."""
    explicit = ext if ext is not None else request.args.get("format")
    fmt = choose_format(
        request.headers.get("Accept"),
        DOCUMENT_FORMATS,
        explicit=explicit,
        explicit_is_extension=ext is not None,
    )
    profile = _profile()
    overview, bm = _overview(), base_map()
    graph = overview.catalog(profile)
    path = url_for("catalog.catalog")
    query = "" if profile == DEFAULT_PROFILE else f"profile={quote(profile)}"
    links: Links = [
        (f"{path}.{f.extension}" + (f"?{query}" if query else ""), "alternate", f.media_type, None)
        for f in DOCUMENT_FORMATS
    ]
    links.append((PROFILES[profile], "profile", None, None))
    links.extend(
        (f"{path}?profile={quote(other)}", "alternate", None, other)
        for other in PROFILES
        if other != profile
    )
    headers = {"Content-Profile": f"<{PROFILES[profile]}>"}
    if fmt.name != HTML.name and ext is None:
        headers["Content-Location"] = f"{path}.{fmt.extension}" + (f"?{query}" if query else "")
    if fmt.name == HTML.name:
        body = render_template("catalog.html", **_page(overview, bm), profile=profile).encode(
            "utf-8"
        )
    else:
        body = _serialize(_to_public(graph, bm), fmt)
    return _respond(
        body, fmt.content_type, "catalog", profile, bm.public, links=links, headers=headers
    )


@bp.get("/.well-known/void")
def void() -> Response:
    """The VoID description of the dataset, computed from the data at build time."""
    fmt = choose_format(
        request.headers.get("Accept"), DOCUMENT_FORMATS, explicit=request.args.get("format")
    )
    return _void_response(fmt)


def _void_response(fmt: Format) -> Response:
    overview, bm = _overview(), base_map()
    path = url_for("catalog.void")
    links: Links = [
        (f"{path}?format={f.name}", "alternate", f.media_type, None) for f in DOCUMENT_FORMATS
    ]
    links.append((url_for("catalog.catalog"), "related", None, "DCAT-AP catalogue"))
    if fmt.name == HTML.name:
        body = render_template("catalog_void.html", **_page(overview, bm)).encode("utf-8")
    else:
        body = _serialize(_to_public(overview.void(), bm), fmt)
    return _respond(body, fmt.content_type, "void", bm.public, links=links)


@bp.get("/")
def home() -> Response:
    """The landing page; clients asking for RDF get the VoID description."""
    fmt = choose_format(request.headers.get("Accept"), HOME_FORMATS)
    if fmt.name != HTML.name:
        return _void_response(fmt)
    overview, bm = _overview(), base_map()
    page = _page(overview, bm)
    body = render_template(
        "home.html",
        **page,
        schema_org=_schema_org(overview, bm, page),
        curl=_curl_lines(overview, bm),
    ).encode("utf-8")
    links: Links = [
        (url_for("catalog.void"), "describedby", "text/turtle", "VoID"),
        (url_for("catalog.catalog"), "describedby", "text/turtle", "DCAT-AP catalogue"),
    ]
    return _respond(body, HTML.content_type, "home", bm.public, links=links)


# -- what the pages show -----------------------------------------------------------------------


def _page(overview: Overview, bm: BaseMap) -> dict[str, Any]:
    """Template values shared by the three pages (every IRI already made public)."""
    facts = overview.describe()
    dumps = overview.dumps()
    for dump in dumps:
        dump["href"] = url_for("catalog.dump", name=dump["name"])
    return {
        "facts": facts,
        "dumps": dumps,
        "counts": overview.manifest["counts"],
        "built": overview.manifest["built"],
        "triples": overview.statistic(VOID.triples),
        "entities": overview.statistic(VOID.entities),
        "subjects": overview.statistic(VOID.distinctSubjects),
        "objects": overview.statistic(VOID.distinctObjects),
        "classes": overview.class_partitions(),
        "properties": overview.property_partitions(),
        "linksets": overview.linksets(),
        "examples": [dict(e, href=bm.href(e["iri"])) for e in overview.examples()],
        "queries": _example_queries(bm),
        "dataset_iri": bm.to_public(str(overview.iris.dataset)),
        "dataset_href": bm.href(str(overview.iris.dataset)),
        "sparql_href": url_for("sparql.endpoint"),
        "public": bm.public,
        "graph_formats": GRAPH_FORMATS,
        "href": bm.href,
        "public_iri": bm.to_public,
        "local": bm.is_local,
    }


def _example_queries(bm: BaseMap) -> list[dict[str, str]]:
    """The SPARQL endpoint's documented examples, each a link that runs it."""
    from .sparql_page import absolute_example, load_examples

    return [
        {
            "title": example.title,
            "description": example.description,
            "href": url_for("sparql.endpoint", query=absolute_example(example, bm)),
        }
        for example in load_examples()
    ]


def _schema_org(overview: Overview, bm: BaseMap, page: dict[str, Any]) -> dict[str, Any]:
    """schema.org Dataset (as Google Dataset Search reads it), embedded in the landing page."""
    facts = page["facts"]
    publisher: dict[str, Any] = {"@type": "Organization", "name": facts["publisher"]["name"]}
    if not bm.is_local(facts["publisher"]["iri"]):
        publisher["@id"] = facts["publisher"]["iri"]
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": page["dataset_iri"],
        "name": facts["title"],
        "description": facts["description"],
        "url": bm.public + "/",
        "identifier": page["dataset_iri"],
        "license": facts["license"],
        "isAccessibleForFree": True,
        "keywords": facts["keywords"],
        "creator": publisher,
        "publisher": publisher,
        "datePublished": facts["issued"],
        "dateModified": facts["modified"],
        "version": facts["version"],
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": facts["catalog_title"],
            "url": bm.public + "/catalog",
        },
        "distribution": [
            {
                "@type": "DataDownload",
                "name": dump["title"],
                "encodingFormat": dump["media_type"],
                "contentUrl": bm.href(dump["url"]),
                "contentSize": f"{dump['bytes']} B",
            }
            for dump in page["dumps"]
        ],
        "spatialCoverage": [
            {"@type": "Place", "name": name, "sameAs": iri} for name, iri in facts["places"]
        ],
    }
    if facts["start"] or facts["end"]:
        data["temporalCoverage"] = f"{facts['start'] or '..'}/{facts['end'] or '..'}"
    if facts["contact"]["email"] or facts["contact"]["url"]:
        contact = {"@type": "ContactPoint", "contactType": "data publisher"}
        if facts["contact"]["email"]:
            contact["email"] = facts["contact"]["email"]
        if facts["contact"]["url"]:
            contact["url"] = bm.to_public(facts["contact"]["url"])
        publisher["contactPoint"] = contact
    return data


def _curl_lines(overview: Overview, bm: BaseMap) -> dict[str, str]:
    """Copy-paste commands; every URL is shell-quoted (the host comes from the request)."""
    q = shlex.quote
    example = overview.examples()[0]["iri"] if overview.examples() else str(overview.iris.dataset)
    query = (
        "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)"
    )
    return {
        "thing": f"curl -L -H 'Accept: text/turtle' {q(bm.href(example))}",
        "sparql": (
            f"curl -H 'Accept: text/csv' --data-urlencode {q('query=' + query)} "
            f"{q(bm.public + '/sparql')}"
        ),
        "catalog": f"curl -H 'Accept: text/turtle' {q(bm.public + '/catalog')}",
        "void": f"curl -H 'Accept: text/turtle' {q(bm.public + '/.well-known/void')}",
        "dump": (f"curl -O {q(bm.public + '/dumps/coopld.nt.gz')} && sha256sum coopld.nt.gz"),
    }


# -- dumps, sitemap, robots.txt ----------------------------------------------------------------


@bp.get("/dumps/<name>")
def dump(name: str) -> Response:
    """A dump file, byte for byte as the build wrote it (and checksummed it).

    ``coopld.nt.gz`` is ``application/gzip`` (RFC 6713) with no Content-Encoding: the
    gzip file is the resource. Labelled as N-Triples with ``Content-Encoding: gzip``,
    user agents would decode it in transit and save plain N-Triples under a .gz name,
    whose checksum then matches nothing the catalogue publishes (RFC 9110 §8.4).
    """
    dataset = get_dataset()
    entry = dataset.manifest["files"].get(name)
    if entry is None or dataset.folder is None:
        raise NotFoundError(
            f"no dump named {name!r}", hint="see /catalog for the list of dumps", status=404
        )
    fmt = by_media_type(entry["media_type"])
    try:
        response = send_file(
            dataset.file(name),
            mimetype=entry["media_type"],
            as_attachment=True,
            download_name=name,
            conditional=True,
            etag=str(entry["sha256"]),
            last_modified=dataset.built,
            max_age=get_settings().cache_max_age,
        )
    except RequestedRangeNotSatisfiable:
        # RFC 9110 §15.5.17: say how long the file is, so the client can ask again
        return error_response(
            416,
            f"the range asked for is not within {name} ({entry['bytes']} bytes)",
            headers={"Content-Range": f"bytes */{entry['bytes']}", "Accept-Ranges": "bytes"},
        )
    if fmt is not None:
        response.headers["Content-Type"] = fmt.content_type
    digest = base64.b64encode(bytes.fromhex(entry["sha256"])).decode("ascii")
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"  # RFC 9530, of the whole file
    response.headers["Link"] = link_header(
        [(url_for("catalog.catalog"), "describedby", "text/turtle", None)]
    )
    return response


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every resource page, the landing page and the catalogue (sitemaps.org 0.9)."""
    urls = _sitemap_urls()
    if len(urls) <= SITEMAP_LIMIT:
        return _xml(_urlset(urls))
    pages = (len(urls) + SITEMAP_LIMIT - 1) // SITEMAP_LIMIT
    bm, built = base_map(), get_dataset().manifest["built"]
    entries = "".join(
        f"<sitemap><loc>{escape(bm.public)}/sitemap-{n}.xml</loc>"
        f"<lastmod>{escape(built)}</lastmod></sitemap>\n"
        for n in range(1, pages + 1)
    )
    return _xml(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</sitemapindex>\n"
    )


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int) -> Response:
    urls = _sitemap_urls()
    chunk = urls[(number - 1) * SITEMAP_LIMIT : number * SITEMAP_LIMIT]
    if number < 1 or not chunk or len(urls) <= SITEMAP_LIMIT:
        raise NotFoundError(f"no sitemap part {number}", status=404)
    return _xml(_urlset(chunk))


def _sitemap_urls() -> list[str]:
    overview, bm = _overview(), base_map()
    doc = f"{overview.iris.base}/doc/"
    space = f"{overview.iris.base}/id/"
    pages = [bm.href(doc + iri[len(space) :]) for iri in overview.pages()]
    return [bm.public + "/", bm.public + "/catalog", *pages]


def _urlset(urls: list[str]) -> str:
    built = get_dataset().manifest["built"]
    entries = "".join(
        f"<url><loc>{escape(url)}</loc><lastmod>{escape(built)}</lastmod></url>\n" for url in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    )


def _xml(text: str) -> Response:
    return _respond(text.encode("utf-8"), SITEMAP_TYPE, "sitemap", base_map().public)


@bp.get("/robots.txt")
def robots() -> Response:
    """Crawl the pages; leave SPARQL queries and the (large) dumps alone."""
    bm = base_map()
    root = request.script_root
    text = (
        "User-agent: *\n"
        f"Disallow: {root}/sparql?\n"
        f"Disallow: {root}/dumps/\n"
        f"Allow: {root}/\n"
        "\n"
        f"Sitemap: {bm.public}/sitemap.xml\n"
    )
    return _respond(text.encode("utf-8"), ROBOTS_TYPE, "robots", bm.public)
