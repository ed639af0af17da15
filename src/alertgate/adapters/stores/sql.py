"""The write side of the store: transactions for ingest and the scheduler, and the outbox."""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    select,
    text,
    update,
)
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from alertgate.adapters.stores import bulk, codec, payloads
from alertgate.adapters.stores.engine import (
    WRITE_OPTION,
    is_sqlite,
    is_transient_conflict,
    is_unique_violation,
)
from alertgate.adapters.stores.schema import outbox
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
            if is_transient_conflict(exc):
                raise ConcurrentUpdateError(f"lost a race with another writer: {exc.orig}") from exc
            raise StoreError(f"database error: {exc.orig}") from exc

    def _scalar(self, statement: Any) -> Any:
        try:
            with self.engine.connect() as conn:
                return conn.execute(statement).scalar()
        except DBAPIError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc

    def _earliest(self, sql: Callable[[bulk.Statements], str]) -> datetime | None:
        try:
            with self.engine.connect() as conn:
                ((value,),) = bulk.query(conn, sql(bulk.statements(conn)), ())
        except DBAPIError as exc:
            raise StoreError(f"database error: {exc.orig}") from exc
        return codec.maybe_when(value)

    def next_deadline(self) -> datetime | None:
        return self._earliest(lambda s: s.next_deadline)

    def next_notification_at(self) -> datetime | None:
        return self._earliest(lambda s: s.next_notification)

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
    """Lease the `limit` earliest due rows (of one route, or of each): while leased, a row is
    not due again until the lease ends."""
    sql = bulk.statements(conn).claim
    lease_end = codec.ms(now + timedelta(seconds=lease_seconds))
    claimed: list[Notification] = []
    for one in [route] if route is not None else list(Route):
        rows = bulk.query(conn, sql, (owner, lease_end, one.value, codec.ms(now), limit))
        claimed += [codec.notification_from_values(r) for r in rows]
        limit -= len(rows)
        if limit <= 0:
            break
    return sorted(claimed, key=lambda n: n.id)


def _record(conn: Connection, outcomes: Sequence[DeliveryOutcome]) -> None:
    rows = [
        (
            o.status,
            o.channel,
            o.error,
            codec.ms(o.at) if o.status == DeliveryStatus.SENT else None,
            codec.ms(o.retry_at or o.at),
            o.notification_id,
            o.owner,
        )
        for o in outcomes
    ]
    bulk.execute_many(conn, bulk.statements(conn).record, rows)


class _WriteTx:
    """One write transaction (see ports.WriteTx)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._sql = bulk.statements(conn)

    def incidents_for_update(self, ids: Collection[str]) -> dict[str, Incident]:
        found: dict[str, Incident] = {}
        ordered = sorted(set(ids))  # one lock order for every writer: no deadlocks
        sql = self._sql
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            params = (chunk,) if sql.postgres else chunk
            for row in bulk.query(self.conn, sql.load_incidents(len(chunk)), params):
                found[row[0]] = codec.incident_from_values(row)
        return found

    def known_delivery_keys(self, pairs: Collection[tuple[str, str]]) -> set[str]:
        known: set[str] = set()
        ordered = sorted(set(pairs))
        sql = self._sql
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            if sql.postgres:
                params: Sequence[object] = ([i for i, _ in chunk], [k for _, k in chunk])
            else:
                params = [v for pair in chunk for v in pair]
            known.update(r[0] for r in bulk.query(self.conn, sql.known_keys(len(chunk)), params))
        return known

    def claim_due_holds(self, now: datetime, limit: int) -> list[Incident]:
        rows = bulk.query(self.conn, self._sql.claim_holds, (codec.ms(now), limit))
        return [codec.incident_from_values(row) for row in rows]

    def apply(self, changes: Changes) -> None:
        # New unique keys go in in one order for every writer (ids sorted; a stable sort keeps
        # one incident's events in arrival order): two transactions racing for the same new
        # rows then wait for each other in the same order and cannot deadlock.
        conn, sql = self.conn, self._sql
        events = sorted(changes.events, key=_incident_of)
        bulk.execute_many(conn, sql.insert_events, [_event_values(e) for e in events])
        # Each incident's row values, made once: a notification's snapshot reuses them.
        values = {id(i): codec.incident_values(i) for i in changes.created}
        values.update((id(i), codec.incident_values(i)) for i, _ in changes.updated)
        created = [values[id(i)] for i in sorted(changes.created, key=_id_of)]
        bulk.execute_many(conn, sql.insert_incidents, created)
        if changes.updated:
            rows = [(*values[id(i)][1:], i.id, expected) for i, expected in changes.updated]
            if bulk.execute_many(conn, sql.update_incident, rows) != len(rows):
                raise ConcurrentUpdateError("an incident changed under this transaction")
        rows = [_decision_values(d) for d in changes.decisions]
        bulk.execute_many(conn, sql.insert_decisions, rows)
        intents = sorted(changes.intents, key=_idempotency_key_of)
        rows = [_intent_values(i, values.get(id(i.incident))) for i in intents]
        bulk.execute_many(conn, sql.insert_intents, rows)


_incident_of = operator.attrgetter("incident_id")
_id_of = operator.attrgetter("id")
_idempotency_key_of = operator.attrgetter("idempotency_key")


def _event_values(record: EventRecord) -> tuple[Any, ...]:
    """An events-table row in EVENT_COLUMNS order."""
    return (
        record.delivery_key,
        record.incident_id,
        record.incident_key,
        record.source,
        record.action.value,
        record.episode,
        record.reason.value,
        codec.ms(record.received_at),
        codec.ms(record.event_time),
        payloads.pack(record.payload),
    )


def _decision_values(record: DecisionRecord) -> tuple[Any, ...]:
    """A decisions-table row in DECISION_COLUMNS order."""
    return (
        record.incident_id,
        record.episode,
        codec.ms(record.decided_at),
        record.outcome.value,
        record.reason.value,
        record.detail,
    )


def _intent_values(intent: Intent, values: tuple[Any, ...] | None) -> tuple[Any, ...]:
    """An outbox row in INTENT_COLUMNS order: pending, due at once. `values`: the incident's
    row values, if already made."""
    created = codec.ms(intent.created_at)
    return (
        intent.idempotency_key,
        intent.incident.id,
        intent.incident.episode,
        intent.kind.value,
        intent.route.value,
        intent.reason.value,
        intent.detail,
        codec.snapshot(intent.incident, values),
        DeliveryStatus.PENDING,
        0,
        created,
        created,
    )
