"""Namespaces and the one place where IRIs are minted.

Every IRI the dataset publishes is built here from the configured base, so the
vocabulary, the data, the shapes and the web layer always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

__all__ = [
    "ADMS",
    "AUTHORITY",
    "CORPORATE_BODY_CODES",
    "COUNTRY_CODES",
    "DCAT",
    "DCATAP",
    "DCTERMS",
    "EURIO",
    "FOAF",
    "FRAPO",
    "KEY_PATTERN",
    "KINDS",
    "ORG",
    "OWL",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SD",
    "SH",
    "SKOS",
    "TIME",
    "VANN",
    "VCARD",
    "VOID",
    "XSD",
    "Iris",
]

SCHEMA = Namespace("http://schema.org/")
EURIO = Namespace("http://data.europa.eu/s66#")
FRAPO = Namespace("http://purl.org/cerif/frapo/")
TIME = Namespace("http://www.w3.org/2006/time#")
VANN = Namespace("http://purl.org/vocab/vann/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SH = Namespace("http://www.w3.org/ns/shacl#")
AUTHORITY = "http://publications.europa.eu/resource/authority/"

#: EU authority codes checked against a copy of the Publications Office tables
#: (see docs/model.md); any other code is rejected when records are loaded.
CORPORATE_BODY_CODES = frozenset({"COM", "JRC", "RTD", "COR", "WHO", "PUBL"})
COUNTRY_CODES = frozenset({"RUS", "JPN", "USA", "BRA", "CHN", "IND", "BEL", "LUX", "EUR"})

KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: the kinds of thing the dataset mints IRIs for, in the order index pages list them
KINDS = (
    "agreement",
    "action",
    "organisation",
    "country",
    "region",
    "person",
    "post",
    "place",
    "scheme",
    "priority-area",
    "concept",
    "objective",
    "instrument",
    "document",
    "dataset",
)


@dataclass(frozen=True)
class Iris:
    """The IRI patterns of one deployment, derived from its base IRI."""

    base: str

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^/\s]+(/[^\s#?]*)?$", self.base) or self.base.endswith("/"):
            raise ValueError(
                f"base IRI {self.base!r} must be an absolute http(s) IRI without a trailing slash"
            )

    @property
    def coop(self) -> Namespace:
        return Namespace(f"{self.base}/def/coop#")

    @property
    def ontology(self) -> URIRef:
        return URIRef(f"{self.base}/def/coop")

    @property
    def shapes(self) -> URIRef:
        return URIRef(f"{self.base}/def/coop-shapes")

    @property
    def dataset(self) -> URIRef:
        return self.thing("dataset", "coopld")

    def graph(self, name: str) -> URIRef:
        """Named graph IRI: data, vocabulary, shapes or metadata."""
        return URIRef(f"{self.base}/graph/{name}")

    def thing(self, kind: str, key: str) -> URIRef:
        """The IRI of a thing: ``{base}/id/{kind}/{key}``."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if not KEY_PATTERN.match(key):
            raise ValueError(f"key {key!r} is not a slug")
        return URIRef(f"{self.base}/id/{kind}/{key}")

    def document(self, kind: str, key: str) -> str:
        return f"{self.base}/doc/{kind}/{key}"

    @property
    def resolve_base(self) -> str:
        """What relative IRIs in ontology/ and shapes/ are resolved against."""
        return self.base + "/"


def corporate_body(code: str) -> URIRef:
    return URIRef(f"{AUTHORITY}corporate-body/{code}")


def country(code: str) -> URIRef:
    return URIRef(f"{AUTHORITY}country/{code}")
