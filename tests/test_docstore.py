"""Documents rendered at build time are exactly the documents the server would make."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask

from coopld.config import Settings
from coopld.docstore import DOCUMENTS_BIN, DOCUMENTS_INDEX, StoredDocuments
from coopld.formats import GRAPH_FORMATS, JSONLD, NTRIPLES, RDFXML, TURTLE
from coopld.serialize import rebase_turtle
from coopld.store import Dataset, open_dataset
from coopld.web import create_app
from coopld.web.base import BaseMap
from coopld.web.publisher import Publisher, get_publisher


def _things(dataset: Dataset) -> list[str]:
    prefix = dataset.iris.base + "/id/"
    return sorted(
        {
            q.subject.value
            for q in dataset.store.quads_for_pattern(None, None, None, dataset.graph("data"))
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(prefix)
        }
    )


def test_the_build_stores_every_resources_document(dataset: Dataset) -> None:
    stored = StoredDocuments.open(dataset)
    assert stored is not None
    things = _things(dataset)
    assert len(stored) == len(things) > 150
    for thing in things:
        turtle = stored.turtle(thing)
        assert turtle is not None and turtle.startswith(b"@prefix ")
    assert stored.turtle(dataset.iris.base + "/id/agreement/no-such-thing") is None
    assert stored.turtle("http://elsewhere.example/id/agreement/cor-ec-jap-2026") is None


@pytest.mark.parametrize("public", ["", "https://data.example.org/coop"])
def test_stored_documents_are_the_bytes_made_on_demand(
    dataset: Dataset, settings: Settings, public: str
) -> None:
    with_store = Publisher(dataset, settings)
    on_demand = Publisher(dataset, settings)
    on_demand.stored = None
    assert with_store.stored is not None
    base = dataset.iris.base
    bm = BaseMap(base, public or base)
    for thing in _things(dataset):
        for fmt in GRAPH_FORMATS:
            mine = with_store.document_bytes(thing, fmt, bm)
            theirs = on_demand.document_bytes(thing, fmt, bm)
            assert mine == theirs, (thing, fmt.name)


def test_a_literal_holding_the_base_is_never_rewritten() -> None:
    canonical, public = "http://127.0.0.1:5000", "https://example.org"
    plain = b'@prefix c: <http://127.0.0.1:5000/def/coop#> .\n<http://127.0.0.1:5000/id/a/b> c:p "x" .\n'
    moved = rebase_turtle(plain, canonical, public)
    assert moved == plain.replace(canonical.encode(), public.encode())
    tricky = b'<http://127.0.0.1:5000/id/a/b> <http://p> "see <http://127.0.0.1:5000/id/a/c>" .\n'
    assert rebase_turtle(tricky, canonical, public) is None  # the caller parses and rewrites


def test_a_literal_holding_the_base_is_kept_in_served_documents(
    tmp_path: Path, dataset: Dataset, settings: Settings
) -> None:
    """End to end through the stored path's fallback: IRIs move, the literal does not."""
    base = dataset.iris.base
    thing = base + "/id/agreement/cor-ec-jap-2026"
    publisher = Publisher(dataset, settings)
    assert publisher.stored is not None
    turtle = publisher.stored.turtle(thing)
    assert turtle is not None
    literal = f'"see <{base}/id/agreement/cor-ec-jap-2026>"'.encode()
    publisher.stored.turtle = lambda _: (
        turtle + f"<{thing}> <http://example.org/note> ".encode() + literal + b" .\n"
    )  # type: ignore[method-assign]
    bm = BaseMap(base, "https://public.example")
    note = f"see <{base}/id/agreement/cor-ec-jap-2026>"
    for fmt in (TURTLE, NTRIPLES, RDFXML):
        body = publisher.document_bytes(thing, fmt, bm)
        parsed = list(ox.parse(body, format=ox.RdfFormat.from_media_type(fmt.media_type)))
        notes = [q.object for q in parsed if q.predicate.value == "http://example.org/note"]
        assert notes == [ox.Literal(note)], fmt.name
        assert notes and all(
            q.subject.value.startswith("https://public.example/")
            for q in parsed
            if q.predicate.value == "http://example.org/note"
        )
    body = publisher.document_bytes(thing, JSONLD, bm)
    assert json.dumps(note).encode() in body
    assert b"https://public.example/id/agreement/cor-ec-jap-2026" in body


def _copy_build(built: Path, target: Path) -> Path:
    shutil.copytree(built, target)
    return target


def test_a_store_from_other_code_or_data_is_not_used(built: Path, tmp_path: Path) -> None:
    folder = _copy_build(built, tmp_path / "dist")
    index = json.loads((folder / DOCUMENTS_INDEX).read_text())
    assert StoredDocuments.open(open_dataset(folder)) is not None
    for field in ("code", "dataset"):
        changed = {**index, field: "something else"}
        (folder / DOCUMENTS_INDEX).write_text(json.dumps(changed))
        assert StoredDocuments.open(open_dataset(folder)) is None, field
    (folder / DOCUMENTS_INDEX).unlink()
    assert StoredDocuments.open(open_dataset(folder)) is None


def test_documents_are_served_without_the_store_too(
    built: Path, tmp_path: Path, settings: Settings
) -> None:
    """A build without the files (or from other code) still serves every document."""
    folder = _copy_build(built, tmp_path / "dist")
    (folder / DOCUMENTS_BIN).unlink()
    (folder / DOCUMENTS_INDEX).unlink()
    app: Flask = create_app(settings.replace(out=folder), open_dataset(folder))
    assert get_publisher(app).stored is None
    response = app.test_client().get(
        "/doc/agreement/cor-ec-jap-2026", headers={"Accept": "text/turtle"}
    )
    assert response.status_code == 200
    assert b"cor-ec-jap-2026" in response.data
