"""The dispatcher over a real SQLite store with a scripted notifier: concurrency, retry, dead."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.sql import SqlStore
from alertgate.app.delivery import DeliverySettings, Dispatcher, RetryPolicy
from alertgate.app.runtime import InlineRunner
from alertgate.domain.routing import Route
from alertgate.ports import DeliveryError, Notification
from tests.contract.test_store import escalate, open_incident
from tests.support.db import snapshot
from tests.unit.domain.factories import HOLD, T0


class ScriptedNotifier:
    """Answers each send from a script: None = success, or a DeliveryError to raise."""

    channel = "scripted"

    def __init__(self, script: list[DeliveryError | None] | None = None) -> None:
        self.script = script or []
        self.sent: list[int] = []

    async def send(self, notification: Notification) -> None:
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        self.sent.append(notification.id)


class StepClock:
    def __init__(self) -> None:
        self.at = T0 + HOLD

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'd.db'}"


def seeded(url: str, count: int) -> SqlStore:
    engine = engines.create(url)
    migrate.upgrade(engine)
    store = SqlStore(engine)
    escalate(store, [open_incident(store, f"i{n}") for n in range(count)])
    return store


async def run_until(dispatcher: Dispatcher, done: Callable[[], bool], timeout: float = 10) -> None:
    task = asyncio.create_task(dispatcher.run())
    deadline = asyncio.get_running_loop().time() + timeout
    while not done() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    await dispatcher.close()
    await task


def test_more_notifications_than_slots_are_all_delivered_once(url: str) -> None:
    """40 escalations through 4 delivery slots: every one is sent, none twice."""
    store = seeded(url, 40)
    notifier = ScriptedNotifier()
    dispatcher = Dispatcher(
        store,
        InlineRunner(),
        StepClock(),
        {r: [notifier] for r in Route},
        "me",
        settings=DeliverySettings(concurrency=4),
    )
    asyncio.run(run_until(dispatcher, lambda: len(notifier.sent) == 40))
    assert sorted(notifier.sent) == list(range(1, 41))
    assert {n.status for n in snapshot(url).outbox} == {"sent"}


def test_retryable_failure_is_retried_and_permanent_failure_dead_letters(url: str) -> None:
    """A 429 is tried again later (after Retry-After); a 404 is dead-lettered at once."""
    store = seeded(url, 2)
    clock = StepClock()
    notifier = ScriptedNotifier(
        [
            DeliveryError("rate_limited", "429", retryable=True, retry_after=30),
            DeliveryError("client_error", "404", retryable=False),
        ]
    )
    dispatcher = Dispatcher(store, InlineRunner(), clock, {r: [notifier] for r in Route}, "me")

    def both_failed_once() -> bool:
        return sorted(n.status for n in snapshot(url).outbox) == ["dead", "pending"]

    asyncio.run(run_until(dispatcher, both_failed_once))
    assert both_failed_once()
    retry_at = store.next_notification_at()
    assert retry_at is not None
    assert retry_at >= clock.at + timedelta(seconds=30)
    clock.at = retry_at
    again = Dispatcher(store, InlineRunner(), clock, {r: [notifier] for r in Route}, "me")
    asyncio.run(run_until(again, lambda: len(notifier.sent) == 1))
    statuses = sorted((n.status, n.attempts) for n in snapshot(url).outbox)
    assert statuses == [("dead", 1), ("sent", 2)]


def test_retries_stop_after_the_maximum_age(url: str) -> None:
    """A notification that keeps failing is dead-lettered once it is older than the max age."""
    store = seeded(url, 1)
    clock = StepClock()
    clock.at = T0 + HOLD + timedelta(hours=25)
    notifier = ScriptedNotifier([DeliveryError("server_error", "503", retryable=True)])
    dispatcher = Dispatcher(
        store,
        InlineRunner(),
        clock,
        {r: [notifier] for r in Route},
        "me",
        retry=RetryPolicy(max_age=timedelta(hours=24)),
    )
    asyncio.run(run_until(dispatcher, lambda: snapshot(url).outbox[0].status == "dead"))
    assert snapshot(url).outbox[0].status == "dead"
