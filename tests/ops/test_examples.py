"""The example env file, the example TOML file and docs/configuration.md cover every setting,
and each example, uncommented, is a configuration alertgate accepts."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import trustme

from alertgate import config_envfile
from alertgate.config import HOLD_PRIORITY_ENV, HOLD_PRIORITY_KEY, SPECS
from alertgate.config_sources import load
from alertgate.domain.alert import Priority
from tests.support.deploy_files import DEPLOY, ENV_EXAMPLE, ROOT, uncommented_env

TOML_EXAMPLE = DEPLOY / "config.example.toml"
CONFIG_DOC = ROOT / "docs" / "configuration.md"


def uncommented_toml(path: Path) -> str:
    """The file with every commented-out `key = value` line switched on."""
    return re.sub(r"(?m)^#([A-Za-z0-9_]+ = )", r"\1", path.read_text())


TABLE_SETTINGS = {s.key for s in SPECS}  # a setting whose value is itself a table (headers)


def toml_keys(document: dict[str, object], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in document.items():
        if isinstance(value, dict) and f"{prefix}{key}" not in TABLE_SETTINGS:
            keys |= toml_keys(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


# Lists of rules and per-sender mappings, set only as TOML tables; docs/sources.md shows them
# and its own tests load those examples.
RULE_TABLES = {"no_resolve_rules", "generic_sources"}
QUOTED = {"ALERTGATE_NOTIFY_WEBHOOK_HEADERS"}  # a JSON object: see the env example's note
ALL_ENV = {s.env for s in SPECS} | set(HOLD_PRIORITY_ENV.values()) | {"ALERTGATE_CONFIG"}
ALL_KEYS = {s.key for s in SPECS} | {f"{HOLD_PRIORITY_KEY}.{p.value}" for p in Priority}


def test_the_env_example_lists_every_setting_commented_out() -> None:
    """Every setting's variable has a commented-out line, and every commented-out line is a
    setting (a misspelt PoC name such as TEAMS_WEBHOK_URL would draw no warning when loaded);
    nothing is switched on by default."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    assert not [line for line in lines if re.match(r"^[A-Z_]+=", line)], "a setting is active"
    listed = set(uncommented_env(ENV_EXAMPLE))
    missing, unknown = sorted(ALL_ENV - listed), sorted(listed - ALL_ENV)
    assert (missing, unknown) == ([], []), f"{ENV_EXAMPLE.name}: missing, unknown"


def test_the_toml_example_lists_every_setting_commented_out() -> None:
    """Every setting's TOML key has a commented-out line under its table."""
    assert toml_keys(tomllib.loads(TOML_EXAMPLE.read_text())) == set(), "a setting is active"
    found = toml_keys(tomllib.loads(uncommented_toml(TOML_EXAMPLE)))
    assert found == ALL_KEYS, (
        f"missing {sorted(ALL_KEYS - found)}, unknown {sorted(found - ALL_KEYS)}"
    )


def test_the_configuration_doc_names_every_setting() -> None:
    """docs/configuration.md has each variable and each TOML key of config.SPECS."""
    text = CONFIG_DOC.read_text()
    missing = [
        f"{s.env} / {s.key}" for s in SPECS if f"`{s.env}" not in text or f"`{s.key}`" not in text
    ]
    assert not missing, f"docs/configuration.md lacks {missing}"


@pytest.mark.parametrize("example", ["env", "toml"])
def test_each_example_uncommented_is_a_valid_configuration_that_sets_everything(
    example: str, tmp_path: Path
) -> None:
    """With every line switched on, the example loads without a problem or a warning, and no
    setting is left at its default (so no example value is silently ignored)."""
    ca = tmp_path / "extra-ca.pem"  # the example's CA path, made real: it must hold a PEM
    ca.write_bytes(trustme.CA().cert_pem.bytes())
    if example == "env":
        path = tmp_path / "alertgate.env"
        config = tmp_path / "config.toml"  # the example's TOML path, made real: an empty file
        config.write_text("")
        values = uncommented_env(ENV_EXAMPLE) | {
            "ALERTGATE_CA_BUNDLE": str(ca),
            "ALERTGATE_CONFIG": str(config),
        }
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        loaded = load({}, env_file=path)
    else:
        path = tmp_path / "config.toml"
        text = uncommented_toml(TOML_EXAMPLE).replace("/etc/alertgate/extra-ca.pem", str(ca))
        path.write_text(text)
        loaded = load({}, config_file=path)
    assert loaded.warnings == []
    defaults = [
        name
        for name, origin in loaded.origin.items()
        if origin == "default" and name not in RULE_TABLES
    ]
    assert defaults == []


def test_env_example_values_are_read_as_written() -> None:
    """Uncommented, every example line gives exactly the text after its "=" (the JSON headers:
    the text inside the single quotes), with no warning: what the reader sees is what systemd
    sees (test_env_file_systemd.py) and what the file shows."""
    written = uncommented_env(ENV_EXAMPLE)
    data = "".join(f"{k}={v}\n" for k, v in written.items()).encode()
    env = config_envfile.parse(data)
    assert env.warnings == []
    for name, value in written.items():
        if name in QUOTED:  # JSON needs its double quotes: single quotes keep them verbatim
            assert value[0] == value[-1] == "'", f"{name} must be single-quoted"
            assert isinstance(json.loads(env.values[name]), dict)
            value = value[1:-1]
        assert env.values[name] == value
