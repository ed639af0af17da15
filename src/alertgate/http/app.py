"""The ASGI application: webhook paths go to the lean handler, everything else to FastAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from alertgate import __version__
from alertgate.app.service import Service
from alertgate.http.api import router
from alertgate.http.outbox import router as outbox_router
from alertgate.http.webhooks import Receive, Scope, Send, WebhookOptions, Webhooks, source_of


class AlertgateApp:
    """Routes webhook requests to `Webhooks` and the rest (and lifespan) to FastAPI."""

    def __init__(self, webhooks: Webhooks, api: FastAPI) -> None:
        self.webhooks = webhooks
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            source = source_of(scope["path"])
            if source is not None:
                await self.webhooks(scope, receive, send, source)
                return
        await self.api(scope, receive, send)


def create_app(service: Service, options: WebhookOptions) -> AlertgateApp:
    """Build the ASGI app; its lifespan starts and stops the engine."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    api = FastAPI(title="alertgate", version=__version__, lifespan=lifespan)
    api.state.service = service
    api.state.token = options.token
    api.include_router(router)
    api.include_router(outbox_router)
    return AlertgateApp(Webhooks(service.ingest, service.parsers, options), api)
