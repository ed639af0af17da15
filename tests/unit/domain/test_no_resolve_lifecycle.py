"""The lifecycle rows for alerts that never resolve (domain/no_resolve.py), one test per row."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alertgate.domain.alert import Action, AlertEvent, Priority, delivery_key
from alertgate.domain.decisions import NotificationKind, Outcome, Reason
from alertgate.domain.incident import Incident, State
from alertgate.domain.lifecycle import TRANSITIONS, EventKind, HoldExpired, step, target_episode
from alertgate.domain.no_resolve import NoResolveMode, NoResolvePolicy, NoResolveRule
from alertgate.domain.policy import HoldPolicy, Policy
from alertgate.domain.routing import Route, route_for

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
HOLD = timedelta(minutes=10)


def policy(*rules: NoResolveRule) -> Policy:
    return Policy(hold=HoldPolicy(default=HOLD), no_resolve=NoResolvePolicy(rules))


def alert(action: Action = Action.TRIGGER, name: str = "New country login") -> AlertEvent:
    return AlertEvent(
        source="coralogix",
        identity="uid=new-value",
        action=action,
        name=name,
        priority=Priority.P2,
        labels=(("alert_type", "LOGS_NEW_VALUE"),),
    )


def opened(rule: NoResolveRule | None) -> Incident:
    rules = (rule,) if rule else ()
    incident = step(None, alert(), T0, policy(*rules)).incident
    assert incident is not None
    return incident


ESCALATE = NoResolveRule(NoResolveMode.ESCALATE, after=timedelta(hours=1))
INFORM = NoResolveRule(NoResolveMode.INFORM)
EXPIRE = NoResolveRule(NoResolveMode.EXPIRE, after=timedelta(minutes=30))


def test_every_state_has_a_row_for_every_event_kind() -> None:
    """The table is total: EXPIRED, like every state, answers trigger, resolve and timer."""
    for state in (None, *State):
        for kind in EventKind:
            assert (state, kind) in TRANSITIONS


def test_trigger_of_an_expire_rule_alert_is_held_for_the_rule_length() -> None:
    """(None, TRIGGER) under an expire rule: held for the rule's `after`, not the hold window,
    and the held decision says how the episode will end."""
    transition = step(None, alert(), T0, policy(EXPIRE))
    assert transition.incident is not None
    assert transition.incident.deadline == T0 + timedelta(minutes=30)
    assert "expires silently" in transition.decision.detail


def test_trigger_of_an_escalate_rule_alert_is_held_for_the_hold_window() -> None:
    """(None, TRIGGER) under an escalate rule: the hold window decides when it pages."""
    incident = opened(ESCALATE)
    assert incident.deadline == T0 + HOLD


def test_hold_end_of_an_expire_rule_alert_expires_it_silently() -> None:
    """(HOLDING, HOLD_EXPIRED), expire: the episode ends (EXPIRED) with no notification."""
    incident = opened(EXPIRE)
    transition = step(incident, HoldExpired(), T0 + timedelta(minutes=30), policy(EXPIRE))
    assert transition.incident is not None
    assert transition.incident.state is State.EXPIRED
    assert transition.incident.deadline is None
    assert transition.incident.resolved_at == T0 + timedelta(minutes=30)
    assert (transition.decision.outcome, transition.decision.reason) == (
        Outcome.EXPIRED,
        Reason.NO_RESOLVE_EXPIRED,
    )
    assert transition.notifications == ()


def test_hold_end_of_an_inform_rule_alert_tells_the_teams_route_only() -> None:
    """(HOLDING, HOLD_EXPIRED), inform: the episode ends with one INFORMATION notice, which
    goes to the team's channel; nobody is paged."""
    incident = opened(INFORM)
    transition = step(incident, HoldExpired(), T0 + HOLD, policy(INFORM))
    assert transition.incident is not None
    assert transition.incident.state is State.EXPIRED
    assert transition.decision.outcome is Outcome.INFORMED
    assert [n.kind for n in transition.notifications] == [NotificationKind.INFORMATION]
    assert route_for(NotificationKind.INFORMATION) is Route.TEAMS


def test_hold_end_of_an_escalate_rule_alert_pages_and_sets_the_close_timer() -> None:
    """(HOLDING, HOLD_EXPIRED), escalate: escalated like any alert, and the episode keeps a
    deadline at its start + `after`, when it will close."""
    incident = opened(ESCALATE)
    transition = step(incident, HoldExpired(), T0 + HOLD, policy(ESCALATE))
    assert transition.incident is not None
    assert transition.incident.state is State.ESCALATED
    assert transition.incident.deadline == T0 + timedelta(hours=1)
    assert [n.kind for n in transition.notifications] == [NotificationKind.ESCALATION]
    assert "closes in 50m" in transition.decision.detail


def test_hold_end_without_a_rule_escalates_with_no_close_timer() -> None:
    """(HOLDING, HOLD_EXPIRED) with no rule for the alert: unchanged, no deadline afterwards."""
    other = NoResolveRule(sources=frozenset({"alertmanager"}))
    incident = opened(None)
    transition = step(incident, HoldExpired(), T0 + HOLD, policy(other))
    assert transition.incident is not None
    assert transition.incident.state is State.ESCALATED
    assert transition.incident.deadline is None


def test_escalate_rule_with_no_length_closes_at_the_escalation() -> None:
    """With `after` unset the episode lasts its hold: the close timer is due at once."""
    rule = NoResolveRule(NoResolveMode.ESCALATE)
    escalated = step(opened(rule), HoldExpired(), T0 + HOLD, policy(rule)).incident
    assert escalated is not None
    assert escalated.deadline == T0 + HOLD


def test_close_timer_of_an_escalated_episode_expires_it() -> None:
    """(ESCALATED, HOLD_EXPIRED) with a due deadline: EXPIRED, outcome CLOSED (not terminal:
    the escalation was the terminal decision), no notification."""
    escalated = step(opened(ESCALATE), HoldExpired(), T0 + HOLD, policy(ESCALATE)).incident
    transition = step(escalated, HoldExpired(), T0 + timedelta(hours=1), policy(ESCALATE))
    assert transition.incident is not None
    assert transition.incident.state is State.EXPIRED
    assert transition.incident.deadline is None
    assert (transition.decision.outcome, transition.decision.reason) == (
        Outcome.CLOSED,
        Reason.NO_RESOLVE_CLOSED,
    )
    assert transition.notifications == ()


def test_close_timer_before_its_deadline_changes_nothing() -> None:
    """(ESCALATED, HOLD_EXPIRED) early (a clock went backwards): recorded as not due."""
    escalated = step(opened(ESCALATE), HoldExpired(), T0 + HOLD, policy(ESCALATE)).incident
    transition = step(escalated, HoldExpired(), T0 + HOLD, policy(ESCALATE))
    assert transition.incident is escalated
    assert transition.decision.reason is Reason.NOT_DUE


def test_timer_of_an_ordinary_escalated_episode_is_stale() -> None:
    """(ESCALATED, HOLD_EXPIRED) without a deadline: a stale timer, as before."""
    escalated = step(opened(None), HoldExpired(), T0 + HOLD, policy()).incident
    transition = step(escalated, HoldExpired(), T0 + 2 * HOLD, policy())
    assert transition.incident is escalated
    assert transition.decision.reason is Reason.STALE_TIMER


def test_resolve_of_an_escalated_never_resolving_alert_clears_its_close_timer() -> None:
    """(ESCALATED, RESOLVE) when a rule was wrong and a resolve does come: the usual follow-up,
    and no timer is left behind to close the resolved episode again."""
    escalated = step(opened(ESCALATE), HoldExpired(), T0 + HOLD, policy(ESCALATE)).incident
    transition = step(escalated, alert(Action.RESOLVE), T0 + 2 * HOLD, policy(ESCALATE))
    assert transition.incident is not None
    assert transition.incident.state is State.RESOLVED
    assert transition.incident.deadline is None
    assert [n.kind for n in transition.notifications] == [NotificationKind.RESOLUTION]


def expired() -> Incident:
    incident = step(opened(EXPIRE), HoldExpired(), T0 + timedelta(hours=1), policy(EXPIRE))
    assert incident.incident is not None
    return incident.incident


def test_trigger_after_an_expired_episode_opens_the_next_episode() -> None:
    """(EXPIRED, TRIGGER): the episode is over, so a trigger starts episode 2 and holds it."""
    previous = expired()
    assert target_episode(previous, alert(), T0 + timedelta(hours=2), policy(EXPIRE)) == 2
    transition = step(previous, alert(), T0 + timedelta(hours=2), policy(EXPIRE))
    assert transition.incident is not None
    assert (transition.incident.state, transition.incident.episode) == (State.HOLDING, 2)
    assert transition.decision.outcome is Outcome.HELD


def test_resolve_after_an_expired_episode_is_recorded_only() -> None:
    """(EXPIRED, RESOLVE): nothing is open; recorded as a resolve for an episode that is over."""
    previous = expired()
    transition = step(previous, alert(Action.RESOLVE), T0 + timedelta(hours=2), policy(EXPIRE))
    assert transition.incident is previous
    assert transition.decision.reason is Reason.DUPLICATE_RESOLVE
    assert transition.notifications == ()


def test_timer_after_an_expired_episode_is_stale() -> None:
    """(EXPIRED, HOLD_EXPIRED): a stale timer; nothing changes."""
    previous = expired()
    transition = step(previous, HoldExpired(), T0 + timedelta(hours=2), policy(EXPIRE))
    assert transition.incident is previous
    assert transition.decision.reason is Reason.STALE_TIMER


@pytest.mark.parametrize("mode", list(NoResolveMode))
def test_resolve_inside_the_hold_self_resolves_whatever_the_rule(mode: NoResolveMode) -> None:
    """(HOLDING, RESOLVE): a resolve that does come is believed, whatever the rule says."""
    rule = NoResolveRule(mode)
    transition = step(opened(rule), alert(Action.RESOLVE), T0 + timedelta(minutes=1), policy(rule))
    assert transition.decision.outcome is Outcome.SELF_RESOLVED


def stamped(action: Action, at: datetime, level: bool) -> AlertEvent:
    return replace(alert(action), event_time=at, level_triggered=level)


def test_level_triggered_refiring_with_the_same_start_is_a_new_delivery() -> None:
    """Alertmanager re-fires a resolved alert with its old startsAt: the trigger for episode 2
    has another delivery key than episode 1's, so it is not swallowed as a retry."""
    first = delivery_key(stamped(Action.TRIGGER, T0, True), 1)
    assert delivery_key(stamped(Action.TRIGGER, T0, True), 2) != first
    assert delivery_key(stamped(Action.TRIGGER, T0, True), 1) == first


def test_edge_triggered_stamps_ignore_the_episode() -> None:
    """Coralogix stamps each message: the same stamp is the same message in any episode, so a
    late retry of an old trigger never opens a new episode."""
    assert delivery_key(stamped(Action.TRIGGER, T0, False), 1) == delivery_key(
        stamped(Action.TRIGGER, T0, False), 2
    )


def test_late_trigger_of_an_inform_rule_alert_ends_the_episode_then_opens_the_next() -> None:
    """(HOLDING, TRIGGER) after its deadline, before the timer fired: the episode ends as it
    would have at its deadline (informed), and the trigger opens episode 2, not a repeat."""
    incident = opened(INFORM)
    now = T0 + HOLD + timedelta(minutes=5)
    assert target_episode(incident, alert(), now, policy(INFORM)) == 2
    transition = step(incident, alert(), now, policy(INFORM))
    [ended] = transition.overdue
    assert ended.decision.outcome is Outcome.INFORMED
    assert "decided 5m after its deadline, when a trigger came" in ended.decision.detail
    assert [n.kind for n in ended.notifications] == [NotificationKind.INFORMATION]
    assert ended.incident is not None
    assert ended.incident.episode == 1
    assert transition.incident is not None
    assert (transition.incident.state, transition.incident.episode) == (State.HOLDING, 2)
    assert transition.decision.outcome is Outcome.HELD


def test_late_resolve_after_the_close_of_an_escalated_episode_is_not_a_follow_up() -> None:
    """(ESCALATED, RESOLVE) after the close deadline, before the timer fired: the episode
    closed at its deadline (quietly), so the resolve is recorded, no follow-up is sent."""
    escalated = step(opened(ESCALATE), HoldExpired(), T0 + HOLD, policy(ESCALATE)).incident
    now = T0 + timedelta(hours=2)
    transition = step(escalated, alert(Action.RESOLVE), now, policy(ESCALATE))
    assert [s.decision.outcome for s in transition.overdue] == [Outcome.CLOSED]
    assert transition.decision.reason is Reason.DUPLICATE_RESOLVE
    assert transition.notifications == ()
    assert transition.incident is not None
    assert transition.incident.state is State.EXPIRED


def test_late_trigger_after_the_close_of_an_escalated_episode_opens_the_next() -> None:
    """(ESCALATED, TRIGGER) after the close deadline: closed first, then episode 2 is held,
    so the new occurrence pages again instead of being swallowed as a repeat."""
    escalated = step(opened(ESCALATE), HoldExpired(), T0 + HOLD, policy(ESCALATE)).incident
    transition = step(escalated, alert(), T0 + timedelta(hours=2), policy(ESCALATE))
    assert [s.decision.outcome for s in transition.overdue] == [Outcome.CLOSED]
    assert transition.incident is not None
    assert (transition.incident.state, transition.incident.episode) == (State.HOLDING, 2)


def test_a_resolve_long_overdue_fires_both_the_hold_end_and_the_close() -> None:
    """(HOLDING, RESOLVE) after both the hold end and the episode's close under an escalate
    rule: the two timers fire in order (escalated, closed), and the resolve is recorded."""
    now = T0 + timedelta(hours=3)
    transition = step(opened(ESCALATE), alert(Action.RESOLVE), now, policy(ESCALATE))
    assert [s.decision.outcome for s in transition.overdue] == [Outcome.ESCALATED, Outcome.CLOSED]
    assert [n.kind for s in transition.stages for n in s.notifications] == [
        NotificationKind.ESCALATION
    ]
    assert transition.decision.reason is Reason.DUPLICATE_RESOLVE
