"""Proving that a query's work is small enough to evaluate it in the web process.

Every query has a deadline, and pyoxigraph cannot stop a running query, so queries are
evaluated in killable worker processes (:mod:`coopld.workers`). That costs a round trip
through a pipe, a few times more than a lookup itself takes. A query whose work has a small
upper bound cannot outlive any deadline, so it may skip the round trip.

The bound: the query is a basic graph pattern (or a UNION of them) with no other operator,
over the union default graph, in the forms ASK, SELECT (plain variables or ``*``) and
CONSTRUCT, with at most LIMIT and OFFSET after it. Each triple pattern matches at most as
many quads as the store holds for its IRIs alone (literal constants are left out, so this is
an upper bound), counted once per distinct pattern (the dataset never changes while it is
served). Whatever the join order or algorithm, a join of patterns with ``n1 … nk`` matches
enumerates at most ``n1 × … × nk`` combinations, and a UNION the sum of its branches; a query
is bounded when that figure stays within :data:`WORK_BUDGET` and no single pattern matches
more than :data:`PATTERN_CAP` quads. Everything else (FILTER, OPTIONAL, paths, GRAPH, FROM,
SERVICE, subqueries, aggregates, ORDER BY, blank nodes, numbers, anything unrecognised) goes
to a worker: the recogniser never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .namespaces import RDF
from .sparql_text import Token, resolve_iri, significant_tokens

__all__ = ["PATTERN_CAP", "WORK_BUDGET", "BoundedQueries", "parse_bounded"]

#: most join combinations a query answered in the web process may enumerate (about 10 ms)
WORK_BUDGET = 20_000
#: most quads one triple pattern may match (counting them costs the web process ~1 ms)
PATTERN_CAP = 4_096
#: distinct patterns whose counts are kept (the dataset never changes while it is served)
COUNTS_KEPT = 65_536

_RDF_TYPE = str(RDF.type)

#: a triple pattern: each position an IRI or None (a variable, or a literal left out)
Pattern = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Union:
    """Branches, each a conjunction of triple patterns."""

    branches: tuple[tuple[Pattern, ...], ...]


class _NotBounded(Exception):
    """The text is outside the recognised subset (which says nothing about its validity)."""


#: what the parser reads past the last token: no kind, no text
_END: Token = ("", "", -1, -1)


class _Parser:
    """A recursive descent over the significant tokens, each step given and returning the
    index of the next token. ``codes`` holds each token's text for punctuation (``other``,
    one character) and its kind otherwise (never one character), so one comparison reads
    either; past the end both are empty, and past that an IndexError ends the parse."""

    def __init__(self, text: str, base_iri: str) -> None:
        self.items = (*significant_tokens(text), _END)  # the analysis has read them already
        self.codes = [token if kind == "other" else kind for kind, token, _, _ in self.items]
        self.base = base_iri
        self.prefixes: dict[str, str] = {}

    def word(self, at: int, *words: str) -> str | None:
        """The keyword at ``at`` (any case) if it is one of ``words``."""
        if self.codes[at] == "word":
            word = self.items[at][1].upper()
            if word in words:
                return word
        return None

    def expect(self, at: int, symbol: str) -> int:
        if self.codes[at] != symbol:
            raise _NotBounded(f"expected {symbol}")
        return at + 1

    def query(self) -> Union:
        items, codes, at = self.items, self.codes, 0
        while True:
            keyword = self.word(at, "PREFIX", "BASE")
            if keyword == "PREFIX":
                name, iri = items[at + 1][1], items[at + 2][1]
                if codes[at + 1] != "pname" or not name.endswith(":") or codes[at + 2] != "iri":
                    raise _NotBounded("PREFIX")
                self.prefixes[name[:-1]] = resolve_iri(self.base, iri[1:-1])
                at += 3
            elif keyword == "BASE":
                if codes[at + 1] != "iri":
                    raise _NotBounded("BASE")
                self.base = resolve_iri(self.base, items[at + 1][1][1:-1])
                at += 2
            else:
                break
        form = self.word(at, "ASK", "SELECT", "CONSTRUCT")
        at += 1
        if form == "SELECT":
            if self.word(at, "DISTINCT", "REDUCED"):
                at += 1
            if codes[at] == "*":
                at += 1
            else:
                if codes[at] != "var":
                    raise _NotBounded("SELECT expressions")
                while codes[at] == "var":
                    at += 1
            where, at = self.group(at + 1 if self.word(at, "WHERE") else at)
        elif form == "ASK":
            where, at = self.group(at + 1 if self.word(at, "WHERE") else at)
        elif form == "CONSTRUCT":
            if self.word(at, "WHERE"):  # the short form: the template is the pattern
                where, at = self.group(at + 1)
            else:
                at = self.expect(at, "{")
                if codes[at] != "}":
                    _, at = self.triples(at, "}")
                at = self.expect(at, "}")
                if not self.word(at, "WHERE"):
                    raise _NotBounded("CONSTRUCT without WHERE")
                where, at = self.group(at + 1)
        else:
            raise _NotBounded("not ASK, SELECT or CONSTRUCT")
        while self.word(at, "LIMIT", "OFFSET"):
            at = self.integer(at + 1)
        if codes[at]:
            raise _NotBounded("more after the pattern")
        return where

    def group(self, at: int) -> tuple[Union, int]:
        """``{ triples }`` or ``{ {…} UNION {…} … }``."""
        codes = self.codes
        at = self.expect(at, "{")
        if codes[at] == "{":
            branches: list[tuple[Pattern, ...]] = []
            while True:
                union, at = self.group(at)
                branches.extend(union.branches)
                if not self.word(at, "UNION"):
                    break
                at += 1
            return Union(tuple(branches)), self.expect(at, "}")
        patterns: list[Pattern] = []
        if codes[at] != "}":
            patterns, at = self.triples(at, "}")
        return Union((tuple(patterns),)), self.expect(at, "}")

    def triples(self, at: int, end: str) -> tuple[list[Pattern], int]:
        codes, items = self.codes, self.items
        patterns: list[Pattern] = []
        while True:
            subject, at = self.term(at)
            while True:
                if codes[at] == "word" and items[at][1] == "a":
                    predicate: str | None = _RDF_TYPE
                    at += 1
                else:
                    predicate, at = self.term(at, literal=False)
                while True:
                    value, at = self.term(at)
                    patterns.append((subject, predicate, value))
                    if codes[at] != ",":
                        break
                    at += 1
                if codes[at] != ";":
                    break
                while codes[at] == ";":  # `;` may repeat and may end the list
                    at += 1
                if codes[at] == "." or codes[at] == end:
                    break
            if codes[at] != ".":
                break
            at += 1
            if codes[at] == end:
                break
        return patterns, at

    def term(self, at: int, *, literal: bool = True) -> tuple[str | None, int]:
        """An IRI, or None for a variable (and for a literal, which the bound leaves out)."""
        kind, token = self.codes[at], self.items[at][1]
        at += 1
        if kind == "var":
            return None, at
        if kind == "iri":
            return resolve_iri(self.base, token[1:-1]), at
        if kind == "pname":
            prefix, _, local = token.partition(":")
            if prefix not in self.prefixes or "\\" in local or "%" in local:
                raise _NotBounded("prefixed name")
            return self.prefixes[prefix] + local, at
        if literal and kind == "string":
            if self.codes[at] == "lang":
                at += 1
            elif self.codes[at] == "^":
                at = self.expect(at + 1, "^")
                if self.codes[at] not in ("iri", "pname"):
                    raise _NotBounded("datatype")
                at += 1
            return None, at
        if literal and kind == "word" and token in ("true", "false"):
            return None, at
        raise _NotBounded(f"{kind} {token!r}")

    def integer(self, at: int) -> int:
        """An unsigned integer (the tokenizer gives one token per digit)."""
        items = self.items
        digits = 0
        while True:
            kind, token, start, _ = items[at]
            if kind != "other" or not token.isdigit():
                break
            if digits and start != items[at - 1][3]:
                break
            digits += 1
            at += 1
        if not digits:
            raise _NotBounded("expected an integer")
        return at


def parse_bounded(text: str, base_iri: str = "") -> Union | None:
    """The query's triple patterns, if it is in the subset whose work can be bounded."""
    try:
        return _Parser(text, base_iri).query()
    except (_NotBounded, ValueError, IndexError):  # IndexError: the text ended too soon
        return None


class BoundedQueries:
    """Decides, per query, whether its work stays within the budget on this store."""

    def __init__(
        self, store: ox.Store, budget: int = WORK_BUDGET, pattern_cap: int = PATTERN_CAP
    ) -> None:
        self.store = store
        self.budget = budget
        self.pattern_cap = min(pattern_cap, budget)
        # each read and write of a dict is atomic: threads may share it without a lock
        self._counts: dict[Pattern, int] = {}

    def work(self, text: str, base_iri: str = "") -> int | None:
        """An upper bound of the combinations the query enumerates, or None if unbounded."""
        union = parse_bounded(text, base_iri)
        if union is None or self.budget <= 0:
            return None
        try:
            return self._work(union)
        except ValueError:  # an IRI pyoxigraph refuses: the engine will say why
            return None

    def _work(self, union: Union) -> int | None:
        total = 0
        for branch in union.branches:
            product = 1
            for pattern in branch:
                count = self.count(pattern)
                if count is None:
                    return None
                product *= max(count, 1)
                if product > self.budget:
                    return None
            total += product if branch else 1
            if total > self.budget:
                return None
        return total

    def count(self, pattern: Pattern) -> int | None:
        """Quads matching the pattern's IRIs (None: more than the cap, or no IRI at all)."""
        if pattern == (None, None, None):
            return None
        found = self._counts.get(pattern)
        if found is None:
            found = self._count(pattern)
            if len(self._counts) >= COUNTS_KEPT:
                self._counts.clear()  # a new start beats keeping order on every lookup
            self._counts[pattern] = found
        return None if found > self.pattern_cap else found

    def _count(self, pattern: Pattern) -> int:
        s, p, o = (ox.NamedNode(iri) if iri is not None else None for iri in pattern)
        count = 0
        for _ in self.store.quads_for_pattern(s, p, o, None):
            count += 1
            if count > self.pattern_cap:
                break
        return count
