"""Regenerate tests/data/expected/*.ttl from tests/data/records (`make golden`).

Golden files are never edited by hand: change the records or the converter, run
this, and review the diff of the expected graph.
"""

from __future__ import annotations

from pathlib import Path

from coopld.mapping import records_to_graph
from coopld.namespaces import Iris
from coopld.records import load_records

HERE = Path(__file__).resolve().parent
BASE = "http://example.org/coop"


def main() -> None:
    records = load_records(HERE / "data" / "records")
    graph = records_to_graph(records, Iris(BASE)).graph
    target = HERE / "data" / "expected" / "tiny.ttl"
    graph.serialize(target, format="turtle")
    print(f"wrote {target} ({len(graph)} triples)")


if __name__ == "__main__":
    main()
