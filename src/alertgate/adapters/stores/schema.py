"""The tables: event log, incidents, decisions and the notification outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeDecorator

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class EpochMs(TypeDecorator[datetime]):
    """An aware UTC datetime stored as integer epoch milliseconds: compact, fast, portable."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return (value - EPOCH) // _MS

    def process_result_value(self, value: int | None, dialect: Dialect) -> datetime | None:
        return None if value is None else EPOCH + value * _MS


# SQLite only gives an INTEGER PRIMARY KEY the rowid (autoincrement) behaviour.
RowId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("key", Text, nullable=False),
    Column("source", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("priority", String(2)),
    Column("instance", Text),
    Column("link", Text),
    Column("description", Text),
    Column("labels", Text, nullable=False),
    Column("reason", String(40), nullable=False),
    Column("opened_at", EpochMs, nullable=False),
    Column("triggered_at", EpochMs, nullable=False),
    Column("last_event_at", EpochMs, nullable=False),
    Column("deadline", EpochMs),
    Column("escalated_at", EpochMs),
    Column("resolved_at", EpochMs),
    Column("updated_at", EpochMs, nullable=False),
)
Index(
    "ix_incidents_deadline",
    incidents.c.deadline,
    sqlite_where=text("deadline IS NOT NULL"),
    postgresql_where=text("deadline IS NOT NULL"),
)
Index("ix_incidents_updated", incidents.c.updated_at, incidents.c.id)
Index("ix_incidents_state_updated", incidents.c.state, incidents.c.updated_at, incidents.c.id)

events = Table(
    "events",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("delivery_key", String(64), nullable=False),
    Column("incident_id", String(16), nullable=False),
    Column("incident_key", Text, nullable=False),
    Column("source", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("reason", String(40), nullable=False),
    Column("received_at", EpochMs, nullable=False),
    Column("event_time", EpochMs),
    Column("payload", LargeBinary, nullable=False),
)
# One index serves both the dedup check and the timeline: delivery keys are unique by
# themselves (they hash the incident key), and keying the index by incident first makes the
# batch's lookups and inserts touch fewer pages than a separate unique key index would (one
# random index page per new event less, measured in docs/benchmarks.md).
Index("ux_events_incident_delivery", events.c.incident_id, events.c.delivery_key, unique=True)

decisions = Table(
    "decisions",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("incident_id", String(16), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("decided_at", EpochMs, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("detail", Text, nullable=False),
)
Index("ix_decisions_incident", decisions.c.incident_id, decisions.c.id)

outbox = Table(
    "outbox",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("incident_id", String(16), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("route", String(16), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("snapshot", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", EpochMs, nullable=False),
    Column("next_attempt_at", EpochMs, nullable=False),
    Column("lease_owner", String(120)),
    Column("sent_at", EpochMs),
    Column("channel", String(32)),
    Column("last_error", Text),
    Column("redriven_at", EpochMs),
)
# The dispatcher claims due rows per route; the next due time is a per-route minimum.
Index(
    "ix_outbox_route_due",
    outbox.c.route,
    outbox.c.next_attempt_at,
    sqlite_where=text("status = 'pending'"),
    postgresql_where=text("status = 'pending'"),
)
Index("ix_outbox_incident", outbox.c.incident_id, outbox.c.id)
Index("ix_outbox_status", outbox.c.status, outbox.c.id)
