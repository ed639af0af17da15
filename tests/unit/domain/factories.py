"""Small builders for domain values, so each test states only what matters to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alertgate.domain.alert import Action, AlertEvent, Priority
from alertgate.domain.policy import HoldPolicy, Policy

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
HOLD = timedelta(minutes=10)
POLICY = Policy(HoldPolicy(default=HOLD, by_priority={Priority.P1: timedelta(minutes=2)}))


def alert(
    action: Action = Action.TRIGGER,
    identity: str = "uid=cpu|instance_id=i-1",
    priority: Priority | None = Priority.P3,
    at: datetime | None = None,
) -> AlertEvent:
    return AlertEvent(
        source="coralogix",
        identity=identity,
        action=action,
        name="High CPU",
        priority=priority,
        instance="i-1",
        event_time=at,
    )


def trigger(**kwargs: object) -> AlertEvent:
    return alert(Action.TRIGGER, **kwargs)  # type: ignore[arg-type]


def resolve(**kwargs: object) -> AlertEvent:
    return alert(Action.RESOLVE, **kwargs)  # type: ignore[arg-type]
