"""The generic outbound JSON webhook: one POST per notification, for any receiver (a chat bot, a
paging service, a script). The body's shape is documented in docs/channels.md and versioned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson

from alertgate.adapters.notifiers import _http
from alertgate.adapters.notifiers.render import Summary, summarize
from alertgate.ports import Notification

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


class WebhookNotifier:
    """Notifier port for a generic JSON webhook with optional extra headers."""

    channel = "webhook"

    def __init__(self, client: httpx.AsyncClient, url: str, headers: Mapping[str, str]) -> None:
        self._client, self._url = client, url
        self._headers = {"Content-Type": "application/json; charset=utf-8", **headers}
        self.target = f"webhook {_http.redact_url(url)}"

    async def send(self, notification: Notification) -> None:
        body = orjson.dumps(WebhookBody(notification, summarize(notification)).to_json())
        headers = {**self._headers, "Idempotency-Key": notification.idempotency_key}
        response = await _http.post(
            self._client, self._url, self.target, content=body, headers=headers
        )
        _http.check(response, self.target)

    async def preflight(self) -> list[str]:
        return []

    def explain_success(self) -> str:
        return "accepted (2xx) by the receiver"
