"""The benchmark's synthetic data: it conforms to the shapes, and the same seed gives the same bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph

from coopld.build import count_resources
from coopld.namespaces import Iris
from coopld.store import open_dataset
from coopld.validation import ValidationOutcome, load_turtle, validate_graph

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # bench/ is a folder of the checkout, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.buildfolder import write_build  # noqa: E402
from bench.generate import DEFAULT_BASE, Synthetic, generate  # noqa: E402

SMALL = 5000
BASE = DEFAULT_BASE
COOP = f"<{BASE}/def/coop#"


def to_graph(lines: list[str]) -> Graph:
    return Graph().parse(data="".join(line + " .\n" for line in lines), format="nt")


def validate(graph: Graph) -> ValidationOutcome:
    """Exactly what `coopld build` does with the converted records."""
    iris = Iris(BASE)
    shapes = load_turtle(ROOT / "shapes" / "coop.shapes.ttl", iris)
    ontology = load_turtle(ROOT / "ontology" / "coop.ttl", iris)
    return validate_graph(graph, shapes, ontology)


@pytest.fixture(scope="module")
def small() -> Synthetic:
    return generate(SMALL, seed=7)


@pytest.fixture(scope="module")
def small_graph(small: Synthetic) -> Graph:
    return to_graph(small.lines)


def test_small_instance_has_about_the_asked_size_and_no_repeated_triple(
    small: Synthetic, small_graph: Graph
) -> None:
    assert SMALL <= small.triples < 1.3 * SMALL
    assert len(small_graph) == small.triples


def test_counts_are_the_resources_the_graph_describes(small: Synthetic, small_graph: Graph) -> None:
    assert count_resources(small_graph, Iris(BASE)) == small.counts
    for kind in ("agreement", "action", "scheme", "priority-area", "organisation", "person",
                 "post", "document", "objective"):  # fmt: skip
        assert small.counts.get(kind, 0) > 0, kind


def test_generated_data_conforms_to_the_shapes(small_graph: Graph) -> None:
    outcome = validate(small_graph)
    assert outcome.conforms, outcome.text()
    assert outcome.violations == 0


def test_the_shapes_reject_a_generated_instance_with_planted_errors() -> None:
    """The conformance test above would catch a generator that broke the model."""
    lines = generate(2000, seed=7).lines
    label = " <http://www.w3.org/2000/01/rdf-schema#label> "
    unlabelled = f"<{BASE}/id/agreement/agreement-00001>"
    foreign = f"<{BASE}/id/priority-area/agreement-00000-area-1>"
    action = f"<{BASE}/id/action/agreement-00001-action-1>"
    broken = [line for line in lines if not line.startswith(unlabelled + label)]
    assert len(broken) < len(lines)
    broken.append(f"{action} {COOP}contributesTo> {foreign}")
    outcome = validate(to_graph(broken))
    assert not outcome.conforms
    failing = {(r.focus, r.path) for r in outcome.results if r.severity == "Violation"}
    assert (unlabelled[1:-1], "http://www.w3.org/2000/01/rdf-schema#label") in failing
    assert (action[1:-1], f"{BASE}/def/coop#contributesTo") in failing


def test_actions_contribute_only_to_areas_of_their_own_agreement(small: Synthetic) -> None:
    contributes = [line for line in small.lines if f" {COOP}contributesTo> " in line]
    assert contributes
    for line in contributes:
        action, _, area = line.split(" ")
        agreement = action.rsplit("/", 1)[1].split("-action-")[0]
        assert area.rsplit("/", 1)[1].startswith(f"{agreement}-area-"), line


def _generate_in_subprocess(out: Path, seed: int, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    command = [sys.executable, "-m", "bench.generate", "--scale", "3000"]
    command += ["--seed", str(seed), "--out", str(out)]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


def test_same_seed_gives_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    _generate_in_subprocess(tmp_path / "a", 11, "1")
    _generate_in_subprocess(tmp_path / "b", 11, "2")
    _generate_in_subprocess(tmp_path / "c", 12, "1")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "coopld.nq" in names and "build.json" in names
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "coopld.nq").read_bytes() != (
        tmp_path / "c" / "coopld.nq"
    ).read_bytes()


OLD_SHA = "ab" * 32
XSD = "http://www.w3.org/2001/XMLSchema#"


def _fake_real_build(folder: Path) -> list[str]:
    """A build folder shaped like `coopld build`'s, small, with a catalogue entry for a dump."""
    folder.mkdir()
    dump, checksum = f"<{BASE}/catalog#dump-nt>", f"<{BASE}/catalog#dump-nt-sha256>"
    statements = [
        ("data", f"<{BASE}/id/agreement/real> <{BASE}/def/coop#party> <{BASE}/id/country/x>"),
        ("vocabulary", f'<{BASE}/def/coop> <http://purl.org/dc/terms/title> "coop"@en'),
        ("shapes", f'<{BASE}/def/coop-shapes> <http://www.w3.org/2002/07/owl#versionInfo> "1"'),
        (
            "metadata",
            f'<{BASE}/id/dataset/coopld> <http://rdfs.org/ns/void#triples> "1"^^<{XSD}integer>',
        ),
        ("metadata", f'_:v1 <http://rdfs.org/ns/void#triples> "1"^^<{XSD}integer>'),
        ("metadata", f"{dump} <http://www.w3.org/ns/dcat#downloadURL> <{BASE}/dumps/coopld.nt>"),
        ("metadata", f'{dump} <http://www.w3.org/ns/dcat#byteSize> "7"^^<{XSD}nonNegativeInteger>'),
        (
            "metadata",
            f'{checksum} <http://spdx.org/rdf/terms#checksumValue> "{OLD_SHA}"^^<{XSD}hexBinary>',
        ),
    ]
    lines = [f"{s} <{BASE}/graph/{name}> .\n" for name, s in statements]
    (folder / "coopld.nq").write_text("".join(lines))
    manifest = {
        "base": BASE,
        "built": "2026-04-24T10:00:00Z",
        "version": "0" * 64,
        "files": {"coopld.nt": {"bytes": 7, "sha256": OLD_SHA, "media_type": "x"}},
    }
    (folder / "build.json").write_text(json.dumps(manifest))
    return lines


def test_the_build_folder_reuses_the_real_builds_graphs_and_loads_in_coopld(
    tmp_path: Path,
) -> None:
    real = _fake_real_build(tmp_path / "real")
    out = tmp_path / "synthetic"
    manifest = write_build(out, 3000, seed=3, source=tmp_path / "real")
    nq = (out / "coopld.nq").read_text()
    assert real[1] in nq and real[2] in nq  # vocabulary and shapes copied as they are
    assert real[4] in nq  # a partition's void:triples is left alone
    assert real[0] not in nq  # the real data is replaced by the synthetic data
    triples = manifest["triples"]
    assert f'<{BASE}/id/dataset/coopld> <http://rdfs.org/ns/void#triples> "{triples}"^^' in nq

    written = json.loads((out / "build.json").read_text())
    assert written["base"] == BASE and written["built"] == "2026-04-24T10:00:00Z"
    assert {"version", "triples", "counts", "files"} <= set(written)
    assert set(written["files"]) == {
        f"coopld.{ext}" for ext in ("nt", "nt.gz", "ttl", "jsonld", "rdf", "nq", "trig")
    }
    for name, entry in written["files"].items():
        assert entry["bytes"] == (out / name).stat().st_size, name
    nt = written["files"]["coopld.nt"]
    assert OLD_SHA not in nq and f'"{nt["sha256"]}"^^' in nq  # the dump is described anew
    assert f'"{nt["bytes"]}"^^<{XSD}nonNegativeInteger>' in nq
    assert len((out / "coopld.nt").read_text().splitlines()) == triples

    dataset = open_dataset(out)
    data = dataset.graph("data")
    assert sum(1 for _ in dataset.store.quads_for_pattern(None, None, None, data)) == triples
