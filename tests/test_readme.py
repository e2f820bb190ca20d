"""The README is checked: every command, option and setting is documented, and the quick start is two commands."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import click

from coopld.cli import main
from coopld.config import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_settings_table() -> None:
    missing = [
        f.name for f in fields(Settings) if f.name != "extra" and f"| `{f.name}` |" not in README
    ]
    assert not missing, f"settings missing from the README: {missing}"


def test_every_command_and_option_is_documented() -> None:
    ctx = click.Context(main)
    for name, command in main.commands.items():  # type: ignore[attr-defined]
        assert f"coopld {name}" in README, name
        for param in command.get_params(ctx):
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert opt in README, f"{name} {opt}"


def test_every_exit_code_is_documented() -> None:
    for code in range(4):
        assert re.search(rf"^\| {code} \|", README, re.MULTILINE), code


def test_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "make test" in ci
