"""The outbound JSON webhook against a real local HTTPS receiver: each refusal and each
connection failure is classified and comes with its likely cause, in-process and as
`alertgate test-notify webhook` prints it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from alertgate.adapters.notifiers import tls
from alertgate.adapters.notifiers.webhook import WebhookNotifier
from alertgate.ports import DeliveryError
from tests.channels import flows
from tests.emulators.https import LoopbackCA
from tests.emulators.receiver import WebhookReceiver
from tests.support.cli import run_cli
from tests.support.net import free_port
from tests.unit.adapters.notifications import notification

Receiver = tuple[WebhookReceiver, str]


def send(url: str, ca: LoopbackCA) -> DeliveryError:
    """Send one escalation to `url`; the DeliveryError it fails with."""

    async def scenario() -> DeliveryError:
        client = tls.http_client(tls.ssl_context(ca.ca_path))
        hook = WebhookNotifier(client, url, {"Authorization": "Bearer hook-secret"})
        try:
            with pytest.raises(DeliveryError) as caught:
                await hook.send(notification())
        finally:
            await client.aclose()
        return caught.value

    return asyncio.run(scenario())


@pytest.mark.parametrize(
    ("status", "reason", "retryable", "hint"),
    [
        (401, "auth", False, "refused alertgate's credentials"),
        (403, "auth", False, "Authorization header in ALERTGATE_NOTIFY_WEBHOOK_HEADERS"),
        (404, "not_found", False, "nothing is served at that URL"),
        (405, "client_error", False, "does not take POST"),
        (422, "client_error", False, "must accept alertgate's JSON body (version 1"),
        (500, "server_error", True, "the receiver failed while handling it"),
        (503, "server_error", True, "the receiver failed while handling it"),
    ],
)
def test_each_refusal_is_classified_and_names_its_likely_cause(
    receiver: Receiver,
    test_ca: LoopbackCA,
    status: int,
    reason: str,
    retryable: bool,
    hint: str,
) -> None:
    """The receiver answers `status`: the reason, whether it is retried, the hint; the URL's
    token and the header's secret never appear in the message."""
    hook, url = receiver
    hook.status = status
    error = send(url, test_ca)
    assert (error.reason, error.retryable) == (reason, retryable)
    assert f"answered {status}" in error.message
    assert hint in error.message
    assert "s3cret-token" not in error.message
    assert "hook-secret" not in error.message


def test_a_port_nobody_listens_on_is_a_retryable_connection_failure_naming_host_and_port(
    test_ca: LoopbackCA,
) -> None:
    """Connection refused: retried later, and the message says where it tried and what to
    check (the receiver running, DNS, firewall, proxy settings)."""
    port = free_port()
    error = send(f"https://127.0.0.1:{port}/hooks?token=s3cret-token", test_ca)
    assert (error.reason, error.retryable) == ("connection", True)
    assert f"nothing accepted a connection at 127.0.0.1:{port}" in error.message
    assert "HTTPS_PROXY" in error.message
    assert "s3cret-token" not in error.message


@pytest.mark.slow
def test_test_notify_webhook_prints_the_diagnosis_of_a_refusal_and_of_no_receiver(
    workdir: Path, test_ca: LoopbackCA, receiver: Receiver
) -> None:
    """`alertgate test-notify webhook`: a 401 is a permanent auth failure with the settings to
    check; a receiver that is not running is temporary, naming host and port. Exit 1 both."""
    hook, url = receiver
    hook.status = 401
    env = flows.base_env(test_ca, ALERTGATE_NOTIFY_WEBHOOK_URL=url)
    refused = run_cli(["test-notify", "webhook"], env, workdir)
    assert refused.code == 1, refused.out + refused.err
    assert "FAILED (auth, permanent)" in refused.out
    assert "ALERTGATE_NOTIFY_WEBHOOK_HEADERS" in refused.out
    port = free_port()
    env["ALERTGATE_NOTIFY_WEBHOOK_URL"] = f"https://127.0.0.1:{port}/hooks"
    absent = run_cli(["test-notify", "webhook"], env, workdir)
    assert absent.code == 1
    assert "FAILED (connection, temporary: alertgate would retry)" in absent.out
    assert f"nothing accepted a connection at 127.0.0.1:{port}" in absent.out
    assert "s3cret-token" not in refused.out + refused.err
