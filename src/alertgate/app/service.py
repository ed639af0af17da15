"""The running engine: ingest, scheduler and delivery started together, and the read side."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import structlog

from alertgate.app.delivery import Dispatcher
from alertgate.app.ingest import Accepted, Delivery, Ingestor
from alertgate.app.scheduler import Scheduler
from alertgate.app.transcript import Transcript
from alertgate.domain.decisions import TERMINAL_OUTCOMES
from alertgate.domain.incident import State
from alertgate.ports import (
    NO_METRICS,
    DecisionRecord,
    IncidentQueries,
    Metrics,
    NotificationRecord,
    Page,
    Redrive,
    Runner,
    SourceParser,
    Store,
    StoreError,
    Timeline,
)

log = structlog.get_logger("alertgate.decisions")

RESTART_DELAY = 1.0  # seconds before a crashed background loop is started again


@dataclass(frozen=True, slots=True)
class Parts:
    """What bootstrap hands the service (all built from settings)."""

    store: Store
    queries: IncidentQueries
    runner: Runner
    ingestor: Ingestor
    scheduler: Scheduler
    dispatcher: Dispatcher
    parsers: Mapping[str, SourceParser]
    metrics: Metrics = NO_METRICS


class Service:
    """One alertgate process: owns the background tasks and answers the HTTP layer."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self.parsers = parts.parsers
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        """Start ingest, the scheduler and delivery (the scheduler decides overdue holds first)."""
        p = self.parts
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._supervise(name, run), name=name)
            for name, run in (
                ("ingest", p.ingestor.run),
                ("scheduler", p.scheduler.run),
                ("delivery", p.dispatcher.run),
            )
        ]
        log.info("engine.started")

    async def _supervise(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Keep a background loop running: a bug in one round is logged, never fatal."""
        while True:
            try:
                await run()
                return
            except Exception:
                log.exception("engine.task_crashed", task=name)
                if self._stopping:
                    return
                await asyncio.sleep(RESTART_DELAY)

    async def stop(self) -> None:
        """Commit what was accepted, stop timers, finish or hand back in-flight deliveries."""
        p = self.parts
        self._stopping = True
        for part in (p.ingestor, p.scheduler, p.dispatcher):
            await part.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        log.info("engine.stopped")

    async def ingest(self, delivery: Delivery) -> list[Accepted]:
        return await self.parts.ingestor.submit(delivery)

    async def ready(self) -> None:
        """Raise StoreError unless the database answers."""
        await self.parts.runner.run(self.parts.store.ping)

    async def list_incidents(self, state: State | None, limit: int, cursor: str | None) -> Page:
        return await self.parts.runner.call(self.parts.queries.list_incidents, state, limit, cursor)

    async def timeline(self, incident_id: str) -> Timeline | None:
        return await self.parts.runner.call(self.parts.queries.timeline, incident_id)

    async def list_outbox(
        self, status: str | None, limit: int, before: int | None
    ) -> tuple[list[NotificationRecord], dict[str, int]]:
        """Outbox rows newest first, with the count of each status."""
        queries, run = self.parts.queries, self.parts.runner.call
        rows = await run(queries.list_notifications, status, limit, before)
        return rows, await run(queries.outbox_counts)

    async def redrive(self, notification_id: int) -> Redrive:
        return await self.parts.dispatcher.redrive(notification_id)

    async def redrive_dead(self) -> int:
        return await self.parts.dispatcher.redrive_dead()

    async def metrics_page(self) -> bytes:
        """The /metrics page: this process's counters and the store's gauges, read now."""
        try:
            stats = await self.parts.runner.call(self.parts.queries.stats)
        except StoreError as exc:
            log.warning("metrics.store_unavailable", error=str(exc))
            stats = None
        return self.parts.metrics.exposition(stats)


def after_commit(
    scheduler: Scheduler,
    dispatcher: Dispatcher,
    transcript: Transcript,
    metrics: Metrics = NO_METRICS,
) -> None:
    """Log and count each decision, and wake the scheduler and delivery for what the commit
    added."""
    for decision in transcript.decisions:
        metrics.decided(decision.outcome, decision.reason, _held_seconds(transcript, decision))
        incident = transcript.current(decision.incident_id)
        log.info(
            "decision",
            incident_id=decision.incident_id,
            episode=decision.episode,
            outcome=decision.outcome.value,
            reason=decision.reason.value,
            detail=decision.detail,
            # which alert, so that the line reads on its own (journalctl | jq)
            alert=incident.name if incident else None,
            source=incident.source if incident else None,
        )
    deadlines = [i.deadline for i in transcript.changed if i.deadline is not None]
    if deadlines:
        scheduler.nudge(min(deadlines))
    if transcript.intents:
        dispatcher.nudge()


def _held_seconds(transcript: Transcript, decision: DecisionRecord) -> float | None:
    """How long the episode was held, for a decision that ended its hold."""
    incident = transcript.current(decision.incident_id)
    if decision.outcome not in TERMINAL_OUTCOMES or incident is None:
        return None
    if incident.episode != decision.episode:  # a later episode opened in the same commit
        return None
    return (decision.decided_at - incident.opened_at).total_seconds()
