"""The build: records -> RDF -> SHACL validation -> dataset files, written atomically."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdflib import Dataset as RdfDataset
from rdflib import Graph
from rdflib.compare import to_canonical_graph

from .config import Settings
from .errors import BuildError
from .formats import DATASET_FORMATS, GRAPH_FORMATS, Format
from .mapping import Conversion, bind_prefixes, records_to_graph
from .namespaces import Iris
from .records import Record, load_records
from .validation import ValidationOutcome, load_turtle, validate_graph

__all__ = [
    "DUMP_NAME",
    "BuildResult",
    "Inputs",
    "build_dataset",
    "convert",
    "count_resources",
    "load_inputs",
    "sorted_ntriples",
    "write_dataset",
]

DUMP_NAME = "coopld"
MANIFEST = "build.json"


@dataclass
class Inputs:
    """Everything a build reads: the records, the vocabulary and the shapes."""

    iris: Iris
    records: list[Record]
    ontology: Graph
    shapes: Graph


@dataclass
class BuildResult:
    conversion: Conversion
    outcome: ValidationOutcome
    inputs: Inputs
    seconds: float = 0.0
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def graph(self) -> Graph:
        return self.conversion.graph


def load_inputs(settings: Settings) -> Inputs:
    iris = Iris(settings.base)
    root = Path.cwd()
    records = load_records(Path(settings.data_dir), root=root)
    ontology = bind_prefixes(load_turtle(Path(settings.ontology), iris), iris)
    shapes = load_turtle(Path(settings.shapes), iris)
    return Inputs(iris, records, ontology, shapes)


def convert(inputs: Inputs) -> BuildResult:
    """Convert and validate; never writes anything."""
    started = time.perf_counter()
    conversion = records_to_graph(inputs.records, inputs.iris)
    outcome = validate_graph(
        conversion.graph, inputs.shapes, inputs.ontology, conversion.origins, conversion.owners
    )
    return BuildResult(conversion, outcome, inputs, time.perf_counter() - started)


def sorted_ntriples(graph: Graph) -> bytes:
    """Canonical bytes of a graph: its N-Triples lines, sorted (blank node labels are stable)."""
    text = graph.serialize(format="nt", encoding="utf-8")
    lines = sorted({line for line in text.decode("utf-8").splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8")


def count_resources(graph: Graph, iris: Iris) -> dict[str, int]:
    """How many things of each kind the data graph describes (by IRI pattern)."""
    counts: dict[str, int] = {}
    prefix = f"{iris.base}/id/"
    for subject in set(graph.subjects()):
        text = str(subject)
        if text.startswith(prefix):
            kind = text[len(prefix) :].split("/", 1)[0]
            counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))


def _gzip(data: bytes) -> bytes:
    # mtime=0 and no file name: the same input gives the same bytes
    return gzip.compress(data, compresslevel=9, mtime=0)


def _dataset(graphs: dict[str, Graph], iris: Iris) -> RdfDataset:
    dataset = RdfDataset()
    for prefix, namespace in graphs["data"].namespaces():
        dataset.bind(prefix, namespace)
    for name, graph in graphs.items():
        target = dataset.graph(iris.graph(name))
        for triple in graph:
            target.add(triple)
    return dataset


def _file_entry(path: Path, fmt: Format | None, media_type: str | None = None) -> dict[str, Any]:
    data = path.read_bytes()
    return {
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "media_type": media_type or (fmt.media_type if fmt else "application/octet-stream"),
    }


MetadataFactory = Callable[[BuildResult, dict[str, Any]], Graph]


def write_dataset(
    result: BuildResult,
    out: Path,
    metadata: MetadataFactory | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Write every file into a fresh folder, then swap it in place of ``out``.

    A failure (or an interruption) before the swap leaves the previous ``out`` untouched.
    """
    iris = result.inputs.iris
    out = Path(out)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create {parent}: {exc}") from exc
    staging = parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        manifest = _write_files(result, staging, iris, metadata, now or datetime.now(UTC))
        _write_documents(staging)
        _swap(staging, out.resolve())
    except OSError as exc:
        raise BuildError(f"cannot write the dataset to {out}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _write_files(
    result: BuildResult,
    folder: Path,
    iris: Iris,
    metadata: MetadataFactory | None,
    now: datetime,
) -> dict[str, Any]:
    data = result.graph
    nt = sorted_ntriples(data)
    files: dict[str, dict[str, Any]] = {}
    for fmt in GRAPH_FORMATS:
        path = folder / f"{DUMP_NAME}.{fmt.extension}"
        if fmt.name == "ntriples":
            path.write_bytes(nt)
        else:
            data.serialize(path, format=fmt.rdflib or fmt.name, encoding="utf-8")
        files[path.name] = _file_entry(path, fmt)
    gz = folder / f"{DUMP_NAME}.nt.gz"
    gz.write_bytes(_gzip(nt))
    files[gz.name] = _file_entry(gz, None, "application/gzip")

    graphs = {"data": data, "vocabulary": result.inputs.ontology, "shapes": result.inputs.shapes}
    # blank nodes parsed from the vocabulary and shapes get new labels on every parse:
    # canonical labels keep the version (and every ETag derived from it) stable
    version = hashlib.sha256(
        b"".join(sorted_ntriples(to_canonical_graph(g)) for g in graphs.values())
    ).hexdigest()
    manifest: dict[str, Any] = {
        "version": version,
        "built": now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "base": iris.base,
        "triples": len(data),
        "counts": count_resources(data, iris),
        "validation": {
            "violations": result.outcome.violations,
            "warnings": result.outcome.warnings,
        },
        "files": files,
    }
    graphs["metadata"] = metadata(result, manifest) if metadata else Graph()
    dataset = _dataset(graphs, iris)
    for fmt in DATASET_FORMATS:
        path = folder / f"{DUMP_NAME}.{fmt.extension}"
        dataset.serialize(path, format=fmt.rdflib or fmt.name, encoding="utf-8")
        files[path.name] = _file_entry(path, fmt)
    result.outcome.report.serialize(folder / "validation-report.ttl", format="turtle")
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    result.files = files
    return manifest


def _write_documents(folder: Path) -> None:
    """Every resource's document, rendered once from the files just written (docstore.py)."""
    from .docstore import write_documents  # the store module reads this one's names
    from .store import open_dataset

    write_documents(open_dataset(folder), folder)


def _swap(staging: Path, out: Path) -> None:
    if out.exists() and not (out / MANIFEST).exists() and any(out.iterdir()):
        raise BuildError(
            f"{out} exists and is not a coopld build (no {MANIFEST}); refusing to replace it",
            hint="choose another --out folder or remove it",
        )
    retired = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, retired)
    os.replace(staging, out)
    shutil.rmtree(retired, ignore_errors=True)


def build_dataset(
    settings: Settings, metadata: MetadataFactory | None = None
) -> tuple[BuildResult, dict[str, Any] | None]:
    """Load, convert, validate and (only if the data conforms) write. Returns the manifest."""
    result = convert(load_inputs(settings))
    if not result.outcome.conforms:
        return result, None
    return result, write_dataset(result, Path(settings.out), metadata)
