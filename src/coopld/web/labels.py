"""How a page names and links what it shows: labels in the page's language, values.

Labels come in the negotiated language (else English, else any); predicates are named
by their ``rdfs:label`` in the vocabulary, never by a raw IRI; links to things of this
dataset go to their pages where the client stands, links elsewhere are marked external.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..describe import Describer
from ..namespaces import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD
from .base import BaseMap, iri_to_uri

__all__ = [
    "DATATYPE_NAMES",
    "FALLBACK_LABELS",
    "Labeler",
    "Ref",
    "Row",
    "Text",
    "Value",
    "humanize",
]

_TYPE = str(RDF.type)
_FIRST, _REST, _NIL = str(RDF.first), str(RDF.rest), str(RDF.nil)

#: labels for other vocabularies' terms that the vocabulary does not label itself
FALLBACK_LABELS = {
    str(RDF.type): "type",
    str(RDFS.label): "label",
    str(RDFS.comment): "comment",
    str(RDFS.seeAlso): "see also",
    str(RDFS.isDefinedBy): "defined by",
    str(RDFS.subClassOf): "subclass of",
    str(RDFS.subPropertyOf): "subproperty of",
    str(RDFS.domain): "domain",
    str(RDFS.range): "range",
    str(OWL.inverseOf): "inverse of",
    str(SKOS.prefLabel): "preferred label",
    str(SKOS.altLabel): "also known as",
    str(SKOS.definition): "definition",
    str(SKOS.notation): "notation",
    str(SKOS.inScheme): "in scheme",
    str(SKOS.topConceptOf): "top concept of",
    str(SKOS.hasTopConcept): "top concepts",
    str(DCTERMS.title): "title",
    str(DCTERMS.description): "description",
    str(DCTERMS.created): "created",
    str(DCTERMS.issued): "issued",
    str(DCTERMS.modified): "modified",
    str(DCTERMS.license): "licence",
    str(DCTERMS.publisher): "publisher",
    str(DCTERMS.isPartOf): "part of",
    str(DCTERMS.hasPart): "has part",
    str(DCTERMS.relation): "related to",
    str(DCTERMS.spatial): "area",
    str(DCTERMS.temporal): "period",
    str(DCTERMS.identifier): "identifier",
    str(DCTERMS.language): "language",
    str(DCTERMS.bibliographicCitation): "citation",
    str(DCTERMS.conformsTo): "conforms to",
    str(FOAF.name): "name",
    str(FOAF.homepage): "home page",
    str(PROV.wasDerivedFrom): "derived from",
    str(PROV.qualifiedDerivation): "source",
    str(PROV.qualifiedAttribution): "signature",
    str(PROV.entity): "source document",
    str(PROV.agent): "signed by",
}


@dataclass(frozen=True)
class Text:
    value: str
    lang: str | None = None


@dataclass(frozen=True)
class Ref:
    href: str
    label: Text
    iri: str
    external: bool = False


@dataclass
class Value:
    ref: Ref | None = None
    text: Text | None = None
    datatype: str | None = None
    rows: list[Row] = field(default_factory=list)  # a blank node, shown in place
    items: list[Value] = field(default_factory=list)  # an RDF list


@dataclass
class Row:
    predicate: Ref
    values: list[Value]

    @property
    def kind(self) -> str:
        refs = [v.ref for v in self.values if v.ref is not None]
        if not refs or len(refs) * 2 < len(self.values):
            return "details"
        return "external" if all(r.external for r in refs) else "related"


#: how a datatype is named next to a value
DATATYPE_NAMES = {
    str(XSD.date): "date",
    str(XSD.dateTime): "date and time",
    str(XSD.gYear): "year",
    str(XSD.gYearMonth): "year and month",
    str(XSD.duration): "duration",
    str(XSD.integer): "integer",
    str(XSD.positiveInteger): "number",
    str(XSD.nonNegativeInteger): "number",
    str(XSD.boolean): "true or false",
    str(XSD.anyURI): "URI",
    str(XSD.language): "language tag",
    str(XSD.decimal): "decimal",
}


def humanize(iri: str) -> str:
    local = re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", local).replace("_", " ").lower()


class Labeler:
    """Labels, links and values for one page: one language, one public base."""

    def __init__(
        self,
        describer: Describer,
        bm: BaseMap,
        lang: str,
        prefixes: dict[str, str] | None = None,
        terms: bool = False,
    ) -> None:
        self.describer = describer
        #: every IRI is a term (the vocabulary and shapes pages)
        self.terms = terms
        self.bm = bm
        self.lang = lang
        #: when given, unlabelled terms of other vocabularies are shown as compact IRIs
        self.prefixes = sorted((prefixes or {}).items(), key=lambda p: -len(p[1]))
        self._cache: dict[tuple[str, bool], Text] = {}

    def pick(self, literals: Iterable[ox.Literal]) -> ox.Literal | None:
        """The literal in the page's language, else its base language, else English,
        else one without a language, else any."""
        best: tuple[int, ox.Literal] | None = None
        for literal in literals:
            rank = self._rank((literal.language or "").lower())
            if best is None or rank < best[0]:
                best = (rank, literal)
        return best[1] if best else None

    def _rank(self, tag: str) -> int:
        if tag == self.lang:
            return 0
        if tag and tag.split("-")[0] == self.lang.split("-")[0]:
            return 1
        if tag.split("-")[0] == "en":
            return 2
        return 3 if not tag else 4

    def label(self, node: ox.NamedNode | ox.BlankNode, term: bool = False) -> Text:
        """The best label; without one, a term (a predicate, a class) is named after its
        IRI's last segment, and any other resource by its IRI."""
        key = (str(node), term)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        literal = self.pick(self.describer.labels(node))
        if literal is not None:
            text = Text(literal.value, literal.language or None)
        elif isinstance(node, ox.NamedNode):
            text = self._unlabelled(node.value, term)
        else:
            text = Text("(unnamed)", "en")
        self._cache[key] = text
        return text

    def _unlabelled(self, iri: str, term: bool) -> Text:
        if not term:
            return Text(self.bm.to_public(iri) if self.bm.is_local(iri) else iri)
        for name, namespace in self.prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return Text(f"{name}:{iri[len(namespace) :]}")
        fallback = FALLBACK_LABELS.get(iri)
        return Text(fallback, "en") if fallback else Text(humanize(iri))

    def href(self, iri: str) -> str:
        """A page for things of this dataset, the IRI itself (as a URI) for anything else."""
        canonical = self.bm.canonical
        if iri.startswith(canonical + "/id/"):
            return self.bm.href(canonical + "/doc/" + iri[len(canonical) + 4 :])
        if self.bm.is_local(iri):
            return self.bm.href(iri)
        return iri_to_uri(iri)

    def ref(self, node: ox.NamedNode, term: bool = False) -> Ref:
        external = not self.bm.is_local(node.value)
        label = self.label(node, term or self.terms)
        return Ref(self.href(node.value), label, self.bm.to_public(node.value), external)

    def value(
        self,
        term: ox.NamedNode | ox.BlankNode | ox.Literal,
        index: dict[Any, list[ox.Triple]],
        depth: int = 0,
        skip: frozenset[str] = frozenset(),
        is_term: bool = False,
    ) -> Value:
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value
            shown = (
                None
                if term.language or datatype == str(XSD.string)
                else DATATYPE_NAMES.get(datatype, re.split(r"[#/]", datatype)[-1])
            )
            return Value(text=Text(term.value, term.language or None), datatype=shown)
        if isinstance(term, ox.NamedNode):
            return Value(ref=self.ref(term, term=is_term))
        items = self.list_items(term, index)
        if items is not None:
            return Value(items=[self.value(i, index, depth + 1) for i in items])
        if depth > 3:
            return Value(text=Text("…"))
        return Value(rows=self.rows(index.get(term, []), index, depth + 1, skip))

    def list_items(
        self, node: ox.BlankNode, index: dict[Any, list[ox.Triple]]
    ) -> list[ox.NamedNode | ox.BlankNode | ox.Literal] | None:
        items: list[ox.NamedNode | ox.BlankNode | ox.Literal] = []
        current: Any = node
        for _ in range(1000):
            triples = index.get(current, [])
            first = [
                t.object
                for t in triples
                if t.predicate.value == _FIRST and not isinstance(t.object, ox.Triple)
            ]
            rest = [t.object for t in triples if t.predicate.value == _REST]
            if len(first) != 1 or len(rest) != 1:
                return None
            items.append(first[0])
            if isinstance(rest[0], ox.NamedNode) and rest[0].value == _NIL:
                return items
            current = rest[0]
        return None

    def rows(
        self,
        triples: Iterable[ox.Triple],
        index: dict[Any, list[ox.Triple]],
        depth: int = 0,
        skip: frozenset[str] = frozenset(),
    ) -> list[Row]:
        grouped: dict[str, list[ox.Triple]] = {}
        for triple in triples:
            if triple.predicate.value not in skip:
                grouped.setdefault(triple.predicate.value, []).append(triple)
        rows = [
            Row(
                self.ref(ox.NamedNode(predicate), term=True),
                [
                    self.value(t.object, index, depth, is_term=predicate == _TYPE)
                    for t in group
                    if not isinstance(t.object, ox.Triple)
                ],
            )
            for predicate, group in grouped.items()
        ]
        return sorted(rows, key=lambda r: r.predicate.label.value.casefold())
