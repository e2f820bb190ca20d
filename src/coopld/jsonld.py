"""Compact, readable JSON-LD with a curated ``@context`` generated from the vocabulary.

pyoxigraph writes expanded JSON-LD only, so documents are compacted here, directly from
triples (no JSON-LD processor on the hot path). The context gives every term of the
vocabulary a short name (its local name), types object properties as ``@id``,
language-tagged text as language maps and single-datatype properties by their datatype;
well-known terms of other vocabularies get short names unless ours took them first.
Anything a term cannot say exactly (a value of an unexpected kind) is written under a
compact IRI with an explicit value object, so the output always expands to exactly the
triples it was made from (JSON-LD 1.0 features only).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .namespaces import (
    ADMS,
    DCAT,
    DCATAP,
    DCTERMS,
    EURIO,
    FOAF,
    FRAPO,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SD,
    SH,
    SKOS,
    TIME,
    VANN,
    VCARD,
    VOID,
    XSD,
)

__all__ = ["Context", "build_context", "compact"]

_RDF_TYPE = str(RDF.type)
_LANG_STRING = str(RDF.langString)
_XSD_STRING = str(XSD.string)
_XSD_INTEGER = str(XSD.integer)
_XSD_BOOLEAN = str(XSD.boolean)

#: prefixes every context declares (``coop`` is added per deployment), in this order
PREFIXES: tuple[tuple[str, str], ...] = tuple(
    (name, str(ns))
    for name, ns in (
        ("rdf", RDF),
        ("rdfs", RDFS),
        ("xsd", XSD),
        ("owl", OWL),
        ("skos", SKOS),
        ("dct", DCTERMS),
        ("prov", PROV),
        ("foaf", FOAF),
        ("org", ORG),
        ("dcat", DCAT),
        ("schema", SCHEMA),
        ("void", VOID),
        ("vann", VANN),
        ("sh", SH),
        ("eurio", EURIO),
        ("frapo", FRAPO),
        ("time", TIME),
        ("adms", ADMS),
        ("vcard", VCARD),
        ("dcatap", DCATAP),
        ("sd", SD),
    )
)

_TEXT = "@language"
_ID = "@id"
_PLAIN = ""

#: terms of other vocabularies that the data and the vocabulary use, and how they are typed
WELL_KNOWN: tuple[tuple[str, str], ...] = tuple(
    (str(iri), kind)
    for iri, kind in (
        (RDFS.label, _TEXT),
        (RDFS.comment, _TEXT),
        (SKOS.prefLabel, _TEXT),
        (SKOS.altLabel, _TEXT),
        (SKOS.definition, _TEXT),
        (SKOS.scopeNote, _TEXT),
        (SKOS.example, _TEXT),
        (DCTERMS.title, _TEXT),
        (DCTERMS.description, _TEXT),
        (FOAF.name, _TEXT),
        (RDFS.seeAlso, _ID),
        (RDFS.isDefinedBy, _ID),
        (RDFS.subClassOf, _ID),
        (RDFS.subPropertyOf, _ID),
        (RDFS.domain, _ID),
        (RDFS.range, _ID),
        (OWL.inverseOf, _ID),
        (OWL.equivalentClass, _ID),
        (OWL.equivalentProperty, _ID),
        (OWL.versionIRI, _ID),
        (SKOS.inScheme, _ID),
        (SKOS.hasTopConcept, _ID),
        (SKOS.topConceptOf, _ID),
        (SKOS.broader, _ID),
        (SKOS.narrower, _ID),
        (SKOS.closeMatch, _ID),
        (SKOS.broadMatch, _ID),
        (SKOS.exactMatch, _ID),
        (SKOS.narrowMatch, _ID),
        (SKOS.relatedMatch, _ID),
        (PROV.wasDerivedFrom, _ID),
        (PROV.qualifiedDerivation, _ID),
        (PROV.qualifiedAttribution, _ID),
        (PROV.entity, _ID),
        (PROV.agent, _ID),
        (FOAF.homepage, _ID),
        (FOAF.primaryTopic, _ID),
        (VOID.inDataset, _ID),
        (DCTERMS.license, _ID),
        (DCTERMS.source, _ID),
        (DCTERMS.publisher, _ID),
        (DCTERMS.isPartOf, _ID),
        (DCTERMS.hasPart, _ID),
        (DCTERMS.relation, _ID),
        (DCTERMS.spatial, _ID),
        (DCTERMS.temporal, _ID),
        (DCTERMS.conformsTo, _ID),
        (DCTERMS.subject, _ID),
        (ORG.unitOf, _ID),
        (ORG.hasUnit, _ID),
        (ORG.subOrganizationOf, _ID),
        (ORG.hasSubOrganization, _ID),
        (ORG.memberOf, _ID),
        (ORG.hasMember, _ID),
        (ORG.postIn, _ID),
        (ORG.heldBy, _ID),
        (ORG.holds, _ID),
        (VANN.preferredNamespaceUri, _ID),
        (DCTERMS.created, _PLAIN),
        (DCTERMS.issued, _PLAIN),
        (DCTERMS.modified, _PLAIN),
        (DCTERMS.identifier, _PLAIN),
        (DCTERMS.bibliographicCitation, _PLAIN),
        (DCTERMS.language, _PLAIN),
        (DCAT.startDate, _PLAIN),
        (DCAT.endDate, _PLAIN),
        (SKOS.notation, _PLAIN),
        (SCHEMA.url, _PLAIN),
        (OWL.versionInfo, _PLAIN),
        (VANN.preferredNamespacePrefix, _PLAIN),
    )
)
_RESERVED = frozenset({"id", "type", "coop", *(name for name, _ in PREFIXES)})
_OWL_OBJECT = str(OWL.ObjectProperty)
_OWL_DATATYPE = str(OWL.DatatypeProperty)
_OWL_ANNOTATION = str(OWL.AnnotationProperty)
_OWL_CLASS = str(OWL.Class)
_RDFS_CLASS = str(RDFS.Class)
_RDFS_RANGE = str(RDFS.range)


@dataclass(frozen=True)
class TermDef:
    name: str
    iri: str
    kind: str  # "@language", "@id", "" (no coercion) or a datatype IRI


@dataclass(frozen=True)
class Context:
    """A generated context: the JSON to publish and the lookups compaction needs."""

    document: dict[str, Any]
    properties: dict[str, TermDef]
    classes: dict[str, str]
    prefixes: tuple[tuple[str, str], ...]  # longest namespace first

    def curie(self, iri: str) -> str:
        for name, namespace in self.prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                local = iri[len(namespace) :]
                if not local.startswith("//") and "#" not in local and " " not in local:
                    return f"{name}:{local}"
        return iri

    def to_json(self) -> bytes:
        return json.dumps(self.document, ensure_ascii=False, indent=2).encode("utf-8")


def _local(iri: str) -> str:
    for separator in ("#", "/"):
        if separator in iri:
            candidate = iri.rsplit(separator, 1)[1]
            if candidate:
                return candidate
    return ""


def _usable(name: str) -> bool:
    return (
        bool(name) and name.replace("_", "a").replace("-", "a").isalnum() and not name[0].isdigit()
    )


def build_context(vocabulary: Iterable[ox.Triple], coop_namespace: str) -> Context:
    """The context for a vocabulary whose own terms live in ``coop_namespace``."""
    kinds: dict[str, set[str]] = {}
    ranges: dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]] = {}
    for triple in vocabulary:
        subject = triple.subject
        if not isinstance(subject, ox.NamedNode):
            continue
        if triple.predicate.value == _RDF_TYPE and isinstance(triple.object, ox.NamedNode):
            kinds.setdefault(subject.value, set()).add(triple.object.value)
        elif triple.predicate.value == _RDFS_RANGE and not isinstance(triple.object, ox.Triple):
            ranges.setdefault(subject.value, []).append(triple.object)

    def kind_of(iri: str, types: set[str]) -> str:
        values = ranges.get(iri, [])
        if any(isinstance(v, ox.NamedNode) and v.value == _LANG_STRING for v in values):
            return _TEXT
        if _OWL_OBJECT in types:
            return _ID
        if (
            _OWL_DATATYPE in types
            and len(values) == 1
            and isinstance(values[0], ox.NamedNode)
            and values[0].value.startswith(str(XSD))
            and values[0].value != _XSD_STRING  # a plain JSON string already is one
        ):
            return values[0].value
        return _PLAIN

    properties: dict[str, TermDef] = {}
    classes: dict[str, str] = {}
    taken: set[str] = set(_RESERVED)

    def claim(iri: str) -> str | None:
        name = _local(iri)
        if not _usable(name) or name in taken:
            return None
        taken.add(name)
        return name

    own = sorted(iri for iri in kinds if iri.startswith(coop_namespace))
    property_types = {_OWL_OBJECT, _OWL_DATATYPE, _OWL_ANNOTATION, str(RDF.Property)}
    for iri in own:  # our own terms first: they get the short names
        if kinds[iri] & {_OWL_CLASS, _RDFS_CLASS}:
            if name := claim(iri):
                classes[iri] = name
        elif kinds[iri] & property_types and (name := claim(iri)):
            properties[iri] = TermDef(name, iri, kind_of(iri, kinds[iri]))
    for iri, kind in WELL_KNOWN:
        if iri not in properties and (name := claim(iri)):
            properties[iri] = TermDef(name, iri, kind)
    for iri in sorted(kinds):  # other vocabularies' terms the vocabulary declares
        if iri.startswith(coop_namespace) or iri in properties or iri in classes:
            continue
        if kinds[iri] & {_OWL_CLASS, _RDFS_CLASS}:
            if name := claim(iri):
                classes[iri] = name
        elif kinds[iri] & property_types and (name := claim(iri)):
            properties[iri] = TermDef(name, iri, kind_of(iri, kinds[iri]))

    prefixes = (("coop", coop_namespace), *PREFIXES)
    context = _context_document(prefixes, properties, classes)
    ordered = tuple(sorted(prefixes, key=lambda p: -len(p[1])))
    return Context({"@context": context}, properties, classes, ordered)


def _context_document(
    prefixes: Sequence[tuple[str, str]], properties: dict[str, TermDef], classes: dict[str, str]
) -> dict[str, Any]:
    prefix_of = {ns: name for name, ns in prefixes}

    def short(iri: str) -> str:
        for ns in sorted(prefix_of, key=len, reverse=True):
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix_of[ns]}:{iri[len(ns) :]}"
        return iri

    context: dict[str, Any] = {"id": "@id", "type": "@type"}
    context.update({name: ns for name, ns in prefixes})
    for iri, name in sorted(classes.items(), key=lambda item: item[1]):
        context[name] = short(iri)
    for definition in sorted(properties.values(), key=lambda d: d.name):
        if definition.kind == _PLAIN:
            context[definition.name] = short(definition.iri)
        elif definition.kind == _TEXT:
            context[definition.name] = {"@id": short(definition.iri), "@container": "@language"}
        else:
            kind = definition.kind if definition.kind == _ID else short(definition.kind)
            context[definition.name] = {"@id": short(definition.iri), "@type": kind}
    return context


# -- compaction ---------------------------------------------------------------------------------

Node = ox.NamedNode | ox.BlankNode


def compact(
    triples: Sequence[ox.Triple], context: Context, context_ref: str | dict[str, Any]
) -> dict[str, Any]:
    """Compact triples (subjects in order of first appearance) into one JSON-LD document."""
    by_subject: dict[Node, list[ox.Triple]] = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, []).append(triple)  # type: ignore[arg-type]
    references = Counter(t.object for t in triples if isinstance(t.object, ox.BlankNode))
    embeddable: set[Node] = {b for b, count in references.items() if count == 1 and b in by_subject}
    writer = _Writer(context, by_subject, embeddable)
    graph = [writer.node(s, top=True) for s in by_subject if s not in embeddable]
    for blank in list(by_subject):  # blank-node cycles nobody named reaches
        if blank in embeddable and blank not in writer.done:
            graph.append(writer.node(blank, top=True))
    return {"@context": context_ref, "@graph": graph}


class _Writer:
    def __init__(
        self, context: Context, by_subject: dict[Node, list[ox.Triple]], embeddable: set[Node]
    ) -> None:
        self.context = context
        self.by_subject = by_subject
        self.embeddable = embeddable
        self.done: set[Node] = set()
        self.active: set[Node] = set()

    def ref(self, node: Node) -> str:
        return node.value if isinstance(node, ox.NamedNode) else f"_:{node.value}"

    def node(self, subject: Node, top: bool) -> dict[str, Any]:
        self.done.add(subject)
        self.active.add(subject)
        out: dict[str, Any] = {}
        if top or not isinstance(subject, ox.BlankNode):
            out["id"] = self.ref(subject)
        types: list[str] = []
        groups: dict[str, list[Any]] = {}
        maps: dict[str, dict[str, list[str]]] = {}
        for triple in self.by_subject.get(subject, []):
            predicate, value = triple.predicate.value, triple.object
            if isinstance(value, ox.Triple):
                raise ValueError("an RDF-star triple term has no JSON-LD 1.1 form")
            if predicate == _RDF_TYPE and not isinstance(value, ox.Literal):
                types.append(self.type_name(value))
                continue
            term = self.context.properties.get(predicate)
            if term is not None and term.kind == _TEXT:
                if isinstance(value, ox.Literal) and value.language:
                    maps.setdefault(term.name, {}).setdefault(value.language, []).append(
                        value.value
                    )
                    continue
                term = None
            key = term.name if term is not None else self.context.curie(predicate)
            groups.setdefault(key, []).append(self.value(value, term))
        self.active.discard(subject)
        if types:
            out["type"] = types[0] if len(types) == 1 else types
        for key, language_map in maps.items():
            out[key] = {lang: v[0] if len(v) == 1 else v for lang, v in language_map.items()}
        for key, values in groups.items():
            out[key] = values[0] if len(values) == 1 else values
        return out

    def type_name(self, value: Node) -> str:
        if isinstance(value, ox.BlankNode):
            return f"_:{value.value}"
        return self.context.classes.get(value.value) or self.context.curie(value.value)

    def value(self, value: ox.NamedNode | ox.BlankNode | ox.Literal, term: TermDef | None) -> Any:
        kind = term.kind if term is not None else _PLAIN
        if isinstance(value, ox.Literal):
            return self.literal(value, kind)
        if (
            isinstance(value, ox.BlankNode)
            and value in self.embeddable
            and value not in self.done
            and value not in self.active
        ):
            return self.node(value, top=False)
        reference = self.ref(value)
        return reference if kind == _ID else {"id": reference}

    def literal(self, value: ox.Literal, kind: str) -> Any:
        if value.language:
            return {"@value": value.value, "@language": value.language}
        datatype = value.datatype.value
        if kind == datatype:
            return value.value
        if kind == _PLAIN and datatype == _XSD_STRING:
            return value.value
        if kind == _PLAIN and datatype == _XSD_INTEGER and str(_as_int(value.value)) == value.value:
            return _as_int(value.value)
        if kind == _PLAIN and datatype == _XSD_BOOLEAN and value.value in ("true", "false"):
            return value.value == "true"
        if datatype == _XSD_STRING:
            return {"@value": value.value}
        return {"@value": value.value, "@type": self.context.curie(datatype)}


def _as_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
