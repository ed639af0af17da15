"""The outbox operations of the store, on SQLite and PostgreSQL alike: listing with the last
error, re-driving one or all dead notifications, and handing back leases at start-up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.queries import SqlQueries
from alertgate.adapters.stores.sql import SqlStore
from alertgate.domain.decisions import NotificationKind
from alertgate.domain.routing import Route
from alertgate.ports import Changes, DeliveryOutcome, DeliveryStatus, Intent, Redrive
from tests.unit.adapters.notifications import notification

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def stores(store_url: str) -> Iterator[tuple[SqlStore, SqlQueries]]:
    engine = engines.create(store_url)
    migrate.upgrade(engine)
    yield SqlStore(engine), SqlQueries(engine)
    engine.dispose()


def _queue(store: SqlStore, *kinds: NotificationKind, first: int = 0) -> None:
    intents = []
    for n, kind in enumerate(kinds, start=first):
        template = notification(kind)
        incident = replace(template.incident, id=f"incident{n:08d}")
        key = f"{incident.id}:{kind.value}"
        intents.append(Intent(key, incident, kind, template.route, template.reason, "detail", NOW))
    with store.write() as tx:
        tx.apply(Changes(intents=intents))


def _finish(store: SqlStore, status: str, error: str | None = None) -> list[int]:
    claimed = store.claim_notifications(NOW, 100, "owner", 60)
    store.record_deliveries(
        [DeliveryOutcome(c.id, "owner", NOW, "teams", status, error) for c in claimed]
    )
    return [c.id for c in claimed]


def test_list_shows_status_last_error_and_alert_and_counts(
    stores: tuple[SqlStore, SqlQueries],
) -> None:
    """A dead notification is listed with its last error and the alert's name; counts add up."""
    store, queries = stores
    _queue(store, NotificationKind.SELF_RESOLVED)
    _finish(store, DeliveryStatus.DEAD, "teams: not_found: answered 404")
    _queue(store, NotificationKind.ESCALATION, first=1)  # still pending
    dead = queries.list_notifications("dead", 10, None)
    assert [(d.status, d.last_error, d.alert) for d in dead] == [
        ("dead", "teams: not_found: answered 404", "High CPU")
    ]
    assert queries.outbox_counts() == {"pending": 1, "sent": 0, "dead": 1}
    assert [n.id for n in queries.list_notifications(None, 1, None)] == [2]
    assert [n.id for n in queries.list_notifications(None, 10, 2)] == [1]


def test_redrive_queues_dead_and_waiting_rows_and_refuses_sent_and_in_flight(
    stores: tuple[SqlStore, SqlQueries],
) -> None:
    """Dead -> due now with attempts from 0 and a fresh age; sent and leased rows unchanged."""
    store, queries = stores
    _queue(store, NotificationKind.SELF_RESOLVED)
    (dead,) = _finish(store, DeliveryStatus.DEAD, "boom")
    later = NOW + timedelta(hours=30)
    assert store.redrive(dead, later) is Redrive.QUEUED
    (again,) = store.claim_notifications(later, 10, "owner", 60)
    assert (again.attempts, again.redriven_at, again.age_from) == (1, later, later)
    assert store.redrive(dead, later) is Redrive.IN_FLIGHT  # leased to "owner" right now
    store.record_deliveries([DeliveryOutcome(dead, "owner", later, "teams", DeliveryStatus.SENT)])
    assert store.redrive(dead, later) is Redrive.ALREADY_SENT
    assert store.redrive(999, later) is Redrive.NOT_FOUND
    assert queries.outbox_counts() == {"pending": 0, "sent": 1, "dead": 0}


def test_redrive_dead_queues_every_dead_row(stores: tuple[SqlStore, SqlQueries]) -> None:
    """`retry --all-dead`: every dead row is due again; the last error is kept."""
    store, queries = stores
    _queue(store, NotificationKind.SELF_RESOLVED, NotificationKind.ESCALATION)
    _finish(store, DeliveryStatus.DEAD, "why it died")
    assert store.redrive_dead(NOW) == 2
    rows = queries.list_notifications("pending", 10, None)
    assert [r.last_error for r in rows] == ["why it died", "why it died"]
    assert len(store.claim_notifications(NOW, 10, "other", 60)) == 2


def test_release_leases_frees_a_killed_process_rows_on_sqlite_only(
    stores: tuple[SqlStore, SqlQueries], store_url: str
) -> None:
    """SQLite has one process: its leases at start-up belong to a dead one and are released.
    PostgreSQL is shared by replicas: leases are left to expire."""
    store, _ = stores
    _queue(store, NotificationKind.ESCALATION)
    assert len(store.claim_notifications(NOW, 10, "killed", 120)) == 1
    released = store.release_leases()
    claimable = store.claim_notifications(NOW + timedelta(seconds=1), 10, "new", 120)
    if store_url.startswith("sqlite"):
        assert (released, len(claimable)) == (1, 1)
    else:
        assert (released, len(claimable)) == (0, 0)


def test_claims_by_route_take_only_that_route(stores: tuple[SqlStore, SqlQueries]) -> None:
    """Each route is claimed on its own budget: Teams rows never fill email's slots."""
    store, _ = stores
    _queue(store, NotificationKind.SELF_RESOLVED, NotificationKind.ESCALATION)
    teams = store.claim_notifications(NOW, 10, "o", 60, Route.TEAMS)
    email = store.claim_notifications(NOW, 10, "o", 60, Route.EMAIL)
    assert [n.route for n in teams] == [Route.TEAMS]
    assert [n.route for n in email] == [Route.EMAIL]
