"""``python -m bench``: replay the query mix against coopld and an Oxigraph reference server.

Builds the shipped data (``coopld build``), generates a synthetic dataset (bench/generate.py),
and for each dataset starts ``coopld serve --workers N`` and then the Oxigraph reference (never
both at once), measures start-up, memory, and throughput and latency per workload and
concurrency, stops every server it started, and writes bench/out/results.md and .json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import buildfolder, generate
from .load import Request, fetch, run_cell, run_cell_wrk
from .report import evaluate_targets, markdown
from .servers import (
    OXIGRAPH,
    ROOT,
    Server,
    free_port,
    load_oxigraph,
    memory,
    start_coopld,
    start_oxigraph,
)
from .workloads import WORKLOADS, Workload, answer_size, build_workloads, pick_resources

BENCH = Path(__file__).resolve().parent
PROBE = quote("ASK { ?s ?p ?o }", safe="")
JSON_ACCEPT = {"Accept": "application/sparql-results+json"}
SLOW = 0.05  # seconds: slower requests are timed by the Python client even with --client wrk
CLIENTS = {
    "python": "Python thread pool, one keep-alive http.client connection per thread",
    "wrk": "wrk 4.1 (Debian), ≤ 2 threads, keep-alive (the Python client for requests > 50 ms)",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1_000_000, help="synthetic triples; 0: none")
    parser.add_argument("--seed", type=int, default=42, help="generator seed")
    parser.add_argument("--datasets", default="shipped,synthetic", help="shipped and/or synthetic")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per cell")
    parser.add_argument("--max-requests", type=int, default=20_000, help="requests per cell")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated, e.g. 1,8")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="coopld gunicorn workers")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    parser.add_argument(
        "--client",
        choices=("auto", "python", "wrk"),
        default="auto",
        help="load generator; auto: wrk when installed, else the Python thread pool",
    )
    parser.add_argument("--skip-oxigraph", action="store_true", help="no reference server")
    parser.add_argument("--skip-coopld", action="store_true", help="only the reference server")
    parser.add_argument("--regenerate", action="store_true", help="ignore a cached synthetic build")
    parser.add_argument("--out", type=Path, default=BENCH / "out", help="results folder")
    parser.add_argument("--work", type=Path, default=BENCH / "work", help="builds and stores")
    args = parser.parse_args(argv)
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (`make bench` installs it from Debian)")
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; known: {', '.join(WORKLOADS)}")
    return args


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- datasets ------------------------------------------------------------------------------


def build_shipped(work: Path, logs: Path) -> dict[str, Any]:
    folder = work / "shipped"
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "coopld", "build", "--out", str(folder)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.monotonic() - started
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "shipped-build.log").write_text(run.stdout + run.stderr)
    dataset: dict[str, Any] = {"name": "shipped", "path": str(folder), "build_s": seconds}
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["?"])[-1]
        dataset["error"] = f"`coopld build` exited {run.returncode}: {last}"
        return dataset
    manifest = json.loads((folder / "build.json").read_text())
    dataset["triples"] = manifest["triples"]
    return dataset


def render_documents(folder: Path) -> float | None:
    """What `coopld build` does last: every resource's document, rendered by this code.

    Seconds taken, or None when the folder's documents were already this code's.
    """
    from coopld.docstore import StoredDocuments, write_documents
    from coopld.store import open_dataset

    dataset = open_dataset(folder)
    if StoredDocuments.open(dataset) is not None:
        return None
    log(f"rendering every resource's document into {folder}")
    started = time.perf_counter()
    count = write_documents(dataset, folder)
    seconds = round(time.perf_counter() - started, 1)
    log(f"{count:,} documents in {seconds} s")
    return seconds


def build_synthetic(args: argparse.Namespace, source: Path | None) -> dict[str, Any]:
    folder = args.work / f"synthetic-{args.scale}-seed{args.seed}"
    key = hashlib.sha256()
    for module in (generate, buildfolder):
        key.update(Path(module.__file__ or "").read_bytes())
    if source is not None and (source / "build.json").exists():
        key.update((source / "build.json").read_bytes())
    key.update(f"{args.scale} {args.seed}".encode())
    stamp = folder / ".bench-key"
    cached = stamp.exists() and stamp.read_text() == key.hexdigest() and not args.regenerate
    if cached:
        manifest = json.loads((folder / "build.json").read_text())
        log(f"reusing {folder} ({manifest['triples']:,} triples)")
    else:
        log(f"generating {args.scale:,} triples into {folder}")
        manifest = buildfolder.write_build(folder, args.scale, args.seed, source)
        stamp.write_text(key.hexdigest())
    documents_s = render_documents(folder)
    return {
        "name": f"synthetic-{args.scale}",
        "path": str(folder),
        "documents_s": documents_s,
        "triples": manifest["triples"],
        "generate_s": manifest.get("seconds"),
        "generated": not cached,
        "nq_mb": round((folder / "coopld.nq").stat().st_size / 1e6, 1),
        "graphs_from": manifest["generator"]["graphs_from"],
    }


# -- one server -----------------------------------------------------------------------------


def wait_ready(server: Server, probes: list[Request], timeout: float = 180.0) -> tuple[float, str]:
    """Seconds from process start to the first 2xx answer to ``probes[0]``.

    When only a later probe answers (the SPARQL endpoint is missing), its time is returned
    three seconds later, with a note saying so.
    """
    first_ok: dict[int, float] = {}
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            tail = server.log.read_text(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"{server.name} exited ({server.process.returncode}): {tail}")
        for index, probe in enumerate(probes):
            if index in first_ok:
                continue
            try:
                status, _, _ = fetch(server.port, probe, timeout=10)
            except OSError:
                continue
            statuses[index] = status
            if 200 <= status < 300:
                first_ok[index] = time.monotonic() - server.started
        if 0 in first_ok:
            return first_ok[0], ""
        if first_ok and time.monotonic() - server.started > min(first_ok.values()) + 3:
            index = min(first_ok)
            note = f"{probes[0].path.split('?')[0]} answered {statuses.get(0)}; "
            return first_ok[index], note + f"start-up timed to {probes[index].path}"
        time.sleep(0.02)
    raise TimeoutError(f"{server.name} not ready after {timeout:.0f} s")


def check(
    server: Server, workload: Workload, requests: list[Request], timeout: float
) -> dict[str, Any]:
    started = time.perf_counter()
    status, headers, body = fetch(server.port, requests[0], timeout=timeout)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {"status": status, "bytes": len(body), "seconds": round(seconds, 4)}
    if not 200 <= status < 300:
        result["problem"] = f"HTTP {status}"
        return result
    size, problem = answer_size(workload.form, headers.get("content-type", ""), body)
    result.update(size=size, problem=problem)
    return result


def measure(
    system: str,
    server: Server,
    workloads: list[Workload],
    args: argparse.Namespace,
    probes: list[Request],
    processes: int,
) -> dict[str, Any]:
    """Start-up, memory, and the cells of every workload; ``processes`` the server's count."""
    info: dict[str, Any] = {}
    info["startup_s"], info["note"] = wait_ready(server, probes)
    info["startup_s"] = round(info["startup_s"], 3)
    settle = time.monotonic() + 5  # the first worker answered; let the others boot too
    while len(server.pids()) < processes and time.monotonic() < settle:
        time.sleep(0.05)
    info["memory_idle"] = memory(server.pids())
    log(f"{system} ready after {info['startup_s']:.2f} s, {info['memory_idle']}")
    peak = dict(info["memory_idle"])
    for workload in workloads:
        if workload.skipped:
            continue
        requests = workload.warmup(system)
        workload_result = workload.results
        checked = check(server, workload, requests, args.timeout)
        workload_result["check"][system] = checked
        if checked.get("problem"):
            log(f"{system} {workload.name}: {checked['problem']}; cells skipped")
            continue
        started = time.perf_counter()
        for request in requests[1:]:
            fetch(server.port, request, timeout=args.timeout)
        warm = (time.perf_counter() - started) / max(1, len(requests[1:]))
        warm = max(warm, checked["seconds"] if len(requests) == 1 else 0.0)
        cells = workload_result["cells"].setdefault(system, {})
        unique = workload.spec.unique
        for index, concurrency in enumerate(args.concurrency):
            requests = workload.cell(system, index, len(args.concurrency))
            # slow queries get a longer cell, so that a few dozen answers are timed
            seconds = min(15.0, max(args.duration, 15 * warm * max(1.0, concurrency / 2)))
            # wrk drops the requests in flight at the deadline: slow queries use the Python
            # client, which finishes and counts them (and costs little at a few req/s)
            if args.client == "wrk" and warm < SLOW:
                cell = run_cell_wrk(
                    server, requests, concurrency, seconds, args.timeout, args.work / "wrk", unique
                )
            else:
                cell = run_cell(
                    server, requests, concurrency, seconds, args.max_requests, args.timeout, unique
                )
            cells[str(concurrency)] = cell.summary()
            log(f"{system} {workload.name} c={concurrency}: {cell.summary()}")
            if not server.alive():
                raise RuntimeError(f"{system} died during {workload.name}")
        sample = memory(server.pids())
        if sample["pss_mb"] > peak["pss_mb"]:
            peak = sample
    info["memory_after"] = memory(server.pids())
    info["memory_peak"] = peak
    return info


def run_dataset(dataset: dict[str, Any], args: argparse.Namespace, logs: Path) -> None:
    folder = Path(dataset["path"])
    manifest = json.loads((folder / "build.json").read_text())
    picks = pick_resources(folder / "coopld.nq", manifest["base"])
    workloads = build_workloads(picks, args.workloads)
    dataset["workloads"] = []
    for workload in workloads:
        workload.results = {
            "name": workload.name,
            "group": workload.group,
            "title": workload.title,
            "skipped": workload.skipped,
            "check": {},
            "cells": {},
        }
        dataset["workloads"].append(workload.results)
    dataset["systems"] = {}
    systems = [s for s in ("coopld", "oxigraph") if not getattr(args, f"skip_{s}")]
    for system in systems:
        info: dict[str, Any] = {}
        dataset["systems"][system] = info
        server = None
        try:
            port = free_port()
            if system == "coopld":
                server = start_coopld(folder, port, args.workers, logs)
                probes = [Request(f"/sparql?query={PROBE}", JSON_ACCEPT), Request("/")]
            else:
                location = args.work / f"oxigraph-{dataset['name']}"
                info["load_s"] = round(load_oxigraph(folder / "coopld.nq", location, logs), 2)
                log(f"oxigraph load {info['load_s']} s")
                server = start_oxigraph(location, port, logs)
                probes = [Request(f"/query?query={PROBE}", JSON_ACCEPT)]
            processes = args.workers + 1 if system == "coopld" else 1
            info.update(measure(system, server, workloads, args, probes, processes))
        except (RuntimeError, TimeoutError, OSError, subprocess.SubprocessError) as exc:
            info["error"] = f"{type(exc).__name__}: {exc}"
            log(f"{system} on {dataset['name']}: {info['error']}")
        finally:
            if server is not None:
                server.stop()


def _oxigraph_version() -> str:
    try:
        run = subprocess.run([str(OXIGRAPH), "--version"], capture_output=True, text=True)
        return run.stdout.strip().split()[-1]
    except (OSError, IndexError):
        return "?"


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # unwinds through every finally: stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    logs = args.out / "logs"
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "started": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "oxigraph": _oxigraph_version(),
        },
        "settings": {
            "duration": args.duration,
            "max_requests": args.max_requests,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "seed": args.seed,
            "scale": args.scale,
            "client": CLIENTS[args.client],
        },
        "datasets": [],
        "notes": [],
    }
    started = time.monotonic()
    wanted = {d.strip() for d in args.datasets.split(",")}
    source = None
    if "shipped" in wanted or "synthetic" in wanted:
        shipped = build_shipped(args.work, logs)
        log(f"shipped build: {shipped.get('error') or str(shipped['triples']) + ' triples'}")
        if not shipped.get("error"):
            source = Path(shipped["path"])
        if "shipped" in wanted:
            results["datasets"].append(shipped)
    if "synthetic" in wanted and args.scale > 0:
        synthetic = build_synthetic(args, source)
        results["datasets"].append(synthetic)
        if source is None:
            results["notes"].append(
                "the shipped data did not build, so the synthetic build's vocabulary and shapes "
                "graphs were made from ontology/ and shapes/ instead of copied from it"
            )
    for dataset in results["datasets"]:
        if not dataset.get("error"):
            log(f"dataset {dataset['name']} ({dataset.get('triples', 0):,} triples)")
            run_dataset(dataset, args, logs)
    results["targets"] = evaluate_targets(results)
    results["seconds"] = round(time.monotonic() - started, 1)
    text = markdown(results) + f"\nWhole run: {results['seconds']:.0f} s.\n"
    (args.out / "results.md").write_text(text)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(text)
    log(f"wrote {args.out / 'results.md'} and {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
