"""The dataset's own description: DCAT-AP catalogue and VoID, computed at build time.

``describe_dataset`` writes the metadata named graph. It holds every fact that is known when
it is written; the one thing it cannot hold is the size and checksum of the TriG and N-Quads
dumps, because those files contain this very graph (a file cannot carry its own hash). The
served catalogue (``catalogue.catalog_graph``) therefore adds them from the build manifest at
serve time, where the manifest knows every file. docs/dcat-ap.md explains the choices.

Values from EU authority tables are used only for codes verified against a copy of the table
(shared/notes/domain-vocabularies.md §4). Linked resources are typed only with the class that
the linking property's own range already entails (``dct:spatial`` → ``dct:Location``...) or
that their own table gives them, which the DCAT-AP range shapes need when the ontologies are
not loaded; no ``skos:inScheme`` is ever stated for an EU code (only the table can say that).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from .catalogue import Places, add_file_facts, dumps, new_graph
from .config import Settings
from .errors import BuildError
from .namespaces import (
    AUTHORITY,
    DCAT,
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
from .void import Statistics, add_statistics, compute_statistics

if TYPE_CHECKING:
    from .build import BuildResult

__all__ = ["DUMP_FILE_TYPES", "PUBLISHER_TYPES", "THEMES", "THEME_CODES", "describe_dataset"]

IANA = "http://www.iana.org/assignments/media-types/"
W3C_FORMATS = Namespace("http://www.w3.org/ns/formats/")
SPARQL_QUERY = URIRef("https://www.w3.org/TR/sparql11-query/")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")

#: data-theme codes verified in the EU table (domain-vocabularies.md §4, data-theme 20160921-0),
#: with the table's English labels (DCAT-AP wants a skos:prefLabel on every skos:Concept)
THEMES = {
    "TECH": "Science and technology",
    "EDUC": "Education, culture and sport",
    "REGI": "Regions and cities",
    "GOVE": "Government and public sector",
    "INTR": "International issues",
    "ECON": "Economy and finance",
    "HEAL": "Health",
    "ENER": "Energy",
    "ENVI": "Environment",
}
THEME_CODES = frozenset(THEMES)
#: the ADMS publisher types (SEMICeu/ADMS-AP ADMS_SKOS_v1.00.rdf), with their labels
PUBLISHER_TYPES = {
    "Academia-ScientificOrganisation": "Academia/Scientific organisation",
    "Company": "Company",
    "IndustryConsortium": "Industry consortium",
    "LocalAuthority": "Local Authority",
    "NationalAuthority": "National authority",
    "NonGovernmentalOrganisation": "Non-Governmental Organisation",
    "NonProfitOrganisation": "Non-Profit Organisation",
    "PrivateIndividual(s)": "Private Individual(s)",
    "RegionalAuthority": "Regional authority",
    "StandardisationBody": "Standardisation body",
    "SupraNationalAuthority": "Supra-national authority",
}
PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
#: EU file-type code per format (file-type 20181212-0, verified)
DUMP_FILE_TYPES = {
    "turtle": "RDF_TURTLE",
    "jsonld": "JSON_LD",
    "ntriples": "RDF_N_TRIPLES",
    "rdfxml": "RDF_XML",
    "trig": "RDF_TRIG",
    "nquads": "RDF_N_QUADS",
    "gzip": "GZIP",
    "sparql": "SPARQLQ",
}
_W3C_FORMAT = {
    "turtle": "Turtle",
    "jsonld": "JSON-LD",
    "ntriples": "N-Triples",
    "rdfxml": "RDF_XML",
    "trig": "TriG",
    "nquads": "N-Quads",
}


def _date(value: str, fallback: str) -> Literal:
    text = value or fallback
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise BuildError(
            f"setting 'issued' is not a date: {text!r}", hint="use YYYY-MM-DD"
        ) from exc
    return Literal(text, datatype=XSD.date)


class _Describer:
    def __init__(self, result: BuildResult, manifest: dict[str, Any], settings: Settings) -> None:
        self.iris: Iris = result.inputs.iris
        self.at = Places(self.iris)
        self.data = result.graph
        self.manifest = manifest
        self.settings = settings
        self.graph = new_graph(self.iris)
        # as written ("Z"): rdflib would rewrite it "+00:00", the store back to "Z"
        self.built = Literal(manifest["built"], datatype=XSD.dateTime, normalize=False)
        self.issued = _date(settings.issued, str(manifest["built"])[:10])
        self.license = URIRef(settings.license)

    def add(self, s: Node, p: Node, o: Node) -> None:
        self.graph.add((s, p, o))

    def text(self, s: Node, p: Node, value: str) -> None:
        self.add(s, p, Literal(value, lang="en"))

    def typed(self, s: Node, p: Node, o: URIRef, kind: URIRef) -> None:
        """Link to ``o`` and state the class the property's range entails for it."""
        self.add(s, p, o)
        self.add(o, RDF.type, kind)

    # -- the common description: publisher, contact, licence -----------------------------
    def agents(self) -> None:
        s = self.settings
        publisher = URIRef(s.publisher_iri) if s.publisher_iri else self.at.publisher
        self.publisher = publisher
        self.add(publisher, RDF.type, FOAF.Agent)
        self.add(publisher, FOAF.name, Literal(s.publisher_name))
        if s.publisher_type:
            code = s.publisher_type.removeprefix(PUBLISHER_TYPE)
            if code not in PUBLISHER_TYPES or not s.publisher_type.startswith(PUBLISHER_TYPE):
                raise BuildError(
                    f"setting 'publisher_type': {s.publisher_type!r} is not an ADMS publisher type",
                    hint="use " + PUBLISHER_TYPE + "{" + ",".join(PUBLISHER_TYPES) + "}",
                )
            kind = URIRef(s.publisher_type)
            self.typed(publisher, DCTERMS.type, kind, SKOS.Concept)
            self.text(kind, SKOS.prefLabel, PUBLISHER_TYPES[code])
        contact = self.at.contact
        self.add(contact, RDF.type, VCARD.Kind)
        self.add(contact, VCARD.fn, Literal(s.publisher_name))
        if s.contact_email:
            self.add(contact, VCARD.hasEmail, URIRef("mailto:" + s.contact_email))
        if s.contact_url or not s.contact_email:
            self.add(contact, VCARD.hasURL, URIRef(s.contact_url or str(self.at.landing)))
        self.add(self.at.access_rights, RDF.type, DCTERMS.RightsStatement)
        self.text(
            self.at.access_rights,
            RDFS.label,
            "Public: anyone may access, download and query the data, without registration.",
        )

    def common(self, s: URIRef) -> None:
        self.add(s, DCTERMS.publisher, self.publisher)
        self.typed(s, DCTERMS.license, self.license, DCTERMS.LicenseDocument)

    def themes(self, s: URIRef) -> None:
        for code in self.settings.themes:
            if code not in THEME_CODES:
                raise BuildError(
                    f"setting 'themes': {code!r} is not a verified EU data-theme code",
                    hint="use some of " + ", ".join(sorted(THEME_CODES)),
                )
            theme = URIRef(f"{AUTHORITY}data-theme/{code}")
            self.typed(s, DCAT.theme, theme, SKOS.Concept)
            self.text(theme, SKOS.prefLabel, THEMES[code])
        for keyword in self.settings.keywords:
            self.text(s, DCAT.keyword, keyword)

    # -- catalogue, dataset, distributions, service -------------------------------------
    def catalog(self, places: list[URIRef]) -> None:
        c, s = self.at.catalog, self.settings
        self.add(c, RDF.type, DCAT.Catalog)
        self.text(c, DCTERMS.title, f"{s.title}: catalogue")
        self.text(
            c, DCTERMS.description, f"The data catalogue of {s.publisher_name}. {s.description}"
        )
        self.common(c)
        self.add(c, DCAT.dataset, self.iris.dataset)
        self.add(c, DCAT.service, self.at.service)
        self.typed(c, FOAF.homepage, self.at.landing, FOAF.Document)
        taxonomy = URIRef(f"{AUTHORITY}data-theme")
        self.typed(c, DCAT.themeTaxonomy, taxonomy, SKOS.ConceptScheme)
        self.text(taxonomy, DCTERMS.title, "Data theme")  # the table's own label
        self.add(c, DCTERMS.issued, self.issued)
        self.add(c, DCTERMS.modified, self.built)
        for place in places:
            self.add(c, DCTERMS.spatial, place)

    def dataset(self, places: list[URIRef]) -> None:
        d, s = self.iris.dataset, self.settings
        self.add(d, RDF.type, DCAT.Dataset)
        self.add(d, RDF.type, VOID.Dataset)
        self.text(d, DCTERMS.title, s.title)
        self.text(d, DCTERMS.description, s.description)
        self.add(d, DCTERMS.identifier, Literal(str(d)))
        self.common(d)
        self.add(d, DCAT.contactPoint, self.at.contact)
        self.themes(d)
        self.add(d, DCTERMS.issued, self.issued)
        self.add(d, DCTERMS.modified, self.built)
        self.add(d, OWL.versionInfo, Literal(self.manifest["version"]))
        self.add(d, DCTERMS.accessRights, self.at.access_rights)
        self.typed(d, DCTERMS.conformsTo, self.iris.shapes, DCTERMS.Standard)
        self.typed(d, DCAT.landingPage, self.at.landing, FOAF.Document)
        self.typed(
            d,
            DCTERMS.accrualPeriodicity,
            URIRef(f"{AUTHORITY}frequency/IRREG"),
            DCTERMS.Frequency,
        )
        for place in places:
            self.typed(d, DCTERMS.spatial, place, DCTERMS.Location)
        self.temporal(d)

    def temporal(self, d: URIRef) -> None:
        start, end = _coverage(self.data, self.iris)
        if start is None and end is None:
            return
        period = self.at.temporal
        self.add(d, DCTERMS.temporal, period)
        self.add(period, RDF.type, DCTERMS.PeriodOfTime)
        if start is not None:
            self.add(period, DCAT.startDate, start)
        if end is not None:
            self.add(period, DCAT.endDate, end)

    def distributions(self) -> None:
        d = self.iris.dataset
        for name, fmt in dumps():
            node = self.at.distribution(name)
            self.add(d, DCAT.distribution, node)
            self.add(node, RDF.type, DCAT.Distribution)
            url = self.at.download(name)
            self.add(node, DCAT.downloadURL, url)
            self.add(node, DCAT.accessURL, url)
            if fmt is None:  # N-Triples, gzip-compressed
                title, code, media = "N-Triples, gzip-compressed", "gzip", "application/n-triples"
                self.typed(node, DCAT.compressFormat, _iana("application/gzip"), DCTERMS.MediaType)
                what = "The data graph as sorted N-Triples, compressed with gzip."
            else:
                title, code, media = fmt.label, fmt.name, fmt.media_type
                what = (
                    "The data graph"
                    if fmt.family == "graph"
                    else "The data, the vocabulary, the shapes and this metadata, as named graphs"
                ) + f" in {fmt.label}."
            self.text(node, DCTERMS.title, f"{title} dump")
            self.text(node, DCTERMS.description, what)
            self.typed(node, DCAT.mediaType, _iana(media), DCTERMS.MediaType)
            self.format_and_license(node, code)
            self.add(node, DCTERMS.issued, self.issued)
            self.add(node, DCTERMS.modified, self.built)
            entry = self.manifest["files"].get(name)
            if entry is not None:  # not yet for the TriG/N-Quads dumps: see the module doc
                add_file_facts(self.graph, self.at, name, entry["bytes"], entry["sha256"])
        self.sparql_distribution(d)

    def format_and_license(self, node: URIRef, code: str) -> None:
        """A distribution's EU file-type and its licence, both typed for the range shapes."""
        self.typed(
            node,
            DCTERMS.format,
            URIRef(f"{AUTHORITY}file-type/{DUMP_FILE_TYPES[code]}"),
            DCTERMS.MediaTypeOrExtent,
        )
        self.typed(node, DCTERMS.license, self.license, DCTERMS.LicenseDocument)

    def sparql_distribution(self, d: URIRef) -> None:
        node = self.at.part("sparql")
        self.add(d, DCAT.distribution, node)
        self.add(node, RDF.type, DCAT.Distribution)
        self.text(node, DCTERMS.title, "SPARQL endpoint")
        self.text(node, DCTERMS.description, "Query the data with SPARQL 1.1 (read-only).")
        self.add(node, DCAT.accessURL, self.at.sparql)
        self.add(node, DCAT.accessService, self.at.service)
        self.format_and_license(node, "sparql")
        self.add(node, DCTERMS.modified, self.built)

    def service(self) -> None:
        svc = self.at.service
        self.add(svc, RDF.type, DCAT.DataService)
        self.text(svc, DCTERMS.title, f"SPARQL endpoint: {self.settings.title}")
        self.text(
            svc,
            DCTERMS.description,
            "A read-only SPARQL 1.1 Protocol endpoint over the dataset. GET without a query "
            "returns its SPARQL Service Description; the VoID description gives its statistics.",
        )
        self.add(svc, DCAT.endpointURL, self.at.sparql)
        self.add(svc, DCAT.endpointDescription, self.at.sparql)
        self.add(svc, DCAT.servesDataset, self.iris.dataset)
        self.add(svc, RDFS.seeAlso, self.at.void)
        for standard in (SPARQL_QUERY, SPARQL_PROTOCOL):
            self.typed(svc, DCTERMS.conformsTo, standard, DCTERMS.Standard)
        self.common(svc)
        self.add(svc, DCAT.contactPoint, self.at.contact)
        self.add(svc, DCTERMS.accessRights, self.at.access_rights)
        self.themes(svc)

    # -- VoID ------------------------------------------------------------------------------
    def void(self, stats: Statistics) -> None:
        d, g = self.iris.dataset, self.graph
        doc = self.at.void
        self.add(doc, RDF.type, VOID.DatasetDescription)
        self.text(doc, DCTERMS.title, f"VoID description of {self.settings.title}")
        self.add(doc, FOAF.primaryTopic, d)
        self.add(doc, DCTERMS.modified, self.built)
        count = {
            VOID.triples: stats.triples,
            VOID.entities: stats.entities,
            VOID.distinctSubjects: stats.distinct_subjects,
            VOID.distinctObjects: stats.distinct_objects,
            VOID.classes: len(stats.classes),
            VOID.properties: len(stats.properties),
        }
        for p, n in count.items():
            g.add((d, p, _int(n)))
        self.add(d, VOID.sparqlEndpoint, self.at.sparql)
        for name, fmt in dumps():
            if fmt is None or fmt.family == "graph":  # the TriG/N-Quads hold more than the data
                self.add(d, VOID.dataDump, self.at.download(name))
            if fmt is not None and fmt.family == "graph":
                self.add(d, VOID.feature, W3C_FORMATS[_W3C_FORMAT[fmt.name]])
        self.add(d, VOID.uriSpace, Literal(f"{self.iris.base}/id/"))
        self.add(d, VOID.rootResource, self.at.catalog)
        for example in stats.examples:
            self.add(d, VOID.exampleResource, URIRef(example))
        for vocabulary in stats.vocabularies:
            self.add(d, VOID.vocabulary, URIRef(vocabulary))
        add_statistics(self.graph, d, stats, self.at.linkset)

    def run(self) -> Graph:
        places = _places(self.data)
        self.agents()
        self.catalog(places)
        self.dataset(places)
        self.distributions()
        self.service()
        self.void(compute_statistics(self.data, self.iris))
        return self.graph


def _iana(media_type: str) -> URIRef:
    return URIRef(IANA + media_type)


def _int(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def _places(data: Graph) -> list[URIRef]:
    """Spatial coverage: the EU country concepts the data links its countries to."""
    prefix = f"{AUTHORITY}country/"
    found = {o for o in data.objects() if isinstance(o, URIRef) and str(o).startswith(prefix)}
    return sorted(found, key=str)


_DATE_TYPES = {XSD.date: 10, XSD.gYearMonth: 7, XSD.gYear: 4}


def _coverage(data: Graph, iris: Iris) -> tuple[Literal | None, Literal | None]:
    """Temporal coverage: from the earliest to the latest date an agreement (or instrument)
    period starts, ends or is signed on."""
    dates = [
        o
        for p in (DCAT.startDate, DCAT.endDate, iris.coop.signatureDate)
        for o in data.objects(None, p)
        if isinstance(o, Literal)
        and o.datatype is not None
        and _DATE_TYPES.get(o.datatype) == len(str(o))
    ]
    if not dates:
        return None, None
    # a year or a month covers from its first day (for the start) to its last (for the end)
    start = min(dates, key=lambda o: (str(o) + "-01-01"[len(str(o)) - 4 :], len(str(o))))
    end = max(dates, key=lambda o: (str(o) + "-12-31"[len(str(o)) - 4 :], -len(str(o))))
    return start, end


def describe_dataset(result: BuildResult, manifest: dict[str, Any], settings: Settings) -> Graph:
    """The metadata named graph: DCAT-AP catalogue, dataset, distributions, service and VoID."""
    return _Describer(result, manifest, settings).run()
