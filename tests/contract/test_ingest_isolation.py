"""A value PostgreSQL cannot hold fails only its own webhook, never its group commit's others."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.schema import events
from alertgate.adapters.stores.sql import SqlStore
from alertgate.app.ingest import Delivery, Ingestor
from alertgate.app.runtime import ThreadRunner
from alertgate.domain.alert import Action, AlertEvent
from alertgate.ports import StoreRefusedError
from tests.unit.domain.factories import POLICY, T0

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(pg_url: str) -> Iterator[SqlStore]:
    engine = engines.create(pg_url)
    migrate.upgrade(engine)
    yield SqlStore(engine)
    engine.dispose()


class _Clock:
    def now(self):
        return T0


def _delivery(name: str) -> Delivery:
    event = AlertEvent(
        source="coralogix", identity=f"uid={name!r}", action=Action.TRIGGER, name=name
    )
    return Delivery([event], b"{}")


def test_a_nul_in_a_text_fails_only_its_own_delivery(store: SqlStore) -> None:
    """PostgreSQL text cannot hold NUL: that delivery is refused (StoreRefusedError, which the
    webhook answers 422), and the deliveries committed beside it are stored all the same."""

    async def main() -> list[object]:
        runner = ThreadRunner()
        ingestor = Ingestor(store, runner, _Clock(), POLICY, lambda t: None)
        task = asyncio.create_task(ingestor.run())
        names = [f"cpu {n}" for n in range(8)] + ["cpu \x00 nul"]
        results: list[object] = await asyncio.gather(
            *(ingestor.submit(_delivery(n)) for n in names), return_exceptions=True
        )
        await ingestor.close()
        await task
        runner.close()
        return results

    results = asyncio.run(main())
    assert isinstance(results[-1], StoreRefusedError)
    assert all(isinstance(r, list) for r in results[:-1])
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 8
