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

import threading
from collections import OrderedDict
from dataclasses import dataclass

import pyoxigraph as ox

from .namespaces import RDF
from .sparql_text import resolve_iri, significant_tokens

__all__ = ["PATTERN_CAP", "WORK_BUDGET", "BoundedQueries", "parse_bounded"]

#: most join combinations a query answered in the web process may enumerate (about 10 ms)
WORK_BUDGET = 20_000
#: most quads one triple pattern may match (counting them costs the web process ~1 ms)
PATTERN_CAP = 4_096

_RDF_TYPE = str(RDF.type)

#: a triple pattern: each position an IRI or None (a variable, or a literal left out)
Pattern = tuple[str | None, str | None, str | None]


@dataclass(frozen=True)
class Union:
    """Branches, each a conjunction of triple patterns."""

    branches: tuple[tuple[Pattern, ...], ...]


class _NotBounded(Exception):
    """The text is outside the recognised subset (which says nothing about its validity)."""


class _Tokens:
    """The significant tokens of a query text, with where they start and end."""

    def __init__(self, text: str) -> None:
        self.items = significant_tokens(text)  # the analysis of the request read them already
        self.at = 0

    def peek(self) -> tuple[str, str]:
        if self.at >= len(self.items):
            return "", ""
        kind, token, _, _ = self.items[self.at]
        return kind, token

    def take(self) -> tuple[str, str]:
        found = self.peek()
        if not found[0]:
            raise _NotBounded("unexpected end")
        self.at += 1
        return found

    def word(self, *words: str) -> str | None:
        """Take the next token if it is one of ``words`` (keywords, any case)."""
        kind, token = self.peek()
        if kind == "word" and token.upper() in words:
            self.at += 1
            return token.upper()
        return None

    def symbol(self, symbol: str) -> bool:
        kind, token = self.peek()
        if kind == "other" and token == symbol:
            self.at += 1
            return True
        return False

    def expect(self, symbol: str) -> None:
        if not self.symbol(symbol):
            raise _NotBounded(f"expected {symbol}")

    def integer(self) -> None:
        """An unsigned integer (the tokenizer gives one token per digit)."""
        digits = 0
        while self.at < len(self.items):
            kind, token, start, _ = self.items[self.at]
            if kind != "other" or not token.isdigit():
                break
            if digits and start != self.items[self.at - 1][3]:
                break
            digits += 1
            self.at += 1
        if not digits:
            raise _NotBounded("expected an integer")


class _Parser:
    def __init__(self, text: str, base_iri: str) -> None:
        self.tokens = _Tokens(text)
        self.base = base_iri
        self.prefixes: dict[str, str] = {}

    def query(self) -> Union:
        t = self.tokens
        while True:
            if t.word("PREFIX"):
                kind, name = t.take()
                iri_kind, iri = t.take()
                if kind != "pname" or not name.endswith(":") or iri_kind != "iri":
                    raise _NotBounded("PREFIX")
                self.prefixes[name[:-1]] = resolve_iri(self.base, iri[1:-1])
            elif t.word("BASE"):
                kind, iri = t.take()
                if kind != "iri":
                    raise _NotBounded("BASE")
                self.base = resolve_iri(self.base, iri[1:-1])
            else:
                break
        form = t.word("ASK", "SELECT", "CONSTRUCT")
        if form == "SELECT":
            t.word("DISTINCT", "REDUCED")
            if not t.symbol("*"):
                if t.peek()[0] != "var":
                    raise _NotBounded("SELECT expressions")
                while t.peek()[0] == "var":
                    t.take()
            t.word("WHERE")
            where = self.group()
        elif form == "ASK":
            t.word("WHERE")
            where = self.group()
        elif form == "CONSTRUCT":
            if t.word("WHERE"):  # the short form: the template is the pattern
                where = self.group()
            else:
                t.expect("{")
                if not t.symbol("}"):
                    self.triples("}")
                    t.expect("}")
                if not t.word("WHERE"):
                    raise _NotBounded("CONSTRUCT without WHERE")
                where = self.group()
        else:
            raise _NotBounded("not ASK, SELECT or CONSTRUCT")
        while t.word("LIMIT", "OFFSET"):
            t.integer()
        if t.peek()[0]:
            raise _NotBounded("more after the pattern")
        return where

    def group(self) -> Union:
        """``{ triples }`` or ``{ {…} UNION {…} … }``."""
        t = self.tokens
        t.expect("{")
        if t.peek() == ("other", "{"):
            branches: list[tuple[Pattern, ...]] = []
            while True:
                branches.extend(self.group().branches)
                if not t.word("UNION"):
                    break
            t.expect("}")
            return Union(tuple(branches))
        patterns = self.triples("}") if t.peek() != ("other", "}") else []
        t.expect("}")
        return Union((tuple(patterns),))

    def triples(self, end: str) -> list[Pattern]:
        t = self.tokens
        patterns: list[Pattern] = []
        while True:
            subject = self.term()
            while True:
                predicate = self.verb()
                while True:
                    patterns.append((subject, predicate, self.term()))
                    if not t.symbol(","):
                        break
                if not t.symbol(";"):
                    break
                while t.symbol(";"):  # `;` may repeat and may end the list
                    pass
                if t.peek() in ((("other", ".")), ("other", end)):
                    break
            if not t.symbol("."):
                break
            if t.peek() == ("other", end):
                break
        return patterns

    def verb(self) -> str | None:
        kind, token = self.tokens.peek()
        if kind == "word" and token == "a":
            self.tokens.take()
            return _RDF_TYPE
        return self.term(literal=False)

    def term(self, *, literal: bool = True) -> str | None:
        """An IRI, or None for a variable (and for a literal, which the bound leaves out)."""
        t = self.tokens
        kind, token = t.take()
        if kind == "var":
            return None
        if kind == "iri":
            return resolve_iri(self.base, token[1:-1])
        if kind == "pname":
            prefix, _, local = token.partition(":")
            if prefix not in self.prefixes or "\\" in local or "%" in local:
                raise _NotBounded("prefixed name")
            return self.prefixes[prefix] + local
        if literal and kind == "string":
            if t.peek()[0] == "lang":
                t.take()
            elif t.symbol("^"):
                t.expect("^")
                if t.take()[0] not in ("iri", "pname"):
                    raise _NotBounded("datatype")
            return None
        if literal and kind == "word" and token in ("true", "false"):
            return None
        raise _NotBounded(f"{kind} {token!r}")


def parse_bounded(text: str, base_iri: str = "") -> Union | None:
    """The query's triple patterns, if it is in the subset whose work can be bounded."""
    try:
        return _Parser(text, base_iri).query()
    except (_NotBounded, ValueError):
        return None


class BoundedQueries:
    """Decides, per query, whether its work stays within the budget on this store."""

    def __init__(
        self, store: ox.Store, budget: int = WORK_BUDGET, pattern_cap: int = PATTERN_CAP
    ) -> None:
        self.store = store
        self.budget = budget
        self.pattern_cap = min(pattern_cap, budget)
        self._counts: OrderedDict[Pattern, int] = OrderedDict()
        self._lock = threading.Lock()

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
        with self._lock:
            found = self._counts.get(pattern)
            if found is not None:
                self._counts.move_to_end(pattern)
        if found is None:
            found = self._count(pattern)
            with self._lock:
                self._counts[pattern] = found
                if len(self._counts) > 65_536:
                    self._counts.popitem(last=False)
        return None if found > self.pattern_cap else found

    def _count(self, pattern: Pattern) -> int:
        s, p, o = (ox.NamedNode(iri) if iri is not None else None for iri in pattern)
        count = 0
        for _ in self.store.quads_for_pattern(s, p, o, None):
            count += 1
            if count > self.pattern_cap:
                break
        return count
