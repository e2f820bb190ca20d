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

An ASK in that subset is a question of existence, and most are answered by probing the
store's indexes for a few quads (:meth:`BoundedQueries.exists`): a few microseconds, where
creating pyoxigraph's evaluator for it alone costs 17 to 30. That is done only when the
text leaves nothing to interpret: every IRI absolute with no dot segment to remove,
prefixed names and variables of plain ASCII, no literal, no BASE, no escape, no LIMIT or
OFFSET. Then a probe gives exactly the engine's answer (tests compare both on thousands of
random queries), or gives up after :data:`ASK_STEPS` quads and leaves the query to the
engine.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import pyoxigraph as ox

from .namespaces import RDF
from .sparql_text import Token, resolve_iri, significant_tokens

__all__ = [
    "ASK_STEPS",
    "PATTERN_CAP",
    "WORK_BUDGET",
    "BoundedQueries",
    "Parsed",
    "Plan",
    "Var",
    "parse_query",
]

#: most join combinations a query answered in the web process may enumerate (about 10 ms)
WORK_BUDGET = 20_000
#: most quads one triple pattern may match (counting them costs the web process ~1 ms)
PATTERN_CAP = 4_096
#: distinct patterns whose counts are kept (the dataset never changes while it is served)
COUNTS_KEPT = 65_536
#: most quads an ASK's probes read before leaving the query to the engine (~0.2 ms)
ASK_STEPS = 256
#: distinct branches whose probes are kept, made ready to run
ORDERS_KEPT = 4_096

_RDF_TYPE = str(RDF.type)

#: a triple pattern as the bound counts it: each position an IRI or None (a variable, or a
#: literal left out)
Pattern = tuple[str | None, str | None, str | None]


class Var(NamedTuple):
    """A variable of a triple pattern (``?x`` and ``$x`` are the same one)."""

    name: str


#: a position of a triple pattern as parsed: an IRI, a variable, or None for a literal
Term = str | Var | None
TriplePattern = tuple[Term, Term, Term]


class Parsed(NamedTuple):
    """A query of the recognised subset."""

    form: str  # ASK, SELECT or CONSTRUCT
    branches: tuple[tuple[TriplePattern, ...], ...]  # a UNION of conjunctions
    plain: bool  # whether every term means what it says (see the module's text)
    modified: bool  # LIMIT or OFFSET


class Plan(NamedTuple):
    """A query whose work is bounded, and the bound."""

    parsed: Parsed
    work: int


#: an IRI resolves to itself against any base when it has a scheme and no segment of it
#: starts with a dot (RFC 3986 §5.2: an absolute reference only loses its dot segments)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_DOT_SEGMENT = re.compile(r"[/:]\.")
#: prefixed names and variables whose every character means itself in SPARQL's grammar
_PLAIN_PNAME = re.compile(
    r"(?:[A-Za-z](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?:"
    r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?)?"
)
_PLAIN_VAR = re.compile(r"[?$][A-Za-z0-9_]+")


class _NotBounded(Exception):
    """The text is outside the recognised subset (which says nothing about its validity)."""


#: a pattern as a probe: subject, predicate and object each a term, the slot of a variable
#: bound before, or None (free); then the positions whose terms fill (or must equal) slots
_Step = tuple[Any, Any, Any, tuple[tuple[int, int, bool], ...]]


class _GaveUp(Exception):
    """An ASK's probes would read more than :data:`ASK_STEPS` quads."""


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
        # whether every term means what it says (the module's text); escapes anywhere: no
        self.plain = "\\" not in text

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

    def iri(self, iri: str) -> str:
        """An IRI token's text (without its brackets), resolved against the base."""
        if self.plain and (not _SCHEME.match(iri) or _DOT_SEGMENT.search(iri)):
            self.plain = False
        return resolve_iri(self.base, iri)

    def query(self) -> Parsed:
        items, codes, at = self.items, self.codes, 0
        while True:
            keyword = self.word(at, "PREFIX", "BASE")
            if keyword == "PREFIX":
                name, iri = items[at + 1][1], items[at + 2][1]
                if codes[at + 1] != "pname" or not name.endswith(":") or codes[at + 2] != "iri":
                    raise _NotBounded("PREFIX")
                if not _PLAIN_PNAME.fullmatch(name):
                    self.plain = False
                namespace = self.iri(iri[1:-1])
                if self.plain:
                    ox.NamedNode(namespace)  # ValueError if the engine would refuse it unused
                self.prefixes[name[:-1]] = namespace
                at += 3
            elif keyword == "BASE":
                if codes[at + 1] != "iri":
                    raise _NotBounded("BASE")
                self.base = resolve_iri(self.base, items[at + 1][1][1:-1])
                self.plain = False
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
        modified = False
        while self.word(at, "LIMIT", "OFFSET"):
            at = self.integer(at + 1)
            modified = True
        if codes[at]:
            raise _NotBounded("more after the pattern")
        return Parsed(form, where, self.plain, modified)

    def group(self, at: int) -> tuple[tuple[tuple[TriplePattern, ...], ...], int]:
        """``{ triples }`` or ``{ {…} UNION {…} … }``: the branches of a UNION."""
        codes = self.codes
        at = self.expect(at, "{")
        if codes[at] == "{":
            branches: list[tuple[TriplePattern, ...]] = []
            while True:
                union, at = self.group(at)
                branches.extend(union)
                if not self.word(at, "UNION"):
                    break
                at += 1
            return tuple(branches), self.expect(at, "}")
        patterns: list[TriplePattern] = []
        if codes[at] != "}":
            patterns, at = self.triples(at, "}")
        return (tuple(patterns),), self.expect(at, "}")

    def triples(self, at: int, end: str) -> tuple[list[TriplePattern], int]:
        codes, items = self.codes, self.items
        patterns: list[TriplePattern] = []
        while True:
            subject, at = self.term(at)
            while True:
                if codes[at] == "word" and items[at][1] == "a":
                    predicate: Term = _RDF_TYPE
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

    def term(self, at: int, *, literal: bool = True) -> tuple[Term, int]:
        """An IRI, a variable, or None for a literal (which the bound leaves out)."""
        kind, token = self.codes[at], self.items[at][1]
        at += 1
        if kind == "var":
            if not _PLAIN_VAR.fullmatch(token):
                self.plain = False
            return Var(token[1:]), at
        if kind == "iri":
            return self.iri(token[1:-1]), at
        if kind == "pname":
            prefix, _, local = token.partition(":")
            if prefix not in self.prefixes or "\\" in local or "%" in local:
                raise _NotBounded("prefixed name")
            if not _PLAIN_PNAME.fullmatch(token):
                self.plain = False
            return self.prefixes[prefix] + local, at
        self.plain = False  # a literal: the bound leaves it out, a probe cannot
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


def parse_query(text: str, base_iri: str = "") -> Parsed | None:
    """The query, if it is in the subset whose work can be bounded."""
    try:
        return _Parser(text, base_iri).query()
    except (_NotBounded, ValueError, IndexError):  # IndexError: the text ended too soon
        return None


def _counted(pattern: TriplePattern) -> Pattern:
    """The pattern's IRIs: what its count is keyed on."""
    s, p, o = pattern
    return (
        s if type(s) is str else None,
        p if type(p) is str else None,
        o if type(o) is str else None,
    )


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
        self._orders: dict[tuple[TriplePattern, ...], list[_Step]] = {}  # probes by branch

    def plan(self, text: str, base_iri: str = "") -> Plan | None:
        """The query and an upper bound of the combinations it enumerates, or None if its
        work is not bounded."""
        if self.budget <= 0:
            return None
        parsed = parse_query(text, base_iri)
        if parsed is None:
            return None
        try:
            work = self._work(parsed)
        except ValueError:  # an IRI pyoxigraph refuses: the engine will say why
            return None
        return None if work is None else Plan(parsed, work)

    def work(self, text: str, base_iri: str = "") -> int | None:
        """An upper bound of the combinations the query enumerates, or None if unbounded."""
        plan = self.plan(text, base_iri)
        return None if plan is None else plan.work

    def _work(self, parsed: Parsed) -> int | None:
        total = 0
        for branch in parsed.branches:
            product = 1
            for pattern in branch:
                count = self.count(_counted(pattern))
                if count is None:
                    return None
                product *= max(count, 1)
                if product > self.budget:
                    return None
            total += product if branch else 1
            if total > self.budget:
                return None
        return total

    def exists(self, parsed: Parsed) -> bool | None:
        """The answer to an ASK of plain terms without LIMIT or OFFSET, read off the store's
        indexes; None for any other query, or when the probes would read more than
        :data:`ASK_STEPS` quads (then the engine answers).

        Each branch of the UNION is searched depth first, its patterns in the order
        :meth:`_order` gives, each quad of a pattern binding its variables for the next,
        until one branch has a solution (an empty one has one, with nothing bound)."""
        if parsed.form != "ASK" or not parsed.plain or parsed.modified:
            return None
        left = [ASK_STEPS]
        try:
            for branch in parsed.branches:
                steps = self._orders.get(branch)
                if steps is None:
                    steps = self._order(branch)
                    if len(self._orders) >= ORDERS_KEPT:
                        self._orders.clear()
                    self._orders[branch] = steps
                if not steps or self._probe(steps, 0, [None] * 3 * len(branch), left):
                    return True
        except (_GaveUp, ValueError, TypeError):  # too much work, or a term pyoxigraph refuses
            return None
        return False

    def _order(self, branch: tuple[TriplePattern, ...]) -> list[_Step]:
        """The patterns as probes: next is always the pattern with the most positions known
        (an IRI, or a variable an earlier probe binds), the fewest quads first among those.
        Variables get slots; a position reads a constant, reads a slot, or fills one."""
        slots: dict[Var, int] = {}
        todo = list(branch)
        steps: list[_Step] = []
        while todo:
            pattern = max(
                todo,
                key=lambda p: (
                    sum(1 for t in p if type(t) is not Var or t in slots),
                    -self._counts.get(_counted(p), self.pattern_cap + 1),
                ),
            )
            todo.remove(pattern)
            reads: list[Any] = []
            fills: list[tuple[int, int, bool]] = []  # position, slot, and whether to compare
            for position, term in enumerate(pattern):
                if type(term) is not Var:
                    reads.append(ox.NamedNode(term) if type(term) is str else term)
                elif term in slots:
                    filled_here = any(slot == slots[term] for _, slot, _ in fills)
                    reads.append(None if filled_here else slots[term])
                    if filled_here:  # the same variable twice in one pattern
                        fills.append((position, slots[term], True))
                else:
                    slots[term] = len(slots)
                    reads.append(None)
                    fills.append((position, slots[term], False))
            steps.append((reads[0], reads[1], reads[2], tuple(fills)))
        return steps

    def _probe(self, steps: list[_Step], i: int, values: list[Any], left: list[int]) -> bool:
        """Is there a solution of ``steps[i:]`` given the slots filled so far?"""
        s, p, o, fills = steps[i]
        if type(s) is int:
            s = values[s]
            if isinstance(s, ox.Literal):
                return False  # no subject is a literal
            if isinstance(s, ox.Triple):
                raise _GaveUp  # a triple term in subject position: the engine decides
        if type(p) is int:
            p = values[p]
            if not isinstance(p, ox.NamedNode):
                return False  # only an IRI is a predicate
        if type(o) is int:
            o = values[o]
        last = i + 1 == len(steps)
        for quad in self.store.quads_for_pattern(s, p, o, None):
            left[0] -= 1
            if left[0] < 0:
                raise _GaveUp
            for position, slot, compare in fills:
                if not compare:
                    values[slot] = quad[position]
                elif quad[position] != values[slot]:
                    break
            else:
                if last or self._probe(steps, i + 1, values, left):
                    return True
        return False

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
