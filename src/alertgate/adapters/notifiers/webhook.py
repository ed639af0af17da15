"""The generic outbound JSON webhook: one POST per notification, for any receiver (a chat bot, a
paging service, a script). The body's shape is documented in docs/channels.md and versioned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from alertgate.adapters.notifiers import _http
from alertgate.adapters.notifiers.render import Summary, summarize
from alertgate.logging import Redactor
from alertgate.ports import DeliveryError, Notification

SCHEMA_VERSION = "1"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@dataclass(frozen=True, slots=True)
class WebhookBody:
    """The outbound body; `idempotency_key` is the same on every retry of one notification."""

    notification: Notification
    summary: Summary

    def to_json(self) -> dict[str, Any]:
        n, s, incident = self.notification, self.summary, self.notification.incident
        return {
            "version": SCHEMA_VERSION,
            "test": s.test,
            "kind": n.kind.value,
            "reason": n.reason.value,
            "detail": n.detail,
            "idempotency_key": n.idempotency_key,
            "decided_at": _iso(n.created_at),
            "title": s.headline,
            "subject": s.subject,
            "alert_id": s.alert_id,
            "incident": {
                "id": incident.id,
                "key": incident.key,
                "episode": incident.episode,
                "source": incident.source,
                "name": incident.name,
                "state": incident.state.value,
                "priority": s.priority,
                "instance": incident.instance,
                "link": incident.link,
                "description": incident.description,
                "labels": dict(incident.labels),
                "opened_at": _iso(incident.opened_at),
                "triggered_at": _iso(incident.triggered_at),
                "escalated_at": _iso(incident.escalated_at),
                "resolved_at": _iso(incident.resolved_at),
            },
            "facts": [{"title": t, "value": v} for t, v in s.facts],
        }


def _hint(status: int) -> str | None:
    """The likely cause of a refusal, and where to fix it."""
    if status in (401, 403):
        return (
            "the receiver refused alertgate's credentials: check the token in "
            "ALERTGATE_NOTIFY_WEBHOOK_URL or the Authorization header in "
            "ALERTGATE_NOTIFY_WEBHOOK_HEADERS (notify_webhook.headers)"
        )
    if status == 404:
        return (
            "nothing is served at that URL: check the host and path of "
            "ALERTGATE_NOTIFY_WEBHOOK_URL, and that the receiver is deployed there"
        )
    if status == 405:
        return "the receiver does not take POST at that URL: check its path"
    if status in (400, 413, 415, 422):
        return (
            "the receiver rejected the body: it must accept alertgate's JSON body "
            f"(version {SCHEMA_VERSION}, docs/channels.md)"
        )
    if status >= 500:
        return "the receiver failed while handling it (see its logs); alertgate retries"
    return None


def _transport_hint(reason: str, url: str) -> str | None:
    """What to check when the receiver gave no HTTP answer at all."""
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if reason == _http.Failure.CONNECTION:
        return (
            f"nothing accepted a connection at {where}: is the receiver running, and reachable "
            "from here (DNS, firewall, HTTPS_PROXY / NO_PROXY)?"
        )
    if reason == _http.Failure.TIMEOUT:
        return f"{where} accepted the connection but did not answer in time; alertgate retries"
    return None  # tls: its message already names ALERTGATE_CA_BUNDLE


class WebhookNotifier:
    """Notifier port for a generic JSON webhook with optional extra headers."""

    channel = "webhook"

    def __init__(self, client: httpx.AsyncClient, url: str, headers: Mapping[str, str]) -> None:
        self._client, self._url = client, url
        self._headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        self.target = f"webhook {_http.redact_url(url)}"
        # The URL's token and the header values, should the receiver quote the request back.
        self._scrub = Redactor([*_http.url_secrets(url), *headers.values()]).scrub

    async def send(self, notification: Notification) -> None:
        body = orjson.dumps(WebhookBody(notification, summarize(notification)).to_json())
        headers = {**self._headers, "Idempotency-Key": notification.idempotency_key}
        try:
            response = await _http.post(
                self._client,
                self._url,
                self.target,
                content=body,
                headers=headers,
                scrub=self._scrub,
            )
        except DeliveryError as exc:
            raise _http.with_hint(exc, _transport_hint(exc.reason, self._url)) from None
        _http.check(response, self.target, _hint(response.status_code), self._scrub)

    async def preflight(self) -> list[str]:
        parts = urlsplit(self._url)
        if parts.scheme != "https":
            return ["warning: the URL is not https: the body and headers travel in clear text"]
        return []

    def explain_success(self) -> str:
        return "accepted (2xx) by the receiver"
