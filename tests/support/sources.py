"""Every source parser as a running alertgate has them, with the docs' Grafana mapping loaded."""

from __future__ import annotations

from pathlib import Path

from alertgate import bootstrap
from alertgate.adapters.sources import generic
from alertgate.config_sources import load
from alertgate.ports import SourceParser

FIXTURES = Path(__file__).parents[1] / "fixtures"
GRAFANA_TOML = FIXTURES / "generic" / "grafana.toml"


def fixture_files(source: str) -> list[Path]:
    """A source's fixture bodies: tests/fixtures/<source>/*.json (generic/NAME: NAME_*.json in
    tests/fixtures/generic/)."""
    if source.startswith(generic.PREFIX):
        name = source.removeprefix(generic.PREFIX)
        return sorted((FIXTURES / "generic").glob(f"{name}_*.json"))
    return sorted((FIXTURES / source).glob("*.json"))


def configured_parsers() -> dict[str, SourceParser]:
    """The built-in parsers plus `generic/grafana`, built from the config file like at start."""
    return bootstrap.parsers(load({}, config_file=GRAFANA_TOML).settings)
