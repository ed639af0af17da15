"""The load: one plan of alert events (new alerts, sender retries, re-notifications, resolves),
rendered as Coralogix default webhook bodies or as Alertmanager `POST /api/v2/alerts` bodies.

A template is constant text with slots; each plan item fills the slots. Python renders bodies
here (for seeding and tests); wrk's Lua script fills the same slots from a data file written by
`wrk.py`, so both send the same bytes (tests/benchmarks checks it).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass

DEFINITIONS = 500  # distinct alert definitions; every incident is one (definition, host)
RESOLVE_LAG = 256  # a resolve or re-notification targets a trigger at least this many requests old
RETRY_WINDOW = 1000  # a sender retry repeats one of this many most recent requests


@dataclass(frozen=True, slots=True)
class Mix:
    """Shares of each kind of request in the plan (they sum to 1)."""

    trigger: float = 0.65  # a new alert: a new incident
    retry: float = 0.10  # the sender retries an earlier request byte for byte
    renotify: float = 0.05  # an open alert notified again ("notify every"), new timestamp
    resolve: float = 0.20  # an open alert resolves

    def __post_init__(self) -> None:
        total = self.trigger + self.retry + self.renotify + self.resolve
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"mix shares sum to {total}, not 1")

    def describe(self) -> str:
        return (
            f"{self.trigger:.0%} new alerts, {self.retry:.0%} sender retries (same bytes), "
            f"{self.renotify:.0%} re-notifications of open alerts, {self.resolve:.0%} resolves"
        )


TRIGGERS_ONLY = Mix(trigger=1.0, retry=0.0, renotify=0.0, resolve=0.0)


@dataclass(frozen=True, slots=True)
class Item:
    """One request of the plan."""

    kind: str  # trigger | retry | renotify | resolve (a retry repeats an earlier item's bytes)
    incident: int  # numbered in the order of their first trigger
    action: str  # trigger | resolve (what the body says)
    ts_ms: int  # the event's timestamp
    started_ms: int  # when the incident's alert started (Alertmanager's startsAt)


def plan(count: int, mix: Mix, seed: int, start_ms: int) -> list[Item]:
    """`count` requests, the same for the same seed; timestamps step 1 ms from `start_ms`."""
    return _Planner(mix, seed).take(count, start_ms)


class _Planner:
    def __init__(self, mix: Mix, seed: int) -> None:
        self._rng = random.Random(seed)
        self._bounds: list[tuple[str, float]] = []
        running = 0.0
        for kind in ("trigger", "retry", "renotify", "resolve"):
            running += getattr(mix, kind)
            self._bounds.append((kind, running))
        self._items: list[Item] = []
        self._open: deque[tuple[int, int, int]] = deque()  # (incident, started_ms, position)
        self._incidents = 0

    def take(self, count: int, start_ms: int) -> list[Item]:
        for position in range(count):
            draw = self._rng.random()
            kind = next((k for k, bound in self._bounds if draw < bound), "resolve")
            self._items.append(self._item(kind, position, start_ms + position))
        return self._items

    def _item(self, kind: str, position: int, ts: int) -> Item:
        old_enough = bool(self._open) and self._open[0][2] <= position - RESOLVE_LAG
        if kind == "retry" and self._items:
            low = max(0, len(self._items) - RETRY_WINDOW)
            again = self._items[self._rng.randrange(low, len(self._items))]
            return Item("retry", again.incident, again.action, again.ts_ms, again.started_ms)
        if kind == "renotify" and old_enough:
            incident, started, _ = self._open[0]  # the oldest open alert, still firing
            return Item("renotify", incident, "trigger", ts, started)
        if kind == "resolve" and old_enough:
            incident, started, _ = self._open.popleft()
            return Item("resolve", incident, "resolve", ts, started)
        incident, self._incidents = self._incidents, self._incidents + 1
        self._open.append((incident, ts, position))
        return Item("trigger", incident, "trigger", ts, ts)


def distinct_events(items: list[Item]) -> int:
    """How many of the items are not byte-for-byte retries of an earlier item."""
    return len({(i.incident, i.action, i.ts_ms) for i in items})
