"""Results -> the markdown tables (printed, bench/out/results.md) and the pass/fail targets."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["evaluate_targets", "markdown"]

TARGET_SCALE = 1_000_000


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if digits == 0 and abs(value) >= 1:
        return f"{value:,.0f}"
    return f"{value:,.{max(digits, 1)}f}" if abs(value) < 10 else f"{value:,.{digits}f}"


def _cell(workload: dict[str, Any], system: str, concurrency: int) -> dict[str, Any] | None:
    cell: dict[str, Any] | None = workload.get("cells", {}).get(system, {}).get(str(concurrency))
    return cell


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float | None:
    if not a or not b or not b["throughput"]:
        return None
    return float(a["throughput"]) / float(b["throughput"])


def _answer(workload: dict[str, Any]) -> str:
    checks = workload.get("check", {})
    parts = []
    for system in ("coopld", "oxigraph"):
        check = checks.get(system)
        if check is None:
            continue
        if check.get("problem"):
            parts.append(f"{system}: {check['problem']}")
        else:
            parts.append(str(check.get("size")))
    text = " / ".join(parts)
    sizes = [checks[s].get("size") for s in ("coopld", "oxigraph") if s in checks]
    if (
        not workload["group"].startswith("doc")
        and len(sizes) == 2
        and None not in sizes
        and sizes[0] != sizes[1]
    ):
        text += " ≠"
    return text


def _cores(cell: dict[str, Any] | None) -> str:
    if not cell:
        return "–"
    return f"{cell['server_cores']:.1f}/{cell['client_cores']:.1f}/{cell['other_cores']:.1f}"


def _system_cells(cell: dict[str, Any] | None) -> list[str]:
    if not cell:
        return ["–", "–", "–"]
    throughput = _num(cell["throughput"], 1 if cell["throughput"] < 10 else 0)
    if cell["errors"]:
        throughput += f" ({cell['errors']} errors)"
    return [throughput, _num(cell["p50_ms"], 1), _num(cell["p99_ms"], 1)]


def _dataset_table(dataset: dict[str, Any], concurrency: list[int]) -> list[str]:
    lines = [
        f"### {dataset['name']}: {dataset.get('triples', 0):,} triples",
        "",
        "| workload | c | coopld req/s | p50 ms | p99 ms | Oxigraph req/s | p50 ms | p99 ms "
        "| coopld ÷ Oxigraph | answer coopld / Oxigraph | cores server/client/others "
        "coopld · Oxigraph |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for workload in dataset.get("workloads", []):
        if workload.get("skipped"):
            lines.append(f"| {workload['name']} | | skipped: {workload['skipped']} |||||||||")
            continue
        for c in concurrency:
            ours, theirs = _cell(workload, "coopld", c), _cell(workload, "oxigraph", c)
            ratio = _ratio(ours, theirs)
            row = [
                workload["name"],
                str(c),
                *_system_cells(ours),
                *_system_cells(theirs),
                f"{ratio:.2f}×" if ratio is not None else "–",
                _answer(workload),
                f"{_cores(ours)} · {_cores(theirs)}",
            ]
            lines.append("| " + " | ".join(row) + " |")
    return lines


def _note(note: str, after: dict[str, Any]) -> str:
    depth = after.get("pss_by_depth_mb") or []
    if after.get("processes", 1) > 1 and len(depth) == 3:
        split = f"PSS after: master {depth[0]:,} + web workers and query pool {depth[1]:,}"
        split += f" + query worker {depth[2]:,} MB" if depth[2] else " MB"
        note = f"{note}; {split}" if note else split
    return note


def _servers_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| dataset | triples | system | load s | ready s | memory PSS MB idle → after run "
        "| RSS MB after | processes | note |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for dataset in results["datasets"]:
        for system, info in dataset.get("systems", {}).items():
            idle, after = info.get("memory_idle") or {}, info.get("memory_after") or {}
            row = [
                dataset["name"],
                f"{dataset.get('triples', 0):,}",
                system,
                _num(info.get("load_s"), 1),
                _num(info.get("startup_s"), 2),
                f"{_num(idle.get('pss_mb'))} → {_num(after.get('pss_mb'))}",
                _num(after.get("rss_mb")),
                str(after.get("processes", "–")),
                info.get("error") or _note(info.get("note", ""), after),
            ]
            lines.append("| " + " | ".join(row) + " |")
    return lines


def _target(name: str, measured: str, ok: bool | None) -> dict[str, Any]:
    return {"target": name, "measured": measured, "pass": ok}


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The project's targets, judged on the largest synthetic dataset of the run."""
    synthetic = [d for d in results["datasets"] if d["name"].startswith("synthetic")]
    if not synthetic:
        return []
    dataset = max(synthetic, key=lambda d: d.get("triples", 0))
    workloads = {w["name"]: w for w in dataset.get("workloads", []) if not w.get("skipped")}
    targets = []
    for name, workload in workloads.items():
        if workload["group"] != "scan":
            continue
        ratios = {
            c: _ratio(_cell(workload, "coopld", c), _cell(workload, "oxigraph", c))
            for c in results["settings"]["concurrency"]
        }
        measured = ", ".join(
            f"c={c} {r:.2f}×" if r is not None else f"c={c} –" for c, r in ratios.items()
        )
        known = [r for r in ratios.values() if r is not None]
        ok = all(r >= 1.0 for r in known) if known else None
        targets.append(_target(f"{name} at least as fast as Oxigraph", measured, ok))
    what = {
        "lookup": "{name} lookup",
        "doc": "{name}: dereferencing, every request another resource,",
        "doc-hot": "{name}: dereferencing 64 resources over and over (cache's best case),",
    }
    for name, workload in workloads.items():
        if workload["group"] not in what:
            continue
        label = what[workload["group"]].format(name=name)
        ratio = _ratio(_cell(workload, "coopld", 8), _cell(workload, "oxigraph", 8))
        targets.append(
            _target(
                f"{label} throughput at c=8 ≥ ½ Oxigraph's",
                f"{ratio:.2f}×" if ratio is not None else "not measured",
                ratio >= 0.5 if ratio is not None else None,
            )
        )
        if workload["group"].startswith("doc"):
            cell = _cell(workload, "coopld", 8)
            p99 = cell["p99_ms"] if cell and cell["throughput"] else None
            targets.append(
                _target(
                    f"{label} p99 at c=8 < 20 ms",
                    f"{p99:.1f} ms" if p99 is not None else "not measured",
                    p99 < 20 if p99 is not None else None,
                )
            )
    coopld = dataset.get("systems", {}).get("coopld", {})
    startup = coopld.get("startup_s")
    targets.append(
        _target(
            "coopld start-up (process start → first answer) < 10 s",
            f"{startup:.2f} s" if startup is not None else "not measured",
            startup < 10 if startup is not None else None,
        )
    )
    memory = (coopld.get("memory_after") or {}).get("pss_mb")
    processes = (coopld.get("memory_after") or {}).get("processes")
    targets.append(
        _target(
            "coopld memory (PSS of master + workers + helpers) < 1 GB",
            f"{memory:,.0f} MB over {processes} processes" if memory is not None else "n/m",
            memory < 1024 if memory is not None else None,
        )
    )
    scale = dataset.get("triples", 0)
    if scale < 0.9 * TARGET_SCALE:
        for target in targets:
            target["measured"] += f" (at {scale:,} triples; the targets are set at 1M)"
    return targets


def markdown(results: dict[str, Any]) -> str:
    settings = results["settings"]
    concurrency = settings["concurrency"]
    lines = [
        f"## Benchmark run {results['started']}",
        "",
        f"Machine: {results['machine']['cores']} cores, Python {results['machine']['python']}, "
        f"oxigraph {results['machine']['oxigraph']}. Client: {settings['client']}, on the same "
        f"cores as the server. Each cell: {settings['duration']} s (at most "
        f"{settings['max_requests']:,} requests; requests in flight at the deadline are "
        f"finished and counted). coopld: `coopld serve --workers {settings['workers']}`; "
        "Oxigraph: `oxigraph serve-read-only --union-default-graph` on RocksDB.",
        "",
        *_servers_table(results),
        "",
    ]
    for dataset in results["datasets"]:
        if dataset.get("error"):
            lines += [f"### {dataset['name']}: not measured ({dataset['error']})", ""]
            continue
        lines += [*_dataset_table(dataset, concurrency), ""]
    targets = results.get("targets") or []
    if targets:
        lines += ["### Targets", "", "| target | measured | result |", "|---|---|---|"]
        for t in targets:
            verdict = {True: "pass", False: "**FAIL**", None: "not measured"}[t["pass"]]
            lines.append(f"| {t['target']} | {t['measured']} | {verdict} |")
        lines.append("")
    notes = results.get("notes") or []
    if notes:
        lines += ["Notes:", "", *[f"- {note}" for note in notes], ""]
    return "\n".join(lines)
