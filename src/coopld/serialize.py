"""Triples and quads to bytes in every format of the formats table, with pyoxigraph.

JSON-LD is compacted with the curated context (``jsonld.py``); every other format is
pyoxigraph's own writer with the deployment's prefixes. IRIs are mapped to where the
client stands before writing (``to_public``), so the bytes are per public base.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

from .formats import JSONLD, NQUADS, NTRIPLES, RDFXML, TRIG, TURTLE, Format
from .jsonld import PREFIXES, Context, compact

__all__ = [
    "map_ntriples",
    "map_quads",
    "map_triples",
    "prefixes_for",
    "public_graph_bytes",
    "quads_to_bytes",
    "rebase_turtle",
    "swap_base",
    "swap_datatype",
    "triples_to_bytes",
]

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


def swap_base(text: bytes, canonical: bytes, public: bytes) -> bytes:
    """Every IRI under ``canonical`` in ``text`` (known to hold no literal) under ``public``."""
    return text.replace(b"<" + canonical + b"/", b"<" + public + b"/").replace(
        b"<" + canonical + b">", b"<" + public + b">"
    )


def swap_datatype(literal: bytes, canonical: bytes, public: bytes) -> bytes:
    """A literal's datatype IRI (the lexical form is data: never rewritten)."""
    at = literal.rfind(b'"^^<')
    if at < 0 or b'"' in literal[at + 1 :] or not literal.rstrip(b" .").endswith(b">"):
        return literal
    return literal[: at + 3] + swap_base(literal[at + 3 :], canonical, public)


@lru_cache(maxsize=64)
def _literal_with(canonical: bytes) -> re.Pattern[bytes]:
    """Finds ``<canonical`` after any double quote on the same line.

    Both writers put a literal on one line, opening quote first, so ``<canonical`` inside a
    literal always has a quote before it on its line: never a miss. (A datatype IRI after a
    closing quote is a false alarm, which only costs the slow way.) A plain character class,
    no alternation: the scan stays linear and fast.
    """
    return re.compile(rb'"[^"\n]*<' + re.escape(canonical))


def map_ntriples(data: bytes, canonical: bytes, public: bytes) -> bytes:
    """N-Triples: a line's only literal is its object, and it starts at the first quote.

    When no literal holds ``<canonical`` (one regular-expression scan says so; it may also
    stop at a datatype IRI, which only sends the text the slow way), every occurrence is an
    IRI and one replacement over the whole text does it.
    """
    if b"<" + canonical not in data:
        return data
    if _literal_with(canonical).search(data) is None:
        return swap_base(data, canonical, public)
    marker = b"<" + canonical
    out = []
    for line in data.split(b"\n"):
        if marker in line:
            quote = line.find(b'"')
            if quote < 0:
                line = swap_base(line, canonical, public)
            else:
                head, literal = line[:quote], line[quote:]
                line = swap_base(head, canonical, public) + swap_datatype(
                    literal, canonical, public
                )
        out.append(line)
    return b"\n".join(out)


def rebase_turtle(data: bytes, canonical: str, public: str) -> bytes | None:
    """Turtle written by pyoxigraph with every IRI under ``canonical`` moved under ``public``,
    or None when a literal may hold ``<canonical`` (then parse it and write it again).

    pyoxigraph writes every literal on one line between double quotes, with quotes and line
    breaks escaped; outside literals, ``<canonical`` only starts an IRI (in ``@prefix``
    lines too), so one replacement over the text is exact.
    """
    if canonical == public:
        return data
    old, new = canonical.encode(), public.encode()
    if _literal_with(old).search(data) is not None:
        return None
    return swap_base(data, old, new)


def public_graph_bytes(
    triples: Sequence[ox.Triple],
    fmt: Format,
    prefixes: dict[str, str],
    canonical: str,
    public: str,
    context: Context | None = None,
    context_ref: str | dict[str, Any] | None = None,
) -> bytes:
    """:func:`triples_to_bytes` with every IRI under ``canonical`` moved under ``public``.

    Through N-Triples bytes, which pyoxigraph writes and reads natively: a fraction of the
    cost of rebuilding every term in Python. Blank node labels are kept.
    """
    if canonical == public or not triples:
        return triples_to_bytes(triples, fmt, prefixes, context, context_ref)
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    data = map_ntriples(data, canonical.encode(), public.encode())
    if fmt.name == NTRIPLES.name:
        return data
    parsed = ox.parse(data, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False)
    if fmt.name == JSONLD.name:
        return triples_to_bytes([q.triple for q in parsed], fmt, prefixes, context, context_ref)
    return triples_to_bytes(parsed, fmt, prefixes)


def triples_to_bytes(
    triples: Sequence[ox.Triple] | Iterable[ox.Quad],
    fmt: Format,
    prefixes: dict[str, str],
    context: Context | None = None,
    context_ref: str | dict[str, Any] | None = None,
) -> bytes:
    """A graph in ``fmt`` (a graph format). JSON-LD needs the context and its reference."""
    if fmt.name == JSONLD.name:
        if context is None:
            raise ValueError("JSON-LD needs a context")
        assert isinstance(triples, Sequence), "JSON-LD compacts a list of triples"
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
    """Keep only the ``@prefix`` lines whose name the document uses, sorted: a readable header.

    A prefix is used only as ``name:``; a line is dropped only when that text is nowhere
    in the body, so a kept line may be unused, a dropped one never is.
    """
    lines = text.split(b"\n")
    count = 0
    while count < len(lines) and lines[count].startswith(b"@prefix "):
        count += 1
    body = b"\n".join(lines[count:])
    # by name: pyoxigraph's own order depends on the namespaces, so it would change with
    # the base the document is written for
    kept = sorted(line for line in lines[:count] if line.split(b" ", 2)[1] in body)
    return b"\n".join([*kept, body]) if kept else body
