"""Record -> triples, one small function per record kind (docs/model.md is the contract)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .namespaces import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    XSD,
    Iris,
    corporate_body,
    country,
)
from .records import Record

__all__ = ["Conversion", "bind_prefixes", "date_literal", "records_to_graph"]

Triple = tuple[Node, Node, Node]


@dataclass
class Conversion:
    """The converted graph and, for each subject, the record it came from (file:line)."""

    graph: Graph
    origins: dict[Node, str] = field(default_factory=dict)
    #: the resource each blank node (a period, a signature, a source) belongs to
    owners: dict[Node, URIRef] = field(default_factory=dict)


def date_literal(value: str) -> Literal:
    """'2026' -> xsd:gYear, '2023-06' -> xsd:gYearMonth, '2026-04-24' -> xsd:date."""
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}[len(value)]
    return Literal(value, datatype=datatype)


def bind_prefixes(graph: Graph, iris: Iris) -> Graph:
    for prefix, namespace in {
        "coop": iris.coop,
        "org": ORG,
        "skos": SKOS,
        "dct": DCTERMS,
        "prov": PROV,
        "foaf": FOAF,
        "dcat": DCAT,
        "schema": SCHEMA,
        "xsd": XSD,
        "rdfs": RDFS,
        "owl": "http://www.w3.org/2002/07/owl#",
    }.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


class _Mapper:
    def __init__(self, records: list[Record], iris: Iris) -> None:
        self.iris = iris
        self.coop = iris.coop
        self.kind_of = {(r.kind, r.key): r for r in records}
        self.records = records
        self.triples: list[Triple] = []
        self.origins: dict[Node, str] = {}
        self.owners: dict[Node, URIRef] = {}

    # -- helpers -----------------------------------------------------------------
    def iri(self, record: Record) -> URIRef:
        return self.iris.thing(record.kind, record.key)

    def ref(self, key: str, *kinds: str) -> URIRef:
        for kind in kinds:
            if (kind, key) in self.kind_of:
                return self.iris.thing(kind, key)
        raise KeyError(key)  # records.load_records has checked every reference

    def refs(self, record: Record, name: str, *kinds: str) -> list[URIRef]:
        return [self.ref(key, *kinds) for key in record.refs(name)]

    def add(self, s: Node, p: Node, o: Node) -> None:
        self.triples.append((s, p, o))

    def bnode(self, owner: URIRef, role: str) -> BNode:
        digest = hashlib.sha1(f"{owner} {role}".encode()).hexdigest()[:20]
        node = BNode(f"b{digest}")
        self.origins[node] = self.origins.get(owner, "")
        self.owners[node] = owner
        return node

    def langs(self, s: Node, p: Node, value: dict[str, str | list[str]] | None) -> None:
        for lang, texts in (value or {}).items():
            for text in texts if isinstance(texts, list) else [texts]:
                self.add(s, p, Literal(text, lang=lang))

    def link(
        self, s: URIRef, p: URIRef, targets: Iterable[URIRef], back: URIRef | None = None
    ) -> None:
        for target in targets:
            self.add(s, p, target)
            if back is not None:
                self.add(target, back, s)

    def period(self, s: URIRef, value: dict[str, str] | None) -> None:
        if not value:
            return
        node = self.bnode(s, "period")
        self.add(s, DCTERMS.temporal, node)
        self.add(node, RDF.type, DCTERMS.PeriodOfTime)
        if "start" in value:
            self.add(node, DCAT.startDate, date_literal(value["start"]))
        if "end" in value:
            self.add(node, DCAT.endDate, date_literal(value["end"]))

    # -- every record --------------------------------------------------------------
    def common(self, record: Record, s: URIRef) -> None:
        self.origins[s] = record.origin
        label = record.get("label")
        self.langs(s, RDFS.label, label)
        self.langs(s, SKOS.prefLabel, label)
        self.langs(s, SKOS.altLabel, record.get("altLabel"))
        self.langs(s, DCTERMS.description, record.get("description"))
        for url in record.get("seeAlso") or []:
            self.add(s, RDFS.seeAlso, URIRef(url))
        if record.get("homepage"):
            self.add(s, FOAF.homepage, URIRef(record.get("homepage")))
        for index, source in enumerate(record.get("sources") or []):
            document = self.ref(source["document"], "document")
            self.add(s, PROV.wasDerivedFrom, document)
            node = self.bnode(s, f"source {index} {source['document']} {source['locator']}")
            self.add(s, PROV.qualifiedDerivation, node)
            self.add(node, RDF.type, PROV.Derivation)
            self.add(node, PROV.entity, document)
            self.add(node, self.coop.locator, Literal(source["locator"]))
            if source.get("quote"):
                self.add(node, self.coop.quote, Literal(source["quote"], lang="en"))

    # -- per kind ------------------------------------------------------------------
    def agreement(self, record: Record, s: URIRef) -> None:
        c = self.coop
        self.add(s, RDF.type, c.Agreement)
        self.langs(s, DCTERMS.title, record.get("label"))
        self.link(
            s, c.party, self.refs(record, "parties", "organisation", "country", "region", "person")
        )
        self.link(s, c.coordinator, self.refs(record, "coordinators", "organisation"))
        for index, signature in enumerate(record.get("signatures") or []):
            person = self.ref(signature["person"], "person")
            self.add(s, c.signatory, person)
            node = self.bnode(s, f"signature {index} {signature['person']}")
            self.add(s, PROV.qualifiedAttribution, node)
            self.add(node, RDF.type, c.Signature)
            self.add(node, PROV.agent, person)
            self.add(node, c.inCapacityOf, self.ref(signature["post"], "post"))
        if record.get("signed"):
            self.add(s, c.signatureDate, date_literal(record.get("signed")))
        self.link(s, c.signaturePlace, self.refs(record, "signedAt", "place"))
        self.period(s, record.get("period"))
        if record.get("created"):
            self.add(s, DCTERMS.created, date_literal(record.get("created")))
        self.link(s, c.documentedIn, self.refs(record, "documentedIn", "document"))
        for name in ("renews", "buildsOn", "inLineWith", "implements"):
            self.link(s, c[name], self.refs(record, name, "agreement"))
        self.link(s, DCTERMS.isPartOf, self.refs(record, "partOf", "agreement"))
        scheme_key = record.get("priorityAreaScheme")
        if scheme_key:
            self.add(s, c.priorityAreaScheme, self.ref(scheme_key, "scheme"))
            for area in self.records:
                if area.kind == "priority-area" and area.get("scheme") == scheme_key:
                    self.add(s, c.hasPriorityArea, self.iri(area))
        self.link(s, c.theme, self.refs(record, "themes", "concept", "priority-area"))
        self.link(s, c.formOfCooperation, self.refs(record, "formsOfCooperation", "concept"))
        self.link(s, c.hasObjective, self.refs(record, "objectives", "objective"), c.objectiveOf)
        self.link(s, c.hasOutput, self.refs(record, "outputs", "document"))
        self.link(s, DCTERMS.spatial, self.refs(record, "spatial", "country", "region"))
        if record.get("duration"):
            self.add(s, c.duration, Literal(record.get("duration"), datatype=XSD.duration))
        if record.get("memberCount") is not None:
            self.member_count(s, record)
        self.funding(record, s)
        for name in ("coordinationNote", "monitoringNote", "schedule"):
            self.langs(s, c[name], record.get(name))

    def funding(self, record: Record, s: URIRef) -> None:
        self.link(s, self.coop.fundedUnder, self.refs(record, "fundedUnder", "instrument"))
        self.langs(s, self.coop.fundingNote, record.get("fundingNote"))

    def member_count(self, s: URIRef, record: Record) -> None:
        count = Literal(record.get("memberCount"), datatype=XSD.integer)
        self.add(s, self.coop.memberCount, count)

    def number(self, s: URIRef, record: Record, notation: bool = False) -> None:
        if record.get("number") is None:
            return
        self.add(s, self.coop.number, Literal(record.get("number"), datatype=XSD.integer))
        if notation:
            self.add(s, SKOS.notation, Literal(str(record.get("number"))))

    def action(self, record: Record, s: URIRef) -> None:
        c = self.coop
        agreement = self.ref(record.get("agreement"), "agreement")
        self.add(s, c.actionOf, agreement)
        self.add(agreement, c.hasAction, s)
        self.number(s, record)
        self.link(s, c.contributesTo, self.refs(record, "contributesTo", "priority-area"))
        for area in self.refs(record, "focus", "priority-area"):
            self.add(s, c.focusArea, area)
            self.add(s, c.contributesTo, area)
        actors = ("organisation", "country", "region", "person")
        self.link(s, c.involves, self.refs(record, "involves", *actors))
        for actor in self.refs(record, "leads", *actors):
            self.add(s, c.leadActor, actor)
            self.add(s, c.involves, actor)
        related = self.refs(record, "relatedTo", "agreement", "instrument", "organisation")
        self.link(s, DCTERMS.relation, related)
        self.funding(record, s)

    def actor(self, record: Record, s: URIRef) -> None:
        c = self.coop
        self.add(s, RDF.type, c.Actor)
        self.langs(s, FOAF.name, record.get("label"))
        if record.kind == "organisation":
            self.add(s, RDF.type, c.Organisation)
            self.add(s, RDF.type, ORG.Organization)
        if record.kind == "person":
            self.add(s, RDF.type, FOAF.Person)
        self.link(s, ORG.unitOf, self.refs(record, "unitOf", "organisation"), ORG.hasUnit)
        self.link(
            s,
            ORG.subOrganizationOf,
            self.refs(record, "subOrganisationOf", "organisation"),
            ORG.hasSubOrganization,
        )
        self.link(s, ORG.memberOf, self.refs(record, "memberOf", "organisation"), ORG.hasMember)
        if record.get("authorityCode"):
            self.add(s, c.authorityCode, corporate_body(record.get("authorityCode")))
        if record.get("countryCode"):
            self.add(s, c.countryCode, country(record.get("countryCode")))
        if record.get("created"):
            self.add(s, DCTERMS.created, date_literal(record.get("created")))
        if record.get("memberCount") is not None:
            self.member_count(s, record)
        self.link(s, c.basedIn, self.refs(record, "basedIn", "place", "country", "region"))

    def post(self, record: Record, s: URIRef) -> None:
        self.link(s, ORG.postIn, self.refs(record, "postIn", "organisation"))
        self.link(s, ORG.heldBy, self.refs(record, "heldBy", "person"), ORG.holds)

    def place(self, record: Record, s: URIRef) -> None:
        self.link(s, self.coop.inCountry, self.refs(record, "country", "country"))

    def scheme(self, record: Record, s: URIRef) -> None:
        self.add(s, RDF.type, SKOS.ConceptScheme)
        self.langs(s, DCTERMS.title, record.get("label"))
        self.link(s, self.coop.schemeOf, self.refs(record, "schemeOf", "agreement"))

    def concept(self, record: Record, s: URIRef) -> None:
        self.add(s, RDF.type, SKOS.Concept)
        scheme = self.ref(record.get("scheme"), "scheme")
        self.add(s, SKOS.inScheme, scheme)
        self.add(s, SKOS.topConceptOf, scheme)
        self.add(scheme, SKOS.hasTopConcept, s)
        self.number(s, record, notation=True)

    def objective(self, record: Record, s: URIRef) -> None:
        owner = self.ref(record.get("of"), "agreement", "organisation")
        self.add(s, self.coop.objectiveOf, owner)
        self.add(owner, self.coop.hasObjective, s)
        self.number(s, record)

    def instrument(self, record: Record, s: URIRef) -> None:
        self.langs(s, DCTERMS.title, record.get("label"))
        self.link(s, self.coop.managedBy, self.refs(record, "managedBy", "organisation"))
        self.link(s, DCTERMS.isPartOf, self.refs(record, "partOf", "instrument", "agreement"))
        self.period(s, record.get("period"))

    def document(self, record: Record, s: URIRef) -> None:
        c = self.coop
        self.add(s, RDF.type, c.Document)
        self.add(s, RDF.type, FOAF.Document)
        self.langs(s, DCTERMS.title, record.get("label"))
        literals: dict[str, tuple[URIRef, URIRef | None]] = {
            "file": (c.fileName, None),
            "doi": (c.doi, None),
            "isbn": (c.isbn, None),
            "catalogueNumber": (c.catalogueNumber, None),
            "identifier": (DCTERMS.identifier, None),
            "citation": (DCTERMS.bibliographicCitation, None),
            "url": (SCHEMA.url, XSD.anyURI),
            # dct:language ranges over dct:LinguisticSystem resources; a BCP 47 tag is a literal
            "language": (SCHEMA.inLanguage, None),
        }
        for name, (predicate, datatype) in literals.items():
            if record.get(name):
                self.add(s, predicate, Literal(record.get(name), datatype=datatype))
        self.link(s, DCTERMS.publisher, self.refs(record, "publisher", "organisation"))
        if record.get("issued"):
            self.add(s, DCTERMS.issued, date_literal(record.get("issued")))
        if record.get("license"):
            self.add(s, DCTERMS.license, URIRef(record.get("license")))

    def run(self) -> Conversion:
        handlers: dict[str, Callable[[Record, URIRef], None]] = {
            "agreement": self.agreement,
            "action": self.action,
            "organisation": self.actor,
            "country": self.actor,
            "region": self.actor,
            "person": self.actor,
            "post": self.post,
            "place": self.place,
            "scheme": self.scheme,
            "priority-area": self.concept,
            "concept": self.concept,
            "objective": self.objective,
            "instrument": self.instrument,
            "document": self.document,
        }
        for record in self.records:
            s = self.iri(record)
            self.add(s, RDF.type, self.class_of(record))
            self.common(record, s)
            handlers[record.kind](record, s)
        graph = bind_prefixes(Graph(), self.iris)
        for triple in self.triples:
            graph.add(triple)
        return Conversion(graph, self.origins, self.owners)

    def class_of(self, record: Record) -> URIRef:
        external = {"Post": ORG.Post, "ConceptScheme": SKOS.ConceptScheme, "Concept": SKOS.Concept}
        return external.get(record.type, self.coop[record.type])


def records_to_graph(records: list[Record], iris: Iris) -> Conversion:
    """Convert checked records to an RDF graph under the deployment's base IRI."""
    return _Mapper(records, iris).run()
