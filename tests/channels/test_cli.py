"""`alertgate test-notify`, `outbox` and `check-config` as an operator runs them: real processes
against the emulators, asserting what they print and their exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.channels import flows
from tests.emulators.https import LoopbackCA, ThreadedServer
from tests.emulators.microsoft import MicrosoftEmulator
from tests.emulators.receiver import WebhookReceiver
from tests.emulators.smtp import SmtpEmulator
from tests.emulators.teams import TeamsEmulator
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow


def alertgate(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ALERTGATE_", "GRAPH_"))}
    return subprocess.run(
        [sys.executable, "-m", "alertgate", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_test_notify_email_through_graph_reports_token_roles_and_delivery(
    workdir: Path, test_ca: LoopbackCA, microsoft: MicrosoftEmulator
) -> None:
    """A working Graph setup: the token step names its roles, the message is marked [TEST]."""
    result = alertgate(
        "test-notify",
        "email",
        env=flows.base_env(test_ca, **flows.graph_env(microsoft.base)),
        cwd=workdir,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "token acquired from" in result.stdout
    assert "token roles: Mail.Send" in result.stdout
    assert "accepted by Graph (202)" in result.stdout
    assert microsoft.sent[0].message["subject"].startswith("[TEST] [ESCALATION]")


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("secret", "the secret's Value, not its Secret ID"),
        ("roles", "no Mail.Send application role"),
        ("roles", "lacks Mail.Send as an Application permission with admin consent"),
        ("policy", "application access policy excludes the mailbox"),
        ("mailbox", "is not an Exchange Online mailbox"),
    ],
)
def test_test_notify_email_names_the_cause_of_each_graph_failure(
    workdir: Path, test_ca: LoopbackCA, microsoft: MicrosoftEmulator, breakage: str, expected: str
) -> None:
    """A wrong secret (401 invalid_client), a token without Mail.Send (the token check warns,
    and Graph's 403 is explained), a mailbox outside the access policy (403 OData), an unknown
    mailbox (404): each is told apart, exit 1."""
    env = flows.base_env(test_ca, **flows.graph_env(microsoft.base))
    if breakage == "secret":
        env["GRAPH_CLIENT_SECRET"] = "the-secret-id-not-its-value"
    elif breakage == "roles":
        microsoft.roles = []
    elif breakage == "policy":
        microsoft.policy_excluded.add("alerts@contoso.com")
    else:
        env["EMAIL_FROM"] = "nobody@contoso.com"
    result = alertgate("test-notify", "email", env=env, cwd=workdir)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stdout
    assert "the-secret-id-not-its-value" not in result.stdout + result.stderr


def test_test_notify_teams_explains_a_dead_workflow_without_printing_sig(
    workdir: Path, test_ca: LoopbackCA, teams_server: tuple[TeamsEmulator, ThreadedServer]
) -> None:
    """A 404 from the workflow says it was deleted or orphaned; the sig= never shows."""
    teams, server = teams_server
    teams.mode = "404"
    env = flows.base_env(test_ca, **flows.teams_env(server.base))
    result = alertgate("test-notify", "teams", env=env, cwd=workdir)
    assert result.returncode == 1
    assert "owner left" in result.stdout
    assert "sig=***" in result.stdout
    assert "emulator-signature" not in result.stdout + result.stderr
    teams.mode = "ok"
    result = alertgate("test-notify", "teams", env=env, cwd=workdir)
    assert result.returncode == 0
    assert teams.posts[0].body["alert_action"] == "TEST"
    assert teams.posts[0].body["attachments"][0]["content"]["body"][0]["text"].startswith("[TEST]")


def test_test_notify_smtp_and_webhook_report_success_and_a_refused_login(
    workdir: Path, test_ca: LoopbackCA, smtp: SmtpEmulator, receiver: tuple[WebhookReceiver, str]
) -> None:
    """SMTP with the right login delivers; a wrong password is an auth failure; the generic
    webhook gets a test body."""
    env = flows.base_env(test_ca, ALERTGATE_NOTIFY_WEBHOOK_URL=receiver[1], **flows.smtp_env(smtp))
    assert alertgate("test-notify", "smtp", env=env, cwd=workdir).returncode == 0
    assert smtp.delivered[0].message["Subject"].startswith("[TEST]")
    assert alertgate("test-notify", "webhook", env=env, cwd=workdir).returncode == 0
    assert receiver[0].received[0].body["test"] is True
    env["ALERTGATE_SMTP_PASSWORD"] = "wrong-password"
    failed = alertgate("test-notify", "smtp", env=env, cwd=workdir)
    assert failed.returncode == 1
    assert "FAILED (auth, permanent)" in failed.stdout
    assert "wrong-password" not in failed.stdout + failed.stderr


def test_test_notify_of_an_unconfigured_channel_says_what_to_set(workdir: Path) -> None:
    """No TEAMS_WEBHOOK_URL: exit 2 naming the setting; nothing is sent."""
    result = alertgate("test-notify", "teams", env={}, cwd=workdir)
    assert result.returncode == 2
    assert "not configured: set TEAMS_WEBHOOK_URL" in result.stdout


def test_check_config_shows_routes_masks_secrets_and_warns_about_log_fallback(
    workdir: Path, test_ca: LoopbackCA
) -> None:
    """Graph + SMTP configured: email tries graph then smtp; Teams falls back to the log with a
    warning; no secret value is printed."""
    env = flows.base_env(
        test_ca,
        **{**flows.graph_env("https://login.example"), **flows.smtp_env_for_port(2525)},
        ALERTGATE_NOTIFY_WEBHOOK_HEADERS='{"Authorization": "Bearer header-secret"}',
    )
    result = alertgate("check-config", env=env, cwd=workdir)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "email  -> graph, then smtp" in out
    assert "teams  -> log" in out
    assert "warning: teams route: no Teams channel configured" in out
    assert "Authorization: ***" in out
    for secret in ("emulator-secret-value", "smtp-emulator-password", "header-secret"):
        assert secret not in out


def test_check_config_rejects_a_channel_chosen_but_not_configured(workdir: Path) -> None:
    """ALERTGATE_EMAIL_CHANNEL=smtp without an SMTP host: exit 2 naming both settings."""
    result = alertgate("check-config", env={"ALERTGATE_EMAIL_CHANNEL": "smtp"}, cwd=workdir)
    assert result.returncode == 2
    assert "ALERTGATE_EMAIL_CHANNEL (email.channel): smtp is chosen but ALERTGATE_SMTP_HOST" in (
        result.stderr
    )


def test_outbox_list_and_retry_from_the_command_line(
    sqlite_url: str,
    workdir: Path,
    test_ca: LoopbackCA,
    teams_server: tuple[TeamsEmulator, ThreadedServer],
) -> None:
    """A dead Teams notice is listed with its last error; `outbox retry ID` re-drives it and
    the running server delivers it; a sent one is refused (exit 1, nothing changes)."""
    teams, server_ = teams_server
    teams.mode = "404"
    env = flows.base_env(test_ca, **flows.teams_env(server_.base))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("Blip", "trigger"))
        flows.post(server.url, flows.alert("Blip", "resolve"))
        flows.wait_for(lambda: flows.outbox(server.url, "dead")["notifications"])
        db = {"ALERTGATE_DATABASE_URL": sqlite_url}
        listing = alertgate("outbox", "list", env=db, cwd=workdir)
        teams.mode = "ok"
        retried = alertgate("outbox", "retry", "1", env=db, cwd=workdir)
        flows.wait_for(lambda: teams.posts, what="the re-driven notice")
        flows.wait_for(lambda: flows.outbox(server.url, "sent")["notifications"])
        again = alertgate("outbox", "retry", "1", env=db, cwd=workdir)
    assert listing.returncode == 0
    assert "outbox: 0 pending, 1 dead, 0 sent" in listing.stdout
    assert "last error: teams: not_found:" in listing.stdout
    assert "Blip" in listing.stdout
    assert retried.returncode == 0
    assert "queued" in retried.stdout
    assert again.returncode == 1
    assert "already sent" in again.stdout
    assert len(teams.posts) == 1
