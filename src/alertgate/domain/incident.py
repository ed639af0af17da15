"""The incident: one alerting thing, its current episode and where that episode stands."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from alertgate.domain.alert import Priority
from alertgate.domain.decisions import Reason


class State(enum.StrEnum):
    """Where the current episode of an incident stands."""

    HOLDING = "holding"  # triggered; waiting to see whether it resolves on its own
    ESCALATED = "escalated"  # the hold expired while it was still open; people were told
    RESOLVED = "resolved"  # the episode is over (on its own, or after escalation)
    EXPIRED = "expired"  # the episode is over without a resolve: its sender never sends one


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident (a source identity) and its current episode.

    An episode runs from a trigger to its resolution; a trigger after a resolution opens the next
    episode of the same incident. `version` increases with every change and guards concurrent
    writers (compare-and-set in the store).
    """

    id: str
    key: str
    source: str
    name: str
    state: State
    episode: int
    version: int
    opened_at: datetime  # when alertgate received the trigger that opened the episode
    triggered_at: datetime  # when the sender says it triggered (opened_at if it does not say)
    last_event_at: datetime
    reason: Reason  # the reason of the last decision about this episode
    # the next timer: the hold expiry while HOLDING; for an alert that never resolves, also the
    # end of its ESCALATED episode (domain/no_resolve.py). None in every other state.
    deadline: datetime | None = None
    escalated_at: datetime | None = None
    resolved_at: datetime | None = None  # when the episode ended (resolved, or EXPIRED)
    priority: Priority | None = None
    instance: str | None = None
    link: str | None = None
    description: str | None = None
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def is_open(self) -> bool:
        """True while the episode has not ended (resolved, or expired without a resolve)."""
        return self.state not in (State.RESOLVED, State.EXPIRED)
