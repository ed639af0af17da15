"""The store's stats query (the gauges of /metrics), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.queries import SqlQueries
from alertgate.adapters.stores.sql import SqlStore
from alertgate.app.ingest import Delivery, apply_batch
from alertgate.app.transcript import Transcript
from alertgate.domain.alert import Action, AlertEvent
from alertgate.domain.lifecycle import HoldExpired, step
from alertgate.domain.policy import HoldPolicy, Policy
from alertgate.ports import DeliveryOutcome, DeliveryStatus, StoreStats

T0 = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
POLICY = Policy(HoldPolicy(default=timedelta(minutes=10)))


def event(identity: str, action: Action) -> AlertEvent:
    return AlertEvent(source="coralogix", identity=identity, action=action, name=identity)


def ingest(store: SqlStore, now: datetime, *events: AlertEvent) -> None:
    with store.write() as tx:
        apply_batch(tx, [Delivery(events, b"{}")], now, POLICY)


def expire_holds(store: SqlStore, now: datetime) -> None:
    with store.write() as tx:
        due = tx.claim_due_holds(now, 100)
        transcript = Transcript({i.id: i for i in due})
        for incident in due:
            transcript.record(incident, step(incident, HoldExpired(), now, POLICY), now)
        tx.apply(transcript.changes)


def test_stats_of_an_empty_store_are_zero(store_url: str) -> None:
    """A fresh database has nothing pending, nothing open and no last event."""
    engine = engines.create(store_url)
    migrate.upgrade(engine)
    assert SqlQueries(engine).stats() == StoreStats(0, 0, None, 0, 0, None)
    engine.dispose()


def test_stats_count_what_the_engine_stored(store_url: str) -> None:
    """Holding and escalated incidents, pending and dead notifications, the oldest pending
    notification's creation time and the newest event's receipt time, as stored."""
    engine = engines.create(store_url)
    migrate.upgrade(engine)
    store = SqlStore(engine)
    # three triggers at T0; one resolves inside its hold (a self-resolved notice is queued)
    ingest(store, T0, event("a", Action.TRIGGER), event("b", Action.TRIGGER))
    ingest(store, T0 + timedelta(minutes=1), event("c", Action.TRIGGER))
    ingest(store, T0 + timedelta(minutes=2), event("b", Action.RESOLVE))
    # "a" and "c" escalate when their holds expire: two escalations queued at T0+11m
    expire_holds(store, T0 + timedelta(minutes=11))
    ingest(store, T0 + timedelta(minutes=12), event("d", Action.TRIGGER))
    # the self-resolved notice fails for good: dead-lettered
    claimed = store.claim_notifications(T0 + timedelta(minutes=2, seconds=1), 1, "me", 60)
    assert len(claimed) == 1
    dead = DeliveryOutcome(claimed[0].id, "me", T0, "teams", DeliveryStatus.DEAD, "auth: 401")
    store.record_deliveries([dead])

    stats = SqlQueries(engine).stats()

    assert stats == StoreStats(
        pending_notifications=2,
        dead_notifications=1,
        oldest_pending_at=T0 + timedelta(minutes=11),
        holding=1,
        escalated=2,
        last_event_at=T0 + timedelta(minutes=12),
    )
    engine.dispose()
