"""The incident lifecycle: `step()` and the transition table it reads.

`step(incident, event, now, policy)` is the one decision function. It never reads a clock and
never does I/O: the same code decides live and in a replay of history.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType

from alertgate.domain.alert import Action, AlertEvent
from alertgate.domain.decisions import (
    Decision,
    Effect,
    NotificationKind,
    Notify,
    Outcome,
    Reason,
)
from alertgate.domain.durations import format_duration
from alertgate.domain.errors import DomainError
from alertgate.domain.incident import Incident, State
from alertgate.domain.no_resolve import NoResolveMode
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
    """The result of one step: the incident as it is now, and what must happen because of it."""

    incident: Incident | None
    effects: tuple[Effect, ...]

    @property
    def decision(self) -> Decision:
        """The decision this step took (every step takes exactly one)."""
        return next(e for e in self.effects if isinstance(e, Decision))

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


def step(incident: Incident | None, event: Event, now: datetime, policy: Policy) -> Transition:
    """Apply one event to an incident (None: not seen yet) at time `now`."""
    if now.tzinfo is None:
        raise DomainError("step() needs an aware datetime for now")
    state = incident.state if incident is not None else None
    return TRANSITIONS[(state, kind_of(event))](incident, event, now, policy)


def _alert(event: Event) -> AlertEvent:
    if not isinstance(event, AlertEvent):
        raise DomainError("this transition needs an alert event")
    return event


def _current(incident: Incident | None) -> Incident:
    if incident is None:
        raise DomainError("this transition needs an existing incident")
    return incident


def _record(incident: Incident | None, reason: Reason, detail: str) -> Transition:
    return Transition(incident, (Decision(Outcome.RECORDED, reason, detail),))


def open_episode(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A trigger with nothing open starts a new episode and holds it for its window."""
    alert = _alert(event)
    window = policy.hold.window(alert.priority)
    rule = policy.no_resolve.rule_for(alert.source, alert.name, alert.labels)
    hold = window if rule is None or rule.mode is NoResolveMode.ESCALATE else rule.length(window)
    opened = Incident(
        id=alert.incident_id,
        key=alert.incident_key,
        source=alert.source,
        name=alert.name,
        state=State.HOLDING,
        episode=incident.episode + 1 if incident else 1,
        version=incident.version + 1 if incident else 1,
        opened_at=now,
        triggered_at=alert.event_time or now,
        last_event_at=now,
        reason=Reason.HELD,
        deadline=now + hold,
        priority=alert.priority,
        instance=alert.instance,
        link=alert.link,
        description=alert.description,
        labels=alert.labels,
    )
    prio = alert.priority.value if alert.priority else "no priority"
    if rule is None:
        detail = f"held for {format_duration(hold)} ({prio}) until it resolves or the hold expires"
    else:
        detail = f"held for {format_duration(hold)} ({prio}); {rule.plan(window)}"
    return Transition(opened, (Decision(Outcome.HELD, Reason.HELD, detail),))


def ignore_trigger(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A trigger for an open episode (a sender retry or a re-notification) changes nothing."""
    current = _current(incident)
    return _record(current, Reason.DUPLICATE_TRIGGER, f"episode {current.episode} is already open")


def _resolved(
    current: Incident,
    now: datetime,
    outcome: Outcome,
    reason: Reason,
    kind: NotificationKind,
    detail: str,
) -> Transition:
    """The episode is over: state, timestamps, the decision and its one notification."""
    resolved = replace(
        current,
        state=State.RESOLVED,
        version=current.version + 1,
        resolved_at=now,
        last_event_at=now,
        # Its hold (or, for an alert declared never to resolve, its close timer) is moot now.
        deadline=None,
        reason=reason,
    )
    return Transition(resolved, (Decision(outcome, reason, detail), Notify(kind, reason)))


def resolve_in_hold(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A resolve inside the hold: it fixed itself; tell the team's channel, page nobody."""
    current = _current(incident)
    took = format_duration(now - current.opened_at)
    return _resolved(
        current,
        now,
        Outcome.SELF_RESOLVED,
        Reason.RESOLVED_IN_HOLD,
        NotificationKind.SELF_RESOLVED,
        f"resolved on its own after {took}, inside the hold",
    )


def expire_hold(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """The hold expired with the episode still open: escalate, once."""
    current = _current(incident)
    if current.deadline is None or now < current.deadline:
        return _record(current, Reason.NOT_DUE, "the hold has not expired yet")
    held = current.deadline - current.opened_at
    rule = policy.no_resolve.rule_for(current.source, current.name, current.labels)
    if rule is not None and rule.mode is not NoResolveMode.ESCALATE:
        return _end_without_resolve(current, rule.mode, now)
    closes = None if rule is None else max(now, current.opened_at + rule.length(held))
    escalated = replace(
        current,
        state=State.ESCALATED,
        version=current.version + 1,
        escalated_at=now,
        deadline=closes,
        reason=Reason.HOLD_EXPIRED,
    )
    detail = f"still open after its {format_duration(held)} hold"
    if closes is not None:
        detail += (
            "; it never sends a resolve, so the episode closes "
            f"in {format_duration(closes - now)} and a later trigger pages again"
        )
    return Transition(
        escalated,
        (
            Decision(Outcome.ESCALATED, Reason.HOLD_EXPIRED, detail),
            Notify(NotificationKind.ESCALATION, Reason.HOLD_EXPIRED),
        ),
    )


def _ended(current: Incident, reason: Reason, now: datetime) -> Incident:
    """The episode over without a resolve: EXPIRED, its timer gone, `resolved_at` its end."""
    return replace(
        current,
        state=State.EXPIRED,
        version=current.version + 1,
        resolved_at=now,
        deadline=None,
        reason=reason,
    )


def _end_without_resolve(current: Incident, mode: NoResolveMode, now: datetime) -> Transition:
    """The hold of an alert that never resolves ended: close the episode, with a notice or not."""
    inform = mode is NoResolveMode.INFORM
    ended = _ended(
        current, Reason.NO_RESOLVE_INFORMED if inform else Reason.NO_RESOLVE_EXPIRED, now
    )
    lasted = format_duration(now - current.opened_at)
    if inform:
        detail = f"ended after {lasted} without a resolve (it never sends one); nobody paged"
        return Transition(
            ended,
            (
                Decision(Outcome.INFORMED, Reason.NO_RESOLVE_INFORMED, detail),
                Notify(NotificationKind.INFORMATION, Reason.NO_RESOLVE_INFORMED),
            ),
        )
    detail = f"expired after {lasted} without a resolve (it never sends one); nobody told"
    return Transition(ended, (Decision(Outcome.EXPIRED, Reason.NO_RESOLVE_EXPIRED, detail),))


def close_escalated(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """The timer of an escalated alert that never resolves: its episode ends, quietly.

    Only such an episode has a deadline while ESCALATED; for any other it is a stale timer.
    """
    current = _current(incident)
    if current.deadline is None:
        return ignore_timer(current, event, now, policy)
    if now < current.deadline:
        return _record(current, Reason.NOT_DUE, "the episode does not close yet")
    closed = _ended(current, Reason.NO_RESOLVE_CLOSED, now)
    detail = (
        f"closed {format_duration(now - current.opened_at)} after it triggered: it never sends "
        "a resolve; the next trigger starts a new episode"
    )
    return Transition(closed, (Decision(Outcome.CLOSED, Reason.NO_RESOLVE_CLOSED, detail),))


def resolve_escalated(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A resolve after an escalation: one follow-up to the people who were paged."""
    current = _current(incident)
    return _resolved(
        current,
        now,
        Outcome.RESOLVED_AFTER_ESCALATION,
        Reason.RESOLVED_AFTER_ESCALATION,
        NotificationKind.RESOLUTION,
        f"resolved {format_duration(now - current.opened_at)} after it triggered",
    )


def record_orphan_resolve(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A resolve with nothing ever triggered: recorded, nobody is told."""
    return _record(None, Reason.RESOLVE_WITHOUT_INCIDENT, "no open incident to resolve")


def ignore_resolve(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A resolve for an episode that is already over: recorded, nobody is told again."""
    current = _current(incident)
    return _record(current, Reason.DUPLICATE_RESOLVE, f"episode {current.episode} is already over")


def ignore_timer(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A hold expiry for an episode that no longer holds changes nothing."""
    return _record(incident, Reason.STALE_TIMER, "the episode is no longer held")


TRANSITIONS: Mapping[tuple[State | None, EventKind], Handler] = MappingProxyType(
    {
        (None, EventKind.TRIGGER): open_episode,
        (None, EventKind.RESOLVE): record_orphan_resolve,
        (None, EventKind.HOLD_EXPIRED): ignore_timer,
        (State.HOLDING, EventKind.TRIGGER): ignore_trigger,
        (State.HOLDING, EventKind.RESOLVE): resolve_in_hold,
        (State.HOLDING, EventKind.HOLD_EXPIRED): expire_hold,
        (State.ESCALATED, EventKind.TRIGGER): ignore_trigger,
        (State.ESCALATED, EventKind.RESOLVE): resolve_escalated,
        (State.ESCALATED, EventKind.HOLD_EXPIRED): close_escalated,
        (State.RESOLVED, EventKind.TRIGGER): open_episode,
        (State.RESOLVED, EventKind.RESOLVE): ignore_resolve,
        (State.RESOLVED, EventKind.HOLD_EXPIRED): ignore_timer,
        (State.EXPIRED, EventKind.TRIGGER): open_episode,
        (State.EXPIRED, EventKind.RESOLVE): ignore_resolve,
        (State.EXPIRED, EventKind.HOLD_EXPIRED): ignore_timer,
    }
)


def target_episode(incident: Incident | None, event: AlertEvent) -> int:
    """The episode an alert event acts on: the open one, or the next one for a fresh trigger."""
    if incident is None:
        return 1 if event.action is Action.TRIGGER else 0
    if event.action is Action.TRIGGER and not incident.is_open:
        return incident.episode + 1
    return incident.episode
