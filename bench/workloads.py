"""The query mix: bench/queries/*.rq filled with resources picked from the dataset.

Each workload is a list of requests for coopld and the equivalent list for the Oxigraph
reference (``/sparql`` vs ``/query``; ``GET /doc/...`` vs the CONSTRUCT in ``doc.rq``).
Lookups rotate through up to 64 resources. coopld keeps an in-process response cache, so
every SPARQL request is made unique by a trailing comment (``unique``): the servers evaluate
every query. Dereferencing is measured twice: ``doc`` gives each cell its own 3,000 resources
(cold, as a crawler sees it), ``doc-hot`` repeats 64 (the response cache's best case).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from .load import Request

__all__ = [
    "WARMUP",
    "WORKLOADS",
    "Picks",
    "Spec",
    "Workload",
    "answer_size",
    "build_workloads",
    "pick_resources",
]

QUERIES = Path(__file__).resolve().parent / "queries"
ROTATION = 64
#: resources per cell of the cold dereferencing workload (each cell gets its own)
COLD = 3000
#: requests sent before a cell's first (not in any cell's list for the cold workload)
WARMUP = 8
SPARQL_JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


@dataclass(frozen=True)
class Spec:
    group: str  # which target applies: lookup, scan, doc (cold) or doc-hot
    query: str  # file in bench/queries/, without .rq
    rotate: str | None  # the placeholder that takes a different resource per request
    unique: bool  # each request's text differs (a SPARQL comment): no response cache helps


WORKLOADS: dict[str, Spec] = {
    "q1-lookup": Spec("lookup", "q1-lookup", "agreement", True),
    "q2-listing": Spec("scan", "q2-listing", None, True),
    "q3-group": Spec("scan", "q3-group", None, True),
    "q4-join": Spec("scan", "q4-join", None, True),
    "q5-text": Spec("scan", "q5-text", None, True),
    "q6-optional": Spec("scan", "q6-optional", None, True),
    "q7-ask": Spec("lookup", "q7-ask", "agreement", True),
    "q8-in-out": Spec("lookup", "q8-in-out", "organisation", True),
    "doc": Spec("doc", "doc", "many", False),
    "doc-hot": Spec("doc-hot", "doc", "resource", False),
}
DOC_KINDS = ("Agreement", "Action", "Organisation", "Person", "PriorityArea", "Document")


@dataclass
class Picks:
    """The resources of one dataset that the workloads name (IRIs)."""

    base: str
    by_class: dict[str, list[str]] = field(default_factory=dict)
    theme: str | None = None
    word: str = "water"

    def rotation(self, placeholder: str) -> list[str]:
        if placeholder == "agreement":
            return spread(self.by_class.get("Agreement", []), ROTATION)
        if placeholder == "organisation":
            return spread(self.by_class.get("Organisation", []), ROTATION)
        if placeholder in ("resource", "many"):
            size = ROTATION if placeholder == "resource" else WARMUP + 2 * COLD
            lists = [spread(self.by_class.get(k, []), size) for k in DOC_KINDS]
            mixed = [iri for group in _interleave(lists) for iri in group]
            return mixed[:size]
        raise KeyError(placeholder)


def spread(items: list[str], k: int) -> list[str]:
    """``k`` items evenly spaced through the sorted list (all of them when there are fewer)."""
    ordered = sorted(items)
    if len(ordered) <= k:
        return ordered
    step = len(ordered) / k
    return [ordered[int(i * step)] for i in range(k)]


def _interleave(lists: list[list[str]]) -> list[list[str]]:
    rounds = max((len(x) for x in lists), default=0)
    return [[x[i] for x in lists if i < len(x)] for i in range(rounds)]


def pick_resources(nq: Path, base: str) -> Picks:
    """Scan the data graph of a build's N-Quads for the resources the workloads name.

    Besides typed resources: the theme whose agreements have the median number of actions
    among themes with any (q4), and the word found in closest to 5 % of the English action
    labels (q5), so that neither query is empty on any dataset.
    """
    coop = f"<{base}/def/coop#"
    graph = f" <{base}/graph/data> .\n"
    theme, action_of = f" {coop}theme> ", f" {coop}actionOf> "
    label = " <http://www.w3.org/2000/01/rdf-schema#label> "
    actions_prefix = f"<{base}/id/action/"
    classes = {f"{coop}{name}>": name for name in DOC_KINDS}
    by_class: dict[str, list[str]] = {name: [] for name in DOC_KINDS}
    themes: dict[str, list[str]] = {}
    actions: Counter[str] = Counter()
    words: Counter[str] = Counter()
    labelled = 0
    with nq.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.endswith(graph):
                continue
            if f" {TYPE} " in line:
                s, _, o, _ = line.split(" ", 3)
                if o in classes and s.startswith("<"):
                    by_class[classes[o]].append(s[1:-1])
            elif theme in line:
                s, _, o, _ = line.split(" ", 3)
                themes.setdefault(o, []).append(s)
            elif action_of in line:
                actions[line.split(" ", 3)[2]] += 1
            elif line.startswith(actions_prefix) and label in line and '"@en <' in line:
                text = line.split(label, 1)[1].rsplit('"@en <', 1)[0]
                words.update({w for w in re.findall(r"[a-z]{5,}", text.lower())})
                labelled += 1
    picks = Picks(base, by_class)
    scores = {t: sum(actions[a] for a in agreements) for t, agreements in themes.items()}
    ranked = sorted((n, t) for t, n in scores.items() if n) or sorted((0, t) for t in scores)
    if ranked:
        picks.theme = ranked[len(ranked) // 2][1][1:-1]
    if words:
        picks.word = min(words, key=lambda w: (abs(words[w] - 0.05 * labelled), w))
    return picks


def _form(text: str) -> str:
    body = "\n".join(
        line for line in text.splitlines() if not line.lstrip().upper().startswith(("#", "PREFIX"))
    )
    match = re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE)
    return match.group(1).lower() if match else "select"


@dataclass
class Workload:
    name: str
    spec: Spec
    form: str  # select, ask, construct
    title: str
    coopld: list[Request]
    oxigraph: list[Request]
    skipped: str = ""  # why this workload cannot run on this dataset
    results: dict[str, Any] = field(default_factory=dict)  # what the run measured

    @property
    def group(self) -> str:
        return self.spec.group

    def warmup(self, system: str) -> list[Request]:
        requests: list[Request] = getattr(self, system)
        return requests[:WARMUP]

    def cell(self, system: str, index: int, cells: int) -> list[Request]:
        """The requests of the ``index``-th of ``cells`` cells; cold cells share none."""
        requests: list[Request] = getattr(self, system)
        if self.spec.rotate != "many" or len(requests) <= WARMUP:
            return requests
        rest = requests[WARMUP:]
        size = max(1, len(rest) // cells)
        return rest[index * size : (index + 1) * size] or rest


def _fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    missing = re.findall(r"\{\{(\w+)\}\}", text)
    if missing:
        raise KeyError(", ".join(missing))
    return text


def _sparql(path: str, query: str, form: str) -> Request:
    accept = TURTLE if form in ("construct", "describe") else SPARQL_JSON
    return Request(f"{path}?query={quote(query, safe='')}", {"Accept": accept})


def build_workloads(picks: Picks, names: list[str]) -> list[Workload]:
    workloads = []
    for name in names:
        spec = WORKLOADS[name]
        text = (QUERIES / f"{spec.query}.rq").read_text(encoding="utf-8")
        comments = itertools.takewhile(lambda line: line.startswith("#"), text.splitlines())
        title = " ".join(line.lstrip("# ").strip() for line in comments)
        form = _form(text)
        values = {"base": picks.base, "word": picks.word}
        if picks.theme:
            values["theme"] = f"<{picks.theme}>"
        rotation = picks.rotation(spec.rotate) if spec.rotate else [""]
        workload = Workload(name, spec, form, title, [], [])
        if not rotation:
            workload.skipped = f"no {spec.rotate} in the data"
        placeholder = "resource" if spec.rotate == "many" else spec.rotate
        for iri in rotation:
            if placeholder:
                values[placeholder] = f"<{iri}>"
            try:
                query = _fill(text, values)
            except KeyError as exc:
                workload.skipped = f"nothing in the data for {{{{{exc.args[0]}}}}}"
                break
            workload.oxigraph.append(_sparql("/query", query, form))
            if spec.group.startswith("doc"):
                path = "/doc/" + iri[len(picks.base) + len("/id/") :]
                workload.coopld.append(Request(path, {"Accept": TURTLE}))
            else:
                workload.coopld.append(_sparql("/sparql", query, form))
        workloads.append(workload)
    return workloads


def answer_size(form: str, content_type: str, body: bytes) -> tuple[int | None, str]:
    """How many rows (SELECT), triples (CONSTRUCT) or which boolean (ASK, as 0/1) came back.

    Returns (size, problem); problem is "" when the answer is what the request asked for.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    try:
        if form in ("select", "ask"):
            if media != SPARQL_JSON:
                return None, f"got {media or 'no content type'}, asked for {SPARQL_JSON}"
            data = json.loads(body)
            if form == "ask":
                return int(bool(data["boolean"])), ""
            return len(data["results"]["bindings"]), ""
        if media != TURTLE:
            return None, f"got {media or 'no content type'}, asked for {TURTLE}"
        triples = ox.parse(body, format=ox.RdfFormat.TURTLE, base_iri="http://127.0.0.1/")
        return sum(1 for _ in triples), ""
    except (ValueError, KeyError, TypeError, SyntaxError) as exc:
        return None, f"unreadable answer: {type(exc).__name__}: {str(exc)[:120]}"
