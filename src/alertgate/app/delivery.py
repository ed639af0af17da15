"""Delivery: lease due notifications from the outbox, send each through its route's notifier,
and record the outcome: sent, retry later (backoff, Retry-After), or dead-lettered."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from alertgate.domain.routing import Route
from alertgate.ports import (
    NO_METRICS,
    Clock,
    DeliveryError,
    DeliveryOutcome,
    DeliveryStatus,
    Metrics,
    Notification,
    Notifier,
    Runner,
    Store,
    StoreError,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, up to a maximum age; then the notification is dead."""

    first_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(hours=24)

    def next_attempt(
        self, notification: Notification, now: datetime, retry_after: float | None
    ) -> datetime | None:
        """When to try again, or None when the notification is too old to keep trying."""
        backoff = min(self.max_delay, self.first_delay * 2 ** max(0, notification.attempts - 1))
        delay = backoff * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        at = now + delay
        return None if at - notification.created_at > self.max_age else at


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How hard the dispatcher works."""

    concurrency: int = 16
    lease_seconds: float = 120.0  # longer than any send may take: see send_timeout
    send_timeout: float = 60.0
    max_sleep: float = 1.0


class Dispatcher:
    """Sends what the outbox holds. Any number of dispatchers (replicas) may share one store."""

    def __init__(
        self,
        store: Store,
        runner: Runner,
        clock: Clock,
        notifiers: Mapping[Route, Notifier],
        owner: str,
        retry: RetryPolicy | None = None,
        settings: DeliverySettings | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._store, self._runner, self._clock = store, runner, clock
        self._notifiers = notifiers
        self._owner = owner
        self._retry = retry or RetryPolicy()
        self._settings = settings or DeliverySettings()
        self._metrics = metrics
        self._inflight: set[asyncio.Task[None]] = set()
        self._outcomes: list[DeliveryOutcome] = []
        self._wake = asyncio.Event()
        self._closed = False

    def nudge(self) -> None:
        """New notifications were committed."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and send until close(); outcomes are recorded in batches."""
        while not self._closed:
            self._wake.clear()
            try:
                await self._record()
                claimed = await self._claim()
                next_due = (
                    None if claimed else await self._runner.run(self._store.next_notification_at)
                )
            except StoreError as exc:
                log.error("delivery.store_error", error=str(exc))
                claimed, next_due = 0, None
            if claimed:
                continue
            await self._sleep_until(next_due)
        await self._drain()

    async def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def _claim(self) -> int:
        free = self._settings.concurrency - len(self._inflight)
        if free <= 0:
            return 0
        batch = await self._runner.run(
            self._store.claim_notifications,
            self._clock.now(),
            free,
            self._owner,
            self._settings.lease_seconds,
        )
        for notification in batch:
            task = asyncio.create_task(self._deliver(notification))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return len(batch)

    async def _deliver(self, notification: Notification) -> None:
        notifier = self._notifiers[notification.route]
        try:
            async with asyncio.timeout(self._settings.send_timeout):
                await notifier.send(notification)
        except DeliveryError as exc:
            outcome = self._failed(notification, notifier.channel, exc)
        except TimeoutError:
            error = DeliveryError("timeout", "send timed out", retryable=True)
            outcome = self._failed(notification, notifier.channel, error)
        except Exception as exc:
            log.exception("delivery.notifier_crashed", channel=notifier.channel)
            error = DeliveryError("internal_error", repr(exc), retryable=True)
            outcome = self._failed(notification, notifier.channel, error)
        else:
            outcome = DeliveryOutcome(
                notification.id,
                self._owner,
                self._clock.now(),
                notifier.channel,
                DeliveryStatus.SENT,
            )
            self._metrics.delivery_attempted(
                outcome.channel, notification.kind, outcome.status, None
            )
        self._log(notification, outcome)
        self._outcomes.append(outcome)
        self._wake.set()

    def _failed(
        self, notification: Notification, channel: str, exc: DeliveryError
    ) -> DeliveryOutcome:
        now = self._clock.now()
        error = f"{exc.reason}: {exc.message}"
        retry_at = (
            self._retry.next_attempt(notification, now, exc.retry_after) if exc.retryable else None
        )
        status = DeliveryStatus.PENDING if retry_at else DeliveryStatus.DEAD
        self._metrics.delivery_attempted(channel, notification.kind, status, exc.reason)
        return DeliveryOutcome(notification.id, self._owner, now, channel, status, error, retry_at)

    def _log(self, notification: Notification, outcome: DeliveryOutcome) -> None:
        fields = {
            "incident_id": notification.incident.id,
            "episode": notification.incident.episode,
            "kind": notification.kind.value,
            "channel": outcome.channel,
            "attempt": notification.attempts,
        }
        if outcome.status == DeliveryStatus.SENT:
            log.info("notification.sent", **fields)
        elif outcome.status == DeliveryStatus.PENDING:
            log.warning(
                "notification.retry", error=outcome.error, retry_at=str(outcome.retry_at), **fields
            )
        else:
            log.error("notification.dead_lettered", error=outcome.error, **fields)

    async def _record(self) -> None:
        if self._outcomes:
            outcomes, self._outcomes = self._outcomes, []
            try:
                await self._runner.run(self._store.record_deliveries, outcomes)
            except StoreError:
                self._outcomes = outcomes + self._outcomes  # keep them; try again next round
                raise

    async def _sleep_until(self, due: datetime | None) -> None:
        delay = self._settings.max_sleep
        if due is not None:
            delay = min(delay, max(0.0, (due - self._clock.now()).total_seconds()))
        if delay <= 0 or self._wake.is_set():
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def _drain(self) -> None:
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=self._settings.send_timeout)
        try:
            await self._record()
        except StoreError as exc:
            log.error("delivery.unrecorded_at_shutdown", count=len(self._outcomes), error=str(exc))
