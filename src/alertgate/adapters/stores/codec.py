"""Row <-> record mapping shared by every query (one place that knows both shapes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import RowMapping

from alertgate.adapters.stores import payloads
from alertgate.adapters.stores.bulk import INCIDENT_COLUMNS
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
    return dict(zip(INCIDENT_COLUMNS, incident_values(incident), strict=True))


def incident_values(incident: Incident) -> tuple[Any, ...]:
    """The incidents-table row for an incident, in INCIDENT_COLUMNS order."""
    priority = incident.priority
    return (
        incident.id,
        incident.key,
        incident.source,
        incident.name,
        incident.state.value,
        incident.episode,
        incident.version,
        priority.value if priority else None,
        incident.instance,
        incident.link,
        incident.description,
        orjson.dumps(dict(incident.labels)).decode(),
        incident.reason.value,
        ms(incident.opened_at),
        ms(incident.triggered_at),
        ms(incident.last_event_at),
        ms(incident.deadline),
        ms(incident.escalated_at),
        ms(incident.resolved_at),
        ms(updated_at(incident)),
    )


def updated_at(incident: Incident) -> datetime:
    """When the incident last changed (the order of lists)."""
    stamps = (incident.last_event_at, incident.escalated_at, incident.resolved_at)
    return max(s for s in stamps if s is not None)


def incident_from(row: Row) -> Incident:
    """The incident an incidents-table row (or a snapshot) holds."""
    return incident_from_values([row[c] for c in INCIDENT_COLUMNS])


def incident_from_values(v: Sequence[Any]) -> Incident:
    """The incident a row in INCIDENT_COLUMNS order holds (times as epoch ms or datetimes)."""
    labels = v[11]
    pairs = orjson.loads(labels) if isinstance(labels, str | bytes) else labels
    return Incident(
        id=v[0],
        key=v[1],
        source=v[2],
        name=v[3],
        state=_STATES[v[4]],
        episode=v[5],
        version=v[6],
        priority=_PRIORITIES[v[7]] if v[7] else None,
        instance=v[8],
        link=v[9],
        description=v[10],
        labels=tuple(sorted(pairs.items())),
        reason=_REASONS[v[12]],
        opened_at=when(v[13]),
        triggered_at=when(v[14]),
        last_event_at=when(v[15]),
        deadline=maybe_when(v[16]),
        escalated_at=maybe_when(v[17]),
        resolved_at=maybe_when(v[18]),
    )


# Enum lookups by value, without the enum machinery's call per row.
_STATES = {s.value: s for s in State}
_PRIORITIES = {p.value: p for p in Priority}
_REASONS = {r.value: r for r in Reason}


def snapshot(incident: Incident, values: tuple[Any, ...] | None = None) -> str:
    """The incident as JSON text, kept with a notification so it renders what was decided.
    `values`: its incident_values(), when the caller has them already."""
    row = dict(zip(INCIDENT_COLUMNS, values or incident_values(incident), strict=True))
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


def notification_from_values(v: Sequence[Any]) -> Notification:
    """A claimed notification from a row in NOTIFICATION_COLUMNS order (times as epoch ms)."""
    return Notification(
        id=v[0],
        idempotency_key=v[1],
        incident=from_snapshot(v[2]),
        kind=NotificationKind(v[3]),
        route=Route(v[4]),
        reason=_REASONS[v[5]],
        detail=v[6],
        created_at=when(v[7]),
        attempts=v[8],
        redriven_at=maybe_when(v[9]),
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
