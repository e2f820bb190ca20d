"""THE formats table: media type <-> rdflib format <-> pyoxigraph format <-> extension.

Rows are in preference order: when a client accepts several types equally, the
earlier row wins. Media types are exactly the registered ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["graph", "dataset", "results", "html"]

__all__ = [
    "DATASET_FORMATS",
    "FORMATS",
    "GRAPH_FORMATS",
    "HTML",
    "RESULT_FORMATS",
    "Format",
    "by_extension",
    "by_media_type",
    "by_name",
]


@dataclass(frozen=True)
class Format:
    name: str  # short name for ?format= and Fuseki's format/output
    media_type: str  # registered IANA media type
    extension: str  # file extension without the dot
    family: Family
    rdflib: str | None  # rdflib serializer/parser name
    label: str  # what people call it
    aliases: tuple[str, ...] = ()  # other short names clients send
    text: bool = True
    #: does the registration define a charset parameter? (N-Triples, N-Quads and JSON-LD
    #: define none: they are always UTF-8, and a parameter they do not register is not sent)
    charset: bool = True
    #: media types clients ask for when they mean this format (older or generic names);
    #: they select it in negotiation, the response always carries ``media_type``
    media_aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        return (
            f"{self.media_type}; charset=utf-8" if self.text and self.charset else self.media_type
        )


TURTLE = Format(
    "turtle",
    "text/turtle",
    "ttl",
    "graph",
    "turtle",
    "Turtle",
    ("ttl",),
    media_aliases=("application/x-turtle", "application/turtle", "text/n3"),
)
JSONLD = Format(
    "jsonld",
    "application/ld+json",
    "jsonld",
    "graph",
    "json-ld",
    "JSON-LD",
    ("json-ld",),
    charset=False,
    media_aliases=("application/json",),
)
NTRIPLES = Format(
    "ntriples",
    "application/n-triples",
    "nt",
    "graph",
    "nt",
    "N-Triples",
    ("nt", "n-triples"),
    charset=False,
    media_aliases=("text/plain",),  # N-Triples' media type before 2014 (rdflib still asks so)
)
RDFXML = Format("rdfxml", "application/rdf+xml", "rdf", "graph", "xml", "RDF/XML", ("xml", "rdf"))
TRIG = Format(
    "trig",
    "application/trig",
    "trig",
    "dataset",
    "trig",
    "TriG",
    media_aliases=("application/x-trig",),
)
NQUADS = Format(
    "nquads",
    "application/n-quads",
    "nq",
    "dataset",
    "nquads",
    "N-Quads",
    ("nq",),
    charset=False,
    media_aliases=("text/x-nquads",),
)
HTML = Format("html", "text/html", "html", "html", None, "HTML", ("htm",))
SRJ = Format(
    "json",
    "application/sparql-results+json",
    "srj",
    "results",
    "json",
    "SPARQL results JSON",
    ("srj",),
)
SRX = Format(
    "xml", "application/sparql-results+xml", "srx", "results", "xml", "SPARQL results XML", ("srx",)
)
CSV = Format("csv", "text/csv", "csv", "results", "csv", "CSV")
TSV = Format("tsv", "text/tab-separated-values", "tsv", "results", "tsv", "TSV")

#: graph serialisations, in preference order (Turtle first: the default for machines)
GRAPH_FORMATS = (TURTLE, JSONLD, NTRIPLES, RDFXML)
DATASET_FORMATS = (TRIG, NQUADS)
RESULT_FORMATS = (SRJ, SRX, CSV, TSV)
FORMATS = (*GRAPH_FORMATS, *DATASET_FORMATS, HTML, *RESULT_FORMATS)


def by_extension(extension: str, among: tuple[Format, ...] = FORMATS) -> Format | None:
    ext = extension.lower().lstrip(".")
    return next((f for f in among if f.extension == ext), None)


def by_name(name: str, among: tuple[Format, ...] = FORMATS) -> Format | None:
    """A short name (``turtle``, ``ttl``, ``json``...) or a media type, as Fuseki accepts them."""
    wanted = name.strip().lower()
    for f in among:
        if wanted in (f.name, f.media_type, *f.aliases):
            return f
    return None


def by_media_type(media_type: str, among: tuple[Format, ...] = FORMATS) -> Format | None:
    wanted = media_type.split(";", 1)[0].strip().lower()
    return next((f for f in among if f.media_type == wanted), None)
