"""The build writes a complete dataset atomically, and never replaces a good one with a bad one."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from rdflib import Dataset as RdfDataset
from rdflib import Graph
from rdflib.compare import isomorphic

from coopld import build as build_module
from coopld.build import build_dataset
from coopld.config import Settings
from coopld.errors import BuildError, RecordError

from .conftest import write_bad_period_records


def fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_build_writes_every_format_and_a_manifest(built: Path) -> None:
    manifest = json.loads((built / "build.json").read_text())
    for name in (
        "coopld.ttl",
        "coopld.nt",
        "coopld.nt.gz",
        "coopld.jsonld",
        "coopld.rdf",
        "coopld.trig",
        "coopld.nq",
        "validation-report.ttl",
    ):
        assert (built / name).is_file(), name
    for name, entry in manifest["files"].items():
        data = (built / name).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["validation"]["violations"] == 0
    assert len(manifest["version"]) == 64


def test_every_serialisation_holds_the_same_graph(built: Path) -> None:
    reference = Graph().parse(built / "coopld.nt", format="nt")
    for name, fmt in (
        ("coopld.ttl", "turtle"),
        ("coopld.jsonld", "json-ld"),
        ("coopld.rdf", "xml"),
    ):
        assert isomorphic(Graph().parse(built / name, format=fmt), reference), name
    quads = RdfDataset()
    quads.parse(built / "coopld.nq", format="nquads")
    graphs = {str(g.identifier).rsplit("/", 1)[-1] for g in quads.graphs() if len(g)}
    assert {"data", "vocabulary", "shapes", "metadata"} <= graphs


def test_ntriples_dump_is_sorted_and_canonical(built: Path) -> None:
    data = (built / "coopld.nt").read_bytes()
    lines = data.decode().splitlines()
    assert lines == sorted(set(lines))
    assert isomorphic(Graph().parse(data=data, format="nt"), Graph().parse(built / "coopld.ttl"))


def test_a_nonconforming_build_leaves_the_previous_output_untouched(
    settings: Settings, built: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(built, out)
    before = fingerprint(out)
    bad = settings.replace(data_dir=write_bad_period_records(tmp_path / "records"), out=out)
    result, manifest = build_dataset(bad)
    assert manifest is None
    assert not result.outcome.conforms
    assert fingerprint(out) == before
    assert not list(tmp_path.glob(".dist.*"))


def test_bad_records_leave_the_previous_output_untouched(
    settings: Settings, built: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(built, out)
    before = fingerprint(out)
    records = tmp_path / "records"
    records.mkdir()
    (records / "x.yaml").write_text("- key: Not A Slug\n")
    with pytest.raises(RecordError):
        build_dataset(settings.replace(data_dir=records, out=out))
    assert fingerprint(out) == before


def test_an_interrupted_write_leaves_the_previous_output_untouched(
    settings: Settings, built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(built, out)
    before = fingerprint(out)
    original = build_module._write_files

    def interrupted(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # after every file was written, before the swap

    monkeypatch.setattr(build_module, "_write_files", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_dataset(settings.replace(out=out))
    assert fingerprint(out) == before
    assert not list(tmp_path.glob(".dist.*")), "the staging folder was left behind"


def test_a_folder_that_is_not_a_build_is_never_replaced(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.txt").write_text("years of work")
    with pytest.raises(BuildError, match="not a coopld build"):
        build_dataset(settings.replace(out=out))
    assert (out / "thesis.txt").read_text() == "years of work"


def test_rebuilding_gives_the_same_data_and_version(
    settings: Settings, built: Path, tmp_path: Path
) -> None:
    out = tmp_path / "again"
    build_dataset(settings.replace(out=out))
    assert (out / "coopld.nt").read_bytes() == (built / "coopld.nt").read_bytes()
    first = json.loads((built / "build.json").read_text())["version"]
    assert json.loads((out / "build.json").read_text())["version"] == first
