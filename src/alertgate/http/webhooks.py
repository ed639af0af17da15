"""Webhook intake: POST /coralogix/webhook and POST /webhooks/{source}.

A plain ASGI handler rather than a framework route: it is the hot path of an alert storm, and
framework overhead there costs most of the throughput budget (docs/benchmarks.md). It checks the
token, bounds the body, parses it with the source's pure parser, waits for the commit, answers.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson
import structlog

from alertgate.app.ingest import Accepted, Delivery
from alertgate.domain.alert import Action
from alertgate.domain.errors import PayloadError
from alertgate.ports import NO_METRICS, Metrics, SourceParser, StoreError, StoreRefusedError

log = structlog.get_logger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Ingest = Callable[[Delivery], Awaitable[list[Accepted]]]
Scrub = Callable[[str], str]  # removes configured secrets from text that leaves the process
UNKNOWN_SOURCE = "unknown"  # the metrics label for a path naming no source: bounded cardinality

POC_PATH = "/coralogix/webhook"  # the proof of concept's path, kept for its users
PREFIX = "/webhooks/"
# The proof of concept answered a trigger with 202 {"status": "monitoring"} and a resolve with
# 200 {"status": "resolved"}; both shapes are kept, with more fields beside them.
_STATUS_WORD = {Action.TRIGGER: "monitoring", Action.RESOLVE: "resolved", Action.TEST: "test"}


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    token: str | None
    max_body_bytes: int


class RejectedError(Exception):
    """A request that gets an error answer; nothing was stored."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        headers: list[tuple[bytes, bytes]] | None = None,
        **extra: object,
    ) -> None:
        super().__init__(message)
        self.status, self.body = status, {"error": error, "message": message, **extra}
        self.headers = headers or []


def paths_of(sources: Iterable[str]) -> list[tuple[str, str]]:
    """(path, source) of every webhook path for the sources, as source_of() reads them: the
    proof of concept's path for `coralogix`, `/webhooks/NAME` for each."""
    found: list[tuple[str, str]] = []
    for source in sorted(sources):
        if source == "coralogix":
            found.append((POC_PATH, source))
        found.append((PREFIX + source, source))
    return found


def source_of(path: str) -> str | None:
    """The source a webhook path is for, or None when the path is not a webhook."""
    if path == POC_PATH:
        return "coralogix"
    if path.startswith(PREFIX):
        return path[len(PREFIX) :].rstrip("/")
    return None


class Webhooks:
    """The ASGI handler for every webhook path."""

    def __init__(
        self,
        ingest: Ingest,
        parsers: Mapping[str, SourceParser],
        options: WebhookOptions,
        metrics: Metrics = NO_METRICS,
        scrub: Scrub | None = None,
    ):
        self._ingest = ingest
        self._metrics = metrics
        self._scrub = scrub or _unchanged
        self._parsers = parsers
        self._token = options.token.encode() if options.token else None
        self._limit = options.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send, source: str) -> None:
        started = time.perf_counter()
        try:
            parser = self._check(scope, source)
            body = await self._body(scope, receive)
            events = parser(body)
            if not events:
                raise PayloadError("body", "no alerts in the body")
            accepted = await self._ingest(Delivery(events, body))
        except RejectedError as rejected:
            log.info("webhook.rejected", source=source, status=rejected.status, **rejected.body)
            await self._reject(send, source, rejected.status, rejected.body, rejected.headers)
            return
        except PayloadError as exc:
            problem = {"error": "invalid_payload", "field": exc.field, "message": str(exc)}
            log.info("webhook.rejected", source=source, status=400, **problem)
            await self._reject(send, source, 400, problem)
            return
        except StoreRefusedError as exc:
            # The same body would fail again: a 5xx would have the sender retry it forever.
            problem = {
                "error": "unstorable_payload",
                "message": f"the database cannot store a value of this body: {exc}",
            }
            log.warning("webhook.rejected", source=source, status=422, **problem)
            await self._reject(send, source, 422, problem)
            return
        except StoreError as exc:
            log.error("webhook.store_unavailable", source=source, error=str(exc))
            unavailable = {"error": "store_unavailable", "message": "could not store the event"}
            await self._reject(send, source, 503, unavailable, [(b"retry-after", b"5")])
            return
        truncated = events[0].truncated_alerts
        if truncated:  # said before the answer: whoever reads the answer can find the warning
            self._truncated(source, truncated)
        await _respond(send, *_answer(accepted, truncated))
        for a in accepted:
            self._metrics.event_received(source, a.action, a.duplicate)
        self._metrics.request_ingested(source, time.perf_counter() - started)

    def _truncated(self, source: str, count: int) -> None:
        """A sender left alerts out of an accepted body: they are lost to alertgate, so say so
        where an operator looks (the log, /metrics, the answer)."""
        log.warning(
            "webhook.alerts_truncated",
            source=source,
            truncated_alerts=count,
            hint="the sender sent only part of the group; set max_alerts: 0 in Alertmanager",
        )
        self._metrics.alerts_truncated(source, count)

    async def _reject(
        self,
        send: Send,
        source: str,
        status: int,
        body: Mapping[str, object],
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        """Answer an error; its text may quote the request, so secrets are scrubbed from it."""
        label = source if source in self._parsers else UNKNOWN_SOURCE
        self._metrics.request_rejected(label, str(body["error"]))
        scrubbed = {k: self._scrub(v) if isinstance(v, str) else v for k, v in body.items()}
        await _respond(send, status, scrubbed, headers)

    def _check(self, scope: Scope, source: str) -> SourceParser:
        if scope["method"] != "POST":
            raise RejectedError(
                405, "method_not_allowed", "webhooks take POST", [(b"allow", b"POST")]
            )
        # The token first: without it nobody learns which sources (or paths) exist.
        if self._token is not None and not self._authorised(scope["headers"]):
            raise RejectedError(
                401,
                "unauthorized",
                "missing or wrong webhook token; send Authorization: Bearer <token> "
                "or X-Alertgate-Token: <token>",
                [(b"www-authenticate", b'Bearer realm="alertgate"')],
            )
        parser = self._parsers.get(source)
        if parser is None:
            raise RejectedError(
                404, "unknown_source", f"no source named {source!r}", known=sorted(self._parsers)
            )
        return parser

    def _authorised(self, headers: list[tuple[bytes, bytes]]) -> bool:
        assert self._token is not None
        ok = False
        for name, value in headers:
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                ok |= hmac.compare_digest(value[7:].strip(), self._token)
            elif name == b"x-alertgate-token":
                ok |= hmac.compare_digest(value.strip(), self._token)
        return ok

    async def _body(self, scope: Scope, receive: Receive) -> bytes:
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self._limit:
                raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RejectedError(400, "client_disconnected", "the client went away mid-body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._limit:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _too_large(self) -> RejectedError:
        return RejectedError(
            413,
            "payload_too_large",
            f"body larger than {self._limit} bytes (ALERTGATE_MAX_BODY_BYTES)",
            field="body",
            limit=self._limit,
        )


def _unchanged(text: str) -> str:
    return text


def _answer(accepted: list[Accepted], truncated: int) -> tuple[int, dict[str, object]]:
    first = accepted[0]
    body: dict[str, object] = {
        "status": _STATUS_WORD[first.action],
        "incident_id": first.incident_id,
        "state": first.state.value if first.state else None,
        "decision": first.reason.value if first.reason else None,
        "duplicate": first.duplicate,
    }
    if len(accepted) > 1:
        body["events"] = [
            {
                "incident_id": a.incident_id,
                "action": a.action.value,
                "duplicate": a.duplicate,
                "state": a.state.value if a.state else None,
            }
            for a in accepted
        ]
    if truncated:
        body["truncated_alerts"] = truncated
    return (202 if first.action is Action.TRIGGER else 200), body


async def _respond(
    send: Send,
    status: int,
    body: Mapping[str, object],
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    payload = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send(
        {"type": "http.response.start", "status": status, "headers": headers + (extra or [])}
    )
    await send({"type": "http.response.body", "body": payload})
