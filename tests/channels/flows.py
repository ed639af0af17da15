"""What the channel tests do again and again: settings for the emulators, alerts in, waiting."""

from __future__ import annotations

from typing import TypeVar

import httpx

from tests.emulators import microsoft as ms
from tests.emulators.https import LoopbackCA
from tests.emulators.smtp import PASSWORD, USERNAME, SmtpEmulator
from tests.emulators.teams import workflow_url
from tests.support.polling import wait_for

T = TypeVar("T")
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
RECIPIENTS = "oncall@contoso.com, sre-lead@contoso.com"


def base_env(ca: LoopbackCA, **extra: str) -> dict[str, str]:
    """Short holds and retries; the test CA trusted, while REQUESTS_CA_BUNDLE points elsewhere
    (as on this machine): msal must still trust the emulator (contracts.md §4.2)."""
    return {
        "ALERTGATE_HOLD_SECONDS": "1",
        "ALERTGATE_CA_BUNDLE": str(ca.ca_path),
        "REQUESTS_CA_BUNDLE": SYSTEM_BUNDLE,
        "CURL_CA_BUNDLE": SYSTEM_BUNDLE,
        "ALERTGATE_DELIVERY_BACKOFF_FIRST": "0.2",
        "ALERTGATE_DELIVERY_BACKOFF_MAX": "2",
        **extra,
    }


def graph_env(base: str) -> dict[str, str]:
    return {
        "GRAPH_TENANT_ID": ms.TENANT,
        "GRAPH_CLIENT_ID": ms.CLIENT_ID,
        "GRAPH_CLIENT_SECRET": ms.CLIENT_SECRET,
        "GRAPH_AUTHORITY_HOST": base,
        "GRAPH_API_BASE": f"{base}/v1.0",
        "EMAIL_FROM": ms.MAILBOX,
        "EMAIL_TO": RECIPIENTS,
    }


def smtp_env(server: SmtpEmulator, security: str = "starttls") -> dict[str, str]:
    return {
        "ALERTGATE_SMTP_HOST": "127.0.0.1",
        "ALERTGATE_SMTP_PORT": str(server.port),
        "ALERTGATE_SMTP_SECURITY": security,
        "ALERTGATE_SMTP_USERNAME": USERNAME,
        "ALERTGATE_SMTP_PASSWORD": PASSWORD,
        "EMAIL_FROM": ms.MAILBOX,
        "EMAIL_TO": RECIPIENTS,
    }


def smtp_env_for_port(port: int) -> dict[str, str]:
    return {
        "ALERTGATE_SMTP_HOST": "127.0.0.1",
        "ALERTGATE_SMTP_PORT": str(port),
        "ALERTGATE_SMTP_USERNAME": USERNAME,
        "ALERTGATE_SMTP_PASSWORD": PASSWORD,
        "EMAIL_FROM": ms.MAILBOX,
        "EMAIL_TO": RECIPIENTS,
    }


def teams_env(base: str) -> dict[str, str]:
    return {"TEAMS_WEBHOOK_URL": workflow_url(base)}


def alert(
    name: str, action: str, *, instance: str = "i-0abc123", priority: str = "P1"
) -> dict[str, object]:
    """A Coralogix Generic webhook body (flat custom template) for one group-by instance."""
    return {
        "alert_id": f"def-{name}",
        "name": name,
        "alert_action": action,
        "alertUniqueIdentifier": f"uid-{name}",
        "alert_url": f"https://team.app.coralogix.in/#/insights?id={name}",
        "priority": priority,
        "Group-by Field1": "instance_id",
        "Group-by Value1": instance,
    }


def post(
    base_url: str, body: dict[str, object], client: httpx.Client | None = None
) -> httpx.Response:
    sender = client or httpx
    response = sender.post(f"{base_url}/webhooks/coralogix", json=body, timeout=30)
    assert response.status_code in (200, 202), response.text
    return response


def outbox(base_url: str, status: str | None = None) -> dict[str, object]:
    params: dict[str, str | int] = {"limit": 1000}
    if status:
        params["status"] = status
    response = httpx.get(f"{base_url}/api/outbox", params=params, timeout=10)
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


__all__ = ["wait_for"]  # the channel tests poll through flows.wait_for
