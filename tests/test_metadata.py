"""metadata.py, void.py and catalogue.py on a small graph whose every number is counted by hand."""

from __future__ import annotations

from typing import Any

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, VOID, XSD

from coopld.build import BuildResult, Inputs
from coopld.catalogue import Places, catalog_graph, void_graph
from coopld.config import Settings
from coopld.errors import BuildError
from coopld.mapping import Conversion
from coopld.metadata import describe_dataset
from coopld.namespaces import Iris
from coopld.validation import ValidationOutcome
from coopld.void import compute_statistics, link_target

BASE = "http://example.org/ld"
IRIS = Iris(BASE)
COOP = Namespace(BASE + "/def/coop#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
AUTH = "http://publications.europa.eu/resource/authority/"
BUILT = "2026-05-04T03:02:01Z"

SMALL = f"""
@prefix coop: <{BASE}/def/coop#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <{BASE}/> .

<id/agreement/a1> a coop:Agreement , coop:JointActionPlan ;
    rdfs:label "A1"@en ;
    coop:party <id/organisation/o1> , <id/organisation/o2> ;
    coop:signatureDate "2020-05-01"^^xsd:date ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020"^^xsd:gYear ;
                   dcat:endDate "2023-06"^^xsd:gYearMonth ] ;
    rdfs:seeAlso <http://ec.europa.eu/x> , <https://ec.europa.eu/y> .
<id/organisation/o1> a coop:Organisation ;
    rdfs:label "O1"@en ;
    coop:authorityCode <{AUTH}corporate-body/COM> ;
    foaf:homepage <https://ec.europa.eu/> .
<id/organisation/o2> a coop:Organisation ; rdfs:label "O2"@en .
<id/country/bel> a coop:Country ; rdfs:label "Belgium"@en ;
    coop:countryCode <{AUTH}country/BEL> .
<http://elsewhere.example/thing> rdfs:label "outside the URI space"@en .
"""

FILES = {
    "coopld.ttl": {"bytes": 10, "sha256": "aa" * 32, "media_type": "text/turtle"},
    "coopld.jsonld": {"bytes": 11, "sha256": "bb" * 32, "media_type": "application/ld+json"},
    "coopld.nt": {"bytes": 12, "sha256": "cc" * 32, "media_type": "application/n-triples"},
    "coopld.rdf": {"bytes": 13, "sha256": "dd" * 32, "media_type": "application/rdf+xml"},
    "coopld.nt.gz": {"bytes": 14, "sha256": "ee" * 32, "media_type": "application/gzip"},
}
LATER = {  # written after the metadata graph, which they contain
    "coopld.trig": {"bytes": 15, "sha256": "ff" * 32, "media_type": "application/trig"},
    "coopld.nq": {"bytes": 16, "sha256": "01" * 32, "media_type": "application/n-quads"},
}


def small_graph() -> Graph:
    return Graph().parse(data=SMALL, format="turtle")


def build_result(graph: Graph) -> BuildResult:
    outcome = ValidationOutcome(True, Graph(), ())
    return BuildResult(Conversion(graph), outcome, Inputs(IRIS, [], Graph(), Graph()))


def describe(settings: Settings | None = None, graph: Graph | None = None) -> Graph:
    manifest: dict[str, Any] = {"built": BUILT, "version": "v1", "files": dict(FILES)}
    return describe_dataset(
        build_result(graph or small_graph()), manifest, settings or Settings(base=BASE)
    )


def thing(path: str) -> URIRef:
    return URIRef(f"{BASE}/id/{path}")


# -- statistics --------------------------------------------------------------------------------


def test_statistics_count_what_void_defines() -> None:
    graph = small_graph()
    stats = compute_statistics(graph, IRIS)
    assert stats.triples == len(graph) == 22  # 9 + 3 (the period) + 4 + 2 + 3 + 1
    assert stats.entities == 4  # IRIs under /id/ in subject position; not the period, not elsewhere
    assert stats.distinct_subjects == 6
    assert stats.classes[str(COOP.Organisation)] == (2, 2)
    assert stats.classes[str(DCTERMS.PeriodOfTime)] == (
        0,
        1,
    )  # a blank node: an instance, no entity
    assert len(stats.classes) == 5
    assert stats.properties[str(COOP.party)] == (2, 1, 2)
    assert stats.properties[str(RDF.type)] == (6, 5, 5)


def test_links_are_grouped_by_target_dataset() -> None:
    stats = compute_statistics(small_graph(), IRIS)
    found = {ls.slug: (ls.target, ls.triples, ls.predicates) for ls in stats.linksets}
    assert found == {
        "authority-corporate-body": (AUTH + "corporate-body", 1, {str(COOP.authorityCode): 1}),
        "authority-country": (AUTH + "country", 1, {str(COOP.countryCode): 1}),
        # http and https links to one host are one target, named by its https IRI
        "ec-europa-eu": (
            "https://ec.europa.eu/",
            3,
            {str(FOAF.homepage): 1, "http://www.w3.org/2000/01/rdf-schema#seeAlso": 2},
        ),
    }


def test_link_target_of_an_iri_without_host_is_none() -> None:
    assert link_target("urn:isbn:978-92-895-4042-1") is None
    assert link_target(AUTH + "file-type/GZIP") == (
        AUTH + "file-type",
        "authority-file-type",
        "EU authority table file-type",
    )


def test_example_resources_are_the_most_described_thing_of_the_first_kinds() -> None:
    stats = compute_statistics(small_graph(), IRIS)
    assert stats.examples == [
        str(thing("agreement/a1")),
        str(thing("organisation/o1")),  # o1 says more than o2
        str(thing("country/bel")),
    ]


def test_vocabularies_are_the_namespaces_used_with_ours_named_by_the_ontology() -> None:
    stats = compute_statistics(small_graph(), IRIS)
    assert str(IRIS.ontology) in stats.vocabularies
    assert str(DCTERMS) in stats.vocabularies
    assert not any(v.startswith(str(COOP)) for v in stats.vocabularies)


# -- the metadata graph -------------------------------------------------------------------------


def test_void_numbers_are_written_as_computed() -> None:
    meta = describe()
    d = IRIS.dataset
    assert meta.value(d, VOID.triples) == Literal(22, datatype=XSD.integer)
    assert meta.value(d, VOID.entities) == Literal(4, datatype=XSD.integer)
    assert meta.value(d, VOID.uriSpace) == Literal(f"{BASE}/id/")
    assert set(meta.objects(d, VOID.exampleResource)) == {
        thing("agreement/a1"),
        thing("organisation/o1"),
        thing("country/bel"),
    }
    partitions = {
        meta.value(node, VOID["class"]): int(meta.value(node, VOID.distinctSubjects))
        for node in meta.objects(d, VOID.classPartition)
    }
    assert partitions[COOP.Organisation] == 2


def test_temporal_coverage_runs_from_the_first_day_to_the_last() -> None:
    meta = describe()
    period = meta.value(IRIS.dataset, DCTERMS.temporal)
    # "2020" starts before 2020-05-01; "2023-06" ends after it
    assert meta.value(period, DCAT.startDate) == Literal("2020", datatype=XSD.gYear)
    assert meta.value(period, DCAT.endDate) == Literal("2023-06", datatype=XSD.gYearMonth)


def test_spatial_coverage_is_the_eu_countries_the_data_links_to() -> None:
    meta = describe()
    assert list(meta.objects(IRIS.dataset, DCTERMS.spatial)) == [URIRef(AUTH + "country/BEL")]
    assert (URIRef(AUTH + "country/BEL"), RDF.type, DCTERMS.Location) in meta


def test_no_dates_no_temporal_coverage() -> None:
    graph = Graph().parse(
        data=f'<{BASE}/id/place/p> <http://www.w3.org/2000/01/rdf-schema#label> "P" .',
        format="turtle",
    )
    assert (IRIS.dataset, DCTERMS.temporal, None) not in describe(graph=graph)


def test_checksums_in_the_metadata_graph_are_those_of_files_written_before_it() -> None:
    meta = describe()
    at = Places(IRIS)
    for name, entry in FILES.items():
        checksum = meta.value(at.distribution(name), SPDX.checksum)
        assert str(meta.value(checksum, SPDX.checksumValue)) == entry["sha256"]
        assert int(meta.value(at.distribution(name), DCAT.byteSize)) == entry["bytes"]
    for name in LATER:  # described, but a file cannot carry its own checksum
        assert (at.distribution(name), RDF.type, DCAT.Distribution) in meta
        assert (at.distribution(name), SPDX.checksum, None) not in meta


def test_served_catalogue_has_every_checksum_from_the_manifest() -> None:
    at = Places(IRIS)
    catalogue = catalog_graph(describe(), IRIS, {**FILES, **LATER})
    for name, entry in {**FILES, **LATER}.items():
        node = at.distribution(name)
        assert catalogue.value(node, DCAT.byteSize) == Literal(
            entry["bytes"], datatype=XSD.nonNegativeInteger
        )
        checksum = catalogue.value(node, SPDX.checksum)
        assert catalogue.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(catalogue.value(checksum, SPDX.checksumValue)) == entry["sha256"]
        assert len(list(catalogue.objects(node, SPDX.checksum))) == 1


def test_dcat_ap_2_catalogue_has_sha1_checksums_and_decimal_sizes() -> None:
    at = Places(IRIS)
    files = {**FILES, **LATER}
    sha1 = {name: f"{index:040x}" for index, name in enumerate(files)}
    catalogue = catalog_graph(describe(), IRIS, files, "dcat-ap-2.1.1", sha1)
    for name, entry in files.items():
        node = at.distribution(name)
        assert catalogue.value(node, DCAT.byteSize) == Literal(
            str(entry["bytes"]), datatype=XSD.decimal
        )
        checksum = catalogue.value(node, SPDX.checksum)
        assert catalogue.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha1
        assert str(catalogue.value(checksum, SPDX.checksumValue)) == sha1[name]
    assert (None, SPDX.algorithm, SPDX.checksumAlgorithm_sha256) not in catalogue


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="profile"):
        catalog_graph(describe(), IRIS, FILES, "dcat-ap-9")


def test_catalogue_and_void_documents_split_the_metadata_graph() -> None:
    meta = describe()
    catalogue = catalog_graph(meta, IRIS, FILES)
    void = void_graph(meta, IRIS)
    assert (None, VOID.classPartition, None) not in catalogue
    assert (None, RDF.type, VOID.Linkset) not in catalogue
    assert (None, RDF.type, DCAT.Distribution) not in void
    assert (None, VOID.classPartition, None) in void
    assert (None, RDF.type, VOID.Linkset) in void
    assert (Places(IRIS).void, FOAF.primaryTopic, IRIS.dataset) in void
    # between them, every triple of the metadata graph is published
    covered = {t for t in catalogue} | {t for t in void}
    missing = [t for t in meta if t not in covered and not isinstance(t[0], BNode)]
    assert missing == []


def test_the_metadata_graph_is_deterministic() -> None:
    first, second = describe(), describe()
    assert sorted(first.serialize(format="nt").splitlines()) == sorted(
        second.serialize(format="nt").splitlines()
    )
    assert isomorphic(first, second)


# -- settings drive what is said about the publisher ---------------------------------------------


def test_publisher_licence_and_contact_come_from_settings() -> None:
    settings = Settings(
        base=BASE,
        publisher_name="Example Office",
        publisher_iri=AUTH + "corporate-body/PUBL",
        publisher_type="http://purl.org/adms/publishertype/SupraNationalAuthority",
        contact_email="data@example.org",
        contact_url="https://example.org/contact",
        license="http://publications.europa.eu/resource/authority/licence/CC0",
        title="A title",
        themes=("TECH",),
        keywords=("one", "two"),
        issued="2025-01-02",
    )
    meta = describe(settings)
    d = IRIS.dataset
    publisher = URIRef(AUTH + "corporate-body/PUBL")
    assert meta.value(d, DCTERMS.publisher) == publisher
    assert meta.value(publisher, FOAF.name) == Literal("Example Office")
    assert meta.value(d, DCTERMS.license) == URIRef(settings.license)
    contact = meta.value(d, DCAT.contactPoint)
    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    assert meta.value(contact, vcard.hasEmail) == URIRef("mailto:data@example.org")
    assert meta.value(contact, vcard.hasURL) == URIRef("https://example.org/contact")
    assert list(meta.objects(d, DCAT.theme)) == [URIRef(AUTH + "data-theme/TECH")]
    assert sorted(str(k) for k in meta.objects(d, DCAT.keyword)) == ["one", "two"]
    assert meta.value(d, DCTERMS.issued) == Literal("2025-01-02", datatype=XSD.date)
    kind = URIRef(settings.publisher_type)
    assert (publisher, DCTERMS.type, kind) in meta
    assert meta.value(kind, SKOS.prefLabel) == Literal("Supra-national authority", lang="en")


def test_defaults_name_our_own_publisher_and_the_landing_page_as_contact() -> None:
    meta = describe()
    at = Places(IRIS)
    assert meta.value(IRIS.dataset, DCTERMS.publisher) == at.publisher
    contact = meta.value(IRIS.dataset, DCAT.contactPoint)
    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    assert meta.value(contact, vcard.hasURL) == URIRef(f"{BASE}/")
    assert meta.value(IRIS.dataset, DCTERMS.issued) == Literal(BUILT[:10], datatype=XSD.date)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("themes", ("TECH", "SPACE"), "data-theme"),
        ("publisher_type", "http://purl.org/adms/publishertype/Pirate", "publisher type"),
        ("issued", "24/04/2026", "not a date"),
    ],
)
def test_bad_settings_stop_the_build_with_a_hint(setting: str, value: Any, message: str) -> None:
    with pytest.raises(BuildError, match=message) as caught:
        describe(Settings(base=BASE).replace(**{setting: value}))
    assert caught.value.hint
