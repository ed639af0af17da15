"""The ports: records the shell and the adapters exchange, and the Protocols adapters implement."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from alertgate.domain.alert import Action, AlertEvent
from alertgate.domain.decisions import NotificationKind, Outcome, Reason
from alertgate.domain.incident import Incident, State
from alertgate.domain.routing import Route

T = TypeVar("T")


# --- records -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One accepted delivery, as kept in the append-only event log."""

    delivery_key: str
    incident_id: str
    incident_key: str
    source: str
    action: Action
    episode: int
    received_at: datetime
    event_time: datetime | None
    reason: Reason
    payload: bytes
    id: int | None = None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One decision about an incident episode, with its reason."""

    incident_id: str
    episode: int
    decided_at: datetime
    outcome: Outcome
    reason: Reason
    detail: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Intent:
    """A notification to send, written to the outbox in the transaction that decided it."""

    idempotency_key: str
    incident: Incident  # the incident as it was decided: what the message shows
    kind: NotificationKind
    route: Route
    reason: Reason
    detail: str
    created_at: datetime


class DeliveryStatus:
    """Outbox row states."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Notification:
    """An outbox row claimed for delivery."""

    id: int
    idempotency_key: str
    incident: Incident
    kind: NotificationKind
    route: Route
    reason: Reason
    detail: str
    created_at: datetime
    attempts: int  # attempts so far, this one included (counted again from 0 after a re-drive)
    redriven_at: datetime | None = None  # an operator re-drove it: its maximum age restarts

    @property
    def age_from(self) -> datetime:
        """Where the maximum age of its retries is counted from."""
        return self.redriven_at or self.created_at


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """An outbox row as the read side shows it."""

    id: int
    incident_id: str
    episode: int
    kind: NotificationKind
    route: Route
    reason: Reason
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    channel: str | None
    last_error: str | None
    alert: str | None = None  # the alert's name, as the notification shows it
    leased: bool = False  # a dispatcher is sending it right now


class Redrive(enum.StrEnum):
    """What asking to re-drive one notification did."""

    QUEUED = "queued"  # dead or waiting for its retry: it is due now
    NOT_FOUND = "not_found"
    ALREADY_SENT = "already_sent"  # re-sending would be a duplicate; nothing changed
    IN_FLIGHT = "in_flight"  # being sent right now; nothing changed


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What happened to one delivery attempt."""

    notification_id: int
    owner: str
    at: datetime
    channel: str
    status: str  # DeliveryStatus.SENT, .PENDING (retry at `retry_at`) or .DEAD
    error: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoreStats:
    """What the store holds now: read when /metrics is scraped, never kept in memory."""

    pending_notifications: int
    dead_notifications: int
    oldest_pending_at: datetime | None  # created_at of the oldest notification not yet sent
    holding: int  # incidents held, waiting for their hold to expire
    escalated: int  # escalated incidents not resolved yet
    last_event_at: datetime | None  # when the newest event was received (any replica)


@dataclass(slots=True)
class Changes:
    """Everything one write transaction adds or changes."""

    events: list[EventRecord] = field(default_factory=list)
    created: list[Incident] = field(default_factory=list)
    # changed incidents, each with the version it had when it was loaded (compare-and-set)
    updated: list[tuple[Incident, int]] = field(default_factory=list)
    decisions: list[DecisionRecord] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.events or self.created or self.updated or self.decisions or self.intents)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of incidents, newest change first."""

    incidents: list[Incident]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Timeline:
    """An incident with everything that happened to it."""

    incident: Incident
    events: list[EventRecord]
    decisions: list[DecisionRecord]
    notifications: list[NotificationRecord]


# --- errors --------------------------------------------------------------------------------


class StoreError(Exception):
    """The store could not do what was asked (unreachable, or a transaction failed)."""


class ConcurrentUpdateError(StoreError):
    """Another writer changed or created the same incident first; retry the transaction."""


class InvalidCursorError(ValueError):
    """A pagination cursor that was not handed out by this API."""


class DeliveryError(Exception):
    """A notifier could not deliver. `retryable` says whether trying again can help."""

    def __init__(
        self, reason: str, message: str, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


# --- protocols -----------------------------------------------------------------------------


class WriteTx(Protocol):
    """One write transaction. Leaving the context commits; an exception rolls back."""

    def incidents_for_update(self, ids: Collection[str]) -> dict[str, Incident]:
        """Load and lock these incidents until the transaction ends."""
        ...

    def known_delivery_keys(self, keys: Collection[str]) -> set[str]:
        """Those of `keys` that are already in the event log."""
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
    """Runs blocking store calls: inline on the event loop (SQLite) or on a worker thread."""

    def run(self, fn: Callable[..., T], /, *args: object) -> Awaitable[T]: ...


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

    def decided(self, outcome: Outcome, reason: Reason, held_seconds: float | None) -> None:
        """A decision; `held_seconds` when it ended a hold (self-resolved or escalated)."""
        ...

    def delivery_attempted(
        self, channel: str, kind: NotificationKind, status: str, reason: str | None
    ) -> None:
        """A delivery attempt ended: DeliveryStatus.SENT, .PENDING (will retry) or .DEAD."""
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

    def decided(self, outcome: Outcome, reason: Reason, held_seconds: float | None) -> None:
        pass

    def delivery_attempted(
        self, channel: str, kind: NotificationKind, status: str, reason: str | None
    ) -> None:
        pass

    def exposition(self, stats: StoreStats | None) -> bytes:
        return b""


NO_METRICS: Metrics = NoMetrics()
