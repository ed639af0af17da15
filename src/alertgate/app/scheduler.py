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
        self._announcing: set[asyncio.Task[None]] = set()

    def nudge(self, deadline: datetime) -> None:
        """A hold with this deadline was stored: wake up earlier if it is due before the plan."""
        if self._wake_at is None or deadline < self._wake_at:
            self._wake.set()

    async def run(self) -> None:
        """Tick until close(): decide what is due, then sleep until the next deadline."""
        while not self._closed:
            try:
                # The next tick does not wait for this one's commit to be synced (a storm of
                # due holds is decided at the pace of the CPU, not of the disk); what was
                # decided is announced once it is durable.
                decided, transcript = await self._runner.call(self.decide_due, self._clock.now())
                if decided:
                    self._announce_when_durable(transcript)
                if decided >= self._batch:
                    await asyncio.sleep(0)  # more is due: let ingest commit in between
                    continue
                deadline = await self._runner.call(self._store.next_deadline)
            except StoreError as exc:
                log.error("scheduler.store_error", error=str(exc))
                deadline = None
            await self._sleep_until(deadline)
        if self._announcing:
            await asyncio.wait(self._announcing)

    def _announce_when_durable(self, transcript: Transcript) -> None:
        task = asyncio.create_task(self._announce(transcript))
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _announce(self, transcript: Transcript) -> None:
        """Log, count and wake delivery for decisions once they are on disk."""
        try:
            await self._runner.synced()
        except StoreError as exc:  # not durable: its notifications are not acted on here
            log.error("scheduler.store_error", error=str(exc))
            return
        self._on_commit(transcript)

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
