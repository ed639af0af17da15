"""FastAPI routes: /health, /ready and the incidents API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from alertgate.app.service import Service
from alertgate.domain.incident import State
from alertgate.http.views import IncidentPage, TimelineView, incident_view, timeline_view
from alertgate.ports import InvalidCursorError, StoreError

router = APIRouter()


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.get("/health", tags=["ops"])
async def health() -> dict[str, str]:
    """Liveness, as the proof of concept answered it: the process is up."""
    return {"status": "ok"}


@router.get("/ready", tags=["ops"], responses={503: {"description": "database unreachable"}})
async def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when the database answers, else 503 with the reason."""
    try:
        await _service(request).ready()
    except StoreError as exc:
        return JSONResponse({"status": "unavailable", "error": str(exc)}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/api/incidents", tags=["incidents"])
async def list_incidents(
    request: Request,
    state: State | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: str | None = None,
) -> IncidentPage:
    """Incidents, most recently changed first; pass `next_cursor` back as `cursor` for more."""
    try:
        page = await _service(request).list_incidents(state, limit, cursor)
    except InvalidCursorError as exc:
        raise HTTPException(400, detail={"error": "invalid_cursor", "message": str(exc)}) from None
    return IncidentPage(
        incidents=[incident_view(i) for i in page.incidents], next_cursor=page.next_cursor
    )


@router.get(
    "/api/incidents/{incident_id}",
    tags=["incidents"],
    responses={404: {"description": "nothing stored for this id"}},
)
async def get_incident(request: Request, incident_id: str) -> TimelineView:
    """One incident with its timeline: events, decisions with reasons, notifications.
    `incident` is null for an id with only recorded events (a sender's test, a resolve with
    nothing open): the id every webhook answer names always leads here."""
    timeline = await _service(request).timeline(incident_id)
    if timeline is None:
        raise HTTPException(
            404,
            detail={
                "error": "not_found",
                "message": f"no incident {incident_id!r} and no event for it",
            },
        )
    return timeline_view(timeline)
