"""pySHACL wrapper: data graph -> a ValidationOutcome value.

Non-conformance is a value (``conforms`` is False), never an exception; the
report a person reads is grouped by resource and names the source record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.term import Node

from .errors import BuildError
from .namespaces import RDFS, SH, Iris

__all__ = ["ValidationOutcome", "ValidationResult", "load_turtle", "validate_graph"]


@dataclass(frozen=True, order=True)
class ValidationResult:
    focus: str
    severity: str  # Violation, Warning or Info
    path: str
    message: str
    shape: str
    value: str
    origin: str


@dataclass(frozen=True)
class ValidationOutcome:
    conforms: bool
    report: Graph
    results: tuple[ValidationResult, ...]

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    @property
    def violations(self) -> int:
        return self.count("Violation")

    @property
    def warnings(self) -> int:
        return self.count("Warning")

    def text(self) -> str:
        """The report for people: one block per resource, with its source record."""
        if not self.results:
            return "Conforms: every resource satisfies every shape."
        by_focus: dict[tuple[str, str], list[ValidationResult]] = defaultdict(list)
        for result in sorted(self.results):
            by_focus[(result.focus, result.origin)].append(result)
        lines = [
            f"{'Conforms' if self.conforms else 'Does not conform'}: "
            f"{self.violations} violation(s), {self.warnings} warning(s)"
        ]
        for (focus, origin), results in by_focus.items():
            lines.append("")
            lines.append(f"<{focus}>" + (f"  (record at {origin})" if origin else ""))
            for r in results:
                where = f" {r.path}" if r.path else ""
                value = f" [value: {r.value}]" if r.value else ""
                lines.append(f"  {r.severity}{where}: {r.message}{value}")
        return "\n".join(lines)


def load_turtle(path: Path, iris: Iris) -> Graph:
    """Parse a Turtle file written with IRIs relative to the deployment base."""
    try:
        return Graph().parse(path, format="turtle", publicID=iris.resolve_base)
    except FileNotFoundError as exc:
        raise BuildError(f"{path}: no such file") from exc
    except Exception as exc:  # rdflib raises many parser exception types
        raise BuildError(f"{path}: not valid Turtle: {exc}") from exc


def _text(graph: Graph, node: Node, predicate: URIRef) -> str:
    value = graph.value(node, predicate)
    if value is None:
        return ""
    if isinstance(value, URIRef):
        return str(value)
    path = graph.value(value, SH.inversePath) if not hasattr(value, "language") else None
    if path is not None:
        return f"^{path}"
    return str(value)


def hierarchy_of(ontology: Graph) -> Graph:
    """The ontology without rdfs:domain and rdfs:range axioms.

    RDFS inference from the class and property hierarchy lets data written with a
    specific term satisfy shapes about the general one. Inference from domains and
    ranges would type every value by the property that points at it, so an
    ``sh:class`` check could never fail (a country given as a coordinator would
    simply become an organisation): validation must check what the data asserts.
    """
    hierarchy = Graph()
    for triple in ontology:
        if triple[1] not in (RDFS.domain, RDFS.range):
            hierarchy.add(triple)
    return hierarchy


def validate_graph(
    data: Graph,
    shapes: Graph,
    ontology: Graph,
    origins: Mapping[Node, str] | None = None,
    owners: Mapping[Node, Node] | None = None,
) -> ValidationOutcome:
    """Validate ``data`` against ``shapes`` with RDFS inference from ``ontology``'s hierarchy.

    Warnings and infos are reported but do not make the data non-conforming.
    """
    conforms, report, _ = validate(
        data,
        shacl_graph=shapes,
        ont_graph=hierarchy_of(ontology),
        inference="rdfs",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    origins = origins or {}
    owners = owners or {}
    results = []
    for node in report.subjects(predicate=SH.resultSeverity):
        focus = report.value(node, SH.focusNode)
        severity = str(report.value(node, SH.resultSeverity)).rsplit("#", 1)[-1]
        messages = sorted(str(m) for m in report.objects(node, SH.resultMessage))
        # a blank node (a period, a signature, a source) is reported on its owner
        owner = owners.get(focus) if focus is not None else None
        shown = f"{owner}> via <{focus}" if owner is not None else str(focus)
        results.append(
            ValidationResult(
                focus=shown,
                severity=severity,
                path=_text(report, node, SH.resultPath),
                message="; ".join(messages) or "constraint not satisfied",
                shape=_text(report, node, SH.sourceShape),
                value=_text(report, node, SH.value),
                origin=origins.get(focus, "") if focus is not None else "",
            )
        )
    return ValidationOutcome(bool(conforms), report, tuple(sorted(results)))
