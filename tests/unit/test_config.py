"""Settings: the PoC's variable names, ALERTGATE_*, env files, the TOML file, precedence,
validation that names the setting, and check-config that never shows a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from alertgate.cli import main
from alertgate.config_sources import ConfigError, load
from alertgate.domain.alert import Priority
from alertgate.http.webhooks import source_of
from tests.conftest import FIXTURES
from tests.support.sources import GRAFANA_TOML, configured_parsers

AIOPS_ENV = FIXTURES / "config" / "aiops.env"


def test_poc_env_file_is_read_with_its_names_comments_and_quotes() -> None:
    """/etc/aiops.env works unchanged: same names, same meaning."""
    s = load({}, env_file=AIOPS_ENV).settings
    assert s.coralogix_api_base == "https://api.ap1.coralogix.com"
    assert s.coralogix_api_key is not None
    assert s.coralogix_api_key.get_secret_value() == "xxxxxxxx"
    assert s.teams_webhook_url is not None
    assert s.teams_webhook_url.get_secret_value().endswith("sig=TopSecretSig123")
    assert s.graph_client_secret is not None
    assert s.graph_client_secret.get_secret_value() == "client~secret.value"
    assert (s.graph_tenant_id, s.email_from) == (
        "11111111-2222-3333-4444-555555555555",
        "alerts@company.com",
    )
    assert s.email_to == ("alerts@company.com", "oncall@company.com")


def test_defaults_serve_the_poc_port_on_loopback_with_sqlite_in_var() -> None:
    s = load({}).settings
    assert (s.host, s.port, s.hold_seconds) == ("127.0.0.1", 5000, 600)
    assert s.database_url.get_secret_value() == "sqlite:///var/alertgate.db"


def test_graph_endpoints_default_to_the_global_cloud_and_can_be_overridden() -> None:
    """GRAPH_AUTHORITY_HOST and GRAPH_API_BASE: Microsoft's global cloud unless set (a national
    cloud, a test emulator); an http:// one is refused, since tokens travel over it."""
    s = load({}).settings
    assert s.graph_authority_host == "https://login.microsoftonline.com"
    assert s.graph_api_base == "https://graph.microsoft.com/v1.0"
    us = {
        "GRAPH_AUTHORITY_HOST": "https://login.microsoftonline.us",
        "GRAPH_API_BASE": "https://graph.microsoft.us/v1.0",
    }
    s = load(us).settings
    assert (s.graph_authority_host, s.graph_api_base) == tuple(us.values())
    with pytest.raises(ConfigError, match=r"GRAPH_API_BASE \(graph.api_base\): expected an https"):
        load({"GRAPH_API_BASE": "http://graph.example/v1.0"})


def test_precedence_is_file_then_env_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "a.toml"
    config.write_text('[server]\nport = 6001\nhost = "0.0.0.0"\n[hold]\ndefault = "5m"\n')
    env_file = tmp_path / "a.env"
    env_file.write_text("ALERTGATE_PORT=6002\nALERTGATE_HOLD_SECONDS=120\n")
    loaded = load(
        {"ALERTGATE_PORT": "6003"},
        env_file=env_file,
        config_file=config,
        overrides={"host": "127.0.0.2"},
    )
    s = loaded.settings
    assert (s.host, s.port, s.hold_seconds) == ("127.0.0.2", 6003, 120)
    assert loaded.origin["port"] == "environment"
    assert loaded.origin["hold_seconds"] == "env file"
    assert loaded.origin["host"] == "command line"


def test_hold_windows_per_priority_from_the_config_file_and_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "a.toml"
    config.write_text('[hold]\ndefault = "10m"\n[hold.priority]\nP1 = "2m"\nP2 = 300\n')
    s = load({"ALERTGATE_HOLD_SECONDS_P2": "4m"}, config_file=config).settings
    assert s.hold_by_priority == {Priority.P1: 120, Priority.P2: 240}


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"ALERTGATE_PORT": "70000"}, "ALERTGATE_PORT"),
        ({"ALERTGATE_PORT": "five"}, "ALERTGATE_PORT"),
        ({"ALERTGATE_HOLD_SECONDS": "soon"}, "ALERTGATE_HOLD_SECONDS"),
        ({"ALERTGATE_HOLD_SECONDS": "0"}, "ALERTGATE_HOLD_SECONDS"),
        ({"ALERTGATE_HOLD_SECONDS_P1": "-1m"}, "ALERTGATE_HOLD_SECONDS_P1"),
        ({"EMAIL_TO": "not-an-address"}, "EMAIL_TO"),
        # an env file's inline comment, kept in the value as systemd keeps it
        ({"EMAIL_TO": "a@example.com, b@example.com   # on call"}, "EMAIL_TO"),
        # a line appended to a file whose last line had no line break
        ({"EMAIL_TO": "a@example.comALERTGATE_WEBHOOK_TOKEN=abc"}, "EMAIL_TO"),
        ({"GRAPH_TENANT_ID": "t"}, "GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET"),
        (
            {"GRAPH_TENANT_ID": "t", "GRAPH_CLIENT_ID": "c", "GRAPH_CLIENT_SECRET": "s"},
            "EMAIL_FROM",
        ),
        ({"ALERTGATE_DATABASE_URL": "mysql://x/y"}, "ALERTGATE_DATABASE_URL"),
        ({"TEAMS_WEBHOOK_URL": "prod-12.logic.azure.com/workflows"}, "TEAMS_WEBHOOK_URL"),
        ({"ALERTGATE_LOG_LEVEL": "loud"}, "ALERTGATE_LOG_LEVEL"),
    ],
)
def test_invalid_settings_are_named(environ: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(environ)
    assert names in str(caught.value)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("[server]\nprot = 1\n", "server.prot"),
        ("[hold.priority]\nP9 = 60\n", "hold.priority.P9"),
        ("[server\n", "not valid TOML"),
    ],
)
def test_config_file_mistakes_are_named(tmp_path: Path, text: str, names: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load({}, config_file=config)
    assert names in str(caught.value)


def test_missing_env_file_is_an_error_not_silence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load({}, env_file=tmp_path / "missing.env")


def test_postgres_urls_people_paste_are_accepted() -> None:
    s = load({"ALERTGATE_DATABASE_URL": "postgresql://u@db:5432/alertgate"}).settings
    assert s.database_url.get_secret_value() == "postgresql+psycopg://u@db:5432/alertgate"


def test_unknown_alertgate_variables_are_warned_about() -> None:
    assert any("ALERTGATE_HOLD_SECOND" in w for w in load({"ALERTGATE_HOLD_SECOND": "5"}).warnings)


def test_check_config_masks_every_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The effective configuration is printed; no secret value ever is."""
    for name in list(__import__("os").environ):
        if name.startswith(("ALERTGATE_", "GRAPH_", "TEAMS_", "EMAIL_", "CORALOGIX_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ALERTGATE_WEBHOOK_TOKEN", "tok-12345")
    monkeypatch.setenv("ALERTGATE_DATABASE_URL", "postgresql+psycopg://u:dbpass999@db/x")
    assert main(["check-config", "--env-file", str(AIOPS_ENV)]) == 0
    out = capsys.readouterr().out
    for secret in ("xxxxxxxx", "TopSecretSig123", "client~secret.value", "tok-12345", "dbpass999"):
        assert secret not in out
    assert "https://api.ap1.coralogix.com" in out
    assert "sig=***" in out
    assert "configuration OK" in out


def test_check_config_masks_a_mixed_case_sig_and_shows_the_rest_of_the_url_as_given(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`&Sig=UPPERSECRET` is masked like `sig=` (one redaction for the whole code base), and the
    other parameters are printed exactly as configured, percent-encoding included."""
    for name in list(__import__("os").environ):
        if name.startswith(("ALERTGATE_", "GRAPH_", "TEAMS_", "EMAIL_", "CORALOGIX_")):
            monkeypatch.delenv(name)
    url = (
        "https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke"
        "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&Sig=UPPERSECRET"
    )
    monkeypatch.setenv("TEAMS_WEBHOOK_URL", url)
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "UPPERSECRET" not in out
    assert url.replace("Sig=UPPERSECRET", "Sig=***") in out


def test_check_config_lists_every_webhook_path_served_the_poc_path_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under "webhooks (POST):" check-config lists each path the server routes to a source,
    /coralogix/webhook (the proof of concept's) included, and every source has its path."""
    for name in list(__import__("os").environ):
        if name.startswith("ALERTGATE_"):
            monkeypatch.delenv(name)
    assert main(["check-config", "--config", str(GRAFANA_TOML)]) == 0
    out = capsys.readouterr().out
    listed = out.split("webhooks (POST):\n", 1)[1].split("alerts that never resolve", 1)[0]
    paths = [line.split()[0] for line in listed.splitlines()]
    assert "/coralogix/webhook" in paths
    served = set(configured_parsers())
    assert {source_of(path) for path in paths} == served
    assert {f"/webhooks/{source}" for source in served} <= set(paths)


def test_check_config_exits_non_zero_naming_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALERTGATE_PORT", "0")
    assert main(["check-config"]) == 2
    assert "ALERTGATE_PORT (server.port)" in capsys.readouterr().err


def test_config_path_from_the_environment(tmp_path: Path) -> None:
    """ALERTGATE_CONFIG names the config file when --config is not given."""
    config = tmp_path / "c.toml"
    config.write_text('[hold]\ndefault = "5m"\n')
    loaded = load({"ALERTGATE_CONFIG": str(config)})
    assert loaded.origin["hold_seconds"].startswith("config file")
    assert loaded.settings.hold_seconds == 300


def test_config_path_from_the_env_file_as_systemd_would_pass_it(tmp_path: Path) -> None:
    """ALERTGATE_CONFIG in the env file names the config file, as it does for the service
    (systemd puts the env file into the environment): `check-config --env-file` and the CLI
    load what `serve` loads. The environment and --config still win over it."""
    config, other = tmp_path / "c.toml", tmp_path / "other.toml"
    config.write_text('[hold]\ndefault = "5m"\n')
    other.write_text('[hold]\ndefault = "7m"\n')
    env_file = tmp_path / "alertgate.env"
    env_file.write_text(f"ALERTGATE_CONFIG={config}\n")
    loaded = load({}, env_file=env_file)
    assert loaded.settings.hold_seconds == 300
    assert loaded.origin["hold_seconds"] == f"config file {config}"
    assert loaded.warnings == []
    assert load({"ALERTGATE_CONFIG": str(other)}, env_file=env_file).settings.hold_seconds == 420
    assert load({}, env_file=env_file, config_file=other).settings.hold_seconds == 420
