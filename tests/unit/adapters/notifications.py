"""Notification values for unit tests of the renderers and notifiers: one of every kind, each
with the incident as the domain leaves it when it asks for that kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alertgate.domain.alert import Priority
from alertgate.domain.decisions import NotificationKind, Reason
from alertgate.domain.incident import Incident, State
from alertgate.domain.routing import route_for
from alertgate.ports import Notification

OPENED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
HOLD_ENDED = OPENED + timedelta(minutes=10)
RESOLVED = OPENED + timedelta(minutes=14, seconds=10)


@dataclass(frozen=True)
class Shape:
    """Where an episode stands when a notification of one kind is decided."""

    state: State
    escalated_at: datetime | None
    resolved_at: datetime | None
    reason: Reason
    detail: str
    decided_at: datetime


SHAPES = {
    NotificationKind.ESCALATION: Shape(
        State.ESCALATED, HOLD_ENDED, None, Reason.HOLD_EXPIRED,
        "still open after its 10m hold", HOLD_ENDED,
    ),
    NotificationKind.SELF_RESOLVED: Shape(
        State.RESOLVED, None, RESOLVED, Reason.RESOLVED_IN_HOLD,
        "resolved on its own 14m 10s after it triggered", RESOLVED,
    ),
    NotificationKind.RESOLUTION: Shape(
        State.RESOLVED, HOLD_ENDED, RESOLVED, Reason.RESOLVED_AFTER_ESCALATION,
        "resolved 4m 10s after it escalated", RESOLVED,
    ),
    # An alert that never sends a resolve (no_resolve mode inform): its episode ends when the
    # hold does, EXPIRED, with resolved_at its end and never escalated.
    NotificationKind.INFORMATION: Shape(
        State.EXPIRED, None, HOLD_ENDED, Reason.NO_RESOLVE_INFORMED,
        "ended after 10m without a resolve (it never sends one); nobody paged", HOLD_ENDED,
    ),
}  # fmt: skip


def notification(
    kind: NotificationKind = NotificationKind.ESCALATION,
    *,
    priority: Priority | None = Priority.P1,
    name: str = "High CPU",
    instance: str | None = "i-0abc123",
    description: str | None = None,
    reason: Reason | None = None,
) -> Notification:
    shape = SHAPES[kind]
    incident = Incident(
        id="3fa2c1d0e9b8a7f6",
        key="coralogix:uid=x",
        source="coralogix",
        name=name,
        state=shape.state,
        episode=2,
        version=3,
        opened_at=OPENED,
        triggered_at=OPENED - timedelta(seconds=30),
        last_event_at=OPENED,
        reason=shape.reason,
        escalated_at=shape.escalated_at,
        resolved_at=shape.resolved_at,
        priority=priority,
        instance=instance,
        link="https://team.app.coralogix.in/#/insights?id=1",
        description=description,
        labels=(("alert_id", "def-1"),),
    )
    return Notification(
        id=7,
        idempotency_key=f"{incident.id}:2:{kind.value}",
        incident=incident,
        kind=kind,
        route=route_for(kind),
        reason=reason or shape.reason,
        detail=shape.detail,
        created_at=shape.decided_at,
        attempts=1,
    )
