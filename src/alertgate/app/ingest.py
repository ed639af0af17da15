"""Ingest: apply accepted events to their incidents and commit them, many requests per commit.

Every request waits for the commit that stores its events (group commit): a sender only hears
2xx for an event that is on disk, and concurrent requests share one transaction and one fsync.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from alertgate.app.transcript import Transcript
from alertgate.domain.alert import Action, AlertEvent, delivery_key
from alertgate.domain.decisions import Reason
from alertgate.domain.incident import Incident, State
from alertgate.domain.lifecycle import step, target_episode
from alertgate.domain.policy import Policy
from alertgate.ports import (
    Clock,
    ConcurrentUpdateError,
    EventRecord,
    Runner,
    Store,
    StoreError,
    StoreRefusedError,
    WriteTx,
)

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5  # a batch that loses a race with another replica is simply run again
# Under load, wait this long before committing so that requests in flight join the batch
# (PostgreSQL's commit_delay idea): on a mixed load with 32 senders, 0.5 ms took batches from
# ~12 to ~30 requests and throughput up ~20%, with less CPU per request (docs/benchmarks.md).
GROUP_COMMIT_DELAY = 0.0005
# "Under load": the previous commit ended this recently. An idle engine commits at once.
BUSY_WITHIN = 0.005


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook request: its events and the raw body they came from."""

    events: Sequence[AlertEvent]
    payload: bytes


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of one accepted event."""

    incident_id: str
    action: Action
    state: State | None  # the incident's state after the event; None: there is no incident
    reason: Reason | None  # None for a duplicate delivery (decided when it first came)
    duplicate: bool


@dataclass(slots=True)
class _Batch:
    deliveries: list[Delivery] = field(default_factory=list)
    results: list[list[Accepted]] = field(default_factory=list)


def apply_batch(
    tx: WriteTx, deliveries: Sequence[Delivery], now: datetime, policy: Policy
) -> tuple[list[list[Accepted]], Transcript]:
    """Decide every event of every delivery, in order, inside one transaction."""
    alerts = [e for d in deliveries for e in d.events if e.action is not Action.TEST]
    loaded = tx.incidents_for_update({e.incident_id for e in alerts})
    planned = _plan(alerts, loaded, now, policy)
    pairs = {(e.incident_id, k) for e, (_, k) in zip(alerts, planned, strict=True)}
    known = tx.known_delivery_keys(pairs)
    queried = {k for _, k in planned}
    left_plan: set[str] = set()  # incidents where a skipped duplicate made the plan wrong
    transcript = Transcript(loaded)
    results: list[list[Accepted]] = []
    position = 0
    for delivery in deliveries:
        accepted: list[Accepted] = []
        for event in delivery.events:
            current = transcript.current(event.incident_id)
            if event.action is Action.TEST or event.incident_id in left_plan:
                episode = target_episode(current, event, now, policy)
                key = delivery_key(event, episode)
            else:
                episode, key = planned[position]
            position += event.action is not Action.TEST
            if key not in queried:  # a test, or an incident whose earlier event was a repeat
                known |= tx.known_delivery_keys([(event.incident_id, key)])
                queried.add(key)
            if key in known or key in transcript.keys:
                left_plan.add(event.incident_id)
                accepted.append(
                    Accepted(event.incident_id, event.action, _state(current), None, True)
                )
                continue
            reason = _decide(transcript, event, current, now, policy)
            body = event.payload or delivery.payload  # a grouped body: this alert's part only
            transcript.add_event(_event_record(event, key, episode, reason, now, body))
            after = transcript.current(event.incident_id)
            accepted.append(Accepted(event.incident_id, event.action, _state(after), reason, False))
        results.append(accepted)
    tx.apply(transcript.changes)
    return results, transcript


def _decide(
    transcript: Transcript,
    event: AlertEvent,
    current: Incident | None,
    now: datetime,
    policy: Policy,
) -> Reason:
    if event.action is Action.TEST:
        return Reason.TEST
    transition = step(current, event, now, policy)
    transcript.record(current, transition, now)
    return transition.decision.reason


def _plan(
    alerts: Sequence[AlertEvent], loaded: dict[str, Incident], now: datetime, policy: Policy
) -> list[tuple[int, str]]:
    """The (episode, delivery key) of each alert if none of the batch is a repeat: one query
    answers them all, and the decisions below use them unless a repeat proves them wrong."""
    working: dict[str, Incident | None] = dict(loaded)
    repeated = {i for i, n in Counter(e.incident_id for e in alerts).items() if n > 1}
    plan: list[tuple[int, str]] = []
    for event in alerts:
        current = working.get(event.incident_id)
        episode = target_episode(current, event, now, policy)
        plan.append((episode, delivery_key(event, episode)))
        if event.incident_id in repeated:  # only they need the state an earlier event leaves
            working[event.incident_id] = step(current, event, now, policy).incident or current
    return plan


def _state(incident: Incident | None) -> State | None:
    return incident.state if incident is not None else None


def _event_record(
    event: AlertEvent, key: str, episode: int, reason: Reason, now: datetime, payload: bytes
) -> EventRecord:
    return EventRecord(
        delivery_key=key,
        incident_id=event.incident_id,
        incident_key=event.incident_key,
        source=event.source,
        action=event.action,
        episode=episode,
        received_at=now,
        event_time=event.event_time,
        reason=reason,
        payload=payload,
    )


class Ingestor:
    """Collects concurrent deliveries and commits them together, one transaction at a time."""

    def __init__(
        self,
        store: Store,
        runner: Runner,
        clock: Clock,
        policy: Policy,
        on_commit: Callable[[Transcript], None],
        max_batch: int = 1000,
        max_in_flight: int = 1,
        concurrent: bool = False,
    ) -> None:
        """`max_in_flight`: batches handed to the runner and not yet answered. With SQLite the
        runner commits each at once, on the loop, and then waits for the WAL sync: more than
        one lets the next batch's transaction run while the disk syncs the previous one.
        `concurrent`: the runner may run batch transactions at the same time (PostgreSQL, a
        thread each); then a batch that touches an incident of one in flight waits until that
        one is answered, so the events of one incident are always decided in arrival order."""
        self._store, self._runner, self._clock, self._policy = store, runner, clock, policy
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._queue: list[tuple[Delivery, asyncio.Future[list[Accepted]]]] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._last_commit = float("-inf")
        self._slots = asyncio.Semaphore(max_in_flight)
        self._in_flight: dict[asyncio.Task[None], frozenset[str]] = {}  # -> its incidents
        self._concurrent = concurrent

    async def submit(self, delivery: Delivery) -> list[Accepted]:
        """Store a delivery; returns once it is committed (raises StoreError if it cannot be)."""
        if self._closed:
            raise RuntimeError("ingest is shut down")
        future: asyncio.Future[list[Accepted]] = asyncio.get_running_loop().create_future()
        self._queue.append((delivery, future))
        self._wake.set()
        return await future

    async def run(self) -> None:
        """Commit queued deliveries until close(); the only writer of ingest transactions."""
        while not (self._closed and not self._queue):
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                if self._loop_time() - self._last_commit < BUSY_WITHIN:
                    await asyncio.sleep(GROUP_COMMIT_DELAY)
                continue
            taken, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            await self._slots.acquire()
            incidents = _incidents(taken) if self._concurrent else frozenset()
            overlapping = [t for t, ids in self._in_flight.items() if not ids.isdisjoint(incidents)]
            if overlapping:
                await asyncio.wait(overlapping)
            task = asyncio.create_task(self._commit(taken))
            self._in_flight[task] = incidents
            task.add_done_callback(self._done)
            self._last_commit = self._loop_time()
        if self._in_flight:
            await asyncio.wait(self._in_flight)

    def _done(self, task: asyncio.Task[None]) -> None:
        del self._in_flight[task]
        self._slots.release()

    @staticmethod
    def _loop_time() -> float:
        return asyncio.get_running_loop().time()

    async def close(self) -> None:
        """Stop taking deliveries; run() returns once the queued ones are committed."""
        self._closed = True
        self._wake.set()

    async def _commit(self, taken: list[tuple[Delivery, asyncio.Future[list[Accepted]]]]) -> None:
        deliveries = [d for d, _ in taken]
        try:
            results, transcript = await self._runner.run(self._write, deliveries)
        except StoreError as exc:
            if len(taken) > 1 and isinstance(exc, StoreRefusedError):
                await self._one_by_one(taken)  # one delivery's value must not fail the rest
                return
            _fail(taken, exc)
            log.error("ingest.commit_failed", deliveries=len(taken), error=str(exc))
            return
        except Exception as exc:  # a bug one body triggers: it must not fail the others
            if len(taken) > 1:
                await self._one_by_one(taken)
                return
            _fail(taken, exc)
            log.exception("ingest.failed", deliveries=1)
            return
        for (_, future), accepted in zip(taken, results, strict=True):
            if not future.done():
                future.set_result(accepted)
        self._on_commit(transcript)

    async def _one_by_one(
        self, taken: list[tuple[Delivery, asyncio.Future[list[Accepted]]]]
    ) -> None:
        """Commit each delivery of a failed batch on its own: only those that fail by
        themselves are refused."""
        log.warning("ingest.batch_isolated", deliveries=len(taken))
        for one in taken:
            await self._commit([one])

    def _write(self, deliveries: list[Delivery]) -> tuple[list[list[Accepted]], Transcript]:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            now = self._clock.now()
            try:
                with self._store.write() as tx:
                    return apply_batch(tx, deliveries, now, self._policy)
            except ConcurrentUpdateError:
                if attempt == MAX_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")


def _incidents(taken: list[tuple[Delivery, asyncio.Future[list[Accepted]]]]) -> frozenset[str]:
    return frozenset(e.incident_id for delivery, _ in taken for e in delivery.events)


def _fail(taken: list[tuple[Delivery, asyncio.Future[list[Accepted]]]], exc: Exception) -> None:
    for _, future in taken:
        if not future.done():
            future.set_exception(exc)
