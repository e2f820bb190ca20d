"""VoID statistics and linksets, computed from the data graph at build time.

Definitions (VoID, W3C Interest Group Note 2011, §4 and §5):

* ``triples``: triples in the data graph;
* ``entities``: distinct IRI subjects inside the dataset's URI space (``{base}/id/``) — VoID
  counts as entities only resources with a URI matching the dataset's URI pattern;
* ``distinct_subjects`` / ``distinct_objects``: every distinct subject / object term
  (blank nodes and literals included);
* a class partition counts the class's instances: ``entities`` (IRIs in the URI space) and
  ``distinct_subjects`` (every instance, so blank-node classes such as prov:Derivation count too);
* a property partition counts the property's ``triples`` and distinct subjects and objects;
* a link is a triple whose object is an IRI outside the dataset (``rdf:type`` excepted); links are
  grouped by target dataset: one EU authority table per table, otherwise one web site per host.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef

from .namespaces import AUTHORITY, DCTERMS, KINDS, RDF, VOID, XSD, Iris

__all__ = [
    "Linkset",
    "Statistics",
    "add_statistics",
    "compute_statistics",
    "link_target",
    "partition_node",
    "vocabulary_of",
]

_KIND_ORDER = {kind: index for index, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Linkset:
    """The links from the dataset to one target dataset."""

    target: str  # IRI naming the target dataset
    slug: str  # stable fragment identifier for the linkset
    title: str
    triples: int
    predicates: dict[str, int]  # link predicate -> number of links


@dataclass
class Statistics:
    triples: int = 0
    entities: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0
    classes: dict[str, tuple[int, int]] = field(default_factory=dict)  # class -> (entities, all)
    properties: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # (triples, s, o)
    vocabularies: list[str] = field(default_factory=list)
    linksets: list[Linkset] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)


def vocabulary_of(term: str, iris: Iris) -> str:
    """The vocabulary (namespace) a class or property belongs to; ours is the ontology IRI."""
    if term.startswith(str(iris.coop)):
        return str(iris.ontology)
    cut = max(term.rfind("#"), term.rfind("/"))
    return term[: cut + 1]


_AUTHORITY_TABLE = re.compile(re.escape(AUTHORITY) + r"([a-z0-9-]+)/")
_SITE = re.compile(r"^(https?)://([^/?#]+)")


def link_target(iri: str) -> tuple[str, str, str] | None:
    """(target dataset IRI, slug, title) for an external IRI, or None if it has no host."""
    table = _AUTHORITY_TABLE.match(iri)
    if table:
        name = table.group(1)
        return AUTHORITY + name, f"authority-{name}", f"EU authority table {name}"
    site = _SITE.match(iri)
    if not site:
        return None
    host = site.group(2).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", host).strip("-")
    return f"{site.group(1)}://{host}/", slug, host


def _entity(term: object, space: str) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(space)


def compute_statistics(graph: Graph, iris: Iris, examples: int = 3) -> Statistics:
    """Every number the VoID description publishes, from one pass over the data graph."""
    space = f"{iris.base}/id/"
    subjects: set[object] = set()
    objects: set[object] = set()
    instances: dict[str, set[object]] = defaultdict(set)
    property_triples: Counter[str] = Counter()
    property_subjects: dict[str, set[object]] = defaultdict(set)
    property_objects: dict[str, set[object]] = defaultdict(set)
    links: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    targets: dict[str, str] = {}
    size: Counter[object] = Counter()
    triples = 0
    for s, p, o in graph:
        triples += 1
        subjects.add(s)
        objects.add(o)
        size[s] += 1
        property_triples[str(p)] += 1
        property_subjects[str(p)].add(s)
        property_objects[str(p)].add(o)
        if p == RDF.type and isinstance(o, URIRef):
            instances[str(o)].add(s)
        elif isinstance(o, URIRef) and not str(o).startswith(iris.base + "/"):
            found = link_target(str(o))
            if found:
                target, slug, title = found
                # http and https links to one host go to one target, named by the https IRI
                targets[slug] = max(targets.get(slug, target), target)
                links[(slug, title)][str(p)] += 1

    stats = Statistics(
        triples=triples,
        entities=sum(1 for s in subjects if _entity(s, space)),
        distinct_subjects=len(subjects),
        distinct_objects=len(objects),
    )
    stats.classes = {
        c: (sum(1 for s in members if _entity(s, space)), len(members))
        for c, members in sorted(instances.items())
    }
    stats.properties = {
        p: (n, len(property_subjects[p]), len(property_objects[p]))
        for p, n in sorted(property_triples.items())
    }
    stats.vocabularies = sorted(
        {vocabulary_of(term, iris) for term in (*stats.classes, *stats.properties)}
    )
    stats.linksets = [
        Linkset(targets[slug], slug, title, sum(counter.values()), dict(sorted(counter.items())))
        for (slug, title), counter in sorted(links.items())
    ]
    stats.examples = _examples(size, space, examples)
    return stats


def _examples(size: Counter[object], space: str, wanted: int) -> list[str]:
    """The most-described thing of each kind, for the first kinds (in KINDS order) present."""
    best: dict[str, tuple[int, str]] = {}
    for subject, count in size.items():
        if not _entity(subject, space):
            continue
        text = str(subject)
        kind = text[len(space) :].split("/", 1)[0]
        if kind == "dataset":
            continue
        current = best.get(kind)
        if current is None or (-count, text) < (-current[0], current[1]):
            best[kind] = (count, text)
    kinds = sorted(best, key=lambda k: (_KIND_ORDER.get(k, len(KINDS)), k))
    return [best[kind][1] for kind in kinds[:wanted]]


def partition_node(role: str, term: str) -> BNode:
    """A stable blank node for a partition, so that equal builds give equal bytes."""
    return BNode("v" + hashlib.sha1(f"{role} {term}".encode()).hexdigest()[:20])


def _int(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def add_statistics(
    graph: Graph, dataset: URIRef, stats: Statistics, linkset_iri: Callable[[str], URIRef]
) -> None:
    """Write the class and property partitions and the linksets of ``dataset``."""
    d = dataset
    for cls, (entities, instances) in stats.classes.items():
        node = partition_node("class", cls)
        graph.add((d, VOID.classPartition, node))
        graph.add((node, VOID["class"], URIRef(cls)))
        graph.add((node, VOID.entities, _int(entities)))
        graph.add((node, VOID.distinctSubjects, _int(instances)))
    for prop, (triples, subjects, objects) in stats.properties.items():
        node = partition_node("property", prop)
        graph.add((d, VOID.propertyPartition, node))
        graph.add((node, VOID.property, URIRef(prop)))
        graph.add((node, VOID.triples, _int(triples)))
        graph.add((node, VOID.distinctSubjects, _int(subjects)))
        graph.add((node, VOID.distinctObjects, _int(objects)))
    for linkset in stats.linksets:
        ls = linkset_iri(linkset.slug)
        target = URIRef(linkset.target)
        graph.add((d, VOID.subset, ls))
        graph.add((ls, RDF.type, VOID.Linkset))
        graph.add((ls, DCTERMS.title, Literal(f"Links to {linkset.title}", lang="en")))
        graph.add((ls, VOID.subjectsTarget, d))
        graph.add((ls, VOID.objectsTarget, target))
        graph.add((target, RDF.type, VOID.Dataset))  # the range of void:objectsTarget
        graph.add((ls, VOID.triples, _int(linkset.triples)))
        for predicate, n in linkset.predicates.items():
            graph.add((ls, VOID.linkPredicate, URIRef(predicate)))
            if len(linkset.predicates) > 1:  # one sub-linkset per predicate, with its count
                part = partition_node(f"linkset {linkset.slug}", predicate)
                graph.add((ls, VOID.subset, part))
                graph.add((part, RDF.type, VOID.Linkset))
                graph.add((part, VOID.subjectsTarget, d))
                graph.add((part, VOID.objectsTarget, target))
                graph.add((part, VOID.linkPredicate, URIRef(predicate)))
                graph.add((part, VOID.triples, _int(n)))
