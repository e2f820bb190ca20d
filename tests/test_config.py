"""Settings: defaults < TOML file < COOPLD_* environment < explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from coopld.config import Settings, load_settings
from coopld.errors import BadRequestError


def test_defaults_serve_locally() -> None:
    settings = load_settings(env={})
    assert settings == Settings()
    assert settings.base == "http://127.0.0.1:5000"
    assert settings.host == "127.0.0.1"
    assert settings.allowed_services == ()


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "coopld.toml"
    config.write_text(
        '[coopld]\nport = 8000\nbase = "https://data.example.eu/coop/"\nmax-rows = 50\n'
    )
    settings = load_settings(config, env={"COOPLD_PORT": "9000", "COOPLD_QUERY_TIMEOUT": "2.5"})
    assert settings.port == 9000  # the environment beats the file
    assert settings.base == "https://data.example.eu/coop"  # trailing slash dropped
    assert settings.max_rows == 50
    assert settings.query_timeout == 2.5
    assert load_settings(config, env={"COOPLD_PORT": "9000"}, port=7000).port == 7000
    assert load_settings(config, env={}, port=None).port == 8000  # None means "not given"


def test_lists_and_flags_from_the_environment() -> None:
    settings = load_settings(
        env={
            "COOPLD_ALLOWED_SERVICES": "https://a.example/sparql, https://b.example/sparql",
            "COOPLD_BEHIND_PROXY": "yes",
            "UNRELATED": "x",
        }
    )
    assert settings.allowed_services == ("https://a.example/sparql", "https://b.example/sparql")
    assert settings.behind_proxy is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"COOPLD_PORT": "eighty"}, "setting 'port' has an invalid value"),
        ({"COOPLD_BEHIND_PROXY": "maybe"}, "setting 'behind_proxy' has an invalid value"),
        ({"COOPLD_BASE": "ftp://example.org"}, "setting 'base'"),
    ],
)
def test_invalid_values_are_usage_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(BadRequestError, match=message):
        load_settings(env=env)


def test_unknown_keys_in_a_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "coopld.toml"
    config.write_text("prot = 8000\n")
    with pytest.raises(BadRequestError, match="unknown setting 'prot'"):
        load_settings(config, env={})
