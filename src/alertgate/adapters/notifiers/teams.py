"""The Microsoft Teams channel: POST the card to a Workflows (Power Automate) webhook.

Any 2xx is success and is never retried: Workflows answers 202 with an empty body as soon as the
trigger accepted the request, and runs the flow later (contracts.md §3.3). The URL carries its
secret in `sig=`: only its redacted form ever appears in a message.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from alertgate.adapters.notifiers import _http
from alertgate.adapters.notifiers.adaptive_card import teams_message
from alertgate.adapters.notifiers.render import summarize
from alertgate.logging import Redactor
from alertgate.ports import Notification

HEADERS = {"Content-Type": "application/json; charset=utf-8"}
_KNOWN_HOSTS = ("logic.azure.com", "powerplatform.com", "powerautomate.com", "flow.microsoft.com")


def _hint(status: int) -> str | None:
    if status == 404:
        return (
            "the workflow does not exist any more (deleted, turned off, or its owner left the "
            "organisation): recreate it, add co-owners, and update TEAMS_WEBHOOK_URL"
        )
    if status in (401, 403):
        return "the URL's sig= signature was rejected: copy the whole URL from the workflow again"
    return None


class TeamsNotifier:
    """Notifier port for Teams Workflows / Power Automate 'When a webhook request is received'."""

    channel = "teams"

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self._client = client
        self._url = url
        self.target = f"Teams webhook {_http.redact_url(url)}"
        self._scrub = Redactor(_http.url_secrets(url)).scrub  # sig=, should a reply quote it

    async def send(self, notification: Notification) -> None:
        body = teams_message(summarize(notification)).encode()
        response = await _http.post(
            self._client, self._url, self.target, content=body, headers=HEADERS, scrub=self._scrub
        )
        _http.check(response, self.target, _hint(response.status_code), self._scrub)

    async def preflight(self) -> list[str]:
        """What can be told about the URL without sending (test-notify)."""
        parts = urlsplit(self._url)
        notes = []
        if parts.scheme != "https":
            notes.append("warning: the URL is not https; Workflows URLs are")
        if not any(parts.hostname and parts.hostname.endswith(h) for h in _KNOWN_HOSTS):
            notes.append(
                f"note: {parts.hostname} is not a Power Automate host; fine for a proxy or test"
            )
        if "sig" not in parse_qs(parts.query):
            notes.append("warning: the URL has no sig= parameter; Workflows URLs carry one")
        return notes or ["URL looks like a Workflows webhook (https, sig= present)"]

    def explain_success(self) -> str:
        return (
            "accepted (2xx). Workflows runs the flow afterwards: if no card appears in the "
            "channel, open the flow's run history in Power Automate"
        )
