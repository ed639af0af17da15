"""The outbox API: what is waiting or dead-lettered, with its last error, and re-driving it."""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from alertgate.app.service import Service
from alertgate.http.views import NotificationView
from alertgate.http.views import _notification as notification_view
from alertgate.ports import NotificationRecord, Redrive

router = APIRouter(tags=["outbox"])

_REDRIVE_STATUS = {
    Redrive.QUEUED: 202,
    Redrive.NOT_FOUND: 404,
    Redrive.ALREADY_SENT: 409,
    Redrive.IN_FLIGHT: 409,
}
_REDRIVE_MESSAGE = {
    Redrive.QUEUED: "queued: it is sent again now",
    Redrive.NOT_FOUND: "no such notification",
    Redrive.ALREADY_SENT: "already sent; sending it again would be a duplicate",
    Redrive.IN_FLIGHT: "being sent right now; look again in a minute",
}


class OutboxItem(NotificationView):
    """A notification as the timeline shows it, with the incident and alert it is about."""

    incident_id: str
    alert: str | None


class OutboxPage(BaseModel):
    counts: dict[str, int]
    notifications: list[OutboxItem]
    next_before: int | None  # pass back as `before` for older rows


class RedriveAnswer(BaseModel):
    result: str
    message: str
    count: int


def item(record: NotificationRecord) -> OutboxItem:
    view = notification_view(record)
    return OutboxItem(**view.model_dump(), incident_id=record.incident_id, alert=record.alert)


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _authorise(request: Request) -> None:
    """Re-driving sends messages: when a webhook token is set, it is required here too."""
    token: str | None = getattr(request.app.state, "token", None)
    if token is None:
        return
    given = request.headers.get("x-alertgate-token") or ""
    bearer = request.headers.get("authorization") or ""
    if bearer[:7].lower() == "bearer ":
        given = given or bearer[7:].strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(
            401,
            detail={"error": "unauthorized", "message": "send the ALERTGATE_WEBHOOK_TOKEN"},
            headers={"WWW-Authenticate": 'Bearer realm="alertgate"'},
        )


@router.get("/api/outbox")
async def list_outbox(
    request: Request,
    status: Literal["pending", "dead", "sent"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> OutboxPage:
    """Notifications newest first, each with its last error; `status` filters."""
    rows, counts = await _service(request).list_outbox(status, limit, before)
    more = len(rows) == limit
    return OutboxPage(
        counts=counts,
        notifications=[item(r) for r in rows],
        next_before=rows[-1].id if more and rows else None,
    )


@router.post(
    "/api/outbox/{notification_id}/retry",
    status_code=202,
    responses={404: {"description": "no such notification"}, 409: {"description": "sent"}},
)
async def retry_one(request: Request, notification_id: int) -> RedriveAnswer:
    """Send a dead (or waiting) notification again now, with a fresh maximum age."""
    _authorise(request)
    result = await _service(request).redrive(notification_id)
    answer = {"result": result.value, "message": _REDRIVE_MESSAGE[result]}
    if result is not Redrive.QUEUED:
        raise HTTPException(_REDRIVE_STATUS[result], detail={"error": result.value, **answer})
    return RedriveAnswer(count=1, **answer)


@router.post("/api/outbox/retry-dead", status_code=202)
async def retry_dead(request: Request) -> RedriveAnswer:
    """Send every dead-lettered notification again now."""
    _authorise(request)
    count = await _service(request).redrive_dead()
    return RedriveAnswer(
        result="queued", message=f"{count} dead notification(s) queued", count=count
    )
