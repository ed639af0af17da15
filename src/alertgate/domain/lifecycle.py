"""The incident lifecycle: `step()` and the transition table it reads.

`step(incident, event, now, policy)` is the one decision function. It never reads a clock and
never does I/O: the same code decides live and in a replay of history. It also decides as a
perfect timer would have when the scheduler is late: an alert event that finds its incident's
deadline passed first meets the timer that fell due before it (see `overdue_timers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType

from alertgate.domain.alert import Action, AlertEvent
from alertgate.domain.decisions import Decision, NotificationKind, Notify, Outcome, Reason
from alertgate.domain.durations import format_duration
from alertgate.domain.errors import DomainError
from alertgate.domain.incident import Incident, State
from alertgate.domain.no_resolve import NoResolveMode
from alertgate.domain.policy import Policy
from alertgate.domain.transition import (
    Event,
    EventKind,
    Handler,
    HoldExpired,
    Transition,
    kind_of,
    needs_alert,
    needs_incident,
    recorded,
)

__all__ = [
    "TRANSITIONS",
    "Event",
    "EventKind",
    "HoldExpired",
    "Transition",
    "kind_of",
    "overdue_timers",
    "step",
    "target_episode",
]


def step(incident: Incident | None, event: Event, now: datetime, policy: Policy) -> Transition:
    """Apply one event to an incident (None: not seen yet) at time `now`.

    An alert event that comes at or after the incident's deadline, before the scheduler fired
    it, first fires that timer (a resolve after the hold ended is an escalation, then its
    follow-up), so the outcome is the one a perfect timer, and a replay, would give.
    """
    if now.tzinfo is None:
        raise DomainError("step() needs an aware datetime for now")
    kind = kind_of(event)  # refuses, before any timer fires, an event that is never decided
    if kind is not EventKind.HOLD_EXPIRED and isinstance(event, AlertEvent) and _due(incident, now):
        overdue = overdue_timers(incident, now, policy, event.action)
        if overdue:
            after = _apply(overdue[-1].incident, event, now, policy)
            return Transition(after.incident, after.effects, overdue)
    return _apply(incident, event, now, policy)


def _apply(incident: Incident | None, event: Event, now: datetime, policy: Policy) -> Transition:
    state = incident.state if incident is not None else None
    return TRANSITIONS[(state, kind_of(event))](incident, event, now, policy)


def _due(incident: Incident | None, now: datetime) -> bool:
    return incident is not None and incident.deadline is not None and incident.deadline <= now


# A hold end, then (an alert that never resolves, escalated) its close: never more than two.
MAX_OVERDUE = 2


def overdue_timers(
    incident: Incident | None, now: datetime, policy: Policy, came: Action
) -> tuple[Transition, ...]:
    """The timers of `incident` that fell due by `now`, fired in order through the table, each
    decision saying that it was taken late, when an event (`came`) arrived first."""
    fired: list[Transition] = []
    for _ in range(MAX_OVERDUE):
        if incident is None or incident.deadline is None or incident.deadline > now:
            break
        late = format_duration(now - incident.deadline)
        timer = _apply(incident, HoldExpired(), now, policy)
        if timer.incident is incident:  # the timer changed nothing: nothing was due after all
            break
        note = f"; decided {late} after its deadline, when a {came.value} came before the timer"
        effects = tuple(
            replace(e, detail=e.detail + note) if isinstance(e, Decision) else e
            for e in timer.effects
        )
        fired.append(Transition(timer.incident, effects))
        incident = timer.incident
    return tuple(fired)


def open_episode(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A trigger with nothing open starts a new episode and holds it for its window."""
    alert = needs_alert(event)
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
    current = needs_incident(incident)
    return recorded(current, Reason.DUPLICATE_TRIGGER, f"episode {current.episode} is already open")


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
    current = needs_incident(incident)
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
    current = needs_incident(incident)
    if current.deadline is None or now < current.deadline:
        return recorded(current, Reason.NOT_DUE, "the hold has not expired yet")
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
    current = needs_incident(incident)
    if current.deadline is None:
        return ignore_timer(current, event, now, policy)
    if now < current.deadline:
        return recorded(current, Reason.NOT_DUE, "the episode does not close yet")
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
    current = needs_incident(incident)
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
    return recorded(None, Reason.RESOLVE_WITHOUT_INCIDENT, "no open incident to resolve")


def ignore_resolve(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A resolve for an episode that is already over: recorded, nobody is told again."""
    current = needs_incident(incident)
    return recorded(current, Reason.DUPLICATE_RESOLVE, f"episode {current.episode} is already over")


def ignore_timer(
    incident: Incident | None, event: Event, now: datetime, policy: Policy
) -> Transition:
    """A hold expiry for an episode that no longer holds changes nothing."""
    return recorded(incident, Reason.STALE_TIMER, "the episode is no longer held")


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


def target_episode(
    incident: Incident | None, event: AlertEvent, now: datetime, policy: Policy
) -> int:
    """The episode an alert event acts on: the open one, or the next one for a fresh trigger
    (also when an overdue timer ends the open episode before the trigger, as `step` does)."""
    if event.action is Action.TRIGGER and _due(incident, now):
        overdue = overdue_timers(incident, now, policy, event.action)
        incident = overdue[-1].incident if overdue else incident
    if incident is None:
        return 1 if event.action is Action.TRIGGER else 0
    if event.action is Action.TRIGGER and not incident.is_open:
        return incident.episode + 1
    return incident.episode
