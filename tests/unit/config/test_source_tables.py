"""The config file's source tables: generic sender mappings and no-resolve rules, validated at
start with every bad key named; and the examples in docs/sources.md load as written."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from alertgate import bootstrap
from alertgate.config_sources import ConfigError, Loaded, load
from alertgate.domain.no_resolve import NoResolveMode

DOCS = Path(__file__).parents[3] / "docs" / "sources.md"
GRAFANA_TOML = Path(__file__).parents[2] / "fixtures" / "generic" / "grafana.toml"
VALID = '[sources.generic.pinger]\nidentity = "id"\naction = "kind"\ntrigger = "down"\n'


def loaded(tmp_path: Path, toml: str, environ: dict[str, str] | None = None) -> Loaded:
    path = tmp_path / "alertgate.toml"
    path.write_text(toml)
    return load(environ or {}, config_file=path)


def problems(tmp_path: Path, toml: str) -> list[str]:
    with pytest.raises(ConfigError) as error:
        loaded(tmp_path, toml)
    return error.value.problems


@pytest.mark.parametrize("block", re.findall(r"```toml\n(.*?)```", DOCS.read_text(), re.S))
def test_every_toml_example_in_the_docs_loads(tmp_path: Path, block: str) -> None:
    """docs/sources.md stays true: each of its TOML examples is a valid configuration."""
    loaded(tmp_path, block)


def test_the_docs_grafana_mapping_is_the_one_the_tests_prove() -> None:
    """The worked example in docs/sources.md is tests/fixtures/generic/grafana.toml, which
    the parser, HTTP and hostile-body tests load: a change to one without the other fails."""
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(), re.S)
    (shown,) = [b for b in blocks if "[sources.generic.grafana]" in b]
    assert tomllib.loads(shown) == tomllib.loads(GRAFANA_TOML.read_text())


def test_a_single_string_stands_for_a_list_of_one(tmp_path: Path) -> None:
    """`trigger = "down"` is `trigger = ["down"]`; `identity = "id"` is one path."""
    source = loaded(tmp_path, VALID).settings.generic_sources["pinger"]
    assert (source.identity, source.trigger) == (("id",), ("down",))


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (VALID.replace("identity", "identty"), "sources.generic.pinger.identty: unknown key"),
        (VALID.replace('identity = "id"\n', ""), "sources.generic.pinger.identity: Field required"),
        (VALID.replace('"kind"', '"a..b"'), "sources.generic.pinger.action: 'a..b' is not a path"),
        (VALID + 'resolve = ["DOWN"]\n', "sources.generic.pinger: ['down'] cannot mean both"),
        (VALID + 'priorities = { x = "P9" }\n', "sources.generic.pinger.priorities.x: Input"),
        (VALID.replace("pinger", '"Bad Name"'), "sources.generic: 'Bad Name' cannot name"),
        ('[[no_resolve.rules]]\nmode = "page"\n', "no_resolve.rules[0].mode: Input should be"),
        ('[[no_resolve.rules]]\nafter = "-1m"\n', "no_resolve.rules[0].after: expected a duration"),
        ('[[no_resolve.rules]]\ncolour = "red"\n', "no_resolve.rules[0].colour: unknown key"),
        ('[no_resolve]\nmode = "page"\n', "ALERTGATE_NO_RESOLVE_MODE (no_resolve.mode): Input"),
        ("[sources.grafana]\nx = 1\n", "unknown setting 'sources.grafana.x'"),
    ],
)
def test_bad_tables_are_refused_naming_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    """Each mistake is one problem line that starts with the TOML key it is about."""
    found = problems(tmp_path, toml)
    assert any(expected in p for p in found), found


def test_rules_take_the_default_mode_and_length_and_come_before_built_in_ones(
    tmp_path: Path,
) -> None:
    """A rule without mode/after uses [no_resolve]'s (env wins over the file); configured rules
    are tried before the built-in Notification Center rule."""
    toml = '[no_resolve]\nafter = "2h"\n[[no_resolve.rules]]\nsource = "coralogix-nc"\n'
    settings = loaded(tmp_path, toml, {"ALERTGATE_NO_RESOLVE_MODE": "inform"}).settings
    rules = bootstrap.no_resolve_policy(settings).rules
    assert (rules[0].mode, rules[0].after) == (NoResolveMode.INFORM, timedelta(hours=2))
    assert rules[0].labels == {}
    assert rules[-1].labels["alert_type"] >= {"LOGS_NEW_VALUE"}
