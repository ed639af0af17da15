"""The read side of the store: incident lists and timelines for the API and the CLI."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, tuple_
from sqlalchemy.exc import DBAPIError

from alertgate.adapters.stores import codec
from alertgate.adapters.stores.schema import EPOCH, decisions, events, incidents, outbox
from alertgate.domain.incident import State
from alertgate.ports import (
    DeliveryStatus,
    InvalidCursorError,
    NotificationRecord,
    Page,
    StoreError,
    StoreStats,
    Timeline,
)

TIMELINE_LIMIT = 500  # newest rows of each kind shown in a timeline


class SqlQueries:
    """IncidentQueries port over SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list_incidents(self, state: State | None, limit: int, cursor: str | None) -> Page:
        query = select(incidents).order_by(incidents.c.updated_at.desc(), incidents.c.id.desc())
        if state is not None:
            query = query.where(incidents.c.state == state.value)
        if cursor is not None:
            when, last_id = _decode_cursor(cursor)
            query = query.where(tuple_(incidents.c.updated_at, incidents.c.id) < (when, last_id))
        rows = self._rows(query.limit(limit + 1))
        found = [codec.incident_from(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(found, _encode_cursor(rows[limit - 1]) if more and found else None)

    def timeline(self, incident_id: str) -> Timeline | None:
        rows = self._rows(select(incidents).where(incidents.c.id == incident_id))
        newest_events = self._newest(events, events.c.incident_id == incident_id)
        if not rows and not newest_events:
            return None
        newest_decisions = self._newest(decisions, decisions.c.incident_id == incident_id)
        newest_outbox = self._newest(outbox, outbox.c.incident_id == incident_id)
        return Timeline(
            incident_id=incident_id,
            incident=codec.incident_from(rows[0]) if rows else None,
            events=[codec.event_from(r) for r in newest_events],
            decisions=[codec.decision_from(r) for r in newest_decisions],
            notifications=[codec.notification_record_from(r) for r in newest_outbox],
        )

    def list_notifications(
        self, status: str | None, limit: int, before: int | None
    ) -> list[NotificationRecord]:
        query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(outbox.c.status == status)
        if before is not None:
            query = query.where(outbox.c.id < before)
        return [codec.notification_record_from(r) for r in self._rows(query)]

    def outbox_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(
            (DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DEAD), 0
        )
        query = select(outbox.c.status, func.count().label("n")).group_by(outbox.c.status)
        counts.update({row["status"]: int(row["n"]) for row in self._rows(query)})
        return counts

    def stats(self) -> StoreStats:
        """Four small queries, each answered from an index (sent rows are never counted)."""
        pending, dead = DeliveryStatus.PENDING, DeliveryStatus.DEAD
        open_states = (State.HOLDING.value, State.ESCALATED.value)
        by_status = select(outbox.c.status, func.count()).where(
            outbox.c.status.in_((pending, dead))
        )
        by_state = select(incidents.c.state, func.count()).where(incidents.c.state.in_(open_states))
        oldest = select(func.min(outbox.c.created_at)).where(outbox.c.status == pending)
        newest = select(events.c.received_at).order_by(events.c.id.desc()).limit(1)
        try:
            with self.engine.connect() as conn:
                outbox_counts = _counts(conn.execute(by_status.group_by(outbox.c.status)))
                state_counts = _counts(conn.execute(by_state.group_by(incidents.c.state)))
                oldest_at = conn.execute(oldest).scalar()
                last_at = conn.execute(newest).scalar()
        except DBAPIError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc
        return StoreStats(
            pending_notifications=outbox_counts.get(pending, 0),
            dead_notifications=outbox_counts.get(dead, 0),
            oldest_pending_at=oldest_at,
            holding=state_counts.get(State.HOLDING.value, 0),
            escalated=state_counts.get(State.ESCALATED.value, 0),
            last_event_at=last_at,
        )

    def _newest(self, table: Any, condition: Any) -> list[Any]:
        query = select(table).where(condition).order_by(table.c.id.desc()).limit(TIMELINE_LIMIT)
        return list(reversed(self._rows(query)))

    def _rows(self, query: Any) -> list[Any]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(query).mappings())
        except DBAPIError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc


def _counts(rows: Iterable[Any]) -> dict[str, int]:
    return {str(key): int(count) for key, count in rows}


def _encode_cursor(row: Any) -> str:
    millis = int((row["updated_at"] - EPOCH).total_seconds() * 1000)
    return base64.urlsafe_b64encode(f"{millis}:{row['id']}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        millis, last_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        return codec.when(int(millis)), last_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursorError(f"invalid cursor {cursor!r}") from None
