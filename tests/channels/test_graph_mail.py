"""The Graph notifier against the Entra ID / Graph emulator, in-process: token reuse, a 401
answered with a fresh token, and a 429 pausing the whole mailbox for its Retry-After."""

from __future__ import annotations

import asyncio
import ssl
import time

import httpx
import pytest
import requests

from alertgate.adapters.notifiers import tls
from alertgate.adapters.notifiers.entra import EntraTokens, scope_for
from alertgate.adapters.notifiers.graph_mail import GraphMailNotifier
from alertgate.ports import DeliveryError
from tests.emulators import microsoft as ms
from tests.emulators.https import LoopbackCA
from tests.unit.adapters.notifications import notification


def notifier(
    emulator: ms.MicrosoftEmulator,
    ca: LoopbackCA,
    secret: str = ms.CLIENT_SECRET,
    recipients: tuple[str, ...] = ("oncall@contoso.com",),
):
    context = tls.ssl_context(ca.ca_path)
    tokens = EntraTokens(
        tenant=ms.TENANT,
        client_id=ms.CLIENT_ID,
        secret=secret,
        authority_host=emulator.base,
        scope=scope_for(f"{emulator.base}/v1.0"),
        context=context,
    )
    client = tls.http_client(context)
    graph = GraphMailNotifier(client, tokens, f"{emulator.base}/v1.0", ms.MAILBOX, recipients)
    return graph, Closer(client, tokens)


class Closer:
    def __init__(self, client: httpx.AsyncClient, tokens: EntraTokens) -> None:
        self.client, self.tokens = client, tokens

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.tokens.aclose()


def failure(
    emulator: ms.MicrosoftEmulator,
    ca: LoopbackCA,
    secret: str = ms.CLIENT_SECRET,
    recipients: tuple[str, ...] = ("oncall@contoso.com",),
) -> DeliveryError:
    """Send one escalation that must fail; the DeliveryError it fails with."""

    async def scenario() -> DeliveryError:
        graph, client = notifier(emulator, ca, secret, recipients)
        try:
            with pytest.raises(DeliveryError) as caught:
                await graph.send(notification())
        finally:
            await client.aclose()
        return caught.value

    return asyncio.run(scenario())


def test_a_401_from_graph_gets_one_fresh_token_and_the_mail_goes_out(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cached token is revoked on Graph's side: alertgate drops it, asks Entra again, and
    the same send succeeds; msal trusts the test CA although REQUESTS_CA_BUNDLE says otherwise."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")

    async def scenario() -> None:
        graph, client = notifier(microsoft, test_ca)
        await graph.send(notification())
        await graph.send(notification())
        microsoft.revoke_tokens()
        await graph.send(notification())
        await client.aclose()

    asyncio.run(scenario())
    assert len(microsoft.sent) == 3
    assert microsoft.token_requests == 2  # one cached for the second mail, one after the 401


def test_a_429_pauses_the_mailbox_for_its_retry_after(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA
) -> None:
    """After a 429 with Retry-After: 1, the next send does not reach Graph within that second
    (it fails fast as rate_limited with the time left); after it, mail flows again."""
    microsoft.fail_next = [429]

    async def scenario() -> tuple[DeliveryError, DeliveryError]:
        graph, client = notifier(microsoft, test_ca)
        with pytest.raises(DeliveryError) as first:
            await graph.send(notification())
        microsoft.throttle_retry_after = 1
        with pytest.raises(DeliveryError) as second:
            await graph.send(notification())
        await asyncio.sleep(1.1)
        await graph.send(notification())
        await client.aclose()
        return first.value, second.value

    requests_before = microsoft.send_requests
    first, second = asyncio.run(scenario())
    assert (first.reason, first.retryable, first.retry_after) == ("rate_limited", True, 1.0)
    assert "ApplicationThrottled" in first.message
    assert second.reason == "rate_limited"
    assert second.retry_after is not None
    assert 0 < second.retry_after <= 1
    assert microsoft.send_requests - requests_before == 2  # the paused send never left
    assert len(microsoft.sent) == 1


def test_an_invalid_client_secret_is_a_permanent_auth_failure_with_its_fix(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA
) -> None:
    """Entra's 401 invalid_client (AADSTS7000215) is not retried and names the fix."""

    started = time.monotonic()
    error = failure(microsoft, test_ca, secret="wrong")
    assert (error.reason, error.retryable) == ("auth", False)
    assert "invalid_client" in error.message
    assert "the secret's Value, not its Secret ID" in error.message
    assert "wrong" not in error.message.replace("wrong:", "")
    assert time.monotonic() - started < 30


def test_a_400_for_an_invalid_recipient_is_a_permanent_client_error_naming_email_to(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA
) -> None:
    """Graph's own validation refuses a recipient without @ (400 ErrorInvalidRecipients): not
    retried, reason client_error, Graph's code in the message, and EMAIL_TO named as the fix."""

    error = failure(microsoft, test_ca, recipients=("oncall",))
    assert (error.reason, error.retryable, error.retry_after) == ("client_error", False, None)
    assert "answered 400" in error.message
    assert "ErrorInvalidRecipients" in error.message
    assert "check the addresses in EMAIL_TO" in error.message
    assert microsoft.send_requests == 1
    assert not microsoft.sent


POLICY_FIX = "an Exchange application access policy excludes the mailbox alerts@contoso.com"
CONSENT_FIX = "lacks Mail.Send as an Application permission with admin consent"


@pytest.mark.parametrize(
    ("breakage", "graph_says", "fix", "not_this"),
    [
        ("roles", "Access is denied. Check credentials and try again.", CONSENT_FIX, POLICY_FIX),
        ("policy", "Access to OData is disabled.", POLICY_FIX, CONSENT_FIX),
    ],
)
def test_each_documented_403_is_told_apart_with_its_own_cause_and_fix(
    microsoft: ms.MicrosoftEmulator,
    test_ca: LoopbackCA,
    breakage: str,
    graph_says: str,
    fix: str,
    not_this: str,
) -> None:
    """Both 403s are ErrorAccessDenied; the message tells them apart: a token without the
    Mail.Send application role (no admin consent, or a Delegated grant) names the API
    permission to add; "Access to OData is disabled" names the application access policy.
    Each is permanent (auth), and names only its own fix."""
    if breakage == "roles":
        microsoft.roles = []
    else:
        microsoft.policy_excluded.add(ms.MAILBOX)
    error = failure(microsoft, test_ca)
    assert (error.reason, error.retryable) == ("auth", False)
    assert "answered 403" in error.message
    assert graph_says in error.message
    assert fix in error.message
    assert not_this not in error.message
    assert ms.CLIENT_SECRET not in error.message


@pytest.mark.parametrize(
    ("api_base", "scope"),
    [
        ("https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/.default"),
        ("https://graph.microsoft.us/v1.0/", "https://graph.microsoft.us/.default"),
        (
            "https://microsoftgraph.chinacloudapi.cn/beta",
            "https://microsoftgraph.chinacloudapi.cn/.default",
        ),
    ],
)
def test_the_token_scope_follows_the_graph_host_of_graph_api_base(
    api_base: str, scope: str
) -> None:
    """The app-only scope is `{Graph host}/.default`: the global service by default, the
    national cloud's Graph when GRAPH_API_BASE names one."""
    assert scope_for(api_base) == scope


def test_an_unknown_tenant_is_a_permanent_auth_failure_and_retrying_it_reuses_one_session(
    microsoft: ms.MicrosoftEmulator, test_ca: LoopbackCA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discovery answers 400 for a tenant that does not exist: msal's constructor fails, the
    error names GRAPH_TENANT_ID, and asking again (each retry of a notification does) builds
    no new connection pool: one HTTP session for the life of the token source."""
    from alertgate.adapters.notifiers import entra

    built: list[requests.Session] = []
    session_for = entra.session_for

    def counting(context: ssl.SSLContext, authority: str) -> requests.Session:
        session = session_for(context, authority)
        built.append(session)
        return session

    monkeypatch.setattr(entra, "session_for", counting)
    tokens = EntraTokens(
        tenant="no-such-tenant",
        client_id=ms.CLIENT_ID,
        secret=ms.CLIENT_SECRET,
        authority_host=microsoft.base,
        scope=scope_for(f"{microsoft.base}/v1.0"),
        context=tls.ssl_context(test_ca.ca_path),
    )

    async def three_tries() -> list[DeliveryError]:
        errors = []
        for _ in range(3):
            with pytest.raises(DeliveryError) as caught:
                await tokens.get()
            errors.append(caught.value)
        await tokens.aclose()
        return errors

    errors = asyncio.run(three_tries())
    assert {(e.reason, e.retryable) for e in errors} == {("auth", False)}
    assert "check GRAPH_TENANT_ID and GRAPH_AUTHORITY_HOST" in errors[0].message
    assert len(built) == 1
    assert microsoft.token_requests == 0


@pytest.mark.parametrize(
    ("where", "statuses", "reason"),
    [
        ("discovery", [503], "server_error"),
        ("discovery", [429, 429], "rate_limited"),  # one Retry-After waited out, then again
        ("discovery", [408], "timeout"),  # msal: ValueError, the status only in its cause
        ("token", [500], "server_error"),
        ("token", [429], "rate_limited"),
    ],
)
def test_entra_in_trouble_is_a_retryable_failure_not_a_crash(
    microsoft: ms.MicrosoftEmulator,
    test_ca: LoopbackCA,
    where: str,
    statuses: list[int],
    reason: str,
) -> None:
    """A 5xx or a 429 from tenant discovery or the token endpoint: msal raises its own
    MsalServiceError (not requests' HTTPError) or answers an OAuth error; either way the send
    fails as a retryable DeliveryError with a bounded reason, never as an unclassified
    exception (the dispatcher would log a crash, test-notify would print a traceback)."""
    if where == "discovery":
        microsoft.discovery_fail_next = statuses
    else:
        microsoft.token_fail_next = statuses
    error = failure(microsoft, test_ca)
    assert (error.reason, error.retryable) == (reason, True)
    assert error.message.startswith(f"Entra ID token from {microsoft.base}/{ms.TENANT}")
    assert not microsoft.sent
