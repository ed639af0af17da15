"""A receiver that quotes the request back in its error (URL with `sig=` or `token=`, headers)
must not carry those secrets into the notification's last error: not into the outbox, the
log, `outbox list`, the API or `test-notify`. The reply is kept, scrubbed, for diagnosis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from alertgate.adapters.notifiers import tls
from alertgate.adapters.notifiers.teams import TeamsNotifier
from alertgate.adapters.notifiers.webhook import WebhookNotifier
from alertgate.ports import DeliveryError, Notifier
from tests.channels import flows
from tests.support.cli import run_cli
from tests.support.echo import EchoServer
from tests.support.server import ServerProcess
from tests.unit.adapters.notifications import notification

SIG = "QuotedSig-9f8e7d6c5b4a"
HOOK_TOKEN = "quoted-hook-token-31337"
HEADER_SECRET = "quoted-header-secret-4242"
SECRETS = (SIG, HOOK_TOKEN, HEADER_SECRET)
TEAMS_PATH = "/workflows/1/triggers/manual/paths/invoke?api-version=2016-06-01&sv=1.0"


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server


def test_a_reply_quoting_the_request_is_kept_in_the_error_without_the_secrets(
    echo: EchoServer,
) -> None:
    """Teams and the JSON webhook get a 400 that quotes URL and headers: the error keeps the
    reply (its start) for diagnosis, with the sig=, the token= and the header value scrubbed
    before the excerpt is cut, so not even a prefix of a secret is left."""

    async def errors() -> list[DeliveryError]:
        client = tls.http_client(tls.ssl_context(None))
        notifiers: list[Notifier] = [
            TeamsNotifier(client, f"{echo.url}{TEAMS_PATH}&sig={SIG}"),
            WebhookNotifier(
                client,
                f"{echo.url}/hooks?token={HOOK_TOKEN}",
                {"Authorization": f"Bearer {HEADER_SECRET}"},
            ),
        ]
        found = []
        for notifier in notifiers:
            with pytest.raises(DeliveryError) as caught:
                await notifier.send(notification())
            found.append(caught.value)
        await client.aclose()
        return found

    teams, hook = asyncio.run(errors())
    for error in (teams, hook):
        assert (error.reason, error.retryable) == ("client_error", False)
        assert 'answered 400: {"error": "bad_request", "url": "/' in error.message
        assert "[REDACTED]" in error.message
        assert not leaked(error.message), error.message
        for secret in SECRETS:  # no prefix of a secret either (the excerpt is cut at 300)
            assert secret[:8] not in error.message
    assert "sig=[REDACTED]" in teams.message
    assert "token=[REDACTED]" in hook.message


@pytest.mark.slow
def test_quoted_secrets_reach_neither_the_outbox_nor_the_log_nor_the_cli(
    sqlite_url: str, workdir: Path, echo: EchoServer
) -> None:
    """A running engine whose Teams and email webhooks both quote requests back: both notices
    are dead-lettered with a scrubbed reply, and `outbox list` (even run without the settings
    that would let it redact), the API, the log and `test-notify` never show a secret."""
    config = workdir / "alertgate.toml"
    headers = f'{{ Authorization = "Bearer {HEADER_SECRET}" }}'
    config.write_text(f"[notify_webhook]\nheaders = {headers}\n")
    env = {
        "ALERTGATE_HOLD_SECONDS": "1",
        "ALERTGATE_CONFIG": str(config),
        "TEAMS_WEBHOOK_URL": f"{echo.url}{TEAMS_PATH}&sig={SIG}",
        "ALERTGATE_EMAIL_CHANNEL": "webhook",
        "ALERTGATE_NOTIFY_WEBHOOK_URL": f"{echo.url}/hooks?token={HOOK_TOKEN}",
    }
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("Quoted", "trigger"))  # escalates after 1 s
        flows.post(server.url, flows.alert("Healed", "trigger"))
        flows.post(server.url, flows.alert("Healed", "resolve"))
        dead = flows.wait_for(
            lambda: len(flows.outbox(server.url, "dead")["notifications"]) == 2,  # type: ignore[arg-type]
            what="both notices dead-lettered",
        )
        assert dead
        api = httpx.get(f"{server.url}/api/outbox", params={"status": "dead"}, timeout=10).text
        database_only = {"ALERTGATE_DATABASE_URL": sqlite_url}
        listing = run_cli(["outbox", "list"], database_only, workdir)
        as_json = run_cli(["outbox", "list", "--json"], database_only, workdir)
        log = server.log()
    tried = [run_cli(["test-notify", which], env, workdir) for which in ("teams", "webhook")]
    assert listing.code == 0, listing.err
    assert "last error: teams: client_error: Teams webhook" in listing.out
    assert "last error: webhook: client_error: webhook" in listing.out
    assert {row["route"] for row in map(orjson.loads, as_json.out.splitlines())} == {
        "teams",
        "email",
    }
    assert all(t.code == 1 and "FAILED (client_error, permanent)" in t.out for t in tried)
    assert '"event":"notification.dead_lettered"' in log
    for where, text in [
        ("outbox list", listing.out + listing.err),
        ("outbox list --json", as_json.out + as_json.err),
        ("api", api),
        ("log", log),
        *((f"test-notify {t.out[:20]}", t.out + t.err) for t in tried),
    ]:
        assert not leaked(text), f"{where} shows {leaked(text)}:\n{text[:2000]}"
