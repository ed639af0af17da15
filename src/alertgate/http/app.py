"""The ASGI application: webhook paths go to the lean handler, everything else to FastAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from alertgate import __version__
from alertgate.app.service import Service
from alertgate.http import errors, metrics
from alertgate.http.api import router
from alertgate.http.outbox import router as outbox_router
from alertgate.http.redaction import ASGIApp, RedactedResponses
from alertgate.http.webhooks import (
    Receive,
    Scope,
    Scrub,
    Send,
    WebhookOptions,
    Webhooks,
    source_of,
)

METRICS_PATH = "/metrics"


class AlertgateApp:
    """Routes webhook requests to `Webhooks` and the rest (and lifespan) to FastAPI."""

    def __init__(self, webhooks: Webhooks, api: FastAPI, scrub: Scrub | None = None) -> None:
        self.webhooks = webhooks
        self.api = api
        # Responses other than the webhooks' own are scrubbed of secrets on the way out, except
        # /metrics: it holds only numbers and bounded labels, and scrubbing a short secret
        # (say a token "1234") out of it would corrupt the exposition.
        self._api: ASGIApp = RedactedResponses(api, scrub) if scrub else api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            source = source_of(scope["path"])
            if source is not None:
                await self.webhooks(scope, receive, send, source)
                return
            if scope["path"] == METRICS_PATH:
                await self.api(scope, receive, send)
                return
        await self._api(scope, receive, send)


def create_app(
    service: Service, options: WebhookOptions, scrub: Scrub | None = None
) -> AlertgateApp:
    """Build the ASGI app; its lifespan starts and stops the engine. `scrub` removes
    configured secrets from every response body that could quote them."""

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
    errors.install(api)
    api.include_router(router)
    api.include_router(outbox_router)
    api.include_router(metrics.router)
    webhooks = Webhooks(service.ingest, service.parsers, options, service.parts.metrics, scrub)
    return AlertgateApp(webhooks, api, scrub)
