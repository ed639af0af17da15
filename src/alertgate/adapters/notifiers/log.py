"""The log channel: writes each notification as one structured log line. The zero-config default,
and where a route goes when its channel is not configured."""

from __future__ import annotations

import structlog

from alertgate.domain.durations import format_duration
from alertgate.ports import Notification

log = structlog.get_logger("alertgate.notifications")


class LogNotifier:
    """Notifier port that records notifications in the log instead of sending them."""

    channel = "log"

    def __init__(self, route: str) -> None:
        self._route = route
        self.target = "the log (no channel configured)"

    async def preflight(self) -> list[str]:
        return []

    def explain_success(self) -> str:
        return "written to alertgate's log as notification.logged; nothing was sent"

    async def send(self, notification: Notification) -> None:
        incident = notification.incident
        log.info(
            "notification.logged",
            route=self._route,
            kind=notification.kind.value,
            incident_id=incident.id,
            episode=incident.episode,
            alert=incident.name,
            priority=incident.priority.value if incident.priority else None,
            instance=incident.instance,
            reason=notification.reason.value,
            detail=notification.detail,
            open_for=format_duration(notification.created_at - incident.opened_at),
            link=incident.link,
        )
