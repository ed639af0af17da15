"""The scheduler sleeps until the earliest deadline (or an earlier one stored meanwhile), not on
a fixed poll: each hold is decided within a few milliseconds of its deadline, with few wake-ups.

Real time on a fake in-memory store (the scheduler is the one class under test). A scheduler
that polled every second would decide the 1.3 s hold ~0.7 s late and the nudged one ~0.5 s late;
one that polled every few milliseconds would pass the timing but not the count of wake-ups.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

from alertgate.app.runtime import InlineRunner, SystemClock
from alertgate.app.scheduler import Scheduler
from alertgate.domain.incident import Incident, State
from alertgate.domain.lifecycle import step
from alertgate.ports import Changes
from tests.unit.domain.factories import POLICY, trigger

CLOCK = SystemClock()
ON_TIME = timedelta(milliseconds=150)  # a loaded 2-core machine still wakes within this


class MemoryStore:
    """Holds in memory, as the scheduler sees them through the Store port; it is also its own
    write transaction. Counts the claims (one per scheduler tick) and when each hold was decided."""

    def __init__(self) -> None:
        self.incidents: dict[str, Incident] = {}
        self.decided_at: dict[str, datetime] = {}
        self.claims = 0

    def hold(self, name: str, deadline: datetime) -> Incident:
        opened = step(None, trigger(identity=f"uid={name}"), CLOCK.now(), POLICY).incident
        assert opened is not None
        incident = replace(opened, deadline=deadline)
        self.incidents[incident.id] = incident
        return incident

    @contextmanager
    def write(self) -> Iterator[MemoryStore]:
        yield self

    def claim_due_holds(self, now: datetime, limit: int) -> list[Incident]:
        self.claims += 1
        due = [i for i in self.incidents.values() if i.deadline is not None and i.deadline <= now]
        return sorted(due, key=lambda i: i.deadline or now)[:limit]

    def apply(self, changes: Changes) -> None:
        for incident, _ in changes.updated:
            self.incidents[incident.id] = incident
        for decision in changes.decisions:
            self.decided_at.setdefault(decision.incident_id, CLOCK.now())

    def next_deadline(self) -> datetime | None:
        deadlines = [i.deadline for i in self.incidents.values() if i.deadline is not None]
        return min(deadlines, default=None)


async def run_for(
    store: MemoryStore,
    seconds: float,
    during: Callable[[Scheduler], Awaitable[None]] | None = None,
) -> Scheduler:
    """Run a scheduler (with its production defaults) over the store for `seconds`."""
    # MemoryStore has only the Store methods the scheduler calls.
    scheduler = Scheduler(store, InlineRunner(), CLOCK, POLICY, on_commit=lambda t: None)  # type: ignore[arg-type]
    task = asyncio.create_task(scheduler.run())
    if during is not None:
        await during(scheduler)
    await asyncio.sleep(seconds)
    await scheduler.close()
    await task
    return scheduler


def test_a_hold_is_decided_at_its_deadline_not_at_the_next_poll() -> None:
    """A 1.3 s hold is escalated within 150 ms of its deadline, after at most four ticks: the
    scheduler slept until the deadline (a 1 s poll would decide it at 2 s)."""
    store = MemoryStore()
    incident = store.hold("a", CLOCK.now() + timedelta(seconds=1.3))
    assert incident.deadline is not None
    asyncio.run(run_for(store, 1.6))
    late = store.decided_at[incident.id] - incident.deadline
    assert timedelta(0) <= late < ON_TIME, late
    assert store.incidents[incident.id].state is State.ESCALATED
    assert store.claims <= 4, store.claims


def test_an_earlier_deadline_stored_while_asleep_wakes_the_scheduler_early() -> None:
    """Sleeping with nothing due, the scheduler is nudged about a hold due in 0.3 s (as ingest
    does after its commit): it wakes and decides it at that deadline, not at its next wake-up."""
    store = MemoryStore()
    held: list[Incident] = []

    async def store_a_hold(scheduler: Scheduler) -> None:
        await asyncio.sleep(0.2)  # the scheduler is asleep by now: nothing was due
        incident = store.hold("b", CLOCK.now() + timedelta(seconds=0.3))
        assert incident.deadline is not None
        held.append(incident)
        scheduler.nudge(incident.deadline)

    asyncio.run(run_for(store, 0.6, store_a_hold))
    [incident] = held
    assert incident.deadline is not None
    late = store.decided_at[incident.id] - incident.deadline
    assert timedelta(0) <= late < ON_TIME, late
    assert store.claims <= 4, store.claims
