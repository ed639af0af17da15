"""From a Coralogix webhook to a delivered message, for every channel, against real processes:
`alertgate serve`, and emulators that follow contracts.md (TLS, real status codes)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.channels import flows
from tests.emulators.https import LoopbackCA, ThreadedServer
from tests.emulators.microsoft import MicrosoftEmulator
from tests.emulators.receiver import WebhookReceiver
from tests.emulators.smtp import SmtpEmulator
from tests.emulators.teams import TeamsEmulator
from tests.support.server import ServerProcess
from tests.support.sources import FIXTURES

pytestmark = pytest.mark.slow
TeamsServer = tuple[TeamsEmulator, ThreadedServer]


def test_self_resolved_alert_reaches_teams_as_card_and_poc_fields(
    sqlite_url: str, workdir: Path, test_ca: LoopbackCA, teams_server: TeamsServer
) -> None:
    """A trigger resolved inside its hold posts one Adaptive Card 1.4 to the Workflows trigger,
    beside the PoC flow's top-level alert_name / alert_id / instance_id / alert_action."""
    teams, server_ = teams_server
    env = flows.base_env(test_ca, ALERTGATE_HOLD_SECONDS="60", **flows.teams_env(server_.base))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("HighCPU", "trigger"))
        flows.post(server.url, flows.alert("HighCPU", "resolve"))
        sent = flows.wait_for(lambda: flows.outbox(server.url, "sent")["notifications"])
        log = server.log()
    body = teams.posts[0].body
    assert len(teams.posts) == 1
    assert teams.posts[0].run_status == "Succeeded"
    assert teams.posts[0].content_type == "application/json; charset=utf-8"
    assert (body["alert_name"], body["alert_id"], body["instance_id"], body["alert_action"]) == (
        "HighCPU",
        "def-HighCPU",
        "i-0abc123",
        "RESOLVED",
    )
    card = teams.cards[0]
    assert card["version"] == "1.4"
    assert card["body"][0]["color"] == "Good"
    assert card["body"][0]["text"] == "RESOLVED: HighCPU on i-0abc123"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Priority"] == "P1"
    assert facts["Source"] == "coralogix"
    assert facts["Reason"].startswith("resolved_in_hold: resolved on its own")
    assert "Resolved after" in facts
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open in Coralogix",
            "url": "https://team.app.coralogix.in/#/insights?id=HighCPU",
        }
    ]
    assert sent[0]["channel"] == "teams"  # type: ignore[index]
    assert "emulator-signature" not in log  # the sig= secret never reaches the log


def test_an_alert_that_never_resolves_reaches_teams_as_an_information_notice(
    sqlite_url: str, workdir: Path, test_ca: LoopbackCA, teams_server: TeamsServer
) -> None:
    """A Coralogix new-value alert (it never sends a resolve) under no_resolve mode `inform`:
    one blue card says when its episode was closed, never "Resolved after", and the PoC flow
    reads alert_action TRIGGERED (it fired; nothing resolved it)."""
    teams, server_ = teams_server
    env = flows.base_env(
        test_ca, ALERTGATE_NO_RESOLVE_MODE="inform", **flows.teams_env(server_.base)
    )
    body = (FIXTURES / "coralogix-nc" / "new_value_triggered.json").read_bytes()
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        response = httpx.post(f"{server.url}/webhooks/coralogix-nc", content=body, timeout=30)
        assert response.status_code == 202, response.text
        flows.wait_for(lambda: teams.posts, what="the information notice")
    (post,) = teams.posts
    assert post.run_status == "Succeeded"
    assert post.body["alert_action"] == "TRIGGERED"
    assert post.body["alert_name"] == "Login from a new country"
    card = teams.cards[0]
    assert card["body"][0]["color"] == "Accent"
    assert card["body"][0]["text"].startswith("FIRED (never resolves; nobody paged)")
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert "Resolved after" not in facts
    assert facts["Closed after"].endswith("unresolved (it never sends a resolve)")
    assert facts["Reason"].startswith("no_resolve_informed: ")


def test_escalation_and_resolution_go_out_through_graph_and_thread(
    sqlite_url: str, workdir: Path, test_ca: LoopbackCA, microsoft: MicrosoftEmulator
) -> None:
    """An alert still open after its hold is mailed through Graph sendMail (token from Entra
    over TLS, trusted only through ALERTGATE_CA_BUNDLE), P1 with high importance, to every
    recipient; its resolution replies to it with `Re:` and the same incident header."""
    env = flows.base_env(test_ca, **flows.graph_env(microsoft.base))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        incident = flows.post(server.url, flows.alert("DiskFull", "trigger")).json()["incident_id"]
        flows.wait_for(lambda: microsoft.sent, what="the escalation email")
        flows.post(server.url, flows.alert("DiskFull", "resolve"))
        flows.wait_for(lambda: len(microsoft.sent) == 2, what="the resolution email")
    escalation, resolution = (s.message for s in microsoft.sent)
    assert escalation["subject"] == "[ESCALATION][P1] DiskFull on i-0abc123"
    assert resolution["subject"] == "Re: [ESCALATION][P1] DiskFull on i-0abc123"
    assert escalation["importance"] == "high"
    assert resolution["importance"] == "normal"
    for message in (escalation, resolution):
        assert [r["emailAddress"]["address"] for r in message["toRecipients"]] == [
            "oncall@contoso.com",
            "sre-lead@contoso.com",
        ]
    assert {s.header("X-Alertgate-Incident") for s in microsoft.sent} == {incident}
    html = escalation["body"]["content"]
    assert "still open after its hold" in html
    assert "Held for" in html
    assert "hold_expired: still open after its 1s hold" in html
    assert 'href="https://team.app.coralogix.in/#/insights?id=DiskFull"' in html
    assert microsoft.token_requests == 1  # the second email used msal's cached token
    assert microsoft.scopes == [f"{microsoft.base}/.default"]  # the host of GRAPH_API_BASE


def test_a_graph_400_is_dead_lettered_at_once_without_retries(
    sqlite_url: str, workdir: Path, test_ca: LoopbackCA, microsoft: MicrosoftEmulator
) -> None:
    """sendMail answers 400 ErrorInvalidRecipients: permanent (client_error), so the only
    email channel gives up at once: one request to Graph, the notification dead after one
    attempt with Graph's code and the fix in its last error, logged as an error."""
    microsoft.fail_next = [400]
    env = flows.base_env(test_ca, **flows.graph_env(microsoft.base))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("BadRecipient", "trigger"))
        dead: Any = flows.wait_for(lambda: flows.outbox(server.url, "dead")["notifications"])
        time.sleep(1)  # a retry would reach Graph now
        counts = flows.outbox(server.url)["counts"]
        log = server.log()
    (row,) = dead
    assert row["attempts"] == 1
    assert row["last_error"].startswith("graph: client_error: Graph sendMail")
    assert "ErrorInvalidRecipients" in row["last_error"]
    assert "check the addresses in EMAIL_TO" in row["last_error"]
    assert microsoft.send_requests == 1
    assert not microsoft.sent
    assert counts == {"pending": 0, "sent": 0, "dead": 1}
    assert '"event":"notification.dead_lettered"' in log


def test_escalation_goes_out_by_smtp_with_starttls_and_login(
    sqlite_url: str, workdir: Path, test_ca: LoopbackCA, smtp: SmtpEmulator
) -> None:
    """Without Graph, SMTP carries escalations: STARTTLS, login, both recipients; the
    resolution is In-Reply-To the escalation's Message-ID."""
    env = flows.base_env(test_ca, **flows.smtp_env(smtp))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("QueueBacklog", "trigger", priority="P3"))
        flows.wait_for(lambda: smtp.delivered, what="the escalation email")
        flows.post(server.url, flows.alert("QueueBacklog", "resolve", priority="P3"))
        flows.wait_for(lambda: len(smtp.delivered) == 2, what="the resolution email")
    escalation, resolution = (d.message for d in smtp.delivered)
    assert smtp.handler.logins == 2
    assert all(d.encrypted for d in smtp.delivered)
    assert smtp.delivered[0].rcpt_tos == ["oncall@contoso.com", "sre-lead@contoso.com"]
    assert escalation["Subject"] == "[ESCALATION][P3] QueueBacklog on i-0abc123"
    assert escalation["Importance"] is None  # P3: normal importance
    assert resolution["Subject"] == "Re: [ESCALATION][P3] QueueBacklog on i-0abc123"
    assert resolution["In-Reply-To"] == escalation["Message-ID"]
    assert escalation["X-Alertgate-Incident"] == resolution["X-Alertgate-Incident"]
    html = escalation.get_body(("html",))
    assert html is not None
    assert "QueueBacklog" in html.get_content()


def test_escalation_goes_out_by_smtp_with_implicit_tls_and_login(
    sqlite_url: str, workdir: Path, test_ca: LoopbackCA, smtps: SmtpEmulator
) -> None:
    """ALERTGATE_SMTP_SECURITY=tls against an SMTPS server (TLS from the first byte, as on
    port 465): alertgate verifies the certificate through ALERTGATE_CA_BUNDLE, logs in over
    TLS and delivers to both recipients."""
    env = flows.base_env(test_ca, **flows.smtp_env(smtps, security="tls"))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("CertExpiry", "trigger", priority="P2"))
        flows.wait_for(lambda: smtps.delivered, what="the escalation email")
        sent = flows.wait_for(lambda: flows.outbox(server.url, "sent")["notifications"])
    (delivered,) = smtps.delivered
    assert delivered.encrypted
    assert smtps.handler.logins == 1
    assert delivered.rcpt_tos == ["oncall@contoso.com", "sre-lead@contoso.com"]
    assert delivered.message["Subject"] == "[ESCALATION][P2] CertExpiry on i-0abc123"
    assert delivered.message["Importance"] == "high"
    assert sent[0]["channel"] == "smtp"  # type: ignore[index]


def test_an_smtp_451_is_retried_and_the_mail_delivered_once(
    sqlite_url: str, workdir: Path, test_ca: LoopbackCA, smtp: SmtpEmulator
) -> None:
    """The server answers DATA with 451 (temporary) once: alertgate logs a retry with the
    server's reply, backs off, sends again and the mail is delivered exactly once."""
    smtp.handler.temporary_failures = 1
    env = flows.base_env(test_ca, **flows.smtp_env(smtp))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("Backlog", "trigger", priority="P3"))
        flows.wait_for(lambda: smtp.delivered, what="the retried email")
        sent = flows.wait_for(lambda: flows.outbox(server.url, "sent")["notifications"])
        time.sleep(1)  # a duplicate would arrive now
        log = server.log()
    assert len(smtp.delivered) == 1
    assert smtp.handler.data_commands == 2
    assert [n["attempts"] for n in sent] == [2]  # type: ignore[attr-defined]
    assert '"event":"notification.retry"' in log
    assert "smtp: server_error: SMTP 127.0.0.1" in log
    assert "451 4.3.0 Temporary server error" in log


def test_escalation_goes_out_by_json_webhook_with_configured_headers(
    sqlite_url: str,
    workdir: Path,
    test_ca: LoopbackCA,
    receiver: tuple[WebhookReceiver, str],
) -> None:
    """ALERTGATE_EMAIL_CHANNEL=webhook posts the documented JSON body, with the extra headers
    from the TOML config file and an Idempotency-Key."""
    hook, url = receiver
    config = workdir / "alertgate.toml"
    config.write_text('[notify_webhook]\nheaders = { Authorization = "Bearer hook-secret" }\n')
    env = flows.base_env(
        test_ca,
        ALERTGATE_EMAIL_CHANNEL="webhook",
        ALERTGATE_NOTIFY_WEBHOOK_URL=url,
        ALERTGATE_CONFIG=str(config),
    )
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("5xxRate", "trigger", priority="P2"))
        flows.wait_for(lambda: hook.received, what="the webhook")
        log = server.log()
    got = hook.received[0]
    assert got.headers["authorization"] == "Bearer hook-secret"
    assert got.headers["idempotency-key"] == got.body["idempotency_key"]
    assert got.body["version"] == "1"
    assert got.body["kind"] == "escalation"
    assert got.body["subject"] == "[ESCALATION][P2] 5xxRate on i-0abc123"
    assert got.body["incident"]["instance"] == "i-0abc123"
    assert got.body["incident"]["labels"]["alert_id"] == "def-5xxRate"
    assert "hook-secret" not in log
    assert "s3cret-token" not in log


def test_teams_404_is_dead_and_visible_while_escalations_still_go_by_email(
    sqlite_url: str,
    workdir: Path,
    test_ca: LoopbackCA,
    teams_server: TeamsServer,
    microsoft: MicrosoftEmulator,
) -> None:
    """A workflow whose owner left (404) dead-letters the Teams notice at once, logged as an
    error and listed with its cause; the escalation of another alert is emailed regardless;
    once the workflow is back, `retry-dead` delivers the notice."""
    teams, teams_http = teams_server
    teams.mode = "404"
    env = flows.base_env(
        test_ca, **flows.teams_env(teams_http.base), **flows.graph_env(microsoft.base)
    )
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("Flappy", "trigger"))
        flows.post(server.url, flows.alert("Flappy", "resolve"))
        flows.post(server.url, flows.alert("Stuck", "trigger"))
        dead = flows.wait_for(lambda: flows.outbox(server.url, "dead")["notifications"])
        flows.wait_for(lambda: microsoft.sent, what="the escalation email")
        log = server.log()
        teams.mode = "ok"
        retried = httpx.post(f"{server.url}/api/outbox/retry-dead", timeout=10)
        flows.wait_for(lambda: teams.posts, what="the re-driven Teams notice")
    assert dead[0]["route"] == "teams"  # type: ignore[index]
    assert "answered 404" in dead[0]["last_error"]  # type: ignore[index]
    assert "owner left" in dead[0]["last_error"]  # type: ignore[index]
    assert "emulator-signature" not in dead[0]["last_error"]  # type: ignore[index]
    assert '"event":"notification.dead_lettered"' in log
    assert '"level":"error"' in log
    assert microsoft.sent[0].message["subject"] == "[ESCALATION][P1] Stuck on i-0abc123"
    assert retried.json() == {
        "result": "queued",
        "message": "1 dead notification(s) queued",
        "count": 1,
    }
    assert len(teams.posts) == 1


def test_graph_403_falls_back_to_smtp_and_says_why(
    sqlite_url: str,
    workdir: Path,
    test_ca: LoopbackCA,
    microsoft: MicrosoftEmulator,
    smtp: SmtpEmulator,
) -> None:
    """With Graph and SMTP both configured (auto), a Graph 403 from an application access
    policy does not lose the page: SMTP carries it, and the outbox keeps Graph's error."""
    microsoft.policy_excluded.add("alerts@contoso.com")
    env = flows.base_env(test_ca, **{**flows.graph_env(microsoft.base), **flows.smtp_env(smtp)})
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("DBDown", "trigger"))
        flows.wait_for(lambda: smtp.delivered, what="the fallback email")
        sent = flows.wait_for(lambda: flows.outbox(server.url, "sent")["notifications"])
        log = server.log()
    assert not microsoft.sent
    assert sent[0]["channel"] == "smtp"  # type: ignore[index]
    assert "application access policy" in sent[0]["last_error"]  # type: ignore[index]
    assert '"event":"notification.fallback"' in log


def test_the_api_redrives_one_notification_only_with_the_token_and_never_twice(
    sqlite_url: str, workdir: Path, test_ca: LoopbackCA, teams_server: TeamsServer
) -> None:
    """`POST /api/outbox/{id}/retry` as `outbox retry ID` over HTTP: with a webhook token set,
    re-driving needs it (401 without, and nothing changes); with it a dead notice is queued
    (202) and delivered; a sent one is 409 and an unknown id 404, neither sending anything."""
    teams, teams_http = teams_server
    teams.mode = "404"
    token = "outbox-api-token-0123456789"
    auth = {"Authorization": f"Bearer {token}"}
    env = flows.base_env(test_ca, ALERTGATE_WEBHOOK_TOKEN=token, **flows.teams_env(teams_http.base))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        for action in ("trigger", "resolve"):
            sent = httpx.post(
                f"{server.url}/webhooks/coralogix",
                json=flows.alert("Orphaned", action),
                headers=auth,
                timeout=30,
            )
            assert sent.status_code in (200, 202), sent.text
        dead: Any = flows.wait_for(lambda: flows.outbox(server.url, "dead")["notifications"])
        retry = f"{server.url}/api/outbox/{dead[0]['id']}/retry"
        teams.mode = "ok"
        refused = [
            httpx.post(retry, timeout=10),
            httpx.post(retry, headers={"Authorization": "Bearer wrong"}, timeout=10),
            httpx.post(f"{server.url}/api/outbox/retry-dead", timeout=10),
        ]
        time.sleep(1.5)  # a re-drive that slipped through would be posted now
        still_dead = flows.outbox(server.url, "dead")["counts"]
        posts_while_refused = len(teams.posts)
        queued = httpx.post(retry, headers={"X-Alertgate-Token": token}, timeout=10)
        flows.wait_for(lambda: flows.outbox(server.url, "sent")["notifications"])
        again = httpx.post(retry, headers=auth, timeout=10)
        unknown = httpx.post(f"{server.url}/api/outbox/9999/retry", headers=auth, timeout=10)
        time.sleep(1)  # a duplicate would arrive now
    assert [r.status_code for r in refused] == [401, 401, 401]
    assert refused[0].headers["www-authenticate"].startswith("Bearer")
    assert (posts_while_refused, still_dead) == (0, {"pending": 0, "sent": 0, "dead": 1})
    assert queued.status_code == 202, queued.text
    assert queued.json() == {
        "result": "queued",
        "message": "queued: it is sent again now",
        "count": 1,
    }
    assert again.status_code == 409
    assert again.json()["error"] == "already_sent"
    assert (unknown.status_code, unknown.json()["error"]) == (404, "not_found")
    assert len(teams.posts) == 1
    assert teams.posts[0].body["alert_name"] == "Orphaned"
