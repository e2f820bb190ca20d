"""Reading a SPARQL request without evaluating it.

What the endpoint must know before it hands a text to a worker: the query form (to negotiate
the answer's format), whether it is an update (refused), whether it names its own dataset
(FROM / FROM NAMED: then the union default graph does not apply), which SERVICE endpoints it
would call (refused unless allowed), how deeply it nests (refused beyond a limit, before the
engine's recursive parser can overflow its stack), and its IRIs, rewritten from the public
base to the canonical one.

A single regular-expression tokenizer, the lexical grammar of SPARQL 1.1 §19.8 simplified:
comments, strings, IRIs and prefixed names are recognised first, so a keyword inside any of
them is never taken for one. Linear time, no recursion: safe on any input in the web process.
The engine's own parser stays the judge of syntax; this never rejects what it cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urljoin

__all__ = [
    "MAX_NESTING",
    "QueryText",
    "Token",
    "analyse_query",
    "resolve_iri",
    "rewrite_iris",
    "significant_tokens",
]

#: deepest nesting of ( { [ accepted; real queries stay far below, the engine's stack not
MAX_NESTING = 256

FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
#: keywords that exist only in SPARQL Update
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"}
)

_START = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_CHARS = _START + r"_0-9\u00b7\u0300-\u036f\u203f-\u2040\-"

_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''
     | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
     | '(?:[^'\\\r\n]|\\.)*'
     | "(?:[^"\\\r\n]|\\.)*")
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][{_CHARS}]+)
  | (?P<bnode>_:[{_CHARS}.]*)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[{_START}][{_CHARS}.]*)?:(?:[{_CHARS}:%]|\.(?=[{_CHARS}:%.\\])|\\[^\s])*)
  | (?P<word>[A-Za-z][A-Za-z0-9_]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


#: a significant token (no space, no comment): its kind, its text, where it starts and ends
Token = tuple[str, str, int, int]


def significant_tokens(text: str) -> tuple[Token, ...]:
    """The tokens of ``text`` but spaces and comments, in order.

    The request's analysis and the proof that its work is bounded (:mod:`coopld.bounded`) both
    read them, one right after the other; a short text is tokenized once for both. Only the
    last few texts are kept: enough for the requests in flight, never a store of tokens.
    """
    if len(text) <= 8192:
        return _significant_cached(text)
    return _significant(text)


@lru_cache(maxsize=16)
def _significant_cached(text: str) -> tuple[Token, ...]:
    return _significant(text)


def _significant(text: str) -> tuple[Token, ...]:
    """The tokens from one ``findall`` of :data:`_UNNAMED`, each kind read off its text.

    A match object per token, and asking it for its group, cost more than the matching
    itself. The tokens tile the text (``other`` takes any character, nothing matches empty),
    so where each starts is the sum of the lengths before it; and the first character and
    the length tell which alternative matched (:func:`_kind`; tests check both against
    :data:`_TOKEN`'s named groups).
    """
    tokens: list[Token] = []
    start = 0
    for token in _UNNAMED.findall(text):
        end = start + len(token)
        first = token[0]
        if first != "#" and not first.isspace():
            tokens.append((_kind(token, first), token, start, end))
        start = end
    return tuple(tokens)


def _kind(token: str, first: str) -> str:
    """Which of :data:`_TOKEN`'s alternatives matched ``token`` (not a space or comment)."""
    if len(token) == 1:  # only a word, an empty-prefix name and `other` can be one character
        if first == ":":
            return "pname"
        return "word" if first.isascii() and first.isalpha() else "other"
    kind = _KIND_BY_FIRST.get(first)
    if kind is not None:
        return kind
    return "pname" if ":" in token else "word"


#: the kind of a token of two characters or more, by its first one (else a name or a word)
_KIND_BY_FIRST = {
    '"': "string",
    "'": "string",
    "<": "iri",
    "?": "var",
    "$": "var",
    "_": "bnode",
    "@": "lang",
}
#: :data:`_TOKEN` without its group names: ``findall`` gives the tokens' texts
_UNNAMED = re.compile(re.sub(r"\(\?P<\w+>", "(?:", _TOKEN.pattern), _TOKEN.flags)


class QueryText(NamedTuple):
    """What the text says about itself (nothing here is checked by the engine's grammar)."""

    text: str  # the text, its IRIs under the public base rewritten to the canonical one
    form: str | None  # SELECT, ASK, CONSTRUCT, DESCRIBE, or None when unreadable
    update_keyword: str | None  # the first SPARQL Update keyword, if any
    has_dataset_clause: bool  # FROM or FROM NAMED
    services: tuple[str | None, ...]  # SERVICE endpoints; None when not a fixed IRI
    prefixes: tuple[tuple[str, str], ...]  # PREFIX declarations, in order
    nesting: int  # deepest nesting of brackets


def rewrite_iris(text: str, rewrite: Callable[[str], str]) -> str:
    """The text with every IRI reference ``<...>`` replaced by ``<rewrite(...)>``."""
    pieces: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "iri":
            iri = match.group()[1:-1]
            new = rewrite(iri)
            if new != iri:
                pieces.append(text[last : match.start()])
                pieces.append(f"<{new}>")
                last = match.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def resolve_iri(base: str, iri: str) -> str:
    """``iri`` resolved against ``base`` (RFC 3986), keeping an empty fragment (``coop#``)."""
    if not base or _SCHEME.match(iri):
        return iri
    resolved = urljoin(base, iri)
    return resolved + "#" if iri.endswith("#") and not resolved.endswith("#") else resolved


def _unescape_local(local: str) -> str:
    return re.sub(r"\\(.)", r"\1", local)


def analyse_query(
    text: str, base_iri: str = "", public_base: str = "", canonical_base: str = ""
) -> QueryText:
    """Read ``text`` in one pass, rewriting IRIs under ``public_base`` to ``canonical_base``.

    ``base_iri`` resolves relative IRIs (of SERVICE, PREFIX, BASE) when the text has no BASE.
    """
    if len(text) <= 8192:
        return _analyse_cached(text, base_iri, public_base, canonical_base)
    return _analyse(text, base_iri, public_base, canonical_base)


@lru_cache(maxsize=1024)
def _analyse_cached(text: str, base_iri: str, public_base: str, canonical_base: str) -> QueryText:
    return _analyse(text, base_iri, public_base, canonical_base)


def _analyse(text: str, base_iri: str, public_base: str, canonical_base: str) -> QueryText:
    form: str | None = None
    update: str | None = None
    has_from = False
    depth = nesting = 0
    prefixes: dict[str, str] = {}
    services: list[str | None] = []
    base = base_iri
    expect = ""  # what the previous keyword announced: prefix name/IRI, base IRI, service
    prefix_name = ""
    rewrite = bool(public_base) and public_base != canonical_base
    pieces: list[str] = []
    last = 0
    for kind, token, start, end in significant_tokens(text):
        if kind == "iri" and rewrite:
            iri = token[1:-1]
            if iri == public_base or iri.startswith(public_base + "/"):
                token = f"<{canonical_base}{iri[len(public_base) :]}>"
                pieces.append(text[last:start])
                pieces.append(token)
                last = end
        if expect:
            if expect == "service" and kind == "word" and token.upper() == "SILENT":
                continue
            if expect == "prefix-name" and kind == "pname":
                prefix_name, expect = token[:-1] if token.endswith(":") else token, "prefix-iri"
                continue
            if expect == "prefix-iri" and kind == "iri":
                prefixes[prefix_name] = resolve_iri(base, token[1:-1])
            elif expect == "base-iri" and kind == "iri":
                base = resolve_iri(base, token[1:-1])
            elif expect == "service":
                services.append(_endpoint(kind, token, prefixes, base))
            expect = ""
            if kind != "word":
                continue
        if kind == "word":
            word = token.upper()
            if word in FORMS:
                form = form or word
            elif word in UPDATE_KEYWORDS:
                update = update or word
            elif word == "FROM":
                has_from = True
            elif word == "PREFIX":
                expect = "prefix-name"
            elif word == "BASE":
                expect = "base-iri"
            elif word == "SERVICE":
                expect = "service"
        elif kind == "other":
            if token in "({[":
                depth += 1
                if depth > nesting:
                    nesting = depth
            elif token in ")}]":
                depth -= 1
    if expect == "service":
        services.append(None)
    if pieces:
        pieces.append(text[last:])
        text = "".join(pieces)
    return QueryText(
        text, form, update, has_from, tuple(services), tuple(prefixes.items()), nesting
    )


def _endpoint(kind: str | None, token: str, prefixes: dict[str, str], base: str) -> str | None:
    if kind == "iri":
        return resolve_iri(base, token[1:-1])
    if kind == "pname":
        prefix, _, local = token.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + _unescape_local(local)
    return None
