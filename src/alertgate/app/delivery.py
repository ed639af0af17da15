"""Delivery: lease due notifications from the outbox, send each through its route's notifier,
and record the outcome: sent, retry later (backoff, Retry-After), or dead-lettered."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import structlog

from alertgate.domain.durations import format_duration
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
    Redrive,
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
        """When to try again, or None: the notification has reached its maximum age.

        It is retried *up to* the maximum age: a backoff that would end past it is shortened so
        that the last attempt is made when the notification reaches that age, and a failure
        then is final. A Retry-After that ends past it cannot be honoured in time: final too.
        """
        deadline = self.deadline(notification)
        if now >= deadline:
            return None
        exponent = min(max(0, notification.attempts - 1), 30)
        backoff: timedelta = min(self.max_delay, self.first_delay * 2**exponent)
        at = min(deadline, now + backoff * random.uniform(0.5, 1.0))  # noqa: S311 - jitter
        if retry_after is not None:
            asked = now + timedelta(seconds=retry_after)
            if asked > deadline:
                return None
            at = max(at, asked)
        return at

    def deadline(self, notification: Notification) -> datetime:
        """When the notification reaches its maximum age (counted from a re-drive, if any)."""
        return notification.age_from + self.max_age


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How hard the dispatcher works."""

    concurrency: int = 16  # per route: a hanging Teams webhook never holds up email
    lease_seconds: float = 120.0  # longer than any send may take: see send_timeout
    send_timeout: float = 60.0  # for one notification, fallback channels included
    max_sleep: float = 1.0
    # After a wake-up with no backlog, wait this long so that the outcomes and new intents of
    # a burst share one transaction (each costs an fsync) instead of one each.
    linger: float = 0.02


@dataclass(slots=True)
class _Attempt:
    """What happened while one notification went down its route's channels."""

    channel: str
    error: DeliveryError | None = None
    notes: list[str] = field(default_factory=list)  # failures of channels fallen back from


class Dispatcher:
    """Sends what the outbox holds. Any number of dispatchers (replicas) may share one store.

    Each route has an ordered list of channels: when one fails permanently, the next is tried
    at once (a Graph 403 can still go out by SMTP); a retryable failure is retried later,
    starting again from the first channel.
    """

    def __init__(
        self,
        store: Store,
        runner: Runner,
        clock: Clock,
        notifiers: Mapping[Route, Sequence[Notifier]],
        owner: str,
        retry: RetryPolicy | None = None,
        settings: DeliverySettings | None = None,
        closers: Sequence[Callable[[], Awaitable[None]]] = (),
        metrics: Metrics = NO_METRICS,
        scrub: Callable[[str], str] = str,
    ) -> None:
        self._store, self._runner, self._clock = store, runner, clock
        # Applied to an error before it is stored: a server that quotes the request back
        # would otherwise put the channel's credentials (a URL's sig=) in the outbox table.
        self._scrub = scrub
        self._notifiers = notifiers
        self._owner = owner
        self._retry = retry or RetryPolicy()
        self._settings = settings or DeliverySettings()
        self._closers = closers
        self._metrics = metrics
        self._inflight: dict[Route, set[asyncio.Task[None]]] = {r: set() for r in notifiers}
        self._outcomes: list[DeliveryOutcome] = []
        self._wake = asyncio.Event()
        self._closed = False

    def nudge(self) -> None:
        """New notifications were committed."""
        self._wake.set()

    async def redrive(self, notification_id: int) -> Redrive:
        """Send one dead (or waiting) notification again now, with a fresh maximum age."""
        result = await self._runner.run(self._store.redrive, notification_id, self._clock.now())
        if result is Redrive.QUEUED:
            log.info("notification.redriven", notification_id=notification_id)
            self.nudge()
        return result

    async def redrive_dead(self) -> int:
        """Send every dead notification again now; returns how many."""
        count = await self._runner.run(self._store.redrive_dead, self._clock.now())
        if count:
            log.info("notification.redriven", count=count)
            self.nudge()
        return count

    async def run(self) -> None:
        """Record outcomes and claim work, one transaction a round, until close()."""
        await self._release_leases()
        while not self._closed:
            self._wake.clear()
            backlog, next_due = False, None
            try:
                backlog = await self._exchange()
                if not backlog:
                    next_due = await self._runner.call(self._store.next_notification_at)
            except StoreError as exc:
                log.error("delivery.store_error", error=str(exc))
            if backlog:
                await asyncio.sleep(0)  # let the new deliveries start
                continue
            await self._sleep_until(next_due)
        await self._drain()

    async def close(self) -> None:
        self._closed = True
        self._wake.set()

    async def _release_leases(self) -> None:
        try:
            released = await self._runner.run(self._store.release_leases)
        except StoreError as exc:
            log.error("delivery.store_error", error=str(exc))
            return
        if released:
            log.warning("delivery.leases_released", count=released)

    async def _exchange(self) -> bool:
        """Record finished deliveries and claim as many as there are free slots, in one
        transaction; True when every free slot was filled (more may be waiting)."""
        wants = {
            route: self._settings.concurrency - len(inflight)
            for route, inflight in self._inflight.items()
        }
        wants = {route: free for route, free in wants.items() if free > 0}
        outcomes, self._outcomes = self._outcomes, []
        if not wants and not outcomes:
            return False
        try:
            batch = await self._runner.run(
                self._store.exchange,
                outcomes,
                self._clock.now(),
                wants,
                self._owner,
                self._settings.lease_seconds,
            )
        except StoreError:
            self._outcomes = outcomes + self._outcomes  # keep them; try again next round
            raise
        for notification in batch:
            self._inflight[notification.route].add(asyncio.create_task(self._deliver(notification)))
        return bool(wants) and len(batch) == sum(wants.values())

    async def _deliver(self, notification: Notification) -> None:
        attempt = _Attempt(self._notifiers[notification.route][0].channel)
        try:
            async with asyncio.timeout(self._settings.send_timeout):
                await self._down_the_route(notification, attempt)
        except TimeoutError:
            attempt.error = DeliveryError("timeout", "send timed out", retryable=True)
        if attempt.error is None:
            note = "; ".join(attempt.notes) or None
            outcome = DeliveryOutcome(
                notification.id,
                self._owner,
                self._clock.now(),
                attempt.channel,
                DeliveryStatus.SENT,
                f"sent after falling back: {note}" if note else None,
            )
            self._metrics.delivery_attempted(
                attempt.channel, notification.kind, DeliveryStatus.SENT, None
            )
        else:
            outcome = self._failed(notification, attempt)
        if outcome.error:
            outcome = replace(outcome, error=self._scrub(outcome.error))
        self._log(notification, outcome)
        self._outcomes.append(outcome)
        # Free the slot before waking the loop: a done-callback would run one loop iteration
        # after the wake-up, and the loop would find the route still full and sleep.
        task = asyncio.current_task()
        if task is not None:
            self._inflight[notification.route].discard(task)
        self._wake.set()

    async def _down_the_route(self, notification: Notification, attempt: _Attempt) -> None:
        """Send through the first channel that does not fail permanently."""
        chain = self._notifiers[notification.route]
        for index, notifier in enumerate(chain):
            attempt.channel, attempt.error = notifier.channel, None
            try:
                await notifier.send(notification)
                return
            except DeliveryError as exc:
                attempt.error = exc
            except Exception as exc:
                log.exception("delivery.notifier_crashed", channel=notifier.channel)
                attempt.error = DeliveryError("internal_error", repr(exc), retryable=True)
            if attempt.error.retryable or index + 1 == len(chain):
                return
            fallback = chain[index + 1].channel
            self._metrics.delivery_attempted(
                notifier.channel, notification.kind, DeliveryStatus.FELL_BACK, attempt.error.reason
            )
            attempt.notes.append(f"{notifier.channel}: {attempt.error.reason}: {attempt.error}")
            log.warning(
                "notification.fallback",
                incident_id=notification.incident.id,
                kind=notification.kind.value,
                channel=notifier.channel,
                fallback=fallback,
                error=f"{attempt.error.reason}: {attempt.error.message}",
            )

    def _failed(self, notification: Notification, attempt: _Attempt) -> DeliveryOutcome:
        exc = attempt.error
        assert exc is not None  # only called for a failed attempt
        now = self._clock.now()
        error = "; ".join([*attempt.notes, f"{attempt.channel}: {exc.reason}: {exc.message}"])
        retry_at = None
        if exc.retryable:
            retry_at = self._retry.next_attempt(notification, now, exc.retry_after)
            if retry_at is None:
                error += self._gave_up(notification, now)
        status = DeliveryStatus.PENDING if retry_at else DeliveryStatus.DEAD
        self._metrics.delivery_attempted(attempt.channel, notification.kind, status, exc.reason)
        return DeliveryOutcome(
            notification.id, self._owner, now, attempt.channel, status, error, retry_at
        )

    def _gave_up(self, notification: Notification, now: datetime) -> str:
        age = format_duration(self._retry.max_age)
        if now >= self._retry.deadline(notification):
            return f" (gave up: retried for its maximum age, {age})"
        return f" (gave up: the server asked to wait past its maximum age, {age})"

    def _log(self, notification: Notification, outcome: DeliveryOutcome) -> None:
        fields = {
            "notification_id": notification.id,
            "incident_id": notification.incident.id,
            "episode": notification.incident.episode,
            "kind": notification.kind.value,
            "route": notification.route.value,
            "channel": outcome.channel,
            "attempt": notification.attempts,
        }
        if outcome.status == DeliveryStatus.SENT:
            log.info("notification.sent", note=outcome.error, **fields)
        elif outcome.status == DeliveryStatus.PENDING:
            log.warning(
                "notification.retry", error=outcome.error, retry_at=str(outcome.retry_at), **fields
            )
        else:
            log.error(
                "notification.dead_lettered",
                error=outcome.error,
                hint="fix the cause, then: alertgate outbox retry --all-dead",
                **fields,
            )

    async def _sleep_until(self, due: datetime | None) -> None:
        delay = self._settings.max_sleep
        if due is not None:
            delay = min(delay, max(0.0, (due - self._clock.now()).total_seconds()))
        if self._wake.is_set():
            return
        if delay <= 0:
            # Rows are due that the claim did not take: their route is at its concurrency
            # limit. Returning now would spin on the event loop (and starve ingest); a
            # finishing delivery sets _wake and frees a slot.
            delay = self._settings.max_sleep
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)
        if self._wake.is_set() and not self._closed:
            await asyncio.sleep(self._settings.linger)

    async def _drain(self) -> None:
        inflight = set().union(*self._inflight.values())
        if inflight:
            await asyncio.wait(inflight, timeout=self._settings.send_timeout)
        if self._outcomes:
            outcomes, self._outcomes = self._outcomes, []
            try:
                await self._runner.run(self._store.record_deliveries, outcomes)
            except StoreError as exc:
                log.error("delivery.unrecorded_at_shutdown", count=len(outcomes), error=str(exc))
        for close in self._closers:
            await close()
