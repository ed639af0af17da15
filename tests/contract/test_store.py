"""One store suite, run against SQLite and PostgreSQL: what the engine relies on from storage."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from alertgate.adapters.stores import bulk, migrate
from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores.queries import SqlQueries
from alertgate.adapters.stores.schema import metadata
from alertgate.adapters.stores.sql import SqlStore
from alertgate.app.transcript import Transcript
from alertgate.domain.alert import Action
from alertgate.domain.decisions import Reason
from alertgate.domain.incident import Incident, State
from alertgate.domain.lifecycle import HoldExpired, step
from alertgate.ports import (
    Changes,
    ConcurrentUpdateError,
    DeliveryOutcome,
    DeliveryStatus,
    EventRecord,
    InvalidCursorError,
)
from tests.unit.domain.factories import HOLD, POLICY, T0, trigger


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    engine = engines.create(store_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> SqlStore:
    return SqlStore(engine)


def open_incident(store: SqlStore, name: str, at=T0) -> Incident:
    """Store a held incident the way ingest does: event, incident and decision together."""
    event = trigger(identity=f"uid={name}")
    transition = step(None, event, at, POLICY)
    transcript = Transcript({})
    transcript.record(None, transition, at)
    transcript.add_event(
        EventRecord(
            f"key-{name}",
            event.incident_id,
            event.incident_key,
            "coralogix",
            Action.TRIGGER,
            1,
            at,
            None,
            Reason.HELD,
            b'{"x": 1}',
        )
    )
    with store.write() as tx:
        tx.apply(transcript.changes)
    assert transition.incident is not None
    return transition.incident


def escalate(store: SqlStore, incidents: list[Incident], now=T0 + HOLD) -> None:
    transcript = Transcript({i.id: i for i in incidents})
    for incident in incidents:
        transcript.record(incident, step(incident, HoldExpired(), now, POLICY), now)
    with store.write() as tx:
        tx.apply(transcript.changes)


def test_migrations_create_exactly_the_schema_the_code_uses(engine: Engine) -> None:
    """Alembic's head equals the SQLAlchemy metadata: no drift between migration and code."""
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_incident_round_trips_unchanged(store: SqlStore) -> None:
    """What the domain stores is what it loads, to the millisecond."""
    stored = open_incident(store, "a")
    with store.write() as tx:
        assert tx.incidents_for_update([stored.id]) == {stored.id: stored}


def test_known_delivery_keys_finds_stored_events_only(store: SqlStore) -> None:
    open_incident(store, "a")
    with store.write() as tx:
        incident_id = trigger(identity="uid=a").incident_id
        pairs = [(incident_id, "key-a"), (incident_id, "key-b"), ("elsewhere", "key-a")]
        assert tx.known_delivery_keys(pairs) == {"key-a"}


def test_compare_and_set_refuses_a_stale_version_and_writes_nothing(store: SqlStore) -> None:
    """Two writers deciding the same incident: the second one fails and changes nothing."""
    incident = open_incident(store, "a")
    escalate(store, [incident])
    with pytest.raises(ConcurrentUpdateError), store.write() as tx:
        tx.apply(Changes(updated=[(incident, incident.version)]))
    with store.write() as tx:
        assert tx.incidents_for_update([incident.id])[incident.id].state is State.ESCALATED


def test_the_same_event_cannot_be_stored_twice(store: SqlStore) -> None:
    """The delivery key is unique: a racing duplicate is a conflict, not a second row."""
    open_incident(store, "a")
    with pytest.raises(ConcurrentUpdateError):
        open_incident(store, "a")


def test_due_holds_are_claimed_earliest_first_and_only_when_due(store: SqlStore) -> None:
    late = open_incident(store, "late", at=T0 + timedelta(minutes=5))
    early = open_incident(store, "early", at=T0)
    assert store.next_deadline() == early.deadline
    with store.write() as tx:
        assert tx.claim_due_holds(T0 + HOLD - timedelta(seconds=1), 10) == []
        assert [i.id for i in tx.claim_due_holds(T0 + HOLD + timedelta(minutes=5), 10)] == [
            early.id,
            late.id,
        ]
        assert len(tx.claim_due_holds(T0 + 2 * HOLD, 1)) == 1


def test_decided_holds_leave_the_schedule(store: SqlStore) -> None:
    incident = open_incident(store, "a")
    escalate(store, [incident])
    assert store.next_deadline() is None


@pytest.mark.postgres
def test_concurrent_claims_skip_each_others_rows(pg_url: str) -> None:
    """Two replicas claiming at once get disjoint holds (FOR UPDATE SKIP LOCKED)."""
    engine = engines.create(pg_url)
    store = SqlStore(engine)
    for n in range(10):
        open_incident(store, f"i{n}")
    first_claimed = threading.Event()
    release = threading.Event()
    claims: dict[str, list[str]] = {}

    def replica(name: str, hold_lock: bool) -> None:
        with store.write() as tx:
            claims[name] = [i.id for i in tx.claim_due_holds(T0 + HOLD, 6)]
            if hold_lock:
                first_claimed.set()
                release.wait(10)

    one = threading.Thread(target=replica, args=("one", True))
    one.start()
    first_claimed.wait(10)
    replica("two", False)
    release.set()
    one.join()
    engine.dispose()
    assert len(claims["one"]) == 6
    assert len(claims["two"]) == 4
    assert not set(claims["one"]) & set(claims["two"])


@pytest.mark.postgres
def test_a_deadlock_between_writers_is_a_race_to_run_again(pg_url: str) -> None:
    """Two transactions that lock two incidents in opposite orders: PostgreSQL aborts one with
    deadlock_detected, and the store reports it as ConcurrentUpdateError, which ingest runs
    again, not as a failure answered 503."""
    engine = engines.create(pg_url)
    store = SqlStore(engine)
    a, b = open_incident(store, "a"), open_incident(store, "b")
    both_locked_one = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def writer(first: str, second: str) -> None:
        try:
            with store.write() as tx:
                tx.incidents_for_update([first])
                both_locked_one.wait()
                tx.incidents_for_update([second])
        except BaseException as exc:
            errors.append(exc)

    other = threading.Thread(target=writer, args=(b.id, a.id))
    other.start()
    writer(a.id, b.id)
    other.join()
    engine.dispose()
    assert len(errors) == 1, errors
    assert isinstance(errors[0], ConcurrentUpdateError), errors


@pytest.mark.postgres
def test_a_lost_connection_is_dropped_from_the_pool_not_reset(pg_url: str) -> None:
    """The hot statements run on the driver's cursor; when the server has gone away they
    invalidate the connection as SQLAlchemy's own statements do, so the pool does not try to
    roll it back (an error logged with a traceback) and the next call gets a new one."""
    engine = engines.create(pg_url)
    store = SqlStore(engine)
    with engine.connect() as conn:
        backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert backend is not None
        conn.commit()
        with engine.connect() as killer:
            killer.exec_driver_sql(f"SELECT pg_terminate_backend({int(backend)})")
            killer.commit()
        with pytest.raises(DBAPIError):
            bulk.query(conn, "SELECT 1", ())
        assert conn.invalidated
    assert store.next_deadline() is None  # a fresh connection from the pool
    engine.dispose()


def test_outbox_lease_record_and_retry(store: SqlStore) -> None:
    """A leased notification is not claimed again until its lease ends; the owner records it."""
    incident = open_incident(store, "a")
    escalate(store, [incident])
    now = T0 + HOLD
    [claimed] = store.claim_notifications(now, 10, "owner-1", 60)
    assert (claimed.kind.value, claimed.attempts, claimed.incident.id) == (
        "escalation",
        1,
        incident.id,
    )
    assert claimed.incident.state is State.ESCALATED
    assert store.claim_notifications(now + timedelta(seconds=59), 10, "owner-2", 60) == []
    store.record_deliveries(
        [DeliveryOutcome(claimed.id, "someone-else", now, "log", DeliveryStatus.SENT)]
    )
    retry_at = now + timedelta(seconds=30)
    store.record_deliveries(
        [
            DeliveryOutcome(
                claimed.id, "owner-1", now, "log", DeliveryStatus.PENDING, "timeout: x", retry_at
            )
        ]
    )
    assert store.next_notification_at() == retry_at
    [again] = store.claim_notifications(retry_at, 10, "owner-1", 60)
    assert again.attempts == 2
    store.record_deliveries(
        [DeliveryOutcome(again.id, "owner-1", retry_at, "log", DeliveryStatus.SENT)]
    )
    assert store.claim_notifications(retry_at + timedelta(days=1), 10, "owner-1", 60) == []
    assert store.next_notification_at() is None


def test_an_expired_lease_hands_the_notification_to_another_owner(store: SqlStore) -> None:
    """A replica that died mid-send loses its lease; another one delivers (at least once)."""
    incident = open_incident(store, "a")
    escalate(store, [incident])
    now = T0 + HOLD
    [first] = store.claim_notifications(now, 10, "dead-replica", 60)
    [second] = store.claim_notifications(now + timedelta(seconds=61), 10, "live-replica", 60)
    assert first.id == second.id
    assert second.attempts == 2


def test_incident_list_pages_with_a_cursor_and_filters_by_state(store: SqlStore) -> None:
    incidents = [open_incident(store, f"i{n}", at=T0 + timedelta(seconds=n)) for n in range(5)]
    escalate(store, incidents[:2], now=T0 + HOLD + timedelta(minutes=1))
    queries = SqlQueries(store.engine)
    first = queries.list_incidents(None, 3, None)
    assert first.next_cursor is not None
    second = queries.list_incidents(None, 3, first.next_cursor)
    seen = [i.id for i in first.incidents + second.incidents]
    assert sorted(seen) == sorted(i.id for i in incidents)
    assert second.next_cursor is None
    escalated = queries.list_incidents(State.ESCALATED, 10, None)
    assert {i.id for i in escalated.incidents} == {incidents[0].id, incidents[1].id}
    with pytest.raises(InvalidCursorError):
        queries.list_incidents(None, 3, "not-a-cursor")


def test_timeline_explains_the_incident(store: SqlStore) -> None:
    """Events, decisions with reasons, and notifications with their delivery status."""
    incident = open_incident(store, "a")
    escalate(store, [incident])
    timeline = SqlQueries(store.engine).timeline(incident.id)
    assert timeline is not None
    assert [e.payload for e in timeline.events] == [b'{"x": 1}']
    assert [(d.outcome.value, d.reason.value) for d in timeline.decisions] == [
        ("held", "held"),
        ("escalated", "hold_expired"),
    ]
    assert [(n.kind.value, n.status) for n in timeline.notifications] == [("escalation", "pending")]
    assert SqlQueries(store.engine).timeline("0000000000000000") is None


def test_timeline_of_an_id_with_only_recorded_events_has_no_incident(store: SqlStore) -> None:
    """A resolve with nothing open stores an event and no incident row: its id still has a
    timeline (incident None, the event), while an id with nothing stored has none."""
    transcript = Transcript({})
    transcript.add_event(
        EventRecord(
            "key-orphan",
            "00000000000000aa",
            "coralogix:uid=orphan",
            "coralogix",
            Action.RESOLVE,
            0,
            T0,
            None,
            Reason.RESOLVE_WITHOUT_INCIDENT,
            b'{"y": 2}',
        )
    )
    with store.write() as tx:
        tx.apply(transcript.changes)
    timeline = SqlQueries(store.engine).timeline("00000000000000aa")
    assert timeline is not None
    assert (timeline.incident_id, timeline.incident) == ("00000000000000aa", None)
    assert [(e.action, e.reason) for e in timeline.events] == [
        (Action.RESOLVE, Reason.RESOLVE_WITHOUT_INCIDENT)
    ]
    assert (timeline.decisions, timeline.notifications) == ([], [])
