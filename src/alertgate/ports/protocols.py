"""The Protocols adapters implement: store, read side, notifiers, clock, runner, metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol, TypeVar

from alertgate.domain.alert import Action, AlertEvent
from alertgate.domain.decisions import NotificationKind, Outcome, Reason
from alertgate.domain.incident import Incident, State
from alertgate.domain.routing import Route
from alertgate.ports.records import (
    Changes,
    DeliveryOutcome,
    Notification,
    NotificationRecord,
    Page,
    Redrive,
    StoreStats,
    Timeline,
)

T = TypeVar("T")


class WriteTx(Protocol):
    """One write transaction. Leaving the context commits; an exception rolls back."""

    def incidents_for_update(self, ids: Collection[str]) -> dict[str, Incident]:
        """Load and lock these incidents until the transaction ends."""
        ...

    def known_delivery_keys(self, pairs: Collection[tuple[str, str]]) -> set[str]:
        """The delivery keys of those (incident id, delivery key) pairs already in the log."""
        ...

    def claim_due_holds(self, now: datetime, limit: int) -> list[Incident]:
        """Lock up to `limit` incidents whose deadline has passed, earliest first: holds, and
        the closing time of an escalated alert that never resolves (domain/no_resolve.py).

        Rows another replica has locked are skipped, not waited for.
        """
        ...

    def apply(self, changes: Changes) -> None:
        """Write the changes; raises ConcurrentUpdateError when a compare-and-set fails."""
        ...


class Store(Protocol):
    """The durable store: event log, incidents, decisions and the outbox."""

    def write(self) -> AbstractContextManager[WriteTx]:
        """Open a write transaction."""
        ...

    def next_deadline(self) -> datetime | None:
        """The earliest hold deadline, if anything is held."""
        ...

    def claim_notifications(
        self,
        now: datetime,
        limit: int,
        owner: str,
        lease_seconds: float,
        route: Route | None = None,
    ) -> list[Notification]:
        """Lease up to `limit` due pending notifications (of one route, if given) to `owner`."""
        ...

    def next_notification_at(self) -> datetime | None:
        """When the earliest pending notification becomes due."""
        ...

    def record_deliveries(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        """Record delivery outcomes for notifications still leased by their owner."""
        ...

    def exchange(
        self,
        outcomes: Sequence[DeliveryOutcome],
        now: datetime,
        wants: Mapping[Route, int],
        owner: str,
        lease_seconds: float,
    ) -> list[Notification]:
        """record_deliveries(outcomes), then claim up to wants[route] per route, in one
        transaction."""
        ...

    def release_leases(self) -> int:
        """At start-up, hand back notifications leased by a process that cannot be running.

        A single-process store (SQLite) releases every lease: whoever held one was killed. A
        shared store (PostgreSQL) releases none: another replica may be sending; its leases
        expire by themselves.
        """
        ...

    def redrive(self, notification_id: int, now: datetime) -> Redrive:
        """Make one dead or waiting notification due now, with a fresh maximum age."""
        ...

    def redrive_dead(self, now: datetime) -> int:
        """Make every dead notification due now; returns how many."""
        ...

    def ping(self) -> None:
        """Raise StoreError unless the database answers."""
        ...


class IncidentQueries(Protocol):
    """The read side: what people and dashboards look at."""

    def list_incidents(self, state: State | None, limit: int, cursor: str | None) -> Page: ...

    def timeline(self, incident_id: str) -> Timeline | None: ...

    def list_notifications(
        self, status: str | None, limit: int, before: int | None
    ) -> list[NotificationRecord]:
        """Outbox rows, newest first; `before` (an id) pages back."""
        ...

    def outbox_counts(self) -> dict[str, int]:
        """How many notifications are pending, sent and dead."""
        ...

    def stats(self) -> StoreStats:
        """Counts for the store gauges in /metrics; cheap (index-only where it can be)."""
        ...


class Notifier(Protocol):
    """Sends one notification through one channel; raises DeliveryError on failure."""

    @property
    def channel(self) -> str:
        """The channel's name in logs, metrics and the outbox (e.g. "teams", "log")."""
        ...

    async def send(self, notification: Notification) -> None: ...


class ProbedNotifier(Notifier, Protocol):
    """A notifier that `alertgate test-notify` can explain."""

    @property
    def target(self) -> str:
        """Where it sends, secrets masked (e.g. "Graph sendMail as a@b to c@d")."""
        ...

    async def preflight(self) -> list[str]:
        """Checks that need no message (e.g. acquire a token); raises DeliveryError."""
        ...

    def explain_success(self) -> str:
        """What a successful send means, and what to check when nothing arrives."""
        ...


class Clock(Protocol):
    """The wall clock, as an argument (tests and replays pass their own)."""

    def now(self) -> datetime: ...


class Runner(Protocol):
    """Runs blocking store calls: inline on the event loop (SQLite) or on a worker thread.
    When `run` returns, what the call committed is durable."""

    def run(self, fn: Callable[..., T], /, *args: object) -> Awaitable[T]: ...

    def call(self, fn: Callable[..., T], /, *args: object) -> Awaitable[T]:
        """Like run(), without waiting for what the call committed to be durable: for reads,
        and for writers that await synced() before acting on what they wrote."""
        ...

    def synced(self) -> Awaitable[None]:
        """Return once everything committed so far is durable."""
        ...


SourceParser = Callable[[bytes], list[AlertEvent]]
"""Turns a webhook body into alert events; raises domain.errors.PayloadError."""


class Metrics(Protocol):
    """Counts what the engine does, for GET /metrics.

    Every method but `exposition` is called on the hot path (one call per event, request,
    decision or delivery attempt): an implementation must do no more than bump a counter.
    """

    content_type: str

    def event_received(self, source: str, action: Action, duplicate: bool) -> None:
        """An event of an accepted webhook request (`duplicate`: a sender's retry)."""
        ...

    def request_rejected(self, source: str, reason: str) -> None:
        """A webhook request was answered with an error; `reason` is the error code."""
        ...

    def request_ingested(self, source: str, seconds: float) -> None:
        """A webhook request was committed and answered `seconds` after it arrived."""
        ...

    def alerts_truncated(self, source: str, count: int) -> None:
        """An accepted body said its sender left `count` alerts out (Alertmanager's
        `truncatedAlerts`): alerts alertgate never saw."""
        ...

    def decided(self, outcome: Outcome, reason: Reason, held_seconds: float | None) -> None:
        """A decision; `held_seconds` when it ended a hold (self-resolved or escalated)."""
        ...

    def delivery_attempted(
        self, channel: str, kind: NotificationKind, status: str, reason: str | None
    ) -> None:
        """A delivery attempt on one channel ended: DeliveryStatus.SENT, .PENDING (will retry),
        .DEAD, or .FELL_BACK (failed for good there; the route's next channel is tried)."""
        ...

    def exposition(self, stats: StoreStats | None) -> bytes:
        """Every metric in the Prometheus text format; `stats` None: the store did not answer."""
        ...


class NoMetrics:
    """Metrics that count nothing: for parts built without a metrics backend (unit tests)."""

    content_type = "text/plain; version=0.0.4; charset=utf-8"

    def event_received(self, source: str, action: Action, duplicate: bool) -> None:
        pass

    def request_rejected(self, source: str, reason: str) -> None:
        pass

    def request_ingested(self, source: str, seconds: float) -> None:
        pass

    def alerts_truncated(self, source: str, count: int) -> None:
        pass

    def decided(self, outcome: Outcome, reason: Reason, held_seconds: float | None) -> None:
        pass

    def delivery_attempted(
        self, channel: str, kind: NotificationKind, status: str, reason: str | None
    ) -> None:
        pass

    def exposition(self, stats: StoreStats | None) -> bytes:
        return b""


NO_METRICS: Metrics = NoMetrics()
