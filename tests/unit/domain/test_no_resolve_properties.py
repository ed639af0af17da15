"""The lifecycle's guarantees hold with no-resolve rules too (hypothesis over event sequences).

For any sequence of triggers, resolves and timer ticks, under any rule (or none): at most one
escalation per episode, never an escalation after a resolve in the same episode, exactly one
terminal decision per episode once every timer has run, at most one notification of each kind per
episode, and a timer always makes progress (the scheduler can never spin on a deadline).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from alertgate.domain.alert import Action, AlertEvent
from alertgate.domain.decisions import TERMINAL_OUTCOMES, NotificationKind, Outcome
from alertgate.domain.incident import Incident, State
from alertgate.domain.lifecycle import Event, HoldExpired, Transition, step
from alertgate.domain.no_resolve import NoResolveMode, NoResolvePolicy, NoResolveRule
from alertgate.domain.policy import HoldPolicy, Policy

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ALERT = AlertEvent(source="coralogix", identity="uid=a", action=Action.TRIGGER, name="A")
RESOLVE = AlertEvent(source="coralogix", identity="uid=a", action=Action.RESOLVE, name="A")

rules = st.one_of(
    st.none(),
    st.builds(
        NoResolveRule,
        mode=st.sampled_from(list(NoResolveMode)),
        after=st.one_of(st.none(), st.integers(1, 120).map(lambda m: timedelta(minutes=m))),
    ),
)
operations = st.lists(
    st.tuples(st.sampled_from(["trigger", "resolve", "tick"]), st.integers(0, 90)),
    max_size=40,
)


class Run:
    """Applies events like ingest and the scheduler do, and keeps every decision by episode."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.incident: Incident | None = None
        self.now = T0
        self.decisions: dict[int, list[Outcome]] = defaultdict(list)
        self.notices: dict[int, list[NotificationKind]] = defaultdict(list)

    def apply(self, event: Event) -> Transition:
        transition = step(self.incident, event, self.now, self.policy)
        for stage in transition.stages:  # a timer that fell due before the event, then its own
            done = stage.incident
            if done is not None and stage.decision.outcome is not Outcome.RECORDED:
                self.decisions[done.episode].append(stage.decision.outcome)
                self.notices[done.episode] += [n.kind for n in stage.notifications]
        after = transition.incident
        self.incident = after if after is not None else self.incident
        assert (
            self.incident is None
            or self.incident.deadline is None
            or (self.incident.state in (State.HOLDING, State.ESCALATED))
        )
        return transition

    def advance(self, to: datetime | None) -> None:
        """What the scheduler does while time moves to `to` (None: for ever): every deadline
        that falls due, at its time, in order."""
        for _ in range(3):  # a hold end and a close: never more than two steps per episode
            deadline = self.incident.deadline if self.incident is not None else None
            if deadline is None or (to is not None and deadline > to):
                self.now = to or self.now
                return
            self.now = max(self.now, deadline)
            self.apply(HoldExpired())
        raise AssertionError(f"the scheduler would spin on {self.incident}")


@settings(max_examples=400, deadline=None)
@given(rule=rules, ops=operations)
def test_guarantees_hold_for_any_events_under_any_rule(
    rule: NoResolveRule | None, ops: list[tuple[str, int]]
) -> None:
    """At most one escalation and exactly one terminal decision per episode, nothing escalated
    after a resolve, one notification per kind and episode, and timers always progress."""
    policy = Policy(
        hold=HoldPolicy(default=timedelta(minutes=10)),
        no_resolve=NoResolvePolicy((rule,) if rule else ()),
    )
    run = Run(policy)
    for kind, minutes in ops:
        run.advance(run.now + timedelta(minutes=minutes))
        if kind == "trigger":
            run.apply(ALERT)
        elif kind == "resolve":
            run.apply(RESOLVE)
        else:
            run.apply(HoldExpired())  # a stray tick: early, stale or due
    run.advance(None)
    for episode, outcomes in run.decisions.items():
        assert outcomes.count(Outcome.ESCALATED) <= 1, outcomes
        assert sum(o in TERMINAL_OUTCOMES for o in outcomes) == 1, outcomes
        if Outcome.ESCALATED in outcomes:
            assert Outcome.SELF_RESOLVED not in outcomes[: outcomes.index(Outcome.ESCALATED)]
        kinds = run.notices[episode]
        assert len(kinds) == len(set(kinds)), kinds
    assert (
        run.incident is None
        or run.incident.state in (State.RESOLVED, State.EXPIRED)
        or (run.incident.state is State.ESCALATED and rule is None)
    )


Taken = tuple[dict[int, list[Outcome]], dict[int, list[NotificationKind]]]


def play(policy: Policy, ops: list[tuple[str, int]], perfect: bool) -> Taken:
    """Decisions and notices by episode with a perfect timer (every deadline fired at its time)
    or a late one (fired only by the stray ticks of `ops`, whenever they come)."""
    run = Run(policy)
    for kind, minutes in ops:
        to = run.now + timedelta(minutes=minutes)
        if perfect:
            run.advance(to)
        run.now = to
        run.apply({"trigger": ALERT, "resolve": RESOLVE}.get(kind, HoldExpired()))
    run.advance(None)
    return dict(run.decisions), dict(run.notices)


@settings(max_examples=300, deadline=None)
@given(rule=rules, ops=operations)
def test_a_late_timer_decides_what_a_perfect_timer_would_have_under_any_rule(
    rule: NoResolveRule | None, ops: list[tuple[str, int]]
) -> None:
    """An event that comes after a hold end or an episode's close, before the scheduler fired
    it, meets the episode as a perfect timer would have left it: same decisions, same notices
    (a late trigger of an expired episode opens the next one; a late resolve is a follow-up)."""
    policy = Policy(
        hold=HoldPolicy(default=timedelta(minutes=10)),
        no_resolve=NoResolvePolicy((rule,) if rule else ()),
    )
    assert play(policy, ops, perfect=False) == play(policy, ops, perfect=True)
