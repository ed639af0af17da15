"""Properties of the lifecycle over random event sequences and random clocks (hypothesis)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from alertgate.domain.alert import Action, AlertEvent, Priority
from alertgate.domain.decisions import NotificationKind, Outcome
from alertgate.domain.incident import Incident, State
from alertgate.domain.lifecycle import Event, HoldExpired, step
from tests.unit.domain.factories import POLICY, T0, resolve, trigger

kinds = st.sampled_from(["trigger", "resolve", "timer"])
# Steps forward mostly, sometimes backwards: clocks on different replicas disagree.
jumps = st.integers(min_value=-120, max_value=900)
priorities = st.sampled_from([None, *Priority])
events = st.lists(st.tuples(kinds, jumps, priorities), max_size=60)


@dataclass
class Episode:
    decisions: list[Outcome]
    notices: list[NotificationKind]
    resolved_late: bool = False  # a resolve came at or after the hold's deadline, while held


def resolves_late(incident: Incident, event: object, now: datetime) -> bool:
    """A resolve for a held incident whose hold deadline has come (whether or not it fired)."""
    is_resolve = isinstance(event, AlertEvent) and event.action is Action.RESOLVE
    deadline = incident.deadline
    return (
        is_resolve and incident.state is State.HOLDING and deadline is not None and deadline <= now
    )


def run(sequence: list[tuple[str, int, Priority | None]]) -> dict[int, Episode]:
    """Feed the sequence through step(), then let every hold expire; collect per episode."""
    incident: Incident | None = None
    now: datetime = T0
    episodes: dict[int, Episode] = defaultdict(lambda: Episode([], []))
    versions = [0]

    def apply(event: object) -> None:
        nonlocal incident
        if incident is not None and resolves_late(incident, event, now):
            episodes[incident.episode].resolved_late = True
        transition = step(incident, event, now, POLICY)  # type: ignore[arg-type]
        after = transition.incident
        if after is not None and after is not incident:
            assert after.version > versions[-1], "every change moves the version forward"
            versions.append(after.version)
        for stage in transition.stages:  # a timer that fell due before the event, then its own
            if stage.incident is not None:
                episode = episodes[stage.incident.episode]
                if stage.decision.outcome is not Outcome.RECORDED:
                    episode.decisions.append(stage.decision.outcome)
                episode.notices.extend(n.kind for n in stage.notifications)
        incident = after if after is not None else incident

    for kind, jump, priority in sequence:
        now = now + timedelta(seconds=jump)
        if kind == "trigger":
            apply(trigger(priority=priority))
        elif kind == "resolve":
            apply(resolve(priority=priority))
        else:
            apply(HoldExpired())
    now = now + timedelta(days=2)  # the scheduler eventually fires every pending hold
    apply(HoldExpired())
    return dict(episodes)


@settings(max_examples=400, deadline=None)
@given(events)
def test_at_most_one_escalation_and_one_resolution_notice_per_episode(sequence) -> None:
    """Whatever arrives, in whatever order and timing, nobody is paged twice for one episode."""
    for episode in run(sequence).values():
        assert episode.notices.count(NotificationKind.ESCALATION) <= 1
        resolutions = [k for k in episode.notices if k is not NotificationKind.ESCALATION]
        assert len(resolutions) <= 1


@settings(max_examples=400, deadline=None)
@given(events)
def test_never_an_escalation_after_a_resolve_in_the_same_episode(sequence) -> None:
    """Once an episode resolved (on its own or after its escalation), nothing can page anyone
    for it again: no escalation decision and no escalation notice comes after a resolve."""
    resolves = {Outcome.SELF_RESOLVED, Outcome.RESOLVED_AFTER_ESCALATION}
    notices = {NotificationKind.SELF_RESOLVED, NotificationKind.RESOLUTION}
    for episode in run(sequence).values():
        decided = episode.decisions
        if resolves & set(decided):
            first = min(decided.index(o) for o in resolves if o in decided)
            assert Outcome.ESCALATED not in decided[first:], episode
        if notices & set(episode.notices):
            first = min(episode.notices.index(k) for k in notices if k in episode.notices)
            assert NotificationKind.ESCALATION not in episode.notices[first:], episode


@settings(max_examples=400, deadline=None)
@given(events)
def test_every_episode_ends_in_exactly_one_terminal_decision(sequence) -> None:
    """Each episode is either self-resolved or escalated, exactly once; a follow-up only
    ever comes after an escalation."""
    for episode in run(sequence).values():
        terminal = [d for d in episode.decisions if d in {Outcome.SELF_RESOLVED, Outcome.ESCALATED}]
        assert len(terminal) == 1, episode
        if NotificationKind.RESOLUTION in episode.notices:
            assert terminal == [Outcome.ESCALATED]


@settings(max_examples=200, deadline=None)
@given(events)
def test_a_held_incident_always_has_a_deadline_and_no_other_state_does(sequence) -> None:
    """The scheduler finds every hold by its deadline, and nothing else by mistake."""
    incident: Incident | None = None
    now = T0
    for kind, jump, priority in sequence:
        now += timedelta(seconds=jump)
        event = {"trigger": trigger(priority=priority), "resolve": resolve(priority=priority)}
        t = step(incident, event.get(kind, HoldExpired()), now, POLICY)
        incident = t.incident or incident
        if incident is not None:
            assert (incident.deadline is not None) == (incident.state is State.HOLDING)


@settings(max_examples=400, deadline=None)
@given(events)
def test_a_resolve_at_or_after_the_deadline_is_never_self_resolved(sequence) -> None:
    """A resolve that comes once the hold has ended, even before the scheduler fired the timer
    (a restart with many overdue holds, a store error), is an escalation and then its follow-up,
    never "resolved on its own": the alert was still open when its window ended."""
    for episode in run(sequence).values():
        if episode.resolved_late:
            assert Outcome.SELF_RESOLVED not in episode.decisions, episode
            assert episode.decisions == [
                Outcome.HELD,
                Outcome.ESCALATED,
                Outcome.RESOLVED_AFTER_ESCALATION,
            ], episode
            assert episode.notices == [NotificationKind.ESCALATION, NotificationKind.RESOLUTION]


forward = st.lists(st.tuples(kinds, st.integers(min_value=0, max_value=900), priorities))


def outcomes(sequence: list[tuple[str, int, Priority | None]], perfect: bool) -> list[object]:
    """Every (episode, outcome, notices) the lifecycle takes for the sequence, with a perfect
    timer (fired at each deadline as time passes) or a late one (fired only by the sequence's
    own timer ticks, at whatever time they come), then every timer fired at the end."""
    incident: Incident | None = None
    now = T0
    taken: list[object] = []

    def apply(event: Event) -> None:
        nonlocal incident
        transition = step(incident, event, now, POLICY)
        for stage in transition.stages:
            if stage.incident is not None and stage.decision.outcome is not Outcome.RECORDED:
                kinds = [n.kind for n in stage.notifications]
                taken.append((stage.incident.episode, stage.decision.outcome, kinds))
        incident = transition.incident or incident

    for kind, jump, priority in sequence:
        to = now + timedelta(seconds=jump)
        deadline = incident.deadline if incident else None
        if perfect and deadline is not None and deadline <= to:
            now = max(now, deadline)
            apply(HoldExpired())
        now = to
        if kind == "timer":
            apply(HoldExpired())
        else:
            apply((trigger if kind == "trigger" else resolve)(priority=priority))
    now += timedelta(days=2)
    apply(HoldExpired())
    return taken


@settings(max_examples=400, deadline=None)
@given(forward)
def test_a_late_timer_decides_what_a_perfect_timer_would_have(sequence) -> None:
    """However late the scheduler fires (or whether it fires at all before the next event), every
    episode gets the decisions and notifications it would have got from a timer that fired at
    each deadline exactly: what a replay of the same events gives."""
    assert outcomes(sequence, perfect=False) == outcomes(sequence, perfect=True)
