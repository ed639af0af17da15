"""The write side of the store: transactions for ingest and the scheduler, and the outbox."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    func,
    literal_column,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from alertgate.adapters.stores import codec, payloads
from alertgate.adapters.stores.bulk import BulkInsert, CompareAndSet
from alertgate.adapters.stores.engine import WRITE_OPTION, is_sqlite, is_unique_violation
from alertgate.adapters.stores.schema import decisions, events, incidents, outbox
from alertgate.domain.incident import Incident
from alertgate.domain.routing import Route
from alertgate.ports import (
    Changes,
    ConcurrentUpdateError,
    DecisionRecord,
    DeliveryOutcome,
    DeliveryStatus,
    EventRecord,
    Intent,
    Notification,
    Redrive,
    StoreError,
    StoreRefusedError,
)

CHUNK = 500  # ids per IN (...) list

# Built once: statement construction and cache keys showed up in the ingest profile.
_LOCK_INCIDENTS = (
    select(incidents)
    .where(incidents.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(incidents.c.id)
    .with_for_update()
)
# Searched through ux_events_incident_delivery (incident first); a row-value IN would scan.
_KNOWN_KEYS = select(events.c.delivery_key).where(
    events.c.incident_id.in_(bindparam("ids", expanding=True)),
    events.c.delivery_key.in_(bindparam("keys", expanding=True)),
)
_INSERT_EVENTS = BulkInsert(events)
_INSERT_INCIDENTS = BulkInsert(incidents)
_INSERT_DECISIONS = BulkInsert(decisions)
_INSERT_OUTBOX = BulkInsert(outbox)
_UPDATE_INCIDENTS = CompareAndSet(incidents)
# A literal, not a bound parameter: only then can SQLite use the partial index
# ix_outbox_route_due (WHERE status = 'pending'); with a parameter the claim scanned the whole
# outbox (it showed up as the top statement in the profile of a mixed load).
PENDING = outbox.c.status == literal_column("'pending'")
# The earliest due time of any route, as a minimum per route: each one an index lookup on
# ix_outbox_route_due, where one minimum over all routes read every pending row.
_per_route = union_all(
    *(
        select(func.min(outbox.c.next_attempt_at).label("due")).where(
            PENDING, outbox.c.route == route.value
        )
        for route in Route
    )
).subquery()
_NEXT_NOTIFICATION = select(func.min(_per_route.c.due))
_RECORD_DELIVERY = update(outbox).where(
    outbox.c.id == bindparam("b_id"), outbox.c.lease_owner == bindparam("b_owner")
)


class SqlStore:
    """Store port over SQLAlchemy Core; the same SQL runs on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(self) -> AbstractContextManager[_WriteTx]:
        """A write transaction: commits when the block ends, rolls back on an exception."""
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[_WriteTx]:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{WRITE_OPTION: True})
                with conn.begin():
                    yield _WriteTx(conn)
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise ConcurrentUpdateError("another writer stored the same row first") from exc
            raise StoreRefusedError(f"integrity error: {exc.orig}") from exc
        except DataError as exc:
            raise StoreRefusedError(f"the database refused a value: {exc.orig}") from exc
        except DBAPIError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc

    def _scalar(self, statement: Any) -> Any:
        try:
            with self.engine.connect() as conn:
                return conn.execute(statement).scalar()
        except DBAPIError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc

    def next_deadline(self) -> datetime | None:
        result: datetime | None = self._scalar(
            select(func.min(incidents.c.deadline)).where(incidents.c.deadline.is_not(None))
        )
        return result

    def next_notification_at(self) -> datetime | None:
        result: datetime | None = self._scalar(_NEXT_NOTIFICATION)
        return result

    def ping(self) -> None:
        self._scalar(text("SELECT 1"))

    def claim_notifications(
        self,
        now: datetime,
        limit: int,
        owner: str,
        lease_seconds: float,
        route: Route | None = None,
    ) -> list[Notification]:
        """Lease due notifications: while leased, a row is not due again until the lease ends,
        so a dead owner's rows come back by themselves."""
        with self.write() as tx:
            return _claim(tx.conn, now, limit, owner, lease_seconds, route)

    def record_deliveries(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        if outcomes:
            with self.write() as tx:
                _record(tx.conn, outcomes)

    def exchange(
        self,
        outcomes: Sequence[DeliveryOutcome],
        now: datetime,
        wants: Mapping[Route, int],
        owner: str,
        lease_seconds: float,
    ) -> list[Notification]:
        """Record outcomes and lease more notifications in one transaction (one fsync where the
        two would each have taken one)."""
        with self.write() as tx:
            _record(tx.conn, outcomes)
            claimed: list[Notification] = []
            for route, limit in wants.items():
                if limit > 0:
                    claimed += _claim(tx.conn, now, limit, owner, lease_seconds, route)
        return claimed

    def release_leases(self) -> int:
        if not is_sqlite(self.engine):
            return 0  # replicas share PostgreSQL: a lease may be live; it expires by itself
        release = (
            update(outbox)
            .where(outbox.c.status == DeliveryStatus.PENDING, outbox.c.lease_owner.is_not(None))
            .values(lease_owner=None, next_attempt_at=outbox.c.created_at)
        )
        with self.write() as tx:
            return int(tx.conn.execute(release).rowcount)

    def redrive(self, notification_id: int, now: datetime) -> Redrive:
        query = select(outbox.c.status, outbox.c.lease_owner, outbox.c.next_attempt_at).where(
            outbox.c.id == notification_id
        )
        with self.write() as tx:
            row = tx.conn.execute(query.with_for_update()).first()
            if row is None:
                return Redrive.NOT_FOUND
            if row.status == DeliveryStatus.SENT:
                return Redrive.ALREADY_SENT
            if row.lease_owner is not None and row.next_attempt_at > now:
                return Redrive.IN_FLIGHT
            tx.conn.execute(_redriven(now).where(outbox.c.id == notification_id))
        return Redrive.QUEUED

    def redrive_dead(self, now: datetime) -> int:
        with self.write() as tx:
            result = tx.conn.execute(_redriven(now).where(outbox.c.status == DeliveryStatus.DEAD))
        return int(result.rowcount)


def _redriven(now: datetime) -> Any:
    """Due now, counted as new: attempts from 0, the maximum age from now. The last error
    stays, so that people still see why it failed before."""
    return update(outbox).values(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        redriven_at=now,
        attempts=0,
        lease_owner=None,
    )


def _claim(
    conn: Connection,
    now: datetime,
    limit: int,
    owner: str,
    lease_seconds: float,
    route: Route | None,
) -> list[Notification]:
    rows = conn.execute(_claim_statement(now, limit, owner, lease_seconds, route)).mappings()
    return sorted((codec.notification_from(r) for r in rows.all()), key=lambda n: n.id)


def _claim_statement(
    now: datetime, limit: int, owner: str, lease_seconds: float, route: Route | None
) -> Any:
    """Lease the `limit` earliest due rows (of one route): an UPDATE ... RETURNING."""
    due = (
        select(outbox.c.id)
        .where(PENDING, outbox.c.next_attempt_at <= now)
        .order_by(outbox.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if route is not None:
        due = due.where(outbox.c.route == route.value)
    return (
        update(outbox)
        .where(outbox.c.id.in_(due))
        .values(
            lease_owner=owner,
            next_attempt_at=now + timedelta(seconds=lease_seconds),
            attempts=outbox.c.attempts + 1,
        )
        .returning(*outbox.c)
    )


def _record(conn: Connection, outcomes: Sequence[DeliveryOutcome]) -> None:
    if not outcomes:
        return
    params = [
        {
            "b_id": o.notification_id,
            "b_owner": o.owner,
            "status": o.status,
            "channel": o.channel,
            "last_error": o.error,
            "sent_at": o.at if o.status == DeliveryStatus.SENT else None,
            "next_attempt_at": o.retry_at or o.at,
            "lease_owner": None,
        }
        for o in outcomes
    ]
    conn.execute(_RECORD_DELIVERY, params)


class _WriteTx:
    """One write transaction (see ports.WriteTx)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def incidents_for_update(self, ids: Collection[str]) -> dict[str, Incident]:
        found: dict[str, Incident] = {}
        ordered = sorted(set(ids))  # one lock order for every writer: no deadlocks
        for start in range(0, len(ordered), CHUNK):
            chunk = {"ids": ordered[start : start + CHUNK]}
            for row in self.conn.execute(_LOCK_INCIDENTS, chunk).mappings():
                found[row["id"]] = codec.incident_from(row)
        return found

    def known_delivery_keys(self, incident_ids: Collection[str], keys: Collection[str]) -> set[str]:
        known: set[str] = set()
        ids = sorted(set(incident_ids))
        ordered = list(set(keys))
        for start in range(0, len(ordered), CHUNK):
            chunk = {"ids": ids, "keys": ordered[start : start + CHUNK]}
            known.update(self.conn.execute(_KNOWN_KEYS, chunk).scalars())
        return known

    def claim_due_holds(self, now: datetime, limit: int) -> list[Incident]:
        query = (
            select(incidents)
            .where(incidents.c.deadline.is_not(None), incidents.c.deadline <= now)
            .order_by(incidents.c.deadline)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [codec.incident_from(row) for row in self.conn.execute(query).mappings()]

    def apply(self, changes: Changes) -> None:
        if changes.events:
            _INSERT_EVENTS(self.conn, [_event_row(e) for e in changes.events])
        if changes.created:
            _INSERT_INCIDENTS(self.conn, [codec.incident_row(i) for i in changes.created])
        if changes.updated:
            rows = [
                {**codec.incident_row(i), "b_id": i.id, "b_expected": expected}
                for i, expected in changes.updated
            ]
            for row in rows:
                del row["id"]
            if _UPDATE_INCIDENTS(self.conn, rows) != len(rows):
                raise ConcurrentUpdateError("an incident changed under this transaction")
        if changes.decisions:
            _INSERT_DECISIONS(self.conn, [_decision_row(d) for d in changes.decisions])
        if changes.intents:
            _INSERT_OUTBOX(self.conn, [_intent_row(i) for i in changes.intents])


def _event_row(record: EventRecord) -> dict[str, Any]:
    return {
        "delivery_key": record.delivery_key,
        "incident_id": record.incident_id,
        "incident_key": record.incident_key,
        "source": record.source,
        "action": record.action.value,
        "episode": record.episode,
        "reason": record.reason.value,
        "received_at": codec.ms(record.received_at),
        "event_time": codec.ms(record.event_time),
        "payload": payloads.pack(record.payload),
    }


def _decision_row(record: DecisionRecord) -> dict[str, Any]:
    return {
        "incident_id": record.incident_id,
        "episode": record.episode,
        "decided_at": codec.ms(record.decided_at),
        "outcome": record.outcome.value,
        "reason": record.reason.value,
        "detail": record.detail,
    }


def _intent_row(intent: Intent) -> dict[str, Any]:
    return {
        "idempotency_key": intent.idempotency_key,
        "incident_id": intent.incident.id,
        "episode": intent.incident.episode,
        "kind": intent.kind.value,
        "route": intent.route.value,
        "reason": intent.reason.value,
        "detail": intent.detail,
        "snapshot": codec.snapshot(intent.incident),
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "created_at": codec.ms(intent.created_at),
        "next_attempt_at": codec.ms(intent.created_at),
    }
