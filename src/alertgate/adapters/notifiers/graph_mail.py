"""The Microsoft Graph mail channel: `POST {GRAPH_API_BASE}/users/{EMAIL_FROM}/sendMail`.

At most four requests are in flight per mailbox (Exchange's MailboxConcurrency limit), and a 429's
`Retry-After` pauses the whole mailbox, not only the request that got it. A 401 drops the cached
token and tries once more with a fresh one. A 403 says which of the two documented causes it is.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol
from urllib.parse import quote

import httpx
import orjson

from alertgate.adapters.notifiers import _http
from alertgate.adapters.notifiers.mail import Mail, mail_for
from alertgate.ports import DeliveryError, Notification

MAILBOX_CONCURRENCY = 4
_POLICY_MESSAGE = "access to odata is disabled"


class TokenInfo(Protocol):
    @property
    def value(self) -> str: ...

    @property
    def expires_in(self) -> int: ...

    @property
    def from_cache(self) -> bool: ...

    @property
    def roles(self) -> list[str] | None: ...


class TokenSource(Protocol):
    """Where access tokens come from (entra.EntraTokens; a fixed token in unit tests)."""

    @property
    def authority(self) -> str: ...

    async def get(self) -> TokenInfo: ...

    async def forget(self, token: str) -> None: ...

    async def aclose(self) -> None: ...


def graph_message(mail: Mail, recipients: tuple[str, ...]) -> dict[str, Any]:
    """The sendMail body (contracts.md §4.3)."""
    return {
        "message": {
            "subject": mail.subject,
            "body": {"contentType": "HTML", "content": mail.html},
            "toRecipients": [{"emailAddress": {"address": a}} for a in recipients],
            "importance": "high" if mail.high_importance else "normal",
            # Graph accepts only x- headers here: no In-Reply-To, so the subject threads.
            "internetMessageHeaders": [{"name": n, "value": v} for n, v in mail.headers],
        },
        "saveToSentItems": False,
    }


def _hint(response: httpx.Response, mailbox: str) -> str | None:
    status = response.status_code
    text = response.text.lower()
    if status == 403 and _POLICY_MESSAGE in text:
        return (
            f"an Exchange application access policy excludes the mailbox {mailbox}: add it to "
            "the policy's mail-enabled security group (New-ApplicationAccessPolicy / "
            "Test-ApplicationAccessPolicy); changes take up to an hour"
        )
    if status == 403:
        return (
            "the app registration lacks Mail.Send as an Application permission with admin "
            "consent (a Delegated Mail.Send fails the same way): Entra ID > App registrations > "
            "API permissions > Add > Microsoft Graph > Application permissions > Mail.Send > "
            "Grant admin consent"
        )
    if status == 404:
        return f"EMAIL_FROM {mailbox} is not an Exchange Online mailbox of this tenant"
    if status == 400 and "recipient" in text:
        return "check the addresses in EMAIL_TO"
    return None


class GraphMailNotifier:
    """Notifier port for Graph sendMail with app-only (client credentials) tokens."""

    channel = "graph"

    def __init__(
        self,
        client: httpx.AsyncClient,
        tokens: TokenSource,
        api_base: str,
        mailbox: str,
        recipients: tuple[str, ...],
    ) -> None:
        self._client, self._tokens = client, tokens
        self._mailbox, self._recipients = mailbox, recipients
        self._url = f"{api_base.rstrip('/')}/users/{quote(mailbox)}/sendMail"
        self._slots = asyncio.Semaphore(MAILBOX_CONCURRENCY)
        self._paused_until = 0.0  # monotonic: Graph asked this mailbox to wait
        self.target = f"Graph sendMail as {mailbox} to {', '.join(recipients)}"

    async def send(self, notification: Notification) -> None:
        mail = mail_for(notification, self._mailbox.partition("@")[2] or "alertgate")
        body = orjson.dumps(graph_message(mail, self._recipients))
        async with self._slots:
            self._check_pause()
            token = await self._tokens.get()
            response = await self._post(token.value, body)
            if response.status_code == 401:  # expired or revoked early: once more, fresh
                await self._tokens.forget(token.value)
                response = await self._post((await self._tokens.get()).value, body)
            if response.status_code in (429, 503):
                self._pause(_http.retry_after(response.headers))
        _http.check(response, f"Graph sendMail ({self._mailbox})", _hint(response, self._mailbox))

    async def preflight(self) -> list[str]:
        """Acquire a token and read its roles (test-notify's first step)."""
        token = await self._tokens.get()
        notes = [
            f"token acquired from {self._tokens.authority} "
            f"({'cached' if token.from_cache else 'new'}, expires in {token.expires_in}s)"
        ]
        roles = token.roles
        if roles is not None and "Mail.Send" not in roles:
            notes.append(
                f"warning: the token carries no Mail.Send application role (roles: "
                f"{', '.join(roles) or 'none'}); sendMail will answer 403 -- grant Mail.Send as "
                "an Application permission and give admin consent"
            )
        elif roles is not None:
            notes.append(f"token roles: {', '.join(roles)}")
        return notes

    def explain_success(self) -> str:
        return (
            "accepted by Graph (202). Exchange delivers it asynchronously: check the inboxes of "
            f"{', '.join(self._recipients)} (and the sender's quarantine if nothing arrives)"
        )

    async def _post(self, token: str, body: bytes) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        what = f"Graph sendMail ({self._mailbox})"
        return await _http.post(self._client, self._url, what, content=body, headers=headers)

    def _check_pause(self) -> None:
        wait = self._paused_until - time.monotonic()
        if wait > 0:
            raise DeliveryError(
                "rate_limited",
                f"Graph asked to wait before sending as {self._mailbox} again (Retry-After)",
                retryable=True,
                retry_after=wait,
            )

    def _pause(self, seconds: float | None) -> None:
        if seconds:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
