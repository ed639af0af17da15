"""bootstrap.secrets_of: which values redaction treats as secret."""

from __future__ import annotations

from pydantic import SecretStr

from alertgate.bootstrap import secrets_of
from alertgate.config import Settings

TEAMS = "https://prod-1.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke"


def test_every_secret_setting_and_the_secret_parts_of_urls_are_secrets() -> None:
    """Token, keys and client secret whole; a Workflows URL whole and its sig alone; the
    database password alone (the rest of the database URL is shown on purpose)."""
    settings = Settings(
        webhook_token=SecretStr("the-token"),
        coralogix_api_key=SecretStr("cx-key"),
        graph_client_secret=SecretStr("graph~secret"),
        teams_webhook_url=SecretStr(f"{TEAMS}?api-version=1&sp=%2Ftriggers&sv=1.0&sig=s1g"),
        database_url=SecretStr("postgresql+psycopg://alertgate:p%40ss@db:5432/alertgate"),
    )
    found = secrets_of(settings)
    assert {"the-token", "cx-key", "graph~secret", "s1g", "p@ss"} <= set(found)
    assert f"{TEAMS}?api-version=1&sp=%2Ftriggers&sv=1.0&sig=s1g" in found
    assert not any(s.startswith("postgresql") for s in found)


def test_a_database_url_without_a_password_holds_no_secret() -> None:
    """The default SQLite URL is not a secret: the start-up log and check-config show it."""
    assert secrets_of(Settings()) == []


def test_a_short_webhook_token_is_warned_about() -> None:
    """check-config warns when the token is guessable; a generated one gets no warning."""
    from alertgate.bootstrap import config_warnings

    short = config_warnings(Settings(webhook_token=SecretStr("hunter2")))
    assert any("ALERTGATE_WEBHOOK_TOKEN has 7 characters" in w for w in short)
    long = config_warnings(Settings(webhook_token=SecretStr("9f" * 32)))
    assert not any("ALERTGATE_WEBHOOK_TOKEN" in w for w in long)


def test_the_values_of_a_secret_table_are_secrets_and_its_names_are_not() -> None:
    """A secret setting holding a table (extra webhook headers) or a list contributes each
    value, never the header names (redacting "Authorization" would blank ordinary logs)."""
    from alertgate.bootstrap.secrets import secret_texts

    headers = {"Authorization": SecretStr("Bearer abc123"), "X-Key": SecretStr("k-456")}
    assert secret_texts(headers) == ["Bearer abc123", "k-456"]
    assert secret_texts([SecretStr("one"), "two"]) == ["one", "two"]
    assert secret_texts(SecretStr("plain")) == ["plain"]
