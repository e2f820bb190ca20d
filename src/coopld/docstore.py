"""Documents rendered once, when the dataset is built: every resource's document in Turtle.

Dereferencing is the hottest path, and describing a resource (its triples, blank-node
closure, inbound links, the labels and types of all it mentions) then writing it costs a
few milliseconds of Python per document at a million triples. The dataset never changes
once built, so the build writes each ``{base}/id/…`` resource's document, in Turtle under
the canonical base, compressed, into ``documents.bin``, with ``documents.json`` as the index
(IRI → offset and length) and the fingerprints of the dataset and of the code that wrote it.

A server uses the file only when both fingerprints are its own (else it describes documents
on demand, as it always can): the stored bytes are then exactly the bytes it would make.
Turtle is served from them directly (moved to the client's base by one replacement when no
literal holds the base); N-Triples, RDF/XML and JSON-LD are made from the parsed Turtle.
HTML pages and the named-graph views (TriG, N-Quads) are always made on demand.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import __version__
from .describe import Describer, Description
from .formats import TURTLE
from .serialize import prefixes_for, triples_to_bytes
from .store import Dataset

__all__ = [
    "DOCUMENTS_BIN",
    "DOCUMENTS_INDEX",
    "StoredDocuments",
    "code_fingerprint",
    "dataset_fingerprint",
    "describe_document",
    "document_of",
    "write_documents",
]

DOCUMENTS_BIN = "documents.bin"
DOCUMENTS_INDEX = "documents.json"
#: zlib level: Turtle shrinks about fivefold; inflating a document takes tens of microseconds
LEVEL = 6


@cache
def code_fingerprint() -> str:
    """This package's code, templates and styles, and pyoxigraph's version, as one hash."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"{__version__} {ox.__version__}".encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".html", ".css") and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def dataset_fingerprint(dataset: Dataset) -> str:
    """The dataset version and the dump's checksum: documents come in the store's order,
    which the dump's order fixes (the version alone does not)."""
    files = dataset.manifest.get("files") or {}
    dump = files.get("coopld.nq") or {}
    return f"{dataset.version}/{dump.get('sha256', '')}"


def document_of(base: str, thing: str) -> str:
    """``{base}/id/{kind}/{key}`` -> ``{base}/doc/{kind}/{key}``."""
    prefix = base + "/id/"
    return base + "/doc/" + thing[len(prefix) :] if thing.startswith(prefix) else thing


def describe_document(describer: Describer, thing: str) -> Description:
    """The description ``thing``'s document publishes (canonical IRIs)."""
    document = document_of(describer.base, thing)
    return describer.describe(thing, document, inbound_view=document + "/inbound")


def canonical_turtle(describer: Describer, thing: str) -> bytes:
    triples = describe_document(describer, thing).triples()
    return triples_to_bytes(triples, TURTLE, prefixes_for(describer.coop))


def write_documents(dataset: Dataset, folder: Path) -> int:
    """Write every resource's document into ``folder``; how many were written."""
    describer = Describer(dataset)
    prefix = describer.base + "/id/"
    things = sorted(
        {
            quad.subject.value
            for quad in dataset.store.quads_for_pattern(None, None, None, dataset.graph("data"))
            if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(prefix)
        }
    )
    index: dict[str, list[int]] = {}
    offset = 0
    with open(folder / DOCUMENTS_BIN, "wb") as out:
        for thing in things:
            data = zlib.compress(canonical_turtle(describer, thing), LEVEL)
            out.write(data)
            index[thing[len(prefix) :]] = [offset, len(data)]
            offset += len(data)
    header = {"dataset": dataset_fingerprint(dataset), "code": code_fingerprint()}
    (folder / DOCUMENTS_INDEX).write_text(
        json.dumps({**header, "documents": index}, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    return len(index)


class StoredDocuments:
    """The documents a build wrote, read with ``pread`` (safe from any thread or process)."""

    def __init__(self, path: Path, prefix: str, index: dict[str, list[int]]) -> None:
        self.prefix = prefix
        self.index = index
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))

    @classmethod
    def open(cls, dataset: Dataset) -> StoredDocuments | None:
        """The build's documents, if it wrote them with this dataset and this code."""
        if dataset.folder is None:
            return None
        try:
            raw: dict[str, Any] = json.loads(
                (dataset.folder / DOCUMENTS_INDEX).read_text(encoding="utf-8")
            )
        except (OSError, ValueError):
            return None
        if raw.get("dataset") != dataset_fingerprint(dataset):
            return None
        if raw.get("code") != code_fingerprint():
            return None
        try:
            return cls(dataset.folder / DOCUMENTS_BIN, dataset.iris.base + "/id/", raw["documents"])
        except (OSError, KeyError):
            return None

    def __len__(self) -> int:
        return len(self.index)

    def turtle_known(self, thing: str) -> bool:
        """Was ``thing``'s document stored?"""
        return thing.startswith(self.prefix) and thing[len(self.prefix) :] in self.index

    def turtle(self, thing: str) -> bytes | None:
        """``thing``'s document in Turtle under the canonical base, if it was stored."""
        if not thing.startswith(self.prefix):
            return None
        entry = self.index.get(thing[len(self.prefix) :])
        if entry is None:
            return None
        offset, length = entry
        return zlib.decompress(os.pread(self._fd, length, offset))
