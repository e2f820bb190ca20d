"""The per-process state behind the resource views: descriptions and cached bytes.

One ``Publisher`` per app, made on first use (or by ``coopld serve`` before workers
fork, so they share it). It keeps bounded LRU caches of descriptions and of serialized
representations keyed by (what, IRI, format, language, public base); a representation's
strong ETag is derived from the same key, the dataset (its version and its dump's
checksum), and the code that turns it into bytes (this package's files, pyoxigraph's
version), so equal tags mean equal bytes across processes, restarts and deployments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox
from flask import Flask, Response, current_app

from ..config import Settings
from ..describe import Describer, Description
from ..docstore import (
    StoredDocuments,
    code_fingerprint,
    dataset_fingerprint,
    describe_document,
    document_of,
)
from ..formats import HTML, TURTLE, Format
from ..jsonld import Context, build_context
from ..serialize import (
    map_quads,
    map_triples,
    prefixes_for,
    public_graph_bytes,
    quads_to_bytes,
    rebase_turtle,
)
from ..store import Dataset
from .base import BaseMap
from .cache import LRU
from .representation import Representation, make_etag, send

__all__ = ["CONTEXT_PATH", "Publisher", "get_publisher"]

#: where the JSON-LD context is published (under the base)
CONTEXT_PATH = "/def/coop/context.jsonld"

#: representations kept per process: entries and bytes (bodies plus their gzip)
REPRESENTATION_ENTRIES = 4096
REPRESENTATION_BYTES = 16 << 20
DESCRIPTION_ENTRIES = 64


class Publisher:
    def __init__(self, dataset: Dataset, settings: Settings) -> None:
        self.dataset = dataset
        self.settings = settings
        self.describer = Describer(dataset)
        self.base = dataset.iris.base
        self.coop = f"{self.base}/def/coop#"
        self.representations: LRU[tuple[str, ...], Representation] = LRU(
            REPRESENTATION_ENTRIES, REPRESENTATION_BYTES
        )
        self.descriptions: LRU[str, Description] = LRU(DESCRIPTION_ENTRIES, 1 << 62)
        self._contexts: LRU[str, Context] = LRU(64, 1 << 62)
        self._sorted: dict[str, list[ox.NamedNode]] = {}
        self._lock = threading.Lock()
        self.stored = StoredDocuments.open(dataset)

    # -- identity --------------------------------------------------------------------------
    def etag(self, *parts: str) -> str:
        """Strong: the same for the same bytes in every process that serves this dump."""
        return make_etag(self.fingerprint, code_fingerprint(), *parts)

    @property
    def fingerprint(self) -> str:
        return dataset_fingerprint(self.dataset)

    def document_of(self, thing: str) -> str:
        """``{base}/id/{kind}/{key}`` -> ``{base}/doc/{kind}/{key}``."""
        return document_of(self.base, thing)

    # -- cached values ---------------------------------------------------------------------
    def representation(self, key: tuple[str, ...], build: Callable[[], bytes]) -> Representation:
        found = self.representations.get(key)
        if found is None:
            found = Representation(build(), self.etag(*key))
            self.representations.put(key, found, len(found.body) * 2 + 512)
        return found

    def respond(
        self,
        key: tuple[str, ...],
        fmt: Format,
        build: Callable[[], bytes],
        *,
        negotiated: bool,
        lang: str,
        headers: dict[str, str],
        lang_negotiated: bool = True,
    ) -> Response:
        """Send the (cached) representation ``key``; ``Vary`` names what chose it.

        HTML pages are in English, with labels in ``lang`` where the data has them.
        """
        representation = self.representation(key, build)
        vary = ["Accept"] if negotiated else []
        if fmt is HTML:
            if lang_negotiated:
                vary.append("Accept-Language")
            headers["Content-Language"] = "en" if lang in ("", "en") else f"{lang}, en"
        return send(
            representation,
            fmt.content_type,
            last_modified=self.dataset.built,
            max_age=self.settings.cache_max_age,
            vary=vary,
            headers=headers,
        )

    def description(self, thing: str) -> Description:
        found = self.descriptions.get(thing)
        if found is None:
            found = describe_document(self.describer, thing)
            self.descriptions.put(thing, found, 1)
        return found

    def document_bytes(self, thing: str, fmt: Format, bm: BaseMap) -> bytes:
        """``thing``'s document in a graph format or the named-graph view (not HTML)."""
        stored = self.stored.turtle(thing) if self.stored is not None else None
        if stored is None or fmt.family == "dataset":
            description = self.description(thing)
            return self.rdf_bytes(fmt, bm, description.triples(), description.dataset_quads())
        if fmt is TURTLE:
            moved = rebase_turtle(stored, bm.canonical, bm.public)
            if moved is not None:
                return moved
        parsed = ox.parse(stored, format=ox.RdfFormat.TURTLE, rename_blank_nodes=False)
        return self.rdf_bytes(fmt, bm, [quad.triple for quad in parsed])

    def context(self, bm: BaseMap) -> Context:
        """The JSON-LD context, with the vocabulary under the public base."""
        found = self._contexts.get(bm.public)
        if found is None:
            vocabulary = [q.triple for q in self.describer.graph_quads("vocabulary")]
            triples = map_triples(vocabulary, None if bm.identity else bm.to_public)
            found = build_context(triples, bm.to_public(self.coop))
            self._contexts.put(bm.public, found, 1)
        return found

    def prefixes(self, bm: BaseMap) -> dict[str, str]:
        return prefixes_for(bm.to_public(self.coop))

    def sorted_members(self, kind: str) -> list[ox.NamedNode]:
        """Things of a kind, by English label (as people look for them), then IRI."""
        found = self._sorted.get(kind)
        if found is None:
            describer = self.describer

            def key(node: ox.NamedNode) -> tuple[str, str]:
                labels = describer.labels(node)
                english = [lit for lit in labels if (lit.language or "").startswith("en")]
                chosen = (english or labels or [ox.Literal(node.value)])[0]
                return chosen.value.casefold(), node.value

            found = sorted(describer.members(kind), key=key)
            with self._lock:
                self._sorted[kind] = found
        return found

    # -- bytes -------------------------------------------------------------------------------
    def rdf_bytes(
        self,
        fmt: Format,
        bm: BaseMap,
        triples: list[ox.Triple],
        quads: list[ox.Quad] | None = None,
    ) -> bytes:
        """A graph (or, for TriG and N-Quads, the named-graph view) in ``fmt``."""
        mapper = None if bm.identity else bm.to_public
        prefixes = self.prefixes(bm)
        if fmt.family == "dataset":
            return quads_to_bytes(map_quads(quads or [], mapper), fmt, prefixes)
        context_ref: str | dict[str, Any] = bm.href(self.base + CONTEXT_PATH)
        return public_graph_bytes(
            triples, fmt, prefixes, bm.canonical, bm.public, self.context(bm), context_ref
        )

    def warm(self) -> None:
        """Compute what every worker needs, before they fork (``coopld serve``)."""
        self.describer.members("agreement")
        self.describer.languages()
        self.context(BaseMap(self.base, self.base))


_CREATE = threading.Lock()


def get_publisher(app: Flask | None = None) -> Publisher:
    app = app or current_app
    publisher = app.extensions.get("coopld.publisher")
    if publisher is None:
        with _CREATE:
            publisher = app.extensions.get("coopld.publisher")
            if publisher is None:
                publisher = Publisher(
                    app.extensions["coopld.dataset"], app.config["COOPLD_SETTINGS"]
                )
                app.extensions["coopld.publisher"] = publisher
    assert isinstance(publisher, Publisher)
    return publisher
