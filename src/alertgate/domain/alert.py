"""Normalized alert events: what every source parser produces and the lifecycle consumes."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime


class Action(enum.StrEnum):
    """What a sender says happened to an alert."""

    TRIGGER = "trigger"
    RESOLVE = "resolve"
    TEST = "test"  # a sender's connectivity test: recorded, never decided


class Priority(enum.StrEnum):
    """Alert priority, P1 (most urgent) to P5."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"
    P5 = "P5"


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One alert notification from one sender, in alertgate's own terms.

    `identity` is the sender's stable identity of the alerting thing (for Coralogix the alert
    definition's unique identifier plus its group-by values), never a field that changes when
    the alert definition is edited.
    """

    source: str
    identity: str
    action: Action
    name: str
    priority: Priority | None = None
    instance: str | None = None
    link: str | None = None
    description: str | None = None
    event_time: datetime | None = None
    labels: tuple[tuple[str, str], ...] = ()
    # The sender re-sends each alert's current state rather than one message per change
    # (Alertmanager): its trigger after a resolve repeats the original start time, and must
    # still open a new episode. See delivery_key.
    level_triggered: bool = False
    # What the event log keeps as this event's body when one body carries several alerts: this
    # alert alone, in the sender's own format. None keeps the whole body (a grouped body kept
    # whole for each of its N alerts would store it N times).
    payload: bytes | None = field(default=None, repr=False, compare=False)
    # How many alerts of the same body the sender says it left out (Alertmanager's
    # `truncatedAlerts`, when its receiver sets `max_alerts`): alertgate never sees them. Counted
    # and logged at intake; nothing else reads it.
    truncated_alerts: int = field(default=0, compare=False)

    incident_key: str = field(init=False, repr=False, compare=False)
    """The incident this event belongs to, unique across sources."""
    incident_id: str = field(init=False, repr=False, compare=False)
    """A short, stable id for the incident, the same on every replica."""

    def __post_init__(self) -> None:
        # Derived once: ingest reads both several times per event.
        key = f"{self.source}:{self.identity}"
        object.__setattr__(self, "incident_key", key)
        object.__setattr__(self, "incident_id", incident_id_for(key))


def incident_id_for(incident_key: str) -> str:
    """Derive the public incident id (16 hex digits) from an incident key."""
    return hashlib.sha256(incident_key.encode()).hexdigest()[:16]


def delivery_key(event: AlertEvent, target_episode: int) -> str:
    """The identity of one delivery, so that a sender's retry is recognised and stored once.

    A sender that stamps its events (Coralogix `timestampMs`, Alertmanager `startsAt`/`endsAt`)
    is deduplicated on (incident, action, event time): a re-notification carries a new time and is
    kept, a retry of the same request is not. An unstamped event (the proof of concept's
    three-field body) is deduplicated on the episode it would act on, so a repeated TRIGGERED for
    an open incident is one event while a TRIGGERED after a resolution opens a new episode.

    A level-triggered sender's stamp is a state's start, not a message's time: Alertmanager sends
    `firing` with the same `startsAt` again when an alert it had resolved fires anew (a resolve
    timeout, then the same alert posted again). Its events are deduplicated on both, within the
    episode they act on, so that re-firing is heard while a re-send inside an episode is not.
    """
    if event.event_time is not None:
        stamp = f"t:{round(event.event_time.timestamp() * 1_000_000)}"
        if event.level_triggered:
            stamp = f"{stamp}\x1fepisode:{target_episode}"
    else:
        stamp = f"episode:{target_episode}"
    material = f"{event.incident_key}\x1f{event.action.value}\x1f{stamp}"
    return hashlib.sha256(material.encode()).hexdigest()
