"""The scheduler: the only timer. It sleeps until the earliest hold deadline and decides due holds.

Deadlines are rows, not threads: after a restart the first tick decides every hold that fell due
while the engine was down, once. With several replicas each tick claims its holds with
`FOR UPDATE SKIP LOCKED`, and compare-and-set on the incident version guards every write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

import structlog

from alertgate.app.transcript import Transcript
from alertgate.domain.lifecycle import HoldExpired, step
from alertgate.domain.policy import Policy
from alertgate.ports import Clock, ConcurrentUpdateError, Runner, Store, StoreError

log = structlog.get_logger(__name__)


class Scheduler:
    """Decides held incidents when their hold expires."""

    def __init__(
        self,
        store: Store,
        runner: Runner,
        clock: Clock,
        policy: Policy,
        on_commit: Callable[[Transcript], None],
        batch: int = 500,
        max_sleep: float = 1.0,
    ) -> None:
        self._store, self._runner, self._clock, self._policy = store, runner, clock, policy
        self._on_commit = on_commit
        self._batch = batch
        # An upper bound on a sleep, so that holds another replica stored are seen soon too.
        self._max_sleep = max_sleep
        self._wake = asyncio.Event()
        self._wake_at: datetime | None = None
        self._closed = False

    def nudge(self, deadline: datetime) -> None:
        """A hold with this deadline was stored: wake up earlier if it is due before the plan."""
        if self._wake_at is None or deadline < self._wake_at:
            self._wake.set()

    async def run(self) -> None:
        """Tick until close(): decide what is due, then sleep until the next deadline."""
        while not self._closed:
            try:
                decided, transcript = await self._runner.run(self.decide_due, self._clock.now())
                if decided:
                    self._on_commit(transcript)  # once durable: the runner has synced it
                if decided >= self._batch:
                    await asyncio.sleep(0)  # more is due: let ingest commit in between
                    continue
                deadline = await self._runner.run(self._store.next_deadline)
            except StoreError as exc:
                log.error("scheduler.store_error", error=str(exc))
                deadline = None
            await self._sleep_until(deadline)

    async def close(self) -> None:
        self._closed = True
        self._wake.set()

    def decide_due(self, now: datetime) -> tuple[int, Transcript]:
        """Decide up to one batch of due holds in one transaction; returns how many, and what
        was decided."""
        try:
            with self._store.write() as tx:
                due = tx.claim_due_holds(now, self._batch)
                transcript = Transcript({i.id: i for i in due})
                for incident in due:
                    transcript.record(
                        incident, step(incident, HoldExpired(), now, self._policy), now
                    )
                tx.apply(transcript.changes)
        except ConcurrentUpdateError:
            log.info("scheduler.lost_race")  # another writer got there first; next tick re-reads
            return 0, Transcript({})
        return len(due), transcript

    async def _sleep_until(self, deadline: datetime | None) -> None:
        now = self._clock.now()
        delay = self._max_sleep
        if deadline is not None:
            delay = min(delay, max(0.0, (deadline - now).total_seconds()))
        self._wake_at = deadline
        self._wake.clear()
        if delay <= 0 or self._closed:
            await asyncio.sleep(0)  # never spin without letting the loop run
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=delay)
