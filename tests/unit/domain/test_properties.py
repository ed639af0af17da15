"""Properties of the lifecycle over random event sequences and random clocks (hypothesis)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from alertgate.domain.alert import Priority
from alertgate.domain.decisions import NotificationKind, Outcome
from alertgate.domain.incident import Incident, State
from alertgate.domain.lifecycle import HoldExpired, step
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


def run(sequence: list[tuple[str, int, Priority | None]]) -> dict[int, Episode]:
    """Feed the sequence through step(), then let every hold expire; collect per episode."""
    incident: Incident | None = None
    now: datetime = T0
    episodes: dict[int, Episode] = defaultdict(lambda: Episode([], []))
    versions = [0]

    def apply(event: object) -> None:
        nonlocal incident
        transition = step(incident, event, now, POLICY)  # type: ignore[arg-type]
        after = transition.incident
        if after is not None:
            if after is not incident:
                assert after.version > versions[-1], "every change moves the version forward"
                versions.append(after.version)
            episode = episodes[after.episode]
            if transition.decision.outcome is not Outcome.RECORDED:
                episode.decisions.append(transition.decision.outcome)
            episode.notices.extend(n.kind for n in transition.notifications)
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
    """Once an episode resolved, its timer can no longer page anyone."""
    for episode in run(sequence).values():
        if NotificationKind.ESCALATION in episode.notices:
            first_escalation = episode.notices.index(NotificationKind.ESCALATION)
            assert NotificationKind.SELF_RESOLVED not in episode.notices[:first_escalation]


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
