"""A generic JSON webhook receiver: records every POST with its headers; `status` knob."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class WebhookReceiver:
    status: int = 200
    received: list[Received] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        if self.status >= 300:
            return Response(b'{"error":"nope"}', status_code=self.status)
        self.received.append(
            Received(request.url.path, dict(request.headers), json.loads(await request.body()))
        )
        return Response(status_code=self.status)
