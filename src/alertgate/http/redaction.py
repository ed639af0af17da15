"""Keeps configured secrets out of HTTP responses: an ASGI middleware that scrubs every body.

Secrets reach response text in roles nobody planned for: a sender's payload stored and shown by
the API, a notifier's error quoting a URL, a validation error echoing its input. Scrubbing the
finished bytes covers all of them at once, whatever produced the text.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from alertgate.http.webhooks import Receive, Scope, Scrub, Send

ASGIApp = Callable[[Scope, Receive, Send], Any]


class RedactedResponses:
    """Buffers each response body of `app` and scrubs it (fine for JSON; not for streaming)."""

    def __init__(self, app: ASGIApp, scrub: Scrub) -> None:
        self._app = app
        self._scrub = scrub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        start: MutableMapping[str, Any] = {}
        chunks: list[bytes] = []

        async def scrubbing_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            # surrogateescape keeps any non-UTF-8 bytes exactly as they were
            text = b"".join(chunks).decode("utf-8", "surrogateescape")
            body = self._scrub(text).encode("utf-8", "surrogateescape")
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self._app(scope, receive, scrubbing_send)
