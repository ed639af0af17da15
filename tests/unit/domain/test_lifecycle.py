"""One test per row of the lifecycle transition table, plus the table's own completeness."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from alertgate.domain.alert import Action, Priority
from alertgate.domain.decisions import NotificationKind, Notify, Outcome, Reason
from alertgate.domain.errors import DomainError
from alertgate.domain.incident import Incident, State
from alertgate.domain.lifecycle import (
    TRANSITIONS,
    EventKind,
    HoldExpired,
    step,
    target_episode,
)
from tests.unit.domain.factories import HOLD, POLICY, T0, alert, resolve, trigger


def held() -> Incident:
    incident = step(None, trigger(), T0, POLICY).incident
    assert incident is not None
    return incident


def escalated() -> Incident:
    incident = step(held(), HoldExpired(), T0 + HOLD, POLICY).incident
    assert incident is not None
    return incident


def resolved() -> Incident:
    incident = step(held(), resolve(), T0 + timedelta(minutes=1), POLICY).incident
    assert incident is not None
    return incident


def test_every_state_and_event_kind_has_a_row() -> None:
    """The table is total: no (state, event) pair falls through to an implicit default."""
    states = [None, *State]
    assert set(TRANSITIONS) == {(s, k) for s in states for k in EventKind}


def test_new_trigger_opens_an_episode_and_holds_it_for_its_window() -> None:
    """(none, trigger): a new incident, episode 1, held until now + the hold window."""
    t = step(None, trigger(), T0, POLICY)
    assert t.incident is not None
    assert (t.incident.state, t.incident.episode, t.incident.deadline) == (
        State.HOLDING,
        1,
        T0 + HOLD,
    )
    assert (t.decision.outcome, t.decision.reason) == (Outcome.HELD, Reason.HELD)
    assert t.notifications == ()


def test_hold_window_follows_the_priority() -> None:
    """A P1 alert is held for the P1 window; an alert without priority for the default."""
    p1 = step(None, trigger(priority=Priority.P1), T0, POLICY).incident
    none = step(None, trigger(priority=None), T0, POLICY).incident
    assert p1 is not None
    assert p1.deadline == T0 + timedelta(minutes=2)
    assert none is not None
    assert none.deadline == T0 + HOLD


def test_resolve_with_nothing_open_is_recorded_not_notified() -> None:
    """(none, resolve): no incident is created and nobody is told."""
    t = step(None, resolve(), T0, POLICY)
    assert t.incident is None
    assert (t.decision.outcome, t.decision.reason) == (
        Outcome.RECORDED,
        Reason.RESOLVE_WITHOUT_INCIDENT,
    )
    assert t.notifications == ()


def test_timer_for_an_unknown_incident_changes_nothing() -> None:
    """(none, hold expired): a stale timer is recorded and ignored."""
    t = step(None, HoldExpired(), T0, POLICY)
    assert t.incident is None
    assert t.decision.reason is Reason.STALE_TIMER


def test_repeated_trigger_while_held_changes_nothing() -> None:
    """(holding, trigger): a sender retry or re-notification leaves the incident as it was."""
    before = held()
    t = step(before, trigger(), T0 + timedelta(minutes=5), POLICY)
    assert t.incident is before
    assert t.decision.reason is Reason.DUPLICATE_TRIGGER
    assert t.notifications == ()


def test_resolve_inside_the_hold_is_self_resolved_and_goes_to_teams() -> None:
    """(holding, resolve): resolved on its own -> one informational notice, no escalation."""
    t = step(held(), resolve(), T0 + timedelta(minutes=3), POLICY)
    assert t.incident is not None
    assert (t.incident.state, t.incident.deadline) == (State.RESOLVED, None)
    assert (t.decision.outcome, t.decision.reason) == (
        Outcome.SELF_RESOLVED,
        Reason.RESOLVED_IN_HOLD,
    )
    assert t.notifications == (Notify(NotificationKind.SELF_RESOLVED, Reason.RESOLVED_IN_HOLD),)
    assert "3m" in t.decision.detail


def test_hold_expiry_escalates_to_email() -> None:
    """(holding, hold expired): still open when the hold ends -> one escalation."""
    t = step(held(), HoldExpired(), T0 + HOLD, POLICY)
    assert t.incident is not None
    assert (t.incident.state, t.incident.escalated_at, t.incident.deadline) == (
        State.ESCALATED,
        T0 + HOLD,
        None,
    )
    assert (t.decision.outcome, t.decision.reason) == (Outcome.ESCALATED, Reason.HOLD_EXPIRED)
    assert t.notifications == (Notify(NotificationKind.ESCALATION, Reason.HOLD_EXPIRED),)


def test_hold_expiry_before_the_deadline_does_nothing() -> None:
    """(holding, hold expired) early, e.g. a clock that went backwards: no escalation yet."""
    before = held()
    t = step(before, HoldExpired(), T0 + HOLD - timedelta(seconds=1), POLICY)
    assert t.incident is before
    assert t.decision.reason is Reason.NOT_DUE


def test_resolve_just_before_the_deadline_is_still_self_resolved() -> None:
    """(holding, resolve) one second before the hold ends: it healed inside its window."""
    t = step(held(), resolve(), T0 + HOLD - timedelta(seconds=1), POLICY)
    assert t.decision.outcome is Outcome.SELF_RESOLVED
    assert t.overdue == ()


@pytest.mark.parametrize("late", [timedelta(0), timedelta(minutes=3)])
def test_resolve_after_the_deadline_before_the_timer_escalates_then_follows_up(
    late: timedelta,
) -> None:
    """(holding, resolve) at or after the deadline, the scheduler not yet fired (a restart with
    many overdue holds, a store error): the alert was open when its window ended, so the hold
    expires first (escalated, saying it was decided late), then the resolve is its follow-up;
    never "resolved on its own"."""
    now = T0 + HOLD + late
    t = step(held(), resolve(), now, POLICY)
    [expiry] = t.overdue
    assert expiry.incident is not None
    assert (expiry.incident.state, expiry.incident.escalated_at) == (State.ESCALATED, now)
    assert (expiry.decision.outcome, expiry.decision.reason) == (
        Outcome.ESCALATED,
        Reason.HOLD_EXPIRED,
    )
    assert f"decided {'3m' if late else '0s'} after its deadline" in expiry.decision.detail
    assert "when a resolve came" in expiry.decision.detail
    assert expiry.notifications == (Notify(NotificationKind.ESCALATION, Reason.HOLD_EXPIRED),)
    assert t.incident is not None
    assert (t.incident.state, t.incident.deadline, t.incident.resolved_at) == (
        State.RESOLVED,
        None,
        now,
    )
    assert t.decision.outcome is Outcome.RESOLVED_AFTER_ESCALATION
    assert [s.decision.outcome for s in t.stages] == [
        Outcome.ESCALATED,
        Outcome.RESOLVED_AFTER_ESCALATION,
    ]
    assert [n.kind for s in t.stages for n in s.notifications] == [
        NotificationKind.ESCALATION,
        NotificationKind.RESOLUTION,
    ]


def test_trigger_after_the_deadline_before_the_timer_escalates_and_is_a_repeat() -> None:
    """(holding, trigger) after the deadline: the overdue hold escalates now, and the trigger
    (Coralogix re-notifying) repeats the escalated episode, as it would have a moment later."""
    t = step(held(), trigger(), T0 + HOLD + timedelta(minutes=1), POLICY)
    assert [s.decision.outcome for s in t.overdue] == [Outcome.ESCALATED]
    assert t.incident is not None
    assert (t.incident.state, t.incident.episode) == (State.ESCALATED, 1)
    assert t.decision.reason is Reason.DUPLICATE_TRIGGER


def test_a_timer_event_itself_never_fires_overdue_timers_twice() -> None:
    """(holding, hold expired) late: the scheduler's own event is one expiry, no overdue stage."""
    t = step(held(), HoldExpired(), T0 + 2 * HOLD, POLICY)
    assert t.overdue == ()
    assert t.stages == (t,)
    assert t.decision.outcome is Outcome.ESCALATED
    assert "after its deadline" not in t.decision.detail


def test_trigger_after_escalation_changes_nothing() -> None:
    """(escalated, trigger): Coralogix re-notifying an escalated alert pages nobody again."""
    before = escalated()
    t = step(before, trigger(), T0 + HOLD + timedelta(minutes=5), POLICY)
    assert t.incident is before
    assert t.notifications == ()


def test_resolve_after_escalation_sends_one_follow_up_by_email() -> None:
    """(escalated, resolve): one resolution follow-up on the email route."""
    t = step(escalated(), resolve(), T0 + HOLD + timedelta(minutes=7), POLICY)
    assert t.incident is not None
    assert t.incident.state is State.RESOLVED
    assert t.decision.outcome is Outcome.RESOLVED_AFTER_ESCALATION
    assert t.notifications == (
        Notify(NotificationKind.RESOLUTION, Reason.RESOLVED_AFTER_ESCALATION),
    )


def test_timer_after_escalation_changes_nothing() -> None:
    """(escalated, hold expired): the episode was decided already; never a second escalation."""
    before = escalated()
    t = step(before, HoldExpired(), T0 + 2 * HOLD, POLICY)
    assert t.incident is before
    assert t.decision.reason is Reason.STALE_TIMER


def test_trigger_after_resolution_opens_the_next_episode() -> None:
    """(resolved, trigger): the same incident, episode 2, held again."""
    t = step(resolved(), trigger(), T0 + timedelta(hours=1), POLICY)
    assert t.incident is not None
    assert (t.incident.state, t.incident.episode) == (State.HOLDING, 2)
    assert t.incident.deadline == T0 + timedelta(hours=1) + HOLD
    assert (t.incident.escalated_at, t.incident.resolved_at) == (None, None)


def test_second_resolve_is_recorded_not_notified() -> None:
    """(resolved, resolve): a duplicate resolve tells nobody anything twice."""
    before = resolved()
    t = step(before, resolve(), T0 + timedelta(minutes=2), POLICY)
    assert t.incident is before
    assert t.decision.reason is Reason.DUPLICATE_RESOLVE
    assert t.notifications == ()


def test_timer_after_resolution_changes_nothing() -> None:
    """(resolved, hold expired): a timer that fires after a resolve never escalates."""
    before = resolved()
    t = step(before, HoldExpired(), T0 + HOLD, POLICY)
    assert t.incident is before
    assert t.notifications == ()


def test_every_change_increments_the_version() -> None:
    """Compare-and-set in the store relies on the version moving with every change."""
    first = held()
    second = step(first, resolve(), T0 + timedelta(minutes=1), POLICY).incident
    third = step(second, trigger(), T0 + timedelta(minutes=2), POLICY).incident
    assert second is not None
    assert third is not None
    assert (first.version, second.version, third.version) == (1, 2, 3)


def test_step_refuses_a_naive_now() -> None:
    """Time is an argument and must be unambiguous: a naive datetime is a bug."""
    with pytest.raises(DomainError):
        step(None, trigger(), T0.replace(tzinfo=None), POLICY)


def test_test_events_are_not_decided() -> None:
    """A sender's "Test & Save" sample never reaches the lifecycle, and never fires a timer."""
    with pytest.raises(DomainError):
        step(None, alert(Action.TEST), T0, POLICY)
    with pytest.raises(DomainError):
        step(held(), alert(Action.TEST), T0 + 2 * HOLD, POLICY)


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        (None, Action.TRIGGER, 1),
        (None, Action.RESOLVE, 0),
        (State.HOLDING, Action.TRIGGER, 1),
        (State.HOLDING, Action.RESOLVE, 1),
        (State.RESOLVED, Action.TRIGGER, 2),
        (State.RESOLVED, Action.RESOLVE, 1),
    ],
)
def test_target_episode(state: State | None, action: Action, expected: int) -> None:
    """An event acts on the open episode; a trigger with nothing open, on the next one."""
    incident = None if state is None else replace(held(), state=state)
    assert target_episode(incident, alert(action), T0, POLICY) == expected


def test_target_episode_of_a_late_trigger_is_the_open_episode_after_its_expiry() -> None:
    """A trigger after an overdue hold acts on the (now escalated) open episode: no new one."""
    assert target_episode(held(), trigger(), T0 + 2 * HOLD, POLICY) == 1
