"""Records the shell and the adapters exchange: events, decisions, intents, notifications."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from alertgate.domain.alert import Action
from alertgate.domain.decisions import NotificationKind, Outcome, Reason
from alertgate.domain.incident import Incident
from alertgate.domain.routing import Route


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
    # Not a row state: an attempt result the metrics count (failed for good on one channel,
    # and the next channel of the route was tried).
    FELL_BACK = "fell_back"


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
    """An incident id with everything that happened to it.

    `incident` is None when the id has only recorded events and no incident was ever opened
    (a sender's connectivity test, a resolve with nothing open): the id a webhook answered
    still leads to what was stored.
    """

    incident_id: str
    incident: Incident | None
    events: list[EventRecord]
    decisions: list[DecisionRecord]
    notifications: list[NotificationRecord]
