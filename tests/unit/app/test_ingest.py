"""Ingest over a real store: idempotency and episodes on SQLite and PostgreSQL alike; group
commit and failure handling on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TypeVar, cast

import pytest
from sqlalchemy import func, select

from alertgate.adapters.sources.coralogix import parse
from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.schema import decisions, events, outbox
from alertgate.adapters.stores.sql import SqlStore, _WriteTx
from alertgate.app.ingest import Delivery, Ingestor, apply_batch
from alertgate.app.runtime import InlineRunner
from alertgate.app.transcript import Transcript
from alertgate.domain.decisions import Reason
from alertgate.domain.incident import State
from alertgate.ports import StoreError, StoreRefusedError
from tests.conftest import FIXTURES
from tests.unit.domain.factories import HOLD, POLICY, T0

T = TypeVar("T")

CX = FIXTURES / "coralogix"


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    """Each test that takes it runs on both stores: ingest must behave the same on either."""
    engine = engines.create(store_url)
    migrate.upgrade(engine)
    yield SqlStore(engine)
    engine.dispose()


def delivery(name: str, body: bytes | None = None) -> Delivery:
    raw = body if body is not None else (CX / name).read_bytes()
    return Delivery(parse(raw), raw)


def ingest(store: SqlStore, *deliveries: Delivery, at=T0):
    with store.write() as tx:
        results, _ = apply_batch(tx, list(deliveries), at, POLICY)
    return results


def count(store: SqlStore, table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_sender_retry_is_stored_once_and_changes_nothing(store: SqlStore) -> None:
    """The same body delivered twice: one event row, the second answer says duplicate."""
    [[first]] = ingest(store, delivery("default_trigger.json"))
    [[second]] = ingest(store, delivery("default_trigger.json"), at=T0 + timedelta(seconds=5))
    assert (first.duplicate, first.reason, first.state) == (False, Reason.HELD, State.HOLDING)
    assert (second.duplicate, second.reason, second.state) == (True, None, State.HOLDING)
    assert count(store, events) == 1


def test_duplicates_inside_one_batch_are_caught_too(store: SqlStore) -> None:
    """Two copies in the same group commit: the second is a duplicate, not a second event."""
    results = ingest(store, delivery("default_trigger.json"), delivery("default_trigger.json"))
    assert [r[0].duplicate for r in results] == [False, True]
    assert count(store, events) == 1


def test_renotification_with_a_new_time_is_kept_but_changes_nothing(store: SqlStore) -> None:
    """Coralogix re-notifying an open alert: logged as an event, the hold is unchanged."""
    ingest(store, delivery("default_trigger.json"))
    body = (CX / "default_trigger.json").read_bytes().replace(b"1723670936254", b"1723671536254")
    [[again]] = ingest(store, delivery("", body), at=T0 + timedelta(minutes=1))
    assert (again.duplicate, again.reason) == (False, Reason.DUPLICATE_TRIGGER)
    assert count(store, events) == 2


def test_poc_trigger_after_resolution_opens_a_new_episode(store: SqlStore) -> None:
    """An unstamped TRIGGERED after RESOLVED is a new episode, not a duplicate of the first."""
    ingest(store, delivery("poc_triggered.json"))
    ingest(store, delivery("poc_resolved.json"), at=T0 + timedelta(minutes=1))
    [[again]] = ingest(store, delivery("poc_triggered.json"), at=T0 + timedelta(minutes=2))
    assert (again.duplicate, again.reason, again.state) == (False, Reason.HELD, State.HOLDING)
    with store.write() as tx:
        assert tx.incidents_for_update([again.incident_id])[again.incident_id].episode == 2


def test_trigger_and_resolve_in_one_batch_decide_in_order(store: SqlStore) -> None:
    """Order inside a group commit is arrival order: held, then resolved on its own."""
    results = ingest(store, delivery("default_trigger.json"), delivery("default_resolve.json"))
    assert [r[0].reason for r in results] == [Reason.HELD, Reason.RESOLVED_IN_HOLD]
    assert count(store, outbox) == 1


def test_a_resolve_after_an_overdue_hold_stores_the_escalation_and_its_follow_up(
    store: SqlStore,
) -> None:
    """The scheduler has not fired an overdue hold when its resolve comes: one commit stores
    both decisions (escalated, said to be late; resolved after escalation) and both intents,
    escalation first, each about its own stage of the incident; the answer is the resolve's."""
    ingest(store, delivery("default_trigger.json"))
    late = T0 + HOLD + timedelta(minutes=2)
    with store.write() as tx:
        [[answer]], transcript = apply_batch(tx, [delivery("default_resolve.json")], late, POLICY)
    assert (answer.reason, answer.state) == (Reason.RESOLVED_AFTER_ESCALATION, State.RESOLVED)
    with store.engine.connect() as conn:
        decided = conn.execute(select(decisions.c.outcome, decisions.c.detail)).all()
        queued = conn.execute(select(outbox.c.kind).order_by(outbox.c.id)).scalars().all()
    assert [o for o, _ in decided] == ["held", "escalated", "resolved_after_escalation"]
    assert "decided 2m after its deadline, when a resolve came" in decided[1][1]
    assert queued == ["escalation", "resolution"]
    assert [(i.kind.value, i.incident.state) for i in transcript.intents] == [
        ("escalation", State.ESCALATED),
        ("resolution", State.RESOLVED),
    ]


def test_test_and_save_is_recorded_as_a_test_without_an_incident(store: SqlStore) -> None:
    [[result]] = ingest(store, delivery("test_and_save.json"))
    assert (result.reason, result.state) == (Reason.TEST, None)
    assert count(store, events) == 1


class CountingStore(SqlStore):
    """A real store that counts its write transactions."""

    writes = 0

    def write(self) -> AbstractContextManager[_WriteTx]:
        self.writes += 1
        return super().write()


def test_concurrent_requests_share_commits(tmp_path: Path) -> None:
    """Fifty requests arriving together are committed in far fewer transactions (group commit)."""
    engine = engines.create(f"sqlite:///{tmp_path / 'g.db'}")
    migrate.upgrade(engine)
    store = CountingStore(engine)
    committed: list[Transcript] = []

    async def main() -> list[bool]:
        ingestor = Ingestor(store, InlineRunner(), _Clock(), POLICY, committed.append)
        runner = asyncio.create_task(ingestor.run())
        bodies = [f'{{"alert_id": "a{n}", "alert_action": "trigger"}}'.encode() for n in range(50)]
        results = await asyncio.gather(*(ingestor.submit(Delivery(parse(b), b)) for b in bodies))
        await ingestor.close()
        await runner
        return [r[0].duplicate for r in results]

    assert asyncio.run(main()) == [False] * 50
    assert 1 <= store.writes < 50
    assert sum(len(t.events) for t in committed) == 50
    engine.dispose()


class BrokenStore(SqlStore):
    def write(self) -> AbstractContextManager[_WriteTx]:
        raise StoreError("database is down")


def test_a_failed_commit_fails_every_waiting_request(tmp_path: Path) -> None:
    """Nobody gets a 2xx for an event that was not committed."""
    engine = engines.create(f"sqlite:///{tmp_path / 'b.db'}")

    async def main() -> list[object]:
        ingestor = Ingestor(BrokenStore(engine), InlineRunner(), _Clock(), POLICY, lambda t: None)
        runner = asyncio.create_task(ingestor.run())
        body = b'{"alert_id": "a", "alert_action": "trigger"}'
        results: list[object] = await asyncio.gather(
            *(ingestor.submit(Delivery(parse(body), body)) for _ in range(3)),
            return_exceptions=True,
        )
        await ingestor.close()
        await runner
        return results

    assert all(isinstance(r, StoreError) for r in asyncio.run(main()))
    engine.dispose()


class _Clock:
    def now(self):
        return T0


class RefusingStore(SqlStore):
    """Refuses every transaction that holds the poison alert, as PostgreSQL refuses a NUL."""

    def __init__(self, engine, poison: str) -> None:
        super().__init__(engine)
        self.poison = poison
        self.attempts = 0

    def write(self) -> AbstractContextManager[_WriteTx]:
        self.attempts += 1
        return self._refusing(super().write())

    @contextmanager
    def _refusing(self, inner: AbstractContextManager[_WriteTx]) -> Iterator[_WriteTx]:
        with inner as tx:
            original = tx.apply

            def apply(changes):
                if any(self.poison in e.incident_key for e in changes.events):
                    raise StoreRefusedError("the database refused a value")
                original(changes)

            tx.apply = apply  # type: ignore[method-assign]
            yield tx


def test_a_value_the_database_refuses_fails_only_its_own_request(tmp_path: Path) -> None:
    """One body the database cannot store does not fail the others of its group commit: they
    are committed one by one, and only the poison one is refused."""
    engine = engines.create(f"sqlite:///{tmp_path / 'c.db'}")
    migrate.upgrade(engine)
    store = RefusingStore(engine, poison="poison")

    async def main() -> list[object]:
        ingestor = Ingestor(store, InlineRunner(), _Clock(), POLICY, lambda t: None)
        runner = asyncio.create_task(ingestor.run())
        names = [f"a{n}" for n in range(10)] + ["poison"]
        bodies = [f'{{"alert_id": "{n}", "alert_action": "trigger"}}'.encode() for n in names]
        results: list[object] = await asyncio.gather(
            *(ingestor.submit(Delivery(parse(b), b)) for b in bodies), return_exceptions=True
        )
        await ingestor.close()
        await runner
        return results

    results = asyncio.run(main())
    assert isinstance(results[-1], StoreRefusedError)
    assert all(isinstance(r, list) and not r[0].duplicate for r in results[:-1])
    assert count(store, events) == 10
    assert store.attempts > 2  # the batch failed together, then went one by one
    engine.dispose()


class GatedRunner(InlineRunner):
    """Runs each batch only when the test opens its gate, recording which batches started:
    stands in for a runner that runs transactions at the same time (PostgreSQL's threads)."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list[set[str]] = []  # the incidents of each batch, in start order
        self.gates: list[asyncio.Event] = []

    async def run(self, fn: Callable[..., T], /, *args: object) -> T:
        deliveries = cast(list[Delivery], args[0])
        self.started.append({e.incident_id for d in deliveries for e in d.events})
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        return await super().run(fn, *args)


def test_concurrent_batches_never_decide_one_incident_out_of_order(tmp_path: Path) -> None:
    """Batches run at once only when they share no incident: a resolve that arrives while its
    trigger's batch is still in flight waits for it, so it is decided after the trigger."""
    engine = engines.create(f"sqlite:///{tmp_path / 'c.db'}")
    migrate.upgrade(engine)
    store, runner = SqlStore(engine), GatedRunner()

    def body(alert: str, action: str) -> Delivery:
        raw = f'{{"alert_id": "{alert}", "alert_action": "{action}"}}'.encode()
        return Delivery(parse(raw), raw)

    async def started(count: int) -> None:
        """Wait until `count` batches started, or 0.2 s (the ingest loop has long had its turn)."""
        for _ in range(200):
            if len(runner.started) >= count:
                return
            await asyncio.sleep(0.001)

    async def main() -> tuple[list[set[str]], State | None]:
        ingestor = Ingestor(
            store, runner, _Clock(), POLICY, lambda t: None, max_in_flight=4, concurrent=True
        )
        loop = asyncio.create_task(ingestor.run())
        trigger = asyncio.create_task(ingestor.submit(body("x", "TRIGGERED")))
        await started(1)
        other = asyncio.create_task(ingestor.submit(body("y", "TRIGGERED")))
        await started(2)  # shares nothing with the trigger's batch: runs beside it
        resolve = asyncio.create_task(ingestor.submit(body("x", "RESOLVED")))
        await started(3)
        assert len(runner.started) == 2, "the resolve must wait for the trigger's batch"
        runner.gates[1].set()
        await other
        await started(3)
        assert len(runner.started) == 2, "still waiting: only the other incident is done"
        runner.gates[0].set()
        await trigger
        await started(3)
        runner.gates[2].set()
        [accepted] = await resolve
        await ingestor.close()
        await loop
        return runner.started, accepted.state

    order, state = asyncio.run(main())
    x = parse(b'{"alert_id": "x", "alert_action": "TRIGGERED"}')[0].incident_id
    assert order[0] == order[2] == {x}
    assert state is State.RESOLVED  # decided after the trigger: resolved on its own
    engine.dispose()
