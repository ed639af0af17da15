"""The webhook handler's answers when the store cannot take a body."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from alertgate.adapters.sources.coralogix import parse
from alertgate.http.webhooks import WebhookOptions, Webhooks
from alertgate.ports import StoreError, StoreRefusedError

BODY = b'{"alert_id": "a", "alert_action": "TRIGGERED"}'


def _post(error: Exception) -> tuple[int, dict[str, object], dict[bytes, bytes]]:
    async def ingest(_delivery):
        raise error

    handler = Webhooks(ingest, {"coralogix": parse}, WebhookOptions(None, 1 << 20))
    sent: list[dict[str, Any]] = []

    async def receive():
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/coralogix/webhook", "headers": []}
    asyncio.run(handler(scope, receive, send, "coralogix"))
    start, body = sent
    headers = dict(start["headers"])
    return int(start["status"]), orjson.loads(body["body"]), headers


def test_a_value_the_database_refuses_is_a_422_the_sender_need_not_retry() -> None:
    """The same body would fail again: 422 unstorable_payload, not a 5xx that is retried
    forever."""
    status, body, headers = _post(StoreRefusedError("text cannot contain NUL"))
    assert status == 422
    assert body["error"] == "unstorable_payload"
    assert "NUL" in str(body["message"])
    assert b"retry-after" not in headers


def test_a_database_that_cannot_be_written_is_a_503_with_retry_after() -> None:
    """An outage is temporary: 503 store_unavailable, and the sender is told when to retry."""
    status, body, headers = _post(StoreError("connection refused"))
    assert (status, body["error"], headers[b"retry-after"]) == (503, "store_unavailable", b"5")
