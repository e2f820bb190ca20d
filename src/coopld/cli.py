"""The `coopld` command: build, validate, serve. Errors become documented exit codes:
0 ok, 1 data does not conform, 2 bad input or usage, 3 internal error."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .build import build_dataset, convert, load_inputs
from .config import Settings, load_settings
from .errors import CoopldError, RecordError

__all__ = ["main"]

EXIT_OK, EXIT_NONCONFORMING, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, hint: str | None, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)
    sys.exit(code)


def _handle_errors(func: F) -> F:
    """Turn exceptions into one line (plus a hint) on stderr and the documented exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except RecordError as exc:
            for issue in exc.issues:
                click.echo(str(issue), err=True)
            _fail(exc.message, exc.hint, EXIT_BAD_INPUT)
        except CoopldError as exc:
            if debug:
                traceback.print_exc()
            _fail(exc.message, exc.hint, exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # the CLI's last line of defence: exit 3, never a bare trace
            if debug:
                traceback.print_exc()
            _fail(f"internal error: {type(exc).__name__}: {exc}", "run again with --debug", 3)
        return None

    return wrapper  # type: ignore[return-value]


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    root = ctx.find_root().params
    return load_settings(
        root.get("config"),
        base=root.get("base"),
        data_dir=root.get("data_dir"),
        **overrides,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coopld")
@click.option(
    "--config", type=click.Path(dir_okay=False, path_type=Path), help="TOML settings file."
)
@click.option("--base", help="Base IRI of the data (default http://127.0.0.1:5000).")
@click.option(
    "--data", "data_dir", type=click.Path(path_type=Path), help="Folder of source records."
)
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def main(config: Path | None, base: str | None, data_dir: Path | None, debug: bool) -> None:
    """coopld: research-and-innovation cooperation agreements as linked open data."""


def _write_report(outcome_report: Any, path: Path | None) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        outcome_report.serialize(path, format="turtle")
        click.echo(f"full validation report (RDF): {path}", err=True)


@main.command()
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the SHACL report as Turtle.",
)
@click.pass_context
@_handle_errors
def validate(ctx: click.Context, report: Path | None) -> None:
    """Convert and validate the records without writing the dataset."""
    result = convert(load_inputs(_settings(ctx)))
    click.echo(result.outcome.text(), err=not result.outcome.conforms)
    _write_report(result.outcome.report, report)
    sys.exit(EXIT_OK if result.outcome.conforms else EXIT_NONCONFORMING)


@main.command()
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder (dist)."
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the SHACL report when the data does not conform.",
)
@click.pass_context
@_handle_errors
def build(ctx: click.Context, out: Path | None, report: Path | None) -> None:
    """Convert, validate and write the dataset into the output folder, atomically."""
    settings = _settings(ctx, out=out)
    result, manifest = build_dataset(settings, metadata=_metadata_factory(settings))
    if manifest is None:
        click.echo(result.outcome.text(), err=True)
        _write_report(
            result.outcome.report, report or Path(f"{settings.out}.validation-report.ttl")
        )
        _fail(
            "the data does not conform to the shapes; the previous build was left untouched",
            "fix the records named above",
            EXIT_NONCONFORMING,
        )
    assert manifest is not None
    counts = ", ".join(f"{n} {k}" for k, n in manifest["counts"].items())
    click.echo(
        f"built {manifest['triples']} triples ({counts}) in {result.seconds:.2f}s; "
        f"{result.outcome.warnings} warning(s)"
    )
    click.echo(f"dataset written to {Path(settings.out).resolve()}")


def _metadata_factory(settings: Settings) -> Any:
    from .metadata import describe_dataset

    return lambda result, manifest: describe_dataset(result, manifest, settings)


@main.command()
@click.option("--host", help="Interface to bind (default 127.0.0.1).")
@click.option("--port", type=int, help="Port (default 5000).")
@click.option("--workers", type=int, help="gunicorn worker processes; 0 = development server.")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Build folder (dist)."
)
@click.option("--public-base", help="Address clients use, if it differs from the data's base IRI.")
@click.option("--behind-proxy", is_flag=True, default=None, help="Trust X-Forwarded-* headers.")
@click.option("--build", "rebuild", is_flag=True, help="Build the dataset before serving.")
@click.pass_context
@_handle_errors
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int | None,
    out: Path | None,
    public_base: str | None,
    behind_proxy: bool | None,
    rebuild: bool,
) -> None:
    """Serve the built dataset (building it first when there is no build yet)."""
    from .server import run_server

    settings = _settings(
        ctx,
        host=host,
        port=port,
        workers=workers,
        out=out,
        public_base=public_base,
        behind_proxy=behind_proxy,
    )
    if rebuild or not (Path(settings.out) / "build.json").exists():
        result, manifest = build_dataset(settings, metadata=_metadata_factory(settings))
        if manifest is None:
            click.echo(result.outcome.text(), err=True)
            _fail("the data does not conform to the shapes; nothing to serve", None, 1)
        click.echo(f"dataset built in {Path(settings.out).resolve()}", err=True)
    run_server(settings)
