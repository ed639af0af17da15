"""Notification values for unit tests of the renderers and notifiers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alertgate.domain.alert import Priority
from alertgate.domain.decisions import NotificationKind, Reason
from alertgate.domain.incident import Incident, State
from alertgate.domain.routing import route_for
from alertgate.ports import Notification

OPENED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def notification(
    kind: NotificationKind = NotificationKind.ESCALATION,
    *,
    priority: Priority | None = Priority.P1,
    name: str = "High CPU",
    instance: str | None = "i-0abc123",
    description: str | None = None,
    reason: Reason | None = None,
) -> Notification:
    escalated = kind is not NotificationKind.SELF_RESOLVED
    resolved = kind is not NotificationKind.ESCALATION
    incident = Incident(
        id="3fa2c1d0e9b8a7f6",
        key="coralogix:uid=x",
        source="coralogix",
        name=name,
        state=State.RESOLVED if resolved else State.ESCALATED,
        episode=2,
        version=3,
        opened_at=OPENED,
        triggered_at=OPENED - timedelta(seconds=30),
        last_event_at=OPENED,
        reason=Reason.HOLD_EXPIRED,
        escalated_at=OPENED + timedelta(minutes=10) if escalated else None,
        resolved_at=OPENED + timedelta(minutes=14, seconds=10) if resolved else None,
        priority=priority,
        instance=instance,
        link="https://team.app.coralogix.in/#/insights?id=1",
        description=description,
        labels=(("alert_id", "def-1"),),
    )
    default_reason = {
        NotificationKind.ESCALATION: Reason.HOLD_EXPIRED,
        NotificationKind.SELF_RESOLVED: Reason.RESOLVED_IN_HOLD,
        NotificationKind.RESOLUTION: Reason.RESOLVED_AFTER_ESCALATION,
    }[kind]
    return Notification(
        id=7,
        idempotency_key=f"{incident.id}:2:{kind.value}",
        incident=incident,
        kind=kind,
        route=route_for(kind),
        reason=reason or default_reason,
        detail="still open after its 10m hold",
        created_at=OPENED + timedelta(minutes=10),
        attempts=1,
    )
