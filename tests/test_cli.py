"""The command line: documented exit codes (0 ok, 1 not conforming, 2 bad input, 3 internal)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from coopld.cli import main
from coopld.config import Settings

from .conftest import write_bad_period_records

HERE = Path(__file__).parent


def invoke(runner: CliRunner, settings: Settings, *args: str, data: Path | None = None):  # type: ignore[no-untyped-def]
    options = ["--data", str(data or settings.data_dir)]
    return runner.invoke(main, [*options, *args], catch_exceptions=False)


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE.parent)  # ontology/ and shapes/ are found relative to the project


def test_validate_exits_0_on_the_real_records(runner: CliRunner, settings: Settings) -> None:
    result = invoke(runner, settings, "validate")
    assert result.exit_code == 0, result.output
    assert "Conforms" in result.output


def test_build_exits_0_and_says_where(
    runner: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    result = invoke(runner, settings, "build", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"dataset written to {out.resolve()}" in result.output
    assert (out / "coopld.nq").exists()


def test_nonconforming_data_exits_1_with_the_record_origin(
    runner: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    records = write_bad_period_records(tmp_path / "records")
    report = tmp_path / "report.ttl"
    result = invoke(
        runner,
        settings,
        "build",
        "--out",
        str(tmp_path / "out"),
        "--report",
        str(report),
        data=records,
    )
    assert result.exit_code == 1, result.output
    assert "Does not conform" in result.output
    assert "/id/agreement/plan-2026> via <" in result.output
    assert "tiny.yaml:39)" in result.output
    assert "previous build was left untouched" in result.output
    assert report.exists() and "ValidationReport" in report.read_text()
    assert not (tmp_path / "out").exists()


def test_validate_exits_1_on_nonconforming_data(
    runner: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    records = write_bad_period_records(tmp_path / "records")
    assert invoke(runner, settings, "validate", data=records).exit_code == 1


def test_bad_records_exit_2_listing_every_problem(
    runner: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    records = tmp_path / "records"
    records.mkdir()
    (records / "a.yaml").write_text(
        "- {key: x, type: Nonsense, label: {en: X}}\n- {key: y, type: Institution}\n"
    )
    result = invoke(runner, settings, "build", "--out", str(tmp_path / "out"), data=records)
    assert result.exit_code == 2
    assert "a.yaml:1: record 'x' field 'type': unknown record type 'Nonsense'" in result.output
    assert "a.yaml:2: record 'y': missing required field 'label'" in result.output
    assert "error: " in result.output and "problems in the source records" in result.output


def test_a_bad_base_iri_exits_2(runner: CliRunner, settings: Settings) -> None:
    result = runner.invoke(main, ["--base", "not an iri", "validate"])
    assert result.exit_code == 2, result.output


def test_an_invalid_setting_value_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "coopld.toml"
    config.write_text("[coopld]\nport = 'eighty'\n")
    result = runner.invoke(main, ["--config", str(config), "validate"])
    assert result.exit_code == 2
    assert "setting 'port' has an invalid value" in result.output


def test_an_internal_error_exits_3_without_a_traceback(
    runner: CliRunner, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("coopld.cli.convert", broken)
    result = invoke(runner, settings, "validate")
    assert result.exit_code == 3
    assert "internal error: RuntimeError: disk on fire" in result.output
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback(
    runner: CliRunner, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "coopld.cli.convert", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x"))
    )
    result = runner.invoke(main, ["--debug", "--data", str(settings.data_dir), "validate"])
    assert result.exit_code == 3
    assert "Traceback" in result.output


def test_python_dash_m_runs_the_same_command() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "coopld", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("coopld, version ")
