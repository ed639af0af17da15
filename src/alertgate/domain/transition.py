"""The values a lifecycle step works on: its inputs (alert events and the scheduler's timer)
and its result (the incident as it is now, and the effects the step asks for)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from alertgate.domain.alert import Action, AlertEvent
from alertgate.domain.decisions import Decision, Effect, Notify, Outcome, Reason
from alertgate.domain.errors import DomainError
from alertgate.domain.incident import Incident
from alertgate.domain.policy import Policy


class EventKind(enum.StrEnum):
    """The inputs of the lifecycle."""

    TRIGGER = "trigger"
    RESOLVE = "resolve"
    HOLD_EXPIRED = "hold_expired"


@dataclass(frozen=True, slots=True)
class HoldExpired:
    """The scheduler's event: the hold deadline of the current episode has come."""


Event = AlertEvent | HoldExpired


@dataclass(frozen=True, slots=True)
class Transition:
    """The result of one step: the incident as it is now, and what must happen because of it.

    `effects` are the event's own; `overdue` holds the timers that had fallen due before the
    event came (a late scheduler), each a transition of its own, in the order they fired.
    """

    incident: Incident | None
    effects: tuple[Effect, ...]
    overdue: tuple[Transition, ...] = ()

    @property
    def decision(self) -> Decision:
        """The decision the event itself took (every event takes exactly one)."""
        return next(e for e in self.effects if isinstance(e, Decision))

    @property
    def stages(self) -> tuple[Transition, ...]:
        """Every transition this step took, in order: overdue timers first, then the event's."""
        if not self.overdue:
            return (self,)
        return (*self.overdue, Transition(self.incident, self.effects))

    @property
    def notifications(self) -> tuple[Notify, ...]:
        """The notifications this step asks for."""
        return tuple(e for e in self.effects if isinstance(e, Notify))


Handler = Callable[[Incident | None, Event, datetime, Policy], Transition]


def kind_of(event: Event) -> EventKind:
    """Classify a lifecycle input."""
    if isinstance(event, HoldExpired):
        return EventKind.HOLD_EXPIRED
    if event.action is Action.TRIGGER:
        return EventKind.TRIGGER
    if event.action is Action.RESOLVE:
        return EventKind.RESOLVE
    raise DomainError(f"a {event.action.value} event is recorded, not decided")


def needs_alert(event: Event) -> AlertEvent:
    """The event as an alert event (a row that only alert events reach)."""
    if not isinstance(event, AlertEvent):
        raise DomainError("this transition needs an alert event")
    return event


def needs_incident(incident: Incident | None) -> Incident:
    """The incident (a row that only existing incidents reach)."""
    if incident is None:
        raise DomainError("this transition needs an existing incident")
    return incident


def recorded(incident: Incident | None, reason: Reason, detail: str) -> Transition:
    """A step that changes nothing: the event is kept in the log with its reason."""
    return Transition(incident, (Decision(Outcome.RECORDED, reason, detail),))
