"""Shared fixtures: settings, the real dataset built once, the app, its client, a live server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from coopld.build import build_dataset
from coopld.config import Settings, load_settings
from coopld.store import Dataset, open_dataset
from coopld.web import create_app

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TEST_DATA = Path(__file__).resolve().parent / "data"


def shared_path(*parts: str) -> Path:
    """A path in the project's shared material; CI must have it, a laptop may not."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing; CI runs with ../shared beside the checkout")
        pytest.skip(f"{path} is not available outside the project workspace")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; never a downloaded browser.

    Without ``chromium`` on the PATH the browser tests skip on a laptop and fail in CI,
    where ``make test`` installs it.
    """
    executable = shutil.which("chromium")
    if executable is None:
        message = "Debian's chromium is not installed (`make browser` installs it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    out = tmp_path_factory.mktemp("dist") / "dist"
    return load_settings(
        env={},
        data_dir=ROOT / "data",
        ontology=ROOT / "ontology" / "coop.ttl",
        shapes=ROOT / "shapes" / "coop.shapes.ttl",
        out=out,
    )


@pytest.fixture(scope="session")
def built(settings: Settings) -> Path:
    """The real dataset, built once per test session from data/."""
    from coopld.cli import _metadata_factory

    result, manifest = build_dataset(settings, metadata=_metadata_factory(settings))
    assert manifest is not None, result.outcome.text()
    return Path(settings.out)


@pytest.fixture(scope="session")
def dataset(built: Path) -> Dataset:
    return open_dataset(built)


@pytest.fixture(scope="session")
def app(settings: Settings, dataset: Dataset) -> Flask:
    app = create_app(settings, dataset)
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


class ServerPool:
    """`coopld serve` processes on free loopback ports, all stopped by ``stop_all``."""

    def __init__(self, built: Path) -> None:
        self.built = built
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *options: str, env: dict[str, str] | None = None) -> str:
        """Start one server with extra CLI options (e.g. ``"--workers", "2"``); return its URL."""
        port = free_port()
        command = [
            sys.executable, "-m", "coopld", "serve",
            "--host", "127.0.0.1", "--port", str(port), "--out", str(self.built), *options,
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.processes.append(process)
        wait_for_port(port, process)
        return f"http://127.0.0.1:{port}"

    def stop_all(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture()
def live_server(built: Path) -> Iterator[Callable[..., str]]:
    """Start `coopld serve` on a free loopback port; every server is stopped at teardown.

    Call it with extra CLI options (e.g. ``live_server("--workers", "2")``); returns the URL.
    """
    pool = ServerPool(built)
    try:
        yield pool.start
    finally:
        pool.stop_all()


@pytest.fixture(scope="module")
def module_server(built: Path) -> Iterator[str]:
    """One development server shared by the tests of a module (stopped at its end)."""
    pool = ServerPool(built)
    try:
        yield pool.start()
    finally:
        pool.stop_all()


def write_bad_period_records(folder: Path) -> Path:
    """The tiny records with a plan whose period starts after it ends: they load, but do not
    conform to the shapes."""
    folder.mkdir()
    good = 'period: {start: "2026", end: "2029"}'
    text = (TEST_DATA / "records" / "tiny.yaml").read_text()
    assert good in text
    (folder / "tiny.yaml").write_text(text.replace(good, 'period: {start: "2029", end: "2026"}'))
    return folder
