"""The dataset's own description (the metadata named graph), computed at build time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rdflib import Graph, Literal, URIRef

from .config import Settings
from .mapping import bind_prefixes
from .namespaces import DCTERMS, RDF, VOID, XSD

if TYPE_CHECKING:
    from .build import BuildResult

__all__ = ["describe_dataset"]


def describe_dataset(result: BuildResult, manifest: dict[str, Any], settings: Settings) -> Graph:
    iris = result.inputs.iris
    graph = bind_prefixes(Graph(), iris)
    graph.bind("void", VOID)
    dataset = iris.dataset
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, DCTERMS.title, Literal(settings.title, lang="en")))
    graph.add((dataset, DCTERMS.license, URIRef(settings.license)))
    graph.add((dataset, DCTERMS.conformsTo, iris.shapes))
    graph.add((dataset, VOID.triples, Literal(manifest["triples"], datatype=XSD.integer)))
    graph.add((dataset, DCTERMS.modified, Literal(manifest["built"], datatype=XSD.dateTime)))
    return graph
