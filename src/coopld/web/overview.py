"""What the landing page, the catalogue page and the VoID page show, as plain values.

Everything is read once per process from the metadata named graph (written by
``coopld build``), the build manifest and a few lookups in the store, then kept: the
dataset does not change while a process serves it. IRIs stay canonical here; the views
map them to where the client stands. The templates escape every value.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from flask import Flask
from rdflib import Graph, Literal, URIRef

from ..catalogue import (
    PREFIXES,
    PROFILES,
    SPDX,
    Places,
    catalog_graph,
    dump_files,
    file_sha1,
    void_graph,
)
from ..mapping import bind_prefixes
from ..metadata import THEMES
from ..namespaces import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, VCARD, VOID, Iris
from ..store import Dataset

__all__ = ["SITEMAP_LIMIT", "Overview", "get_overview"]

_LABELS = (RDFS.label, SKOS.prefLabel, FOAF.name, DCTERMS.title)
#: a sitemap file holds at most this many URLs (sitemaps.org protocol)
SITEMAP_LIMIT = 50000


@dataclass
class Overview:
    """The per-process, read-only view of the dataset's own description."""

    dataset: Dataset
    metadata: Graph
    at: Places
    labels: dict[str, str] = field(default_factory=dict)
    _pages: list[str] | None = None
    _catalogs: dict[str, Graph] = field(default_factory=dict)
    _void: Graph | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def iris(self) -> Iris:
        return self.dataset.iris

    @property
    def manifest(self) -> dict[str, Any]:
        return self.dataset.manifest

    def catalog(self, profile: str) -> Graph:
        with self._lock:
            if profile not in self._catalogs:
                files = self.manifest["files"]
                sha1 = {}
                if profile == "dcat-ap-2.1.1" and self.dataset.folder is not None:
                    sha1 = {name: file_sha1(self.dataset.file(name)) for name in files}
                self._catalogs[profile] = catalog_graph(
                    self.metadata, self.iris, files, profile, sha1
                )
            return self._catalogs[profile]

    def pages(self) -> list[str]:
        """Canonical IRIs of every thing with a /doc/ page (read on first use: a big
        dataset makes this the slowest part, and only the sitemap needs it)."""
        with self._lock:
            if self._pages is None:
                self._pages = _load_pages(self.dataset)
            return self._pages

    def void(self) -> Graph:
        with self._lock:
            if self._void is None:
                self._void = void_graph(self.metadata, self.iris)
            return self._void

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or _short(iri)

    def curie(self, iri: str) -> str:
        """``coop:Agreement`` for a term of a known vocabulary, else the IRI itself."""
        for prefix, namespace in _prefixes(self.iris):
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return iri

    # -- the numbers VoID publishes ----------------------------------------------------------
    def statistic(self, predicate: URIRef, node: Any = None) -> int:
        value = self.metadata.value(node or self.iris.dataset, predicate)
        return int(str(value)) if isinstance(value, Literal) else 0

    def class_partitions(self) -> list[dict[str, Any]]:
        rows = []
        for node in self.metadata.objects(self.iris.dataset, VOID.classPartition):
            cls = str(self.metadata.value(node, VOID["class"]))
            rows.append(
                {
                    "iri": cls,
                    "label": self.label(cls),
                    "curie": self.curie(cls),
                    "entities": self.statistic(VOID.entities, node),
                    "instances": self.statistic(VOID.distinctSubjects, node),
                }
            )
        return sorted(rows, key=lambda r: (-r["instances"], r["label"].lower(), r["iri"]))

    def property_partitions(self) -> list[dict[str, Any]]:
        rows = []
        for node in self.metadata.objects(self.iris.dataset, VOID.propertyPartition):
            prop = str(self.metadata.value(node, VOID.property))
            rows.append(
                {
                    "iri": prop,
                    "label": self.label(prop),
                    "curie": self.curie(prop),
                    "triples": self.statistic(VOID.triples, node),
                    "subjects": self.statistic(VOID.distinctSubjects, node),
                    "objects": self.statistic(VOID.distinctObjects, node),
                }
            )
        return sorted(rows, key=lambda r: (-r["triples"], r["iri"]))

    def linksets(self) -> list[dict[str, Any]]:
        rows = []
        for node in self.metadata.objects(self.iris.dataset, VOID.subset):
            if (node, RDF.type, VOID.Linkset) not in self.metadata:
                continue
            rows.append(
                {
                    "iri": str(node),
                    "title": str(self.metadata.value(node, DCTERMS.title) or ""),
                    "target": str(self.metadata.value(node, VOID.objectsTarget)),
                    "triples": self.statistic(VOID.triples, node),
                    "predicates": sorted(
                        self.label(str(p)) for p in self.metadata.objects(node, VOID.linkPredicate)
                    ),
                }
            )
        return sorted(rows, key=lambda r: (-r["triples"], r["target"]))

    def examples(self) -> list[dict[str, str]]:
        found = sorted(
            str(o) for o in self.metadata.objects(self.iris.dataset, VOID.exampleResource)
        )
        return [{"iri": iri, "label": self.label(iri)} for iri in found]

    # -- the catalogue -----------------------------------------------------------------------
    def dumps(self) -> list[dict[str, Any]]:
        """Every dump, from the served catalogue (so the page shows what harvesters get)."""
        graph = self.catalog("dcat-ap-3.0.1")
        rows = []
        for node in graph.objects(self.iris.dataset, DCAT.distribution):
            url = graph.value(node, DCAT.downloadURL)
            if url is None:
                continue
            checksum = graph.value(node, SPDX.checksum)
            value = graph.value(checksum, SPDX.checksumValue)
            name = str(url).rsplit("/", 1)[1]
            entry = self.manifest["files"].get(name)
            if entry is None:  # a build folder assembled by hand may lack a dump
                continue
            rows.append(
                {
                    "name": name,
                    "url": str(url),
                    "title": str(graph.value(node, DCTERMS.title)),
                    "description": str(graph.value(node, DCTERMS.description)),
                    "media_type": entry["media_type"],
                    "format": str(graph.value(node, DCTERMS.format)).rsplit("/", 1)[1],
                    "bytes": int(entry["bytes"]),
                    "sha256": str(value) if value is not None else "",
                }
            )
        order = {name: index for index, name in enumerate(dump_files())}
        return sorted(rows, key=lambda r: (order.get(r["name"], len(order)), r["name"]))

    def describe(self) -> dict[str, Any]:
        """The catalogue's own facts, for the pages and the schema.org description."""
        g, d = self.metadata, self.iris.dataset
        period = g.value(d, DCTERMS.temporal)
        publisher = g.value(d, DCTERMS.publisher)
        contact = g.value(d, DCAT.contactPoint)
        email = g.value(contact, VCARD.hasEmail)
        url = g.value(contact, VCARD.hasURL)
        return {
            "title": str(g.value(d, DCTERMS.title) or ""),
            "description": str(g.value(d, DCTERMS.description) or ""),
            "catalog_title": str(g.value(self.at.catalog, DCTERMS.title) or ""),
            "license": str(g.value(d, DCTERMS.license) or ""),
            "publisher": {
                "iri": str(publisher),
                "name": str(g.value(publisher, FOAF.name) or ""),
            },
            "contact": {
                "email": str(email).removeprefix("mailto:") if email else "",
                "url": str(url) if url else "",
            },
            "issued": str(g.value(d, DCTERMS.issued) or ""),
            "modified": str(g.value(d, DCTERMS.modified) or ""),
            "start": str(g.value(period, DCAT.startDate) or "") if period else "",
            "end": str(g.value(period, DCAT.endDate) or "") if period else "",
            "keywords": sorted(str(k) for k in g.objects(d, DCAT.keyword)),
            "themes": sorted(
                (THEMES.get(str(t).rsplit("/", 1)[1], str(t)), str(t))
                for t in g.objects(d, DCAT.theme)
            ),
            "places": sorted((self.label(str(p)), str(p)) for p in g.objects(d, DCTERMS.spatial)),
            "shapes": str(g.value(d, DCTERMS.conformsTo) or ""),
            "version": str(self.manifest["version"]),
            "profiles": PROFILES,
        }


@lru_cache(maxsize=8)
def _prefixes(iris: Iris) -> tuple[tuple[str, str], ...]:
    """The data's prefixes and the metadata's, longest namespace first."""
    graph = bind_prefixes(Graph(bind_namespaces="none"), iris)
    found = {prefix: str(ns) for prefix, ns in graph.namespaces()}
    found.update({prefix: str(ns) for prefix, ns in PREFIXES.items()})
    return tuple(sorted(found.items(), key=lambda item: (-len(item[1]), item[0])))


def _short(iri: str) -> str:
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[cut + 1 :] or iri


def _load_metadata(dataset: Dataset) -> Graph:
    data = dataset.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=dataset.graph("metadata"))
    graph = Graph()
    graph.parse(data=(data or b"").decode("utf-8"), format="nt")
    return graph


def _load_labels(dataset: Dataset, metadata: Graph) -> dict[str, str]:
    """English (else any) labels of the classes, properties, examples and places shown."""
    wanted: set[str] = set()
    d = dataset.iris.dataset
    for node in metadata.objects(d, VOID.classPartition):
        wanted.add(str(metadata.value(node, VOID["class"])))
    for node in metadata.objects(d, VOID.propertyPartition):
        wanted.add(str(metadata.value(node, VOID.property)))
    wanted.update(str(o) for o in metadata.objects(d, VOID.exampleResource))
    wanted.update(str(o) for o in metadata.objects(None, VOID.linkPredicate))
    labels: dict[str, str] = {}
    ranked: dict[str, tuple[int, str]] = {}
    for iri in sorted(wanted):
        for rank, predicate in enumerate(_LABELS):
            for quad in dataset.store.quads_for_pattern(
                ox.NamedNode(iri), ox.NamedNode(str(predicate)), None, None
            ):
                literal = quad.object
                if not isinstance(literal, ox.Literal):
                    continue
                score = (0 if literal.language == "en" else 1) * 10 + rank
                if iri not in ranked or (score, literal.value) < ranked[iri]:
                    ranked[iri] = (score, literal.value)
    labels.update({iri: text for iri, (_, text) in ranked.items()})
    # the places are EU country concepts: name them after the country the data links to them
    country_code = ox.NamedNode(str(dataset.iris.coop.countryCode))
    for place in metadata.objects(d, DCTERMS.spatial):
        for quad in dataset.store.quads_for_pattern(
            None, country_code, ox.NamedNode(str(place)), None
        ):
            for label in dataset.store.quads_for_pattern(
                quad.subject, ox.NamedNode(str(RDFS.label)), None, None
            ):
                if isinstance(label.object, ox.Literal) and label.object.language == "en":
                    labels[str(place)] = label.object.value
    return labels


def _load_pages(dataset: Dataset) -> list[str]:
    """Every thing with a /doc/ page: the data's subjects in the URI space, and the dataset."""
    space = f"{dataset.iris.base}/id/"
    found = {
        quad.subject.value
        for quad in dataset.store.quads_for_pattern(None, None, None, dataset.graph("data"))
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(space)
    }
    found.add(str(dataset.iris.dataset))
    return sorted(found)


def _build(dataset: Dataset) -> Overview:
    metadata = _load_metadata(dataset)
    overview = Overview(dataset, metadata, Places(dataset.iris))
    overview.labels = _load_labels(dataset, metadata)
    return overview


_BUILD_LOCK = threading.Lock()


def get_overview(app: Flask, dataset: Dataset) -> Overview:
    """The app's overview, built on first use (once per process)."""
    key = "coopld.overview"
    overview: Overview | None = app.extensions.get(key)
    if overview is None or overview.dataset is not dataset:
        with _BUILD_LOCK:
            overview = app.extensions.get(key)
            if overview is None or overview.dataset is not dataset:
                overview = _build(dataset)
                app.extensions[key] = overview
    return overview
