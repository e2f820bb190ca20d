"""The served catalogue against the official DCAT-AP SHACL shapes, 3.0.1 and 2.1.1.

The catalogue is fetched through the app (``/catalog``, and ``?profile=dcat-ap-2.1.1``),
parsed, and validated with pySHACL group by group, as the spec's "Validation of DCAT-AP"
section and the EU Interoperability Test Bed group the files: the core shapes, the class
ranges, the recommendations and the deprecations run on the catalogue alone; the
controlled-vocabulary shapes run on the catalogue plus the official authority-table copies
(``mdr_imports``), so a code is accepted only because the Publications Office's table lists
it. Every warning must be one that docs/dcat-ap.md explains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH, SKOS

from coopld.catalogue import catalog_graph
from coopld.config import Settings

from .conftest import ROOT, shared_path
from .test_metadata import BASE, FILES, IRIS, LATER, describe  # a small, hand-counted graph

SPDX = Namespace("http://spdx.org/rdf/terms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
AUTHORITY = "http://publications.europa.eu/resource/authority/"
DOCS = ROOT / "docs" / "dcat-ap.md"

GROUPS = ("shapes", "range", "recommended", "mdr", "deprecated")
FILES_OF_SMALL = {**FILES, **LATER}
SHA1_OF_SMALL = {name: "0" * 40 for name in FILES_OF_SMALL}
PROFILE_FILES = {
    "dcat-ap-3.0.1": {
        "shapes": "3.0.1/html/shacl/shapes.ttl",
        "range": "3.0.1/html/shacl/range.ttl",
        "recommended": "3.0.1/html/shacl/shapes_recommended.ttl",
        "mdr": "3.0.1/html/shacl/mdr-vocabularies.shape.ttl",
        "deprecated": "3.0.1/html/shacl/deprecateduris.ttl",
    },
    "dcat-ap-2.1.1": {
        group: f"2.1.1/dcat-ap_2.1.1_shacl_{name}.ttl"
        for group, name in {
            "shapes": "shapes",
            "range": "range",
            "recommended": "shapes_recommended",
            "mdr": "mdr-vocabularies.shape",
            "deprecated": "deprecateduris",
        }.items()
    },
}


@dataclass(frozen=True)
class Result:
    severity: str  # Violation, Warning, Info
    focus: str
    path: str
    value: str
    component: str
    shape: str
    message: str
    details: tuple[Result, ...] = ()


def _results(report: Graph) -> list[Result]:
    def read(node: object) -> Result:
        def text(p: URIRef) -> str:
            value = report.value(node, p)  # type: ignore[arg-type]
            return "" if value is None else str(value)

        return Result(
            severity=text(SH.resultSeverity).rsplit("#", 1)[-1],
            focus=text(SH.focusNode),
            path=text(SH.resultPath),
            value=text(SH.value),
            component=text(SH.sourceConstraintComponent).rsplit("#", 1)[-1],
            shape=text(SH.sourceShape),
            message=text(SH.resultMessage),
            details=tuple(read(d) for d in report.objects(node, SH.detail)),  # type: ignore[arg-type]
        )

    return [read(node) for node in report.objects(None, SH.result)]


Validator = Callable[[str, str, Graph | None], list[Result]]


@pytest.fixture(scope="module")
def shape_graphs() -> dict[tuple[str, str], Graph]:
    folder = shared_path("external", "dcat-ap")
    return {
        (profile, group): Graph().parse(folder / path, format="turtle")
        for profile, files in PROFILE_FILES.items()
        for group, path in files.items()
    }


@pytest.fixture(scope="module")
def tables() -> Graph:
    """The official authority-table copies (and the DCAT-AP vocabulary), as mdr_imports."""
    graph = Graph()
    for path in sorted(shared_path("external", "dcat-ap", "vocabularies").glob("*.rdf")):
        graph.parse(path, format="xml")
    return graph


@pytest.fixture(scope="module")
def served(app: Flask) -> dict[str, Graph]:
    """The catalogue exactly as a harvester gets it, in each profile."""
    client = app.test_client()
    graphs = {}
    for profile in PROFILE_FILES:
        response = client.get(
            "/catalog", query_string={"profile": profile}, headers={"Accept": "text/turtle"}
        )
        assert response.status_code == 200, response.data
        graphs[profile] = Graph().parse(data=response.data, format="turtle")
    return graphs


@pytest.fixture(scope="module")
def check(shape_graphs: dict[tuple[str, str], Graph], tables: Graph) -> Validator:
    def run(profile: str, group: str, catalogue: Graph | None) -> list[Result]:
        assert catalogue is not None
        data = catalogue + tables if group == "mdr" else catalogue
        _, report, _ = validate(
            data, shacl_graph=shape_graphs[(profile, group)], allow_warnings=True
        )
        return _results(report)

    return run


@pytest.fixture(scope="module")
def results(served: dict[str, Graph], check: Validator) -> dict[tuple[str, str], list[Result]]:
    return {
        (profile, group): check(profile, group, served[profile])
        for profile in PROFILE_FILES
        for group in GROUPS
    }


# -- violations ---------------------------------------------------------------------------------

CASES = [(p, g) for p in PROFILE_FILES for g in GROUPS if (p, g) != ("dcat-ap-3.0.1", "mdr")]


@pytest.mark.parametrize(("profile", "group"), CASES)
def test_catalogue_has_no_violations(
    results: dict[tuple[str, str], list[Result]], profile: str, group: str
) -> None:
    violations = [r for r in results[(profile, group)] if r.severity == "Violation"]
    assert violations == []


def _is_spdx_pattern_defect(result: Result) -> bool:
    """DCAT-AP 3.0.1 mdr :ChecksumAlgorithmRestriction demands ``^https://spdx.org/rdf/terms``,
    which no SPDX IRI matches (SPDX 2: http://spdx.org/rdf/terms#…, the namespace DCAT and
    the DCAT-AP shapes themselves use; SPDX 3: https://spdx.org/rdf/3.0.1/terms/…)."""
    return (
        result.severity == "Violation"
        and result.path == str(SPDX.algorithm)
        and result.value == str(SPDX.checksumAlgorithm_sha256)
        and result.component == "NodeConstraintComponent"
        and [d.component for d in result.details] == ["PatternConstraintComponent"]
        and "https://spdx.org/rdf/terms" in result.details[0].message
    )


def test_dcat_ap_3_mdr_violations_are_only_the_upstream_spdx_pattern_defect(
    results: dict[tuple[str, str], list[Result]], served: dict[str, Graph]
) -> None:
    violations = [r for r in results[("dcat-ap-3.0.1", "mdr")] if r.severity == "Violation"]
    others = [r for r in violations if not _is_spdx_pattern_defect(r)]
    assert others == []
    checksums = set(served["dcat-ap-3.0.1"].subjects(RDF.type, SPDX.Checksum))
    assert {r.focus for r in violations} == {str(c) for c in checksums}


def test_with_the_spdx_pattern_corrected_dcat_ap_3_mdr_has_no_violations(
    shape_graphs: dict[tuple[str, str], Graph], served: dict[str, Graph], tables: Graph
) -> None:
    """The erratum: accept the SPDX namespace the rest of DCAT-AP 3.0.1 uses (http)."""
    shapes = Graph()
    for triple in shape_graphs[("dcat-ap-3.0.1", "mdr")]:
        shapes.add(triple)
    broken = Literal("^https://spdx.org/rdf/terms")
    patched = [s for s in shapes.subjects(SH.pattern, broken)]
    assert len(patched) == 1  # the defect is where we say it is
    shapes.set((patched[0], SH.pattern, Literal("^https?://spdx.org/rdf/terms")))
    _, report, _ = validate(
        served["dcat-ap-3.0.1"] + tables, shacl_graph=shapes, allow_warnings=True
    )
    assert [r for r in _results(report) if r.severity == "Violation"] == []


# -- warnings: each one fixed or explained ------------------------------------------------------

#: (what docs/dcat-ap.md calls it, does this warning fit it?)
EXPLAINED: dict[str, Callable[[str, Result], bool]] = {
    "dcat:bbox / dcat:centroid": lambda g, r: (
        g == "recommended"
        and r.path in (str(DCAT.bbox), str(DCAT.centroid))
        and r.focus.startswith(AUTHORITY + "country/")
    ),
    "licence dct:type": lambda g, r: (
        g == "recommended"
        and r.path == str(DCTERMS.type)
        and r.focus.startswith(AUTHORITY + "licence/")
    ),
    "publisher dct:type": lambda g, r: (
        g == "recommended"
        and r.path == str(DCTERMS.type)
        and r.focus.endswith("/catalog#publisher")
    ),
    "catalogue dct:language": lambda g, r: (
        g == "recommended" and r.path == str(DCTERMS.language) and r.focus.endswith("/catalog")
    ),
    "dcatap:availability": lambda g, r: g == "recommended" and r.path == str(DCATAP.availability),
    "publisher not in corporate-body": lambda g, r: (
        g == "mdr" and r.path == str(DCTERMS.publisher) and r.value.endswith("/catalog#publisher")
    ),
    "access rights not in access-right": lambda g, r: (
        g == "mdr" and r.path == str(DCTERMS.accessRights) and r.value.endswith("#access-rights")
    ),
}


def test_every_warning_is_one_the_documentation_explains(
    results: dict[tuple[str, str], list[Result]],
) -> None:
    unexplained = [
        (profile, group, r)
        for (profile, group), found in results.items()
        for r in found
        if r.severity != "Violation" and not any(fits(group, r) for fits in EXPLAINED.values())
    ]
    assert unexplained == []


def test_the_documentation_explains_every_kind_of_warning_and_the_results() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in EXPLAINED:
        assert f"`{name}`" in text, f"docs/dcat-ap.md does not explain {name!r}"
    assert "ChecksumAlgorithmRestriction" in text


def test_warnings_are_not_hidden_by_an_empty_catalogue(
    results: dict[tuple[str, str], list[Result]], served: dict[str, Graph]
) -> None:
    """The validated graph is the real catalogue: each recommended class is there."""
    for profile, graph in served.items():
        for cls in (DCAT.Catalog, DCAT.Dataset, DCAT.Distribution, DCAT.DataService):
            assert (None, RDF.type, cls) in graph, (profile, cls)
        assert len(set(graph.subjects(RDF.type, DCAT.Distribution))) == 8


# -- the controlled-vocabulary check has teeth ------------------------------------------------


def test_authority_codes_are_checked_against_the_tables_not_against_ourselves(
    served: dict[str, Graph],
) -> None:
    """The catalogue never states skos:inScheme for an EU code: only the table can."""
    for graph in served.values():
        stated = [s for s, _, _ in graph.triples((None, SKOS.inScheme, None))]
        assert [s for s in stated if str(s).startswith(AUTHORITY)] == []


def test_an_unknown_file_type_code_is_a_violation(
    served: dict[str, Graph], check: Validator
) -> None:
    graph = Graph()
    for triple in served["dcat-ap-3.0.1"]:
        graph.add(triple)
    turtle = URIRef(AUTHORITY + "file-type/RDF_TURTLE")
    bogus = URIRef(AUTHORITY + "file-type/TURTLE")  # does not exist (domain-vocabularies.md §4)
    for s, p, _ in list(graph.triples((None, DCTERMS.format, turtle))):
        graph.remove((s, p, turtle))
        graph.add((s, p, bogus))
        graph.add((bogus, RDF.type, DCTERMS.MediaTypeOrExtent))
    found = check("dcat-ap-3.0.1", "mdr", graph)
    assert any(
        r.severity == "Violation" and r.path == str(DCTERMS.format) and r.value == str(bogus)
        for r in found
    )


def test_a_deployment_with_an_eu_publisher_has_no_publisher_warnings(
    check: Validator, served: dict[str, Graph]
) -> None:
    """The publisher warnings are the default settings' doing, as docs/dcat-ap.md says."""
    settings = Settings(
        base=BASE,
        publisher_name="Publications Office",
        publisher_iri=AUTHORITY + "corporate-body/PUBL",
        publisher_type="http://purl.org/adms/publishertype/SupraNationalAuthority",
    )
    meta = describe(settings)
    for profile in PROFILE_FILES:
        catalogue = catalog_graph(meta, IRIS, FILES_OF_SMALL, profile, SHA1_OF_SMALL)
        found = check(profile, "recommended", catalogue) + check(profile, "mdr", catalogue)
        about_publisher = [
            r
            for r in found
            if r.path == str(DCTERMS.publisher)
            or (r.path == str(DCTERMS.type) and "corporate-body" in r.focus)
        ]
        assert about_publisher == [], profile
        assert [
            r for r in found if r.severity == "Violation" and not _is_spdx_pattern_defect(r)
        ] == []


def test_dcat_ap_2_profile_differs_only_where_the_releases_disagree(
    served: dict[str, Graph],
) -> None:
    three, two = served["dcat-ap-3.0.1"], served["dcat-ap-2.1.1"]
    xsd = Namespace("http://www.w3.org/2001/XMLSchema#")
    assert {o.datatype for o in three.objects(None, DCAT.byteSize)} == {xsd.nonNegativeInteger}
    assert {o.datatype for o in two.objects(None, DCAT.byteSize)} == {xsd.decimal}
    assert set(three.objects(None, SPDX.algorithm)) == {SPDX.checksumAlgorithm_sha256}
    assert set(two.objects(None, SPDX.algorithm)) == {SPDX.checksumAlgorithm_sha1}
    assert len(set(two.objects(None, SPDX.checksum))) == len(
        set(three.objects(None, SPDX.checksum))
    )
    assert (None, DCTERMS.accessRights, None) in three
    for dataset in two.subjects(RDF.type, DCAT.Dataset):
        assert (dataset, DCTERMS.accessRights, None) not in two
