"""Triples and quads to bytes in every format of the formats table, with pyoxigraph.

JSON-LD is compacted with the curated context (``jsonld.py``); every other format is
pyoxigraph's own writer with the deployment's prefixes. IRIs are mapped to where the
client stands before writing (``to_public``), so the bytes are per public base.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyoxigraph as ox

from .formats import JSONLD, NQUADS, NTRIPLES, RDFXML, TRIG, TURTLE, Format
from .jsonld import PREFIXES, Context, compact

__all__ = ["map_quads", "map_triples", "prefixes_for", "quads_to_bytes", "triples_to_bytes"]

_OX_FORMATS = {
    TURTLE.name: ox.RdfFormat.TURTLE,
    NTRIPLES.name: ox.RdfFormat.N_TRIPLES,
    RDFXML.name: ox.RdfFormat.RDF_XML,
    TRIG.name: ox.RdfFormat.TRIG,
    NQUADS.name: ox.RdfFormat.N_QUADS,
}

Mapper = Callable[[str], str]


def prefixes_for(coop_namespace: str) -> dict[str, str]:
    return {"coop": coop_namespace, **dict(PREFIXES)}


def _term(term: Any, to_public: Mapper) -> Any:
    if isinstance(term, ox.NamedNode):
        mapped = to_public(term.value)
        return term if mapped == term.value else ox.NamedNode(mapped)
    return term


def map_triples(triples: Iterable[ox.Triple], to_public: Mapper | None) -> list[ox.Triple]:
    if to_public is None:
        return list(triples)
    return [
        ox.Triple(
            _term(t.subject, to_public), _term(t.predicate, to_public), _term(t.object, to_public)
        )
        for t in triples
    ]


def map_quads(quads: Iterable[ox.Quad], to_public: Mapper | None) -> list[ox.Quad]:
    if to_public is None:
        return list(quads)
    return [
        ox.Quad(
            _term(q.subject, to_public),
            _term(q.predicate, to_public),
            _term(q.object, to_public),
            _term(q.graph_name, to_public),
        )
        for q in quads
    ]


def triples_to_bytes(
    triples: Sequence[ox.Triple],
    fmt: Format,
    prefixes: dict[str, str],
    context: Context | None = None,
    context_ref: str | dict[str, Any] | None = None,
) -> bytes:
    """A graph in ``fmt`` (a graph format). JSON-LD needs the context and its reference."""
    if fmt.name == JSONLD.name:
        if context is None:
            raise ValueError("JSON-LD needs a context")
        document = compact(triples, context, context_ref or context.document["@context"])
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    used = prefixes if fmt.name != NTRIPLES.name else None
    written = ox.serialize(triples, format=_OX_FORMATS[fmt.name], prefixes=used)
    assert written is not None  # no output file given: the bytes are returned
    return _drop_unused_prefixes(written) if fmt.name == TURTLE.name else written


def quads_to_bytes(quads: Sequence[ox.Quad], fmt: Format, prefixes: dict[str, str]) -> bytes:
    """A dataset in ``fmt`` (TriG or N-Quads)."""
    used = prefixes if fmt.name == TRIG.name else None
    written = ox.serialize(quads, format=_OX_FORMATS[fmt.name], prefixes=used)
    assert written is not None
    return _drop_unused_prefixes(written) if fmt.name == TRIG.name else written


def _drop_unused_prefixes(text: bytes) -> bytes:
    """Keep only the ``@prefix`` lines whose name the document uses: a readable header.

    A prefix is used only as ``name:``; a line is dropped only when that text is nowhere
    in the body, so a kept line may be unused, a dropped one never is.
    """
    lines = text.split(b"\n")
    count = 0
    while count < len(lines) and lines[count].startswith(b"@prefix "):
        count += 1
    body = b"\n".join(lines[count:])
    kept = [line for line in lines[:count] if line.split(b" ", 2)[1] in body]
    return b"\n".join([*kept, body]) if kept else body
