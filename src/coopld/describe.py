"""Descriptions of resources, read straight from the store's indexes.

Dereferencing is the hottest path, so no SPARQL parser is involved: a description is a
handful of ``quads_for_pattern`` lookups. What a description of a thing holds:

- every triple with the thing as subject, and the closure over the blank nodes it reaches;
- inbound triples, at most ``inbound_limit`` of them (a hub links to the paged rest);
  a blank node pointing at the thing is anchored by the triples that point at it;
- the labels and types of every resource mentioned, and the labels of the predicates;
- about the document itself: ``foaf:primaryTopic``, ``void:inDataset``, the licence,
  the source documents (``dct:source``) and when the data was built.

Everything here is in canonical IRIs; the web layer maps them to where the client stands.
No Flask here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

import pyoxigraph as ox

from .namespaces import DCTERMS, FOAF, KINDS, PROV, RDF, RDFS, SKOS, VOID, XSD
from .store import Dataset

__all__ = ["INBOUND_LIMIT", "Describer", "Description", "Matrix"]

#: inbound triples shown in a document; the rest is on the paged inbound view
INBOUND_LIMIT = 100
#: labels and types of mentioned resources kept in memory (per process)
FACTS_KEPT = 20_000

RDF_TYPE = ox.NamedNode(str(RDF.type))
RDFS_LABEL = ox.NamedNode(str(RDFS.label))
#: the predicates a label is read from, best first
LABEL_PREDICATES = tuple(
    ox.NamedNode(str(p)) for p in (RDFS.label, SKOS.prefLabel, FOAF.name, DCTERMS.title)
)
_WAS_DERIVED_FROM = ox.NamedNode(str(PROV.wasDerivedFrom))
_META = {
    "Document": ox.NamedNode(str(FOAF.Document)),
    "primaryTopic": ox.NamedNode(str(FOAF.primaryTopic)),
    "inDataset": ox.NamedNode(str(VOID.inDataset)),
    "license": ox.NamedNode(str(DCTERMS.license)),
    "source": ox.NamedNode(str(DCTERMS.source)),
    "modified": ox.NamedNode(str(DCTERMS.modified)),
    "seeAlso": ox.NamedNode(str(RDFS.seeAlso)),
}
_DATETIME = ox.NamedNode(str(XSD.dateTime))
_INTEGER_TYPES = frozenset(
    str(XSD[t]) for t in ("integer", "positiveInteger", "nonNegativeInteger", "int")
)

Subject = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal


def _order(term: object) -> str:
    return str(term)


@dataclass(frozen=True)
class Description:
    """One document's content: quads from the store (in their graphs) plus metadata."""

    topic: ox.NamedNode
    document: ox.NamedNode
    quads: tuple[ox.Quad, ...]
    meta: tuple[ox.Triple, ...]
    head: int = 0  # how many of ``quads`` (the first ones) have the topic as subject
    inbound_total: int | None = 0  # None: more than shown, not counted
    inbound_shown: int = 0
    inbound_view: ox.NamedNode | None = None

    @property
    def truncated(self) -> bool:
        return self.inbound_view is not None or self.inbound_total is None

    @cached_property
    def _triples(self) -> list[ox.Triple]:
        ordered = (
            *(q.triple for q in self.quads[: self.head]),
            *self.meta,
            *(q.triple for q in self.quads[self.head :]),
        )
        return list(dict.fromkeys(ordered))

    def triples(self) -> list[ox.Triple]:
        """The graph view: topic first, then the document's metadata, then the rest, once each."""
        return self._triples

    def dataset_quads(self) -> list[ox.Quad]:
        """The named-graph view: each triple in the graph it comes from, metadata in the default."""
        default = ox.DefaultGraph()
        quads = list(dict.fromkeys(self.quads))
        return quads + [ox.Quad(t.subject, t.predicate, t.object, default) for t in self.meta]


@dataclass(frozen=True)
class Matrix:
    """The action-by-priority-area matrix of an agreement (a Joint Action Plan's annex)."""

    areas: tuple[ox.NamedNode, ...]
    actions: tuple[ox.NamedNode, ...]
    contributes: frozenset[tuple[ox.NamedNode, ox.NamedNode]]  # (action, area)
    focus: frozenset[tuple[ox.NamedNode, ox.NamedNode]] = field(default_factory=frozenset)


class Describer:
    """Reads descriptions out of one loaded dataset. Thread-safe; computed lists are kept."""

    def __init__(self, dataset: Dataset, inbound_limit: int = INBOUND_LIMIT) -> None:
        self.dataset = dataset
        self.store = dataset.store
        self.base = dataset.iris.base
        self.inbound_limit = inbound_limit
        self.coop = f"{self.base}/def/coop#"
        self._members: dict[str, list[ox.NamedNode]] | None = None
        self._languages: tuple[str, ...] | None = None
        self._facts: dict[tuple[ox.NamedNode, bool], tuple[ox.Quad, ...]] = {}
        self._lock = threading.Lock()
        self.license = self._dataset_license()

    # -- small lookups ----------------------------------------------------------------
    def objects(self, subject: Subject, predicate: ox.NamedNode) -> list[Term]:
        return [
            q.object
            for q in self.store.quads_for_pattern(subject, predicate, None, None)
            if not isinstance(q.object, ox.Triple)  # no RDF-star in this dataset
        ]

    def exists(self, iri: str) -> bool:
        """Is anything known about ``iri``? (An invalid IRI, like ``…/%ZZ``, names nothing.)"""
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            return False
        return (
            next(iter(self.store.quads_for_pattern(node, None, None, None)), None) is not None
            or next(iter(self.store.quads_for_pattern(None, None, node, None)), None) is not None
        )

    def labels(self, node: Subject) -> list[ox.Literal]:
        """Every label literal of ``node``, best predicate first."""
        out: list[ox.Literal] = []
        for predicate in LABEL_PREDICATES:
            out.extend(
                o
                for o in self.objects(node, predicate)
                if isinstance(o, ox.Literal) and o not in out
            )
        return out

    def number(self, node: Subject) -> int | None:
        for value in self.objects(node, ox.NamedNode(self.coop + "number")):
            if isinstance(value, ox.Literal) and value.datatype.value in _INTEGER_TYPES:
                try:
                    return int(value.value)
                except ValueError:
                    return None
        return None

    def _dataset_license(self) -> ox.NamedNode | None:
        dataset = ox.NamedNode(str(self.dataset.iris.dataset))
        for value in self.objects(dataset, _META["license"]):
            if isinstance(value, ox.NamedNode):
                return value
        return None

    # -- descriptions -------------------------------------------------------------------
    def describe(self, iri: str, document: str, inbound_view: str | None = None) -> Description:
        """The description of ``iri`` as published in ``document`` (both canonical).

        Everything comes in the store's own order, which is fixed for a given dump (the
        ETag names the dump): no sorting, and a hub costs no more than ``inbound_limit``.
        """
        topic = ox.NamedNode(iri)
        outbound = list(self.store.quads_for_pattern(topic, None, None, None))
        closure = self._closure(q.object for q in outbound if not isinstance(q.object, ox.Triple))
        inbound = list(
            islice(self.store.quads_for_pattern(None, None, topic, None), self.inbound_limit + 1)
        )
        truncated = len(inbound) > self.inbound_limit
        del inbound[self.inbound_limit :]
        anchors = self._anchors(q.subject for q in inbound if isinstance(q.subject, ox.BlankNode))
        body = [*outbound, *closure, *inbound, *anchors]
        mentioned = self._mentioned(body, exclude=topic)
        quads = tuple(dict.fromkeys([*body, *mentioned]))
        doc = ox.NamedNode(document)
        meta = self._document_meta(doc, topic, outbound)
        if truncated and inbound_view:
            meta = (*meta, ox.Triple(doc, _META["seeAlso"], ox.NamedNode(inbound_view)))
        return Description(
            topic,
            doc,
            quads,
            meta,
            head=len(outbound),
            inbound_total=None if truncated else len(inbound),
            inbound_shown=len(inbound),
            inbound_view=ox.NamedNode(inbound_view) if truncated and inbound_view else None,
        )

    def count_inbound(self, iri: str) -> int:
        """How many triples point at ``iri`` (walks them all: for pages that say so)."""
        return sum(1 for _ in self.store.quads_for_pattern(None, None, ox.NamedNode(iri), None))

    def inbound_page(self, iri: str, page: int, size: int) -> tuple[list[ox.Quad], int]:
        """One page (from 1) of the triples pointing at ``iri``, and how many there are."""
        topic = ox.NamedNode(iri)
        chunk = list(
            islice(
                self.store.quads_for_pattern(None, None, topic, None),
                (page - 1) * size,
                page * size,
            )
        )
        anchors = self._anchors(q.subject for q in chunk if isinstance(q.subject, ox.BlankNode))
        body = [*chunk, *anchors]
        quads = list(dict.fromkeys([*body, *self._mentioned(body, exclude=topic)]))
        return quads, self.count_inbound(iri)

    def graph_quads(self, name: str) -> list[ox.Quad]:
        """Every quad of one named graph (the vocabulary, the shapes), in a stable order."""
        return sorted(
            self.store.quads_for_pattern(None, None, None, self.dataset.graph(name)),
            key=lambda q: (_order(q.subject), _order(q.predicate), _order(q.object)),
        )

    def _closure(self, starts: Iterable[Term]) -> list[ox.Quad]:
        """The triples of every blank node reachable from ``starts``, breadth first."""
        out: list[ox.Quad] = []
        seen: set[ox.BlankNode] = set()
        queue = [t for t in starts if isinstance(t, ox.BlankNode)]
        while queue:
            node = queue.pop(0)
            if node in seen:
                continue
            seen.add(node)
            quads = list(self.store.quads_for_pattern(node, None, None, None))
            out.extend(quads)
            queue.extend(q.object for q in quads if isinstance(q.object, ox.BlankNode))
        return out

    def _anchors(self, blanks: Iterable[ox.BlankNode]) -> list[ox.Quad]:
        """For blank nodes pointing at a resource: who points at them, and what they say."""
        out: list[ox.Quad] = []
        for node in dict.fromkeys(blanks):
            out.extend(self.store.quads_for_pattern(None, None, node, None))
            out.extend(self._closure([node]))
        return out

    def _mentioned(self, quads: list[ox.Quad], exclude: ox.NamedNode) -> list[ox.Quad]:
        """Labels and types of the resources the quads mention; labels of their classes
        and predicates (vocabulary terms carry no type here: they are not the subject)."""
        resources: dict[ox.NamedNode, None] = {}
        terms: dict[ox.NamedNode, None] = {}
        for quad in quads:
            terms[quad.predicate] = None
            if quad.predicate == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
                terms[quad.object] = None
            elif isinstance(quad.object, ox.NamedNode) and quad.object != exclude:
                resources[quad.object] = None
            if isinstance(quad.subject, ox.NamedNode) and quad.subject != exclude:
                resources[quad.subject] = None
        out: list[ox.Quad] = []
        for node in resources:
            out.extend(self._label_and_type(node))
        for node in terms:
            if node not in resources:
                out.extend(self._label_and_type(node, typed=False))
        return out

    def _label_and_type(self, node: ox.NamedNode, typed: bool = True) -> tuple[ox.Quad, ...]:
        """A resource's labels (and types): kept, since the same few are mentioned often."""
        key = (node, typed)
        found = self._facts.get(key)
        if found is None:
            found = tuple(self.store.quads_for_pattern(node, RDFS_LABEL, None, None))
            if typed:
                found += tuple(self.store.quads_for_pattern(node, RDF_TYPE, None, None))
            if len(self._facts) >= FACTS_KEPT:
                self._facts.clear()  # crude but bounded; refills with what is in use
            self._facts[key] = found
        return found

    def _document_meta(
        self, doc: ox.NamedNode, topic: ox.NamedNode, outbound: list[ox.Quad]
    ) -> tuple[ox.Triple, ...]:
        dataset = ox.NamedNode(str(self.dataset.iris.dataset))
        built = self.dataset.manifest.get("built")
        meta = [
            ox.Triple(doc, RDF_TYPE, _META["Document"]),
            ox.Triple(doc, _META["primaryTopic"], topic),
            ox.Triple(doc, _META["inDataset"], dataset),
        ]
        if self.license is not None:
            meta.append(ox.Triple(doc, _META["license"], self.license))
        sources = sorted(
            {q.object for q in outbound if q.predicate == _WAS_DERIVED_FROM},
            key=_order,
        )
        meta.extend(ox.Triple(doc, _META["source"], s) for s in sources)
        if built:
            meta.append(
                ox.Triple(doc, _META["modified"], ox.Literal(str(built), datatype=_DATETIME))
            )
        return tuple(meta)

    # -- lists ----------------------------------------------------------------------------
    def members(self, kind: str) -> list[ox.NamedNode]:
        """Every thing of one kind (``{base}/id/{kind}/...`` with a type), in IRI order."""
        if self._members is None:
            with self._lock:
                if self._members is None:
                    self._members = self._index_members()
        return self._members.get(kind, [])

    def _index_members(self) -> dict[str, list[ox.NamedNode]]:
        prefix = f"{self.base}/id/"
        found: dict[str, set[ox.NamedNode]] = {kind: set() for kind in KINDS}
        for quad in self.store.quads_for_pattern(None, RDF_TYPE, None, None):
            subject = quad.subject
            if isinstance(subject, ox.NamedNode) and subject.value.startswith(prefix):
                kind = subject.value[len(prefix) :].split("/", 1)[0]
                if kind in found:
                    found[kind].add(subject)
        return {kind: sorted(nodes, key=_order) for kind, nodes in found.items()}

    def languages(self) -> tuple[str, ...]:
        """The language tags of labels in the data, English first, then alphabetically."""
        if self._languages is None:
            tags = {
                q.object.language.lower()
                for q in self.store.quads_for_pattern(
                    None, RDFS_LABEL, None, self.dataset.graph("data")
                )
                if isinstance(q.object, ox.Literal) and q.object.language
            }
            self._languages = tuple(sorted(tags, key=lambda t: (t != "en", t)))
        return self._languages

    def matrix(self, agreement: ox.NamedNode) -> Matrix | None:
        """The actions of an agreement against its priority areas, or None if it has neither."""
        coop = self.coop

        def ordered(nodes: Iterable[Term]) -> tuple[ox.NamedNode, ...]:
            named = [n for n in dict.fromkeys(nodes) if isinstance(n, ox.NamedNode)]
            return tuple(sorted(named, key=lambda n: (self.number(n) or 1 << 30, n.value)))

        areas = ordered(self.objects(agreement, ox.NamedNode(coop + "hasPriorityArea")))
        actions = ordered(self.objects(agreement, ox.NamedNode(coop + "hasAction")))
        if not areas or not actions:
            return None
        contributes = ox.NamedNode(coop + "contributesTo")
        focus = ox.NamedNode(coop + "focusArea")
        return Matrix(
            areas,
            actions,
            frozenset(_pairs(actions, contributes, self)),
            frozenset(_pairs(actions, focus, self)),
        )


def _pairs(
    actions: tuple[ox.NamedNode, ...], predicate: ox.NamedNode, describer: Describer
) -> Iterator[tuple[ox.NamedNode, ox.NamedNode]]:
    for action in actions:
        for area in describer.objects(action, predicate):
            if isinstance(area, ox.NamedNode):
                yield action, area
