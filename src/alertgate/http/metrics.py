"""GET /metrics: the Prometheus text exposition of the engine's counters and the store's gauges."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from alertgate.app.service import Service

router = APIRouter()


@router.get("/metrics", tags=["ops"], response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics (docs/metrics.md): every process answers for itself, and every
    replica reports the same store gauges."""
    service: Service = request.app.state.service
    body = await service.metrics_page()
    return Response(body, media_type=service.parts.metrics.content_type)
