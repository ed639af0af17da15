"""The Dispatcher on its own (a real SQLite store, scripted notifiers): fallback on permanent
failure, dead letters, the maximum age, and routes that never block each other."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.queries import SqlQueries
from alertgate.adapters.stores.sql import SqlStore
from alertgate.app.delivery import DeliverySettings, Dispatcher, RetryPolicy
from alertgate.app.runtime import InlineRunner
from alertgate.domain.decisions import NotificationKind
from alertgate.domain.routing import Route
from alertgate.ports import Changes, DeliveryError, Intent, NoMetrics, Notification
from tests.unit.adapters.notifications import notification


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.at


class Scripted:
    """A notifier that fails as told, then succeeds; or hangs."""

    def __init__(
        self, channel: str, failures: list[DeliveryError] | None = None, hang: bool = False
    ):
        self.channel = channel
        self.failures = list(failures or [])
        self.hang = hang
        self.sent: list[Notification] = []

    async def send(self, notification: Notification) -> None:
        if self.hang:
            await asyncio.sleep(3600)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(notification)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    engine = engines.create(f"sqlite:///{tmp_path / 'a.db'}")
    migrate.upgrade(engine)
    yield SqlStore(engine)
    engine.dispose()


def queue(store: SqlStore, clock: Clock, *kinds: NotificationKind) -> None:
    intents = []
    for n, kind in enumerate(kinds):
        template = notification(kind)
        incident = replace(template.incident, id=f"incident{n:08d}")
        intents.append(
            Intent(f"{n}:{kind}", incident, kind, template.route, template.reason, "d", clock.at)
        )
    with store.write() as tx:
        tx.apply(Changes(intents=intents))


async def run_until(dispatcher: Dispatcher, done: Callable[[], object]) -> None:
    task = asyncio.create_task(dispatcher.run())
    try:
        async with asyncio.timeout(10):
            while not done():
                await asyncio.sleep(0.01)
    finally:
        await dispatcher.close()
        await asyncio.wait_for(task, 10)


class CountingMetrics(NoMetrics):
    """Metrics that remember delivery attempts: (channel, status, reason)."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, str, str | None]] = []

    def delivery_attempted(
        self, channel: str, kind: NotificationKind, status: str, reason: str | None
    ) -> None:
        self.attempts.append((channel, status, reason))


def dispatcher(
    store: SqlStore,
    clock: Clock,
    routes: dict[Route, list[Scripted]],
    send_timeout: float = 5.0,
    retry: RetryPolicy | None = None,
    metrics: CountingMetrics | None = None,
) -> Dispatcher:
    settings = DeliverySettings(concurrency=2, send_timeout=send_timeout, max_sleep=0.05)
    return Dispatcher(
        store,
        InlineRunner(),
        clock,
        routes,
        "me",
        retry=retry,
        settings=settings,
        metrics=metrics or CountingMetrics(),
    )


def test_permanent_failure_falls_back_to_the_next_channel(store: SqlStore) -> None:
    """Graph 403 -> SMTP sends it at once; the row is sent via smtp and keeps Graph's error."""
    clock = Clock()
    queue(store, clock, NotificationKind.ESCALATION)
    graph = Scripted("graph", [DeliveryError("auth", "403 denied", retryable=False)])
    smtp = Scripted("smtp")
    metrics = CountingMetrics()
    routes = {Route.EMAIL: [graph, smtp], Route.TEAMS: [Scripted("teams")]}
    d = dispatcher(store, clock, routes, metrics=metrics)
    with capture_logs() as logs:
        asyncio.run(run_until(d, lambda: smtp.sent))
    (row,) = SqlQueries(store.engine).list_notifications("sent", 10, None)
    assert (row.channel, row.last_error) == (
        "smtp",
        "sent after falling back: graph: auth: 403 denied",
    )
    assert [e["event"] for e in logs if e["event"].startswith("notification.")] == [
        "notification.fallback",
        "notification.sent",
    ]
    assert metrics.attempts == [("graph", "fell_back", "auth"), ("smtp", "sent", None)]


def test_a_retryable_failure_is_retried_on_the_same_channel_not_fallen_back(
    store: SqlStore,
) -> None:
    """A 503 from Graph waits for its backoff and retries Graph; SMTP is not used."""
    clock = Clock()
    queue(store, clock, NotificationKind.ESCALATION)
    graph = Scripted("graph", [DeliveryError("server_error", "503", retryable=True)])
    smtp = Scripted("smtp")
    d = dispatcher(
        store,
        clock,
        {Route.EMAIL: [graph, smtp], Route.TEAMS: []},
        retry=RetryPolicy(first_delay=timedelta(milliseconds=20)),
    )

    async def scenario() -> None:
        task = asyncio.create_task(run_until(d, lambda: graph.sent))
        await asyncio.sleep(0.2)
        clock.at += timedelta(seconds=1)  # the backoff has passed
        await task

    asyncio.run(scenario())
    assert len(graph.sent) == 1
    assert not smtp.sent


def test_a_permanent_failure_on_the_last_channel_is_dead_logged_as_error_and_counted(
    store: SqlStore,
) -> None:
    """A Teams 404 dead-letters the notice at once, as an error log line with a hint."""
    clock = Clock()
    queue(store, clock, NotificationKind.SELF_RESOLVED)
    teams = Scripted("teams", [DeliveryError("not_found", "answered 404", retryable=False)])
    metrics = CountingMetrics()
    d = dispatcher(store, clock, {Route.TEAMS: [teams], Route.EMAIL: []}, metrics=metrics)
    queries = SqlQueries(store.engine)
    with capture_logs() as logs:
        asyncio.run(run_until(d, lambda: queries.outbox_counts()["dead"] == 1))
    (dead,) = [e for e in logs if e["event"] == "notification.dead_lettered"]
    assert dead["log_level"] == "error"
    assert dead["error"] == "teams: not_found: answered 404"
    assert "retry --all-dead" in dead["hint"]
    assert metrics.attempts == [("teams", "dead", "not_found")]


def test_retries_stop_at_the_maximum_age(store: SqlStore) -> None:
    """A notification still failing after the maximum age is dead, saying it gave up."""
    clock = Clock()
    queue(store, clock, NotificationKind.ESCALATION)
    clock.at += timedelta(hours=25)  # decided long ago (the engine was down)
    graph = Scripted("graph", [DeliveryError("server_error", "503", retryable=True)])
    d = dispatcher(store, clock, {Route.EMAIL: [graph], Route.TEAMS: []})
    queries = SqlQueries(store.engine)
    asyncio.run(run_until(d, lambda: queries.outbox_counts()["dead"] == 1))
    (row,) = queries.list_notifications("dead", 1, None)
    assert row.last_error is not None
    assert "gave up: retried for its maximum age, 1d" in row.last_error


def test_the_last_retry_is_made_at_the_maximum_age_and_only_its_failure_is_final(
    store: SqlStore,
) -> None:
    """Failing one second before its maximum age, a notification is not dead-lettered early:
    its next attempt is at the maximum age (the backoff is shortened to it); when that attempt
    fails too, it is dead."""
    clock = Clock()
    queue(store, clock, NotificationKind.ESCALATION)
    created = clock.at
    retry = RetryPolicy(timedelta(minutes=5), timedelta(minutes=5), timedelta(hours=1))
    clock.at = created + timedelta(hours=1) - timedelta(seconds=1)
    failure = DeliveryError("server_error", "503", retryable=True)
    graph = Scripted("graph", [failure, failure])
    d = dispatcher(store, clock, {Route.EMAIL: [graph], Route.TEAMS: []}, retry=retry)
    queries = SqlQueries(store.engine)

    async def scenario() -> tuple[datetime | None, int]:
        task = asyncio.create_task(run_until(d, lambda: queries.outbox_counts()["dead"] == 1))
        while True:  # until the first failure is recorded (the row no longer leased)
            rows = queries.list_notifications(None, 1, None)
            if rows and rows[0].attempts == 1 and not rows[0].leased:
                break
            await asyncio.sleep(0.01)
        retry_at, dead_then = rows[0].next_attempt_at, queries.outbox_counts()["dead"]
        clock.at = created + timedelta(hours=1)  # the retry is due, at the maximum age
        await task
        return retry_at, dead_then

    retry_at, dead_then = asyncio.run(scenario())
    assert dead_then == 0
    assert retry_at == created + timedelta(hours=1)
    (row,) = queries.list_notifications("dead", 1, None)
    assert row.attempts == 2
    assert row.last_error is not None
    assert "gave up: retried for its maximum age, 1h" in row.last_error


def test_a_hanging_teams_webhook_never_holds_up_escalations(store: SqlStore) -> None:
    """Teams hangs on every post with all its slots busy; escalations are still sent."""
    clock = Clock()
    kinds = [NotificationKind.SELF_RESOLVED] * 4 + [NotificationKind.ESCALATION] * 3
    queue(store, clock, *kinds)
    teams, graph = Scripted("teams", hang=True), Scripted("graph")
    d = dispatcher(store, clock, {Route.TEAMS: [teams], Route.EMAIL: [graph]}, send_timeout=3.0)
    asyncio.run(run_until(d, lambda: len(graph.sent) == 3))
    assert len(graph.sent) == 3


def test_backoff_doubles_with_jitter_and_honours_retry_after() -> None:
    """Delay = first * 2^(attempts-1), times a jitter in [0.5, 1], at least Retry-After, at
    most max_delay; the age is counted from a re-drive when there was one."""
    policy = RetryPolicy(timedelta(seconds=2), timedelta(seconds=60), timedelta(hours=1))
    now = datetime(2026, 12, 3, tzinfo=UTC)
    n = replace(notification(), attempts=4, created_at=now)
    at = policy.next_attempt(n, now, None)
    assert at is not None
    assert timedelta(seconds=8) <= at - now <= timedelta(seconds=16)
    at = policy.next_attempt(replace(n, attempts=40), now, None)
    assert at is not None
    assert at - now <= timedelta(seconds=60)
    at = policy.next_attempt(n, now, retry_after=120)
    assert at == now + timedelta(seconds=120)
    old = replace(n, created_at=now - timedelta(hours=2))
    assert policy.next_attempt(old, now, None) is None
    assert policy.next_attempt(replace(old, redriven_at=now), now, None) is not None


def test_the_maximum_age_boundary_retries_until_it_and_never_past_it() -> None:
    """Up to the maximum age, then dead: a backoff ending past it is cut to it; at exactly the
    maximum age (or later) there is no next attempt; a Retry-After that ends past it cannot be
    honoured in time, so there is none either, while one that ends before it is kept."""
    policy = RetryPolicy(timedelta(minutes=5), timedelta(minutes=5), timedelta(hours=1))
    created = datetime(2026, 12, 3, tzinfo=UTC)
    deadline = created + timedelta(hours=1)
    n = replace(notification(), attempts=10, created_at=created)
    for left in (timedelta(seconds=1), timedelta(minutes=1), timedelta(minutes=2)):
        assert policy.next_attempt(n, deadline - left, None) == deadline
    assert policy.next_attempt(n, deadline, None) is None
    assert policy.next_attempt(n, deadline + timedelta(seconds=1), None) is None
    soon = deadline - timedelta(seconds=30)
    assert policy.next_attempt(n, soon, retry_after=31) is None
    assert policy.next_attempt(n, soon, retry_after=30) == deadline
    early = deadline - timedelta(minutes=30)
    at = policy.next_attempt(n, early, retry_after=600)
    assert at == early + timedelta(seconds=600)  # Retry-After beats a shorter backoff
