"""The catalogue's own IRIs, and the documents served from the metadata graph.

``Places`` names the resources the catalogue mints (under ``{base}/catalog#…`` and
``{base}/.well-known/void#…``). ``catalog_graph`` and ``void_graph`` split the metadata named
graph (written by ``metadata.describe_dataset``) into the DCAT-AP catalogue, in one of two
profiles, and the VoID description. Sizes and checksums come from the build manifest, which
knows every file, including the TriG and N-Quads dumps that contain the metadata graph and so
cannot be described inside it. No Flask here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from .formats import DATASET_FORMATS, GRAPH_FORMATS, Format
from .namespaces import (
    ADMS,
    DCAT,
    DCATAP,
    DCTERMS,
    FOAF,
    OWL,
    RDF,
    RDFS,
    SKOS,
    VCARD,
    VOID,
    XSD,
    Iris,
)

__all__ = [
    "PREFIXES",
    "PROFILES",
    "SPDX",
    "Places",
    "add_file_facts",
    "catalog_graph",
    "dump_files",
    "dumps",
    "file_sha1",
    "new_graph",
    "void_graph",
]

SPDX = Namespace("http://spdx.org/rdf/terms#")
GZIP_NAME = "nt.gz"

#: the DCAT-AP releases the catalogue is served in (profile token -> profile IRI)
PROFILES = {
    "dcat-ap-3.0.1": "https://semiceu.github.io/DCAT-AP/releases/3.0.1/",
    "dcat-ap-2.1.1": "https://github.com/SEMICeu/DCAT-AP/tree/master/releases/2.1.1",
}

#: the prefixes of every metadata document (and only these: JSON-LD contexts stay short)
PREFIXES = {
    "dcat": DCAT,
    "dct": DCTERMS,
    "dcatap": DCATAP,
    "adms": ADMS,
    "foaf": FOAF,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "skos": SKOS,
    "spdx": SPDX,
    "vcard": VCARD,
    "void": VOID,
    "xsd": XSD,
}


def new_graph(iris: Iris) -> Graph:
    """An empty graph with the metadata prefixes (and ``coop``) bound, nothing else."""
    graph = Graph(bind_namespaces="none")
    graph.bind("coop", iris.coop)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def dump_name(extension: str) -> str:
    from .build import DUMP_NAME

    return f"{DUMP_NAME}.{extension}"


class Places:
    """The IRIs of the catalogue's own resources, under one deployment's base."""

    def __init__(self, iris: Iris) -> None:
        self.iris = iris
        self.catalog = URIRef(f"{iris.base}/catalog")
        self.void = URIRef(f"{iris.base}/.well-known/void")
        self.landing = URIRef(f"{iris.base}/")
        self.sparql = URIRef(f"{iris.base}/sparql")
        self.service = self.part("sparql-service")
        self.publisher = self.part("publisher")
        self.contact = self.part("contact")
        self.access_rights = self.part("access-rights")
        self.temporal = self.part("temporal-coverage")

    def part(self, name: str) -> URIRef:
        return URIRef(f"{self.catalog}#{name}")

    def distribution(self, file_name: str) -> URIRef:
        return self.part("dump-" + file_name.split(".", 1)[1].replace(".", "-"))

    def checksum(self, file_name: str, algorithm: str) -> URIRef:
        return URIRef(f"{self.distribution(file_name)}-{algorithm}")

    def download(self, file_name: str) -> URIRef:
        return URIRef(f"{self.iris.base}/dumps/{file_name}")

    def linkset(self, slug: str) -> URIRef:
        return URIRef(f"{self.void}#links-{slug}")


def dump_files() -> list[str]:
    """The dump file names, in the order the catalogue lists them."""
    return [name for name, _ in dumps()]


def dumps() -> list[tuple[str, Format | None]]:
    """Every dump file `coopld build` writes, with its format (None for the gzip file)."""
    files: list[tuple[str, Format | None]] = [(dump_name(f.extension), f) for f in GRAPH_FORMATS]
    files.append((dump_name(GZIP_NAME), None))
    files.extend((dump_name(f.extension), f) for f in DATASET_FORMATS)
    return files


def add_file_facts(graph: Graph, at: Places, name: str, size: int, sha256: str) -> None:
    """Size and SHA-256 checksum of one dump, as DCAT-AP 3 wants them."""
    node = at.distribution(name)
    graph.add((node, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
    checksum = at.checksum(name, "sha256")
    graph.add((node, SPDX.checksum, checksum))
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    graph.add((checksum, SPDX.checksumValue, Literal(sha256, datatype=XSD.hexBinary)))


# -- the served documents ------------------------------------------------------------------


def _closure(graph: Graph, roots: set[Node], through: set[URIRef]) -> set[Node]:
    """Nodes reachable from ``roots`` through ``through`` predicates."""
    seen, todo = set(roots), list(roots)
    while todo:
        node = todo.pop()
        for p, o in graph.predicate_objects(node):
            if p in through and o not in seen and isinstance(o, (URIRef, BNode)):
                seen.add(o)
                todo.append(o)
    return seen


_VOID_LINKS = {VOID.classPartition, VOID.propertyPartition, VOID.subset}


def _void_nodes(graph: Graph, iris: Iris) -> set[Node]:
    """VoID's own resources: the partitions, the linksets and the description document."""
    nodes = _closure(graph, {iris.dataset}, _VOID_LINKS) - {iris.dataset}
    return nodes | {Places(iris).void}


def _void_only(graph: Graph, iris: Iris, own: set[Node], triple: tuple[Node, Node, Node]) -> bool:
    """Does the triple belong to the VoID description alone (not to the catalogue)?"""
    s, p, o = triple
    if s in own:
        return True
    if s == iris.dataset:  # VoID terms on the dataset, the SPARQL endpoint aside
        return str(p).startswith(str(VOID)) and p != VOID.sparqlEndpoint
    # a linkset's target is a void:Dataset; other things may be said of it in the catalogue
    return p == RDF.type and o == VOID.Dataset and (None, VOID.objectsTarget, s) in graph


def void_graph(metadata: Graph, iris: Iris) -> Graph:
    """The VoID description served at /.well-known/void: statistics, access, links."""
    out = new_graph(iris)
    d = iris.dataset
    keep_on_dataset = {RDF.type, DCTERMS.title, DCTERMS.description, DCTERMS.license}
    keep_on_dataset |= {DCTERMS.publisher, DCTERMS.modified, DCTERMS.conformsTo}
    for s, p, o in metadata.triples((d, None, None)):
        if str(p).startswith(str(VOID)) or p in keep_on_dataset:
            out.add((s, p, o))
    own = _void_nodes(metadata, iris)
    for triple in metadata:
        if triple[0] != d and _void_only(metadata, iris, own, triple):
            out.add(triple)
    return out


def catalog_graph(
    metadata: Graph,
    iris: Iris,
    files: dict[str, dict[str, Any]],
    profile: str = "dcat-ap-3.0.1",
    sha1: dict[str, str] | None = None,
) -> Graph:
    """The DCAT-AP catalogue served at /catalog, from the metadata graph and the manifest.

    Every dump gets its size and checksum from ``files`` (the manifest), which also knows
    the TriG and N-Quads files the metadata graph cannot describe. ``dcat-ap-2.1.1`` gives
    what that release demands instead: ``dcat:byteSize`` as xsd:decimal and SHA-1 checksums
    (``sha1``: file name -> hex digest).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}")
    at = Places(iris)
    out = new_graph(iris)
    own = _void_nodes(metadata, iris)
    for triple in metadata:
        if not _void_only(metadata, iris, own, triple):
            out.add(triple)
    for name, entry in sorted(files.items()):
        node = at.distribution(name)
        if (node, None, None) not in out:
            continue
        # the manifest is the authority on files: sizes and checksums are written from it
        # (the store also turns xsd:nonNegativeInteger into xsd:integer on the way)
        out.remove((node, DCAT.byteSize, None))
        for checksum in list(out.objects(node, SPDX.checksum)):
            out.remove((checksum, None, None))
        out.remove((node, SPDX.checksum, None))
        add_file_facts(out, at, name, int(entry["bytes"]), str(entry["sha256"]))
    if profile == "dcat-ap-2.1.1":
        _as_2_1_1(out, at, sha1 or {})
    return out


def _as_2_1_1(graph: Graph, at: Places, sha1: dict[str, str]) -> None:
    """DCAT-AP 2.1.1: byte sizes are xsd:decimal; the one checksum algorithm is SHA-1; a
    dataset's access rights must come from the EU access-right table (a Violation there, a
    Warning in 3.0.1), whose codes we have not verified, so datasets state none."""
    for dataset in list(graph.subjects(RDF.type, DCAT.Dataset)):
        graph.remove((dataset, DCTERMS.accessRights, None))
    for node, size in list(graph.subject_objects(DCAT.byteSize)):
        graph.remove((node, DCAT.byteSize, size))
        graph.add((node, DCAT.byteSize, Literal(str(size), datatype=XSD.decimal)))
    names: dict[Node, str] = {at.distribution(name): name for name in sha1}
    for node, checksum in list(graph.subject_objects(SPDX.checksum)):
        graph.remove((node, SPDX.checksum, checksum))
        graph.remove((checksum, None, None))
        name = names.get(node)
        if name is None:  # no SHA-1 digest known for this file: no checksum at all
            continue
        new = at.checksum(name, "sha1")
        graph.add((node, SPDX.checksum, new))
        graph.add((new, RDF.type, SPDX.Checksum))
        graph.add((new, SPDX.algorithm, SPDX.checksumAlgorithm_sha1))
        graph.add((new, SPDX.checksumValue, Literal(sha1[name], datatype=XSD.hexBinary)))
    graph.remove((SPDX.checksumAlgorithm_sha256, None, None))
    if (None, SPDX.algorithm, SPDX.checksumAlgorithm_sha1) in graph:
        graph.add((SPDX.checksumAlgorithm_sha1, RDF.type, SPDX.ChecksumAlgorithm))


def file_sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
