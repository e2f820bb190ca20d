"""Settings: defaults < a TOML file < COOPLD_* environment variables < CLI flags.

Nothing is read at import time; callers build a ``Settings`` value and pass it on.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import BadRequestError
from .namespaces import Iris

__all__ = ["ENV_PREFIX", "Settings", "load_settings"]

ENV_PREFIX = "COOPLD_"


@dataclass(frozen=True)
class Settings:
    """Every setting, with its default. The README's settings table lists them all."""

    #: canonical base IRI of the data, without a trailing slash
    base: str = "http://127.0.0.1:5000"
    #: folder with the source records (*.yaml)
    data_dir: Path = Path("data")
    ontology: Path = Path("ontology/coop.ttl")
    shapes: Path = Path("shapes/coop.shapes.ttl")
    #: build output folder
    out: Path = Path("dist")
    host: str = "127.0.0.1"
    port: int = 5000
    #: gunicorn worker processes for `coopld serve --workers`; 0 = the Flask development server
    workers: int = 0
    #: where clients reach the server, if it differs from `base` (a proxy's public address);
    #: empty = the address of each request
    public_base: str = ""
    #: trust X-Forwarded-Proto/Host/Prefix from one proxy in front of the app
    behind_proxy: bool = False
    #: Cache-Control max-age for dataset responses, in seconds
    cache_max_age: int = 3600
    #: SPARQL deadline in seconds; a client's `timeout` parameter may only lower it
    query_timeout: float = 5.0
    #: most rows (or triples) one SPARQL response carries; more are cut and flagged
    max_rows: int = 10000
    #: largest request body (and query string) accepted, in bytes
    max_request_bytes: int = 262144
    #: SPARQL worker processes that evaluate queries (each killable at the deadline)
    query_workers: int = 2
    #: queries whose work provably stays under this many join steps are answered without a
    #: worker (src/coopld/bounded.py); 0 = every query goes to a worker
    inline_query_budget: int = 20000
    #: SERVICE endpoints a query may call; empty = none (no outbound fetches at all)
    allowed_services: tuple[str, ...] = ()
    #: DCAT-AP catalogue metadata (docs/dcat-ap.md). The publisher: its name, and its IRI
    #: (empty = `{base}/catalog#publisher`; an EU corporate-body IRI if the publisher has one)
    publisher_name: str = "coopld"
    publisher_iri: str = ""
    #: the publisher's kind, an ADMS publisher type IRI
    #: (http://purl.org/adms/publishertype/...); empty = not stated
    publisher_type: str = ""
    #: contact point: an e-mail address and/or a web page (empty both = the landing page)
    contact_email: str = ""
    contact_url: str = ""
    #: licence of the data, the catalogue and every dump
    license: str = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
    title: str = "Research and innovation cooperation agreements"
    #: one paragraph saying what the dataset holds (catalogue, landing page, schema.org)
    description: str = (
        "Agreements, joint action plans and other arrangements for research-and-innovation "
        "cooperation, the organisations, countries and people that make them, their priority "
        "areas and actions, each statement traced to the published document it comes from."
    )
    #: dcat:keyword values
    keywords: tuple[str, ...] = (
        "research and innovation",
        "international cooperation",
        "cooperation agreement",
        "joint action plan",
        "linked data",
    )
    #: dcat:theme: codes of the EU data-theme table (only verified codes are accepted)
    themes: tuple[str, ...] = ("TECH", "INTR", "REGI")
    #: date the dataset was first published (YYYY-MM-DD); empty = the date of the build
    issued: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _coerce(name: str, value: Any, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(text)
            return text in {"1", "true", "yes", "on"}
        if isinstance(default, Path):
            return Path(value)
        if isinstance(default, tuple):
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise BadRequestError(
            f"setting {name!r} has an invalid value {value!r}",
            hint=f"expected a value like {default!r}",
        ) from exc


def load_settings(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build settings from defaults, an optional TOML file, the environment and overrides.

    Overrides whose value is None are ignored, so CLI options can be passed straight in.
    """
    defaults = Settings()
    known = {f.name: getattr(defaults, f.name) for f in fields(Settings) if f.name != "extra"}
    values: dict[str, Any] = {}

    if config_file is not None:
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise BadRequestError(f"cannot read settings file {config_file}: {exc}") from exc
        section = data.get("coopld", data)
        for name, value in section.items():
            key = name.replace("-", "_")
            if key not in known:
                raise BadRequestError(
                    f"{config_file}: unknown setting {name!r}",
                    hint="known settings: " + ", ".join(sorted(known)),
                )
            values[key] = _coerce(key, value, known[key])

    for name, value in (env if env is not None else os.environ).items():
        if name.startswith(ENV_PREFIX):
            key = name[len(ENV_PREFIX) :].lower()
            if key in known:
                values[key] = _coerce(key, value, known[key])

    for key, value in overrides.items():
        if value is None:
            continue
        if key not in known:
            raise BadRequestError(f"unknown setting {key!r}")
        values[key] = _coerce(key, value, known[key])

    settings = defaults.replace(**values)
    settings = settings.replace(
        base=settings.base.rstrip("/"), public_base=settings.public_base.rstrip("/")
    )
    for name in ("base", "public_base"):
        value = getattr(settings, name)
        if value:
            try:
                Iris(value)
            except ValueError as exc:
                raise BadRequestError(f"setting {name!r}: {exc}") from exc
    return settings
