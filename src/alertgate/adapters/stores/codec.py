"""Row <-> record mapping shared by every query (one place that knows both shapes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import RowMapping

from alertgate.adapters.stores import payloads
from alertgate.adapters.stores.schema import EPOCH
from alertgate.domain.alert import Action, Priority
from alertgate.domain.decisions import NotificationKind, Outcome, Reason
from alertgate.domain.incident import Incident, State
from alertgate.domain.routing import Route
from alertgate.ports import DecisionRecord, EventRecord, Notification, NotificationRecord

Row = Mapping[str, Any] | RowMapping


def ms(moment: datetime | None) -> int | None:
    """A time as the store keeps it: epoch milliseconds (the EpochMs column type, by hand)."""
    return None if moment is None else (moment - EPOCH) // _MS


def incident_row(incident: Incident) -> dict[str, Any]:
    """The incidents-table row for an incident, in plain values (times as epoch ms)."""
    return {
        "id": incident.id,
        "key": incident.key,
        "source": incident.source,
        "name": incident.name,
        "state": incident.state.value,
        "episode": incident.episode,
        "version": incident.version,
        "priority": incident.priority.value if incident.priority else None,
        "instance": incident.instance,
        "link": incident.link,
        "description": incident.description,
        "labels": orjson.dumps(dict(incident.labels)).decode(),
        "reason": incident.reason.value,
        "opened_at": ms(incident.opened_at),
        "triggered_at": ms(incident.triggered_at),
        "last_event_at": ms(incident.last_event_at),
        "deadline": ms(incident.deadline),
        "escalated_at": ms(incident.escalated_at),
        "resolved_at": ms(incident.resolved_at),
        "updated_at": ms(updated_at(incident)),
    }


def updated_at(incident: Incident) -> datetime:
    """When the incident last changed (the order of lists)."""
    stamps = (incident.last_event_at, incident.escalated_at, incident.resolved_at)
    return max(s for s in stamps if s is not None)


def incident_from(row: Row) -> Incident:
    """The incident an incidents-table row (or a snapshot) holds."""
    labels = row["labels"]
    pairs = orjson.loads(labels) if isinstance(labels, str | bytes) else labels
    return Incident(
        id=row["id"],
        key=row["key"],
        source=row["source"],
        name=row["name"],
        state=State(row["state"]),
        episode=row["episode"],
        version=row["version"],
        priority=Priority(row["priority"]) if row["priority"] else None,
        instance=row["instance"],
        link=row["link"],
        description=row["description"],
        labels=tuple(sorted(pairs.items())),
        reason=Reason(row["reason"]),
        opened_at=when(row["opened_at"]),
        triggered_at=when(row["triggered_at"]),
        last_event_at=when(row["last_event_at"]),
        deadline=maybe_when(row["deadline"]),
        escalated_at=maybe_when(row["escalated_at"]),
        resolved_at=maybe_when(row["resolved_at"]),
    )


def snapshot(incident: Incident) -> str:
    """The incident as JSON text, kept with a notification so it renders what was decided."""
    row = incident_row(incident)
    row["labels"] = dict(incident.labels)
    return orjson.dumps(row).decode()


def from_snapshot(text: str) -> Incident:
    """The incident kept with a notification."""
    return incident_from(orjson.loads(text))


_MS = timedelta(milliseconds=1)


def when(value: datetime | float | int) -> datetime:
    if isinstance(value, datetime):
        return value
    return EPOCH + timedelta(milliseconds=value)


def maybe_when(value: datetime | float | int | None) -> datetime | None:
    return None if value is None else when(value)


def event_from(row: Row) -> EventRecord:
    return EventRecord(
        id=row["id"],
        delivery_key=row["delivery_key"],
        incident_id=row["incident_id"],
        incident_key=row["incident_key"],
        source=row["source"],
        action=Action(row["action"]),
        episode=row["episode"],
        received_at=row["received_at"],
        event_time=row["event_time"],
        reason=Reason(row["reason"]),
        payload=payloads.unpack(bytes(row["payload"])),
    )


def decision_from(row: Row) -> DecisionRecord:
    return DecisionRecord(
        id=row["id"],
        incident_id=row["incident_id"],
        episode=row["episode"],
        decided_at=row["decided_at"],
        outcome=Outcome(row["outcome"]),
        reason=Reason(row["reason"]),
        detail=row["detail"],
    )


def notification_from(row: Row) -> Notification:
    return Notification(
        id=row["id"],
        idempotency_key=row["idempotency_key"],
        incident=from_snapshot(row["snapshot"]),
        kind=NotificationKind(row["kind"]),
        route=Route(row["route"]),
        reason=Reason(row["reason"]),
        detail=row["detail"],
        created_at=row["created_at"],
        attempts=row["attempts"],
        redriven_at=row["redriven_at"],
    )


def notification_record_from(row: Row) -> NotificationRecord:
    return NotificationRecord(
        id=row["id"],
        incident_id=row["incident_id"],
        episode=row["episode"],
        kind=NotificationKind(row["kind"]),
        route=Route(row["route"]),
        reason=Reason(row["reason"]),
        status=row["status"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
        sent_at=row["sent_at"],
        channel=row["channel"],
        last_error=row["last_error"],
        alert=_snapshot_name(row["snapshot"]),
        leased=row["lease_owner"] is not None,
    )


def _snapshot_name(text: str) -> str | None:
    name = orjson.loads(text).get("name")
    return name if isinstance(name, str) else None
