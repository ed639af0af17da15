"""JSON shapes of the API (pydantic at the edge), built from the read side's records."""

from __future__ import annotations

from datetime import datetime

import orjson
from pydantic import BaseModel

from alertgate.domain.incident import Incident
from alertgate.ports import DecisionRecord, EventRecord, NotificationRecord, Timeline


class IncidentView(BaseModel):
    id: str
    key: str
    source: str
    name: str
    state: str
    episode: int
    priority: str | None
    instance: str | None
    link: str | None
    description: str | None
    labels: dict[str, str]
    reason: str
    opened_at: datetime
    triggered_at: datetime
    last_event_at: datetime
    deadline: datetime | None
    escalated_at: datetime | None
    resolved_at: datetime | None


class IncidentPage(BaseModel):
    incidents: list[IncidentView]
    next_cursor: str | None


class EventView(BaseModel):
    id: int | None
    action: str
    episode: int
    reason: str
    received_at: datetime
    event_time: datetime | None
    payload: object


class DecisionView(BaseModel):
    id: int | None
    episode: int
    decided_at: datetime
    outcome: str
    reason: str
    detail: str


class NotificationView(BaseModel):
    id: int
    episode: int
    kind: str
    route: str
    reason: str
    status: str
    channel: str | None
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


class TimelineEntry(BaseModel):
    at: datetime
    type: str  # event | decision | notification
    summary: str


class TimelineView(BaseModel):
    id: str
    incident: IncidentView | None  # None: only recorded events (a test, a resolve of nothing)
    timeline: list[TimelineEntry]
    events: list[EventView]
    decisions: list[DecisionView]
    notifications: list[NotificationView]


def incident_view(incident: Incident) -> IncidentView:
    return IncidentView(
        id=incident.id,
        key=incident.key,
        source=incident.source,
        name=incident.name,
        state=incident.state.value,
        episode=incident.episode,
        priority=incident.priority.value if incident.priority else None,
        instance=incident.instance,
        link=incident.link,
        description=incident.description,
        labels=dict(incident.labels),
        reason=incident.reason.value,
        opened_at=incident.opened_at,
        triggered_at=incident.triggered_at,
        last_event_at=incident.last_event_at,
        deadline=incident.deadline,
        escalated_at=incident.escalated_at,
        resolved_at=incident.resolved_at,
    )


def _payload(raw: bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


def _event(e: EventRecord) -> EventView:
    return EventView(
        id=e.id,
        action=e.action.value,
        episode=e.episode,
        reason=e.reason.value,
        received_at=e.received_at,
        event_time=e.event_time,
        payload=_payload(e.payload),
    )


def _decision(d: DecisionRecord) -> DecisionView:
    return DecisionView(
        id=d.id,
        episode=d.episode,
        decided_at=d.decided_at,
        outcome=d.outcome.value,
        reason=d.reason.value,
        detail=d.detail,
    )


def _notification(n: NotificationRecord) -> NotificationView:
    return NotificationView(
        id=n.id,
        episode=n.episode,
        kind=n.kind.value,
        route=n.route.value,
        reason=n.reason.value,
        status=n.status,
        channel=n.channel,
        attempts=n.attempts,
        created_at=n.created_at,
        next_attempt_at=n.next_attempt_at,
        sent_at=n.sent_at,
        last_error=n.last_error,
    )


def timeline_view(timeline: Timeline) -> TimelineView:
    """The incident, its records, and one merged timeline that explains every notification."""
    entries = [
        TimelineEntry(
            at=e.received_at,
            type="event",
            summary=f"{e.action.value} received (episode {e.episode}): {e.reason.value}",
        )
        for e in timeline.events
    ]
    entries += [
        TimelineEntry(
            at=d.decided_at,
            type="decision",
            summary=f"{d.outcome.value} because {d.reason.value}: {d.detail}",
        )
        for d in timeline.decisions
    ]
    for n in timeline.notifications:
        channel = f" via {n.channel}" if n.channel else ""
        error = f" ({n.last_error})" if n.last_error else ""
        entries.append(
            TimelineEntry(
                at=n.sent_at or n.created_at,
                type="notification",
                summary=f"{n.kind.value} to {n.route.value}{channel}: "
                f"{n.status} after {n.attempts} attempt(s){error}",
            )
        )
    entries.sort(key=lambda e: e.at)
    return TimelineView(
        id=timeline.incident_id,
        incident=incident_view(timeline.incident) if timeline.incident else None,
        timeline=entries,
        events=[_event(e) for e in timeline.events],
        decisions=[_decision(d) for d in timeline.decisions],
        notifications=[_notification(n) for n in timeline.notifications],
    )
