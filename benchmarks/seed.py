"""Fill a store fast with exactly what the engine would have written.

Each seeded request is a rendered Coralogix body, parsed by the engine's own parser and applied
by the engine's own ingest transaction (`apply_batch`) through its own SQL store, a thousand
requests per transaction instead of one HTTP request each. Before each batch the scheduler's own
`decide_due` runs at the batch's time, as the live scheduler would have; afterwards the outbox
rows are leased and recorded as sent through the store, as the dispatcher does with the log
channel. Only the clock is virtual, so a store can hold days of history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from alertgate.adapters.sources import coralogix
from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.schema import incidents
from alertgate.adapters.stores.sql import SqlStore
from alertgate.app.ingest import Delivery, apply_batch
from alertgate.app.runtime import InlineRunner
from alertgate.app.scheduler import Scheduler
from alertgate.domain.policy import HoldPolicy, Policy
from alertgate.ports import DeliveryOutcome, DeliveryStatus
from benchmarks.bodies import Item
from benchmarks.templates import CORALOGIX, render

SEED_OWNER = "benchmarks-seed"
BATCH = 1000


class _FixedClock:
    def __init__(self, now: datetime) -> None:
        self.value = now

    def now(self) -> datetime:
        return self.value


def spaced(start: datetime, step: timedelta) -> Callable[[int], datetime]:
    """A virtual clock for `Seeder.ingest`: batch k happens at start + k * step."""

    def now_of(batch: int) -> datetime:
        return start + batch * step

    return now_of


def policy(hold_seconds: float) -> Policy:
    """The policy `alertgate serve` builds from ALERTGATE_HOLD_SECONDS alone."""
    return Policy(hold=HoldPolicy(default=timedelta(seconds=hold_seconds)))


@dataclass
class Seeder:
    """Writes requests into one store as the engine would have, on a virtual clock."""

    url: str
    hold_seconds: float
    stream: str

    def __post_init__(self) -> None:
        self.engine: Engine = engines.create(self.url)
        migrate.upgrade(self.engine)
        self.store = SqlStore(self.engine)
        self.policy = policy(self.hold_seconds)
        self._clock = _FixedClock(datetime.now().astimezone())
        self._scheduler = Scheduler(
            self.store, InlineRunner(), self._clock, self.policy, on_commit=lambda _: None
        )

    def ingest(
        self,
        items: Sequence[Item],
        now_of: Callable[[int], datetime],
        schedule: bool = True,
        batch: int = BATCH,
    ) -> None:
        """Apply the items in batches; batch k is applied at `now_of(k)` (aware UTC)."""
        for number, start in enumerate(range(0, len(items), batch)):
            now = now_of(number)
            if schedule:
                self.decide_due(now)
            deliveries = []
            for item in items[start : start + batch]:
                body = render(CORALOGIX, item, self.stream)
                deliveries.append(Delivery(coralogix.parse(body), body))
            with self.store.write() as tx:
                apply_batch(tx, deliveries, now, self.policy)

    def decide_due(self, now: datetime) -> int:
        """Run the scheduler's own tick at `now` until nothing is due; returns how many."""
        self._clock.value = now
        decided = total = self._scheduler.decide_due(now)[0]
        while decided:
            decided = self._scheduler.decide_due(now)[0]
            total += decided
        return total

    def deliver_all(self, now: datetime) -> int:
        """Lease every pending notification and record it sent on the log channel."""
        sent = 0
        while batch := self.store.claim_notifications(now, 5000, SEED_OWNER, 60.0):
            self.store.record_deliveries(
                [DeliveryOutcome(n.id, SEED_OWNER, now, "log", DeliveryStatus.SENT) for n in batch]
            )
            sent += len(batch)
        return sent

    def incident_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(incidents)).scalar_one())

    def close(self) -> None:
        self.engine.dispose()
