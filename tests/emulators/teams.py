"""A Teams Workflows trigger ("When a Teams webhook request is received"), as contracts.md §3:
202 with an empty body (even for a card the flow will fail on: the run status is recorded
instead), `sig` checked, and knobs for 429 (with Retry-After) / any 5xx / 404."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

WORKFLOW = "8d1f6f3c4b2a4c5e9f0a1b2c3d4e5f60"
SIG = "Xq3-emulator-signature-QmF"
PATH = f"/workflows/{WORKFLOW}/triggers/manual/paths/invoke"


def workflow_url(base: str, sig: str = SIG) -> str:
    return f"{base}{PATH}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={sig}"


@dataclass
class Post:
    body: dict[str, Any]
    run_status: str  # Succeeded, or Failed with the reason the flow would give
    at: float
    content_type: str


@dataclass
class TeamsEmulator:
    mode: str = "ok"  # ok | 404 | 429 | any 5xx status ("500", "502", "503", "504")
    times: int | None = None  # answer as `mode` this many times, then "ok" (None: for ever)
    retry_after: int = 1
    posts: list[Post] = field(default_factory=list)
    refused: list[tuple[int, float]] = field(default_factory=list)  # (status, when)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    "/workflows/{workflow}/triggers/manual/paths/invoke",
                    self.invoke,
                    methods=["POST"],
                )
            ]
        )

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [p.body["attachments"][0]["content"] for p in self.posts]

    async def invoke(self, request: Request) -> Response:
        if request.path_params["workflow"] != WORKFLOW:
            return self._refuse(404, "WorkflowNotFound", "The workflow could not be found.")
        mode = self._take_mode()
        if mode == "404":
            return self._refuse(404, "WorkflowNotFound", "The workflow could not be found.")
        if request.query_params.get("sig") != SIG:
            return self._refuse(
                401, "DirectApiAuthorizationRequired", "The request must be authenticated."
            )
        if mode == "429":
            return self._refuse(
                429,
                "WorkflowTriggerIsThrottled",
                "The workflow's trigger is throttled.",
                {"Retry-After": str(self.retry_after)},
            )
        if mode.isdigit() and int(mode) >= 500:
            return self._refuse(int(mode), "ServiceUnavailable", "The service is unavailable.")
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            return self._refuse(400, "InvalidRequestContent", "The request content is not JSON.")
        self.posts.append(
            Post(
                body,
                _run_status(body, len(raw)),
                time.monotonic(),
                request.headers.get("content-type", ""),
            )
        )
        return Response(status_code=202)

    def _take_mode(self) -> str:
        """The mode this request is answered in; counts down `times`."""
        mode = self.mode
        if mode != "ok" and self.times is not None:
            self.times -= 1
            if self.times <= 0:
                self.mode, self.times = "ok", None
        return mode

    def _refuse(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> Response:
        self.refused.append((status, time.monotonic()))
        return JSONResponse(
            {"error": {"code": code, "message": message}}, status_code=status, headers=headers
        )


def _run_status(body: Any, size: int) -> str:
    """What the flow's run would say: the template iterates body.attachments."""
    attachments = body.get("attachments") if isinstance(body, dict) else None
    if body.get("type") != "message" or not isinstance(attachments, list):
        return "Failed: attachments is of type 'Null'. The result must be a valid array."
    for attachment in attachments:
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            return "Failed: not an adaptive card"
        content = attachment.get("content") or {}
        if content.get("type") != "AdaptiveCard" or content.get("version") not in (
            "1.0",
            "1.2",
            "1.3",
            "1.4",
        ):
            return "Failed: We're sorry, this card couldn't be displayed"
    if size > 28 * 1024:
        return "Failed: message too large"
    return "Succeeded"
