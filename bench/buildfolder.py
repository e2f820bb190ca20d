"""A build folder for the synthetic data, as `coopld build` writes one (src/coopld/build.py).

- ``coopld.nt`` (sorted N-Triples of the data graph), ``coopld.nt.gz``, ``coopld.ttl``,
  ``coopld.jsonld``, ``coopld.rdf``: the data graph, the last three by pyoxigraph's
  streaming serializers;
- ``coopld.nq`` and ``coopld.trig``: the data graph plus the vocabulary, shapes and metadata
  graphs, copied line for line from a real build's ``coopld.nq`` (or, without one, made from
  ontology/ and shapes/); in the copied metadata, the dataset's ``void:triples`` and each
  dump's ``dcat:byteSize`` and SHA-256 are rewritten for the synthetic files (the other
  statistics, such as the VoID partitions, stay those of the real build);
- ``build.json``: ``version``, ``built``, ``base``, ``triples``, ``counts``, ``files``, plus
  ``generator`` (scale, seed, where the graphs came from).

Every byte depends only on the scale, the seed and the real build it copies from.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .generate import DEFAULT_BASE, generate, lang, typed

__all__ = ["GRAPHS", "graph_lines", "write_build"]

ROOT = Path(__file__).resolve().parent.parent
FIXED_BUILT = "2026-01-01T00:00:00Z"
GRAPHS = ("data", "vocabulary", "shapes", "metadata")
DUMP = "coopld"
VOID = "http://rdfs.org/ns/void#"
DCAT_BYTE_SIZE = "<http://www.w3.org/ns/dcat#byteSize>"
DCAT_DOWNLOAD = "<http://www.w3.org/ns/dcat#downloadURL>"
PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "http://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_QUAD = re.compile(r"^(.*) <([^<>]*)> \.$")


def graph_lines(nq: Path, base: str) -> dict[str, list[str]]:
    """The statements (without graph and final dot) of each named graph of a build's N-Quads."""
    names = {f"{base}/graph/{name}": name for name in GRAPHS}
    graphs: dict[str, list[str]] = {name: [] for name in GRAPHS}
    with nq.open(encoding="utf-8") as lines:
        for line in lines:
            match = _QUAD.match(line.rstrip("\n"))
            if match and match.group(2) in names:
                graphs[names[match.group(2)]].append(match.group(1))
    return graphs


def _graphs_from_sources(base: str) -> dict[str, list[str]]:
    """Vocabulary and shapes graphs made from ontology/ and shapes/ when there is no real build.

    Blank nodes get canonical labels, so the bytes do not depend on the parser's random ones.
    """
    from rdflib.compare import to_canonical_graph

    from coopld.namespaces import Iris
    from coopld.validation import load_turtle

    iris = Iris(base)
    graphs: dict[str, list[str]] = {"data": []}
    for name, path in (("vocabulary", "ontology/coop.ttl"), ("shapes", "shapes/coop.shapes.ttl")):
        graph = to_canonical_graph(load_turtle(ROOT / path, iris))
        text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
        graphs[name] = sorted(line[:-2] for line in text.splitlines() if line.endswith(" ."))
    dataset = f"<{base}/id/dataset/coopld>"
    graphs["metadata"] = [
        f"{dataset} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{VOID}Dataset>",
        f"{dataset} <http://purl.org/dc/terms/title> "
        + lang("Research and innovation cooperation agreements"),
        f"{dataset} <{VOID}triples> {typed('0', 'integer')}",
    ]
    return graphs


def _check_labels(graphs: dict[str, list[str]]) -> None:
    for name, lines in graphs.items():
        if name != "data" and any(re.search(r"(^|\s)_:g[0-9a-f]+\s", line) for line in lines):
            raise ValueError(f"the {name} graph uses blank node labels _:g..., as the generator")


def _entry(path: Path, media_type: str) -> dict[str, Any]:
    data = path.read_bytes()
    return {
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "media_type": media_type,
    }


def _media_types() -> dict[str, str]:
    """File extension -> media type, from coopld's formats table (as build.py uses it)."""
    from coopld.formats import DATASET_FORMATS, GRAPH_FORMATS

    return {f.extension: f.media_type for f in (*GRAPH_FORMATS, *DATASET_FORMATS)}


def _write_data_dumps(out: Path, lines: list[str], media: dict[str, str]) -> dict[str, Any]:
    nt = out / f"{DUMP}.nt"
    nt.write_bytes("".join(line + " .\n" for line in sorted(lines)).encode("utf-8"))
    files = {nt.name: _entry(nt, media["nt"])}
    gz = out / f"{DUMP}.nt.gz"
    gz.write_bytes(gzip.compress(nt.read_bytes(), compresslevel=6, mtime=0))
    files[gz.name] = _entry(gz, "application/gzip")
    for extension in ("ttl", "jsonld", "rdf"):
        if extension not in media:
            continue
        path = out / f"{DUMP}.{extension}"
        triples = ox.parse(path=str(nt), format=ox.RdfFormat.N_TRIPLES)
        ox.serialize(triples, str(path), ox.RdfFormat.from_extension(extension), prefixes=PREFIXES)
        files[path.name] = _entry(path, media[extension])
    return files


def _patch_metadata(
    lines: list[str], base: str, triples: int, old: dict[str, Any], new: dict[str, Any]
) -> list[str]:
    """The copied metadata, describing the synthetic dataset's size and dump files."""
    dataset_triples = f"<{base}/id/dataset/coopld> <{VOID}triples> "
    downloads = {}  # distribution -> file name
    for line in lines:
        s, p, o = line.split(" ", 2)
        if p == DCAT_DOWNLOAD:
            downloads[s] = o.strip("<>").rsplit("/", 1)[-1]
    patched = []
    for line in lines:
        if line.startswith(dataset_triples):
            line = dataset_triples + typed(str(triples), "integer")
        s, p, _ = line.split(" ", 2)
        if p == DCAT_BYTE_SIZE and downloads.get(s) in new:
            line = f"{s} {p} {typed(str(new[downloads[s]]['bytes']), 'nonNegativeInteger')}"
        for name, entry in old.items():
            if name in new and entry.get("sha256") and entry["sha256"] in line:
                line = line.replace(entry["sha256"], new[name]["sha256"])
        patched.append(line)
    return patched


def write_build(
    out: Path, scale: int, seed: int = 42, source: Path | None = None
) -> dict[str, Any]:
    """Generate and write a build folder; ``source`` is a real build to copy graphs from."""
    started = time.perf_counter()
    source_manifest: dict[str, Any] = {}
    if source is not None and (source / "build.json").exists():
        source_manifest = json.loads((source / "build.json").read_text(encoding="utf-8"))
        base = source_manifest["base"]
        graphs = graph_lines(source / f"{DUMP}.nq", base)
        origin = str(source)
    else:
        base = DEFAULT_BASE
        graphs = _graphs_from_sources(base)
        origin = "ontology/coop.ttl and shapes/coop.shapes.ttl (no real build)"
    _check_labels(graphs)
    synthetic = generate(scale, seed, base)
    graphs["data"] = synthetic.lines
    media = _media_types()

    out.mkdir(parents=True, exist_ok=True)
    files = _write_data_dumps(out, synthetic.lines, media)
    graphs["metadata"] = _patch_metadata(
        graphs["metadata"], base, synthetic.triples, source_manifest.get("files", {}), files
    )
    nq = out / f"{DUMP}.nq"
    version = hashlib.sha256()
    with nq.open("w", encoding="utf-8", newline="\n") as stream:
        for name in GRAPHS:
            suffix = f" <{base}/graph/{name}> .\n"
            for start in range(0, len(graphs[name]), 100_000):
                chunk = "".join(line + suffix for line in graphs[name][start : start + 100_000])
                stream.write(chunk)
                if name != "metadata":
                    version.update(chunk.encode("utf-8"))
    files[nq.name] = _entry(nq, media.get("nq", "application/n-quads"))
    if "trig" in media:
        trig = out / f"{DUMP}.trig"
        quads = ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS)
        ox.serialize(quads, str(trig), ox.RdfFormat.TRIG, prefixes=PREFIXES)
        files[trig.name] = _entry(trig, media["trig"])
    manifest: dict[str, Any] = {
        "version": version.hexdigest(),
        "built": source_manifest.get("built", FIXED_BUILT),
        "base": base,
        "triples": synthetic.triples,
        "counts": synthetic.counts,
        "files": dict(sorted(files.items())),
        "generator": {"scale": scale, "seed": seed, "graphs_from": origin},
    }
    (out / "build.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    manifest["seconds"] = round(time.perf_counter() - started, 2)
    return manifest
