"""What a resource page shows, as plain values for the templates (which escape everything).

The sections of a thing's page (details, related, sources with their quotes, who refers
to it, an agreement's action-by-priority-area matrix) and its schema.org JSON-LD.
Naming and linking each value is ``labels.Labeler``'s job.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox
from markupsafe import Markup

from ..describe import LABEL_PREDICATES, Description, Matrix
from ..namespaces import DCTERMS, PROV, RDF
from .base import iri_to_uri
from .labels import Labeler, Row, Text, Value

__all__ = [
    "KIND_TITLES",
    "inbound_rows",
    "json_script",
    "resource_page",
    "schema_org",
]

_TYPE = str(RDF.type)
_HIDDEN = frozenset(
    {
        _TYPE,
        *(p.value for p in LABEL_PREDICATES),
        str(DCTERMS.description),
        str(PROV.wasDerivedFrom),
        str(PROV.qualifiedDerivation),
    }
)
_QUALIFIED_DERIVATION = str(PROV.qualifiedDerivation)
_ENTITY = str(PROV.entity)


def _index(triples: Iterable[ox.Triple]) -> dict[Any, list[ox.Triple]]:
    index: dict[Any, list[ox.Triple]] = {}
    for triple in triples:
        index.setdefault(triple.subject, []).append(triple)
    return index


def resource_page(
    description: Description, labeler: Labeler, matrix: Matrix | None
) -> dict[str, Any]:
    """Everything ``resource.html`` shows about one thing."""
    topic = description.topic
    triples = description.triples()
    index = _index(triples)
    own = index.get(topic, [])
    rows = labeler.rows(own, index, skip=_HIDDEN)
    names = [
        Text(t.object.value, t.object.language or None)
        for t in own
        if t.predicate in LABEL_PREDICATES and isinstance(t.object, ox.Literal)
    ]
    title = labeler.label(topic)
    return {
        "title": title,
        "iri": labeler.bm.to_public(topic.value),
        "types": [
            labeler.ref(t.object, term=True)
            for t in own
            if t.predicate.value == _TYPE and isinstance(t.object, ox.NamedNode)
        ],
        "descriptions": [
            Text(t.object.value, t.object.language or None)
            for t in own
            if t.predicate.value == str(DCTERMS.description) and isinstance(t.object, ox.Literal)
        ],
        "names": sorted({n for n in names if n != title}, key=lambda n: ((n.lang or ""), n.value)),
        "groups": [
            (heading, [r for r in rows if r.kind == kind])
            for heading, kind in (
                ("Details", "details"),
                ("Related", "related"),
                ("Elsewhere on the web", "external"),
            )
            if any(r.kind == kind for r in rows)
        ],
        "sources": _sources(own, index, labeler),
        "inbound": inbound_rows(description, [q.triple for q in description.quads], index, labeler),
        "matrix": _matrix(matrix, labeler) if matrix else None,
    }


def _sources(
    own: list[ox.Triple], index: dict[Any, list[ox.Triple]], labeler: Labeler
) -> list[dict[str, Any]]:
    """Each qualified derivation: the document, where in it, and the quote."""
    locator = labeler.describer.coop + "locator"
    quote = labeler.describer.coop + "quote"
    sources = []
    for triple in own:
        if triple.predicate.value != _QUALIFIED_DERIVATION:
            continue
        details = index.get(triple.object, [])

        def texts(predicate: str, details: list[ox.Triple] = details) -> list[Text]:
            return [
                Text(t.object.value, t.object.language or None)
                for t in details
                if t.predicate.value == predicate and isinstance(t.object, ox.Literal)
            ]

        documents = [t.object for t in details if t.predicate.value == _ENTITY]
        sources.append(
            {
                "documents": [labeler.ref(d) for d in documents if isinstance(d, ox.NamedNode)],
                "locators": texts(locator),
                "quotes": texts(quote),
                "rows": labeler.rows(
                    details, index, skip=frozenset({_TYPE, _ENTITY, locator, quote})
                ),
            }
        )
    return sorted(
        sources,
        key=lambda s: ([d.label.value for d in s["documents"]], [t.value for t in s["locators"]]),
    )


def inbound_rows(
    description: Description,
    triples: list[ox.Triple],
    index: dict[Any, list[ox.Triple]],
    labeler: Labeler,
) -> list[Row]:
    """Who points at the thing, grouped by property; a blank node shows who holds it."""
    topic = description.topic
    holders: dict[Any, list[ox.Triple]] = {}
    for triple in triples:
        if isinstance(triple.object, ox.BlankNode):
            holders.setdefault(triple.object, []).append(triple)
    grouped: dict[str, list[Value]] = {}
    for triple in triples:
        if triple.object != topic or triple.subject == topic:
            continue
        subject = triple.subject
        if isinstance(subject, ox.NamedNode):
            grouped.setdefault(triple.predicate.value, []).append(Value(ref=labeler.ref(subject)))
            continue
        for holder in holders.get(subject, []):
            if isinstance(holder.subject, ox.NamedNode):
                details = labeler.rows(
                    index.get(subject, []), index, skip=frozenset({_TYPE, triple.predicate.value})
                )
                grouped.setdefault(holder.predicate.value, []).append(
                    Value(ref=labeler.ref(holder.subject), rows=details)
                )
    rows = [Row(labeler.ref(ox.NamedNode(p), term=True), values) for p, values in grouped.items()]
    return sorted(rows, key=lambda r: r.predicate.label.value.casefold())


def _matrix(matrix: Matrix, labeler: Labeler) -> dict[str, Any]:
    describer = labeler.describer
    return {
        "areas": [(describer.number(a), labeler.ref(a)) for a in matrix.areas],
        "actions": [
            {
                "number": describer.number(action),
                "ref": labeler.ref(action),
                "cells": [
                    "focus"
                    if (action, area) in matrix.focus
                    else "yes"
                    if (action, area) in matrix.contributes
                    else ""
                    for area in matrix.areas
                ],
            }
            for action in matrix.actions
        ],
    }


#: how index pages and breadcrumbs name each kind
KIND_TITLES = {
    "agreement": "Agreements",
    "action": "Actions",
    "organisation": "Organisations",
    "country": "Countries",
    "region": "Regions",
    "person": "People",
    "post": "Posts",
    "place": "Places",
    "scheme": "Schemes",
    "priority-area": "Priority areas",
    "concept": "Concepts",
    "objective": "Objectives",
    "instrument": "Funding instruments",
    "document": "Documents",
    "dataset": "Datasets",
}

_SCHEMA_TYPES = {
    "agreement": "CreativeWork",
    "action": "Action",
    "organisation": "Organization",
    "country": "Country",
    "region": "AdministrativeArea",
    "person": "Person",
    "place": "Place",
    "scheme": "DefinedTermSet",
    "priority-area": "DefinedTerm",
    "concept": "DefinedTerm",
    "document": "CreativeWork",
    "dataset": "Dataset",
}


def schema_org(page: dict[str, Any], kind: str, url: str, homepage: str | None) -> Markup:
    """schema.org JSON-LD for search engines, safe inside a <script> element."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": _SCHEMA_TYPES.get(kind, "Thing"),
        "@id": iri_to_uri(page["iri"]),
        "name": page["title"].value,
        "mainEntityOfPage": url,
        "url": homepage or url,
    }
    if page["descriptions"]:
        data["description"] = page["descriptions"][0].value
    if page["names"]:
        data["alternateName"] = sorted({n.value for n in page["names"]})
    return json_script(data)


def json_script(data: Any) -> Markup:
    """JSON that stays JSON inside a <script> element: no ``<``, ``>`` or ``&`` in it."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return Markup(text)
