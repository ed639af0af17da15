"""Ingest of bodies that carry many alerts, on a real SQLite store: each alert's event keeps its
own part of the body, a batch costs a fixed number of statements, and repeats are still found."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import Engine, event, select

from alertgate.adapters.sources import alertmanager, coralogix
from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.payloads import unpack
from alertgate.adapters.stores.schema import events
from alertgate.adapters.stores.sql import SqlStore
from alertgate.app.ingest import Accepted, Delivery, apply_batch
from alertgate.domain.policy import HoldPolicy, Policy
from alertgate.ports import SourceParser
from tests.support.sources import FIXTURES

NOW = datetime(2026, 12, 3, 16, 0, tzinfo=UTC)
POLICY = Policy(hold=HoldPolicy(default=timedelta(minutes=10)))


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    created = engines.create(sqlite_url)
    migrate.upgrade(created)
    yield created
    created.dispose()


def ingest(
    engine: Engine, *bodies: bytes, parse: SourceParser = alertmanager.parse
) -> list[list[Accepted]]:
    with SqlStore(engine).write() as tx:
        results, _ = apply_batch(tx, [Delivery(parse(b), b) for b in bodies], NOW, POLICY)
    return results


def grouped(count: int) -> bytes:
    document = json.loads(
        (FIXTURES / "alertmanager" / "alertmanager_grouped_firing.json").read_bytes()
    )
    template = document["alerts"][0]
    document["alerts"] = [{**template, "fingerprint": f"{i:016x}"} for i in range(count)]
    return orjson.dumps(document)


def test_each_alert_of_a_group_stores_its_own_part_not_the_whole_body(engine: Engine) -> None:
    """A body of 500 alerts stores 500 events whose payloads hold one alert each (with the
    group's envelope), not 500 copies of the whole body."""
    body = grouped(500)
    ingest(engine, body)
    with engine.connect() as conn:
        stored = conn.execute(select(events.c.payload)).scalars().all()
    payloads = [unpack(p) for p in stored]
    assert len(payloads) == 500
    assert all(len(orjson.loads(p)["alerts"]) == 1 for p in payloads)
    assert sum(len(p) for p in payloads) < 2 * len(body)
    assert sum(len(p) for p in stored) < len(body)  # and kept compressed


def test_a_batch_costs_a_fixed_number_of_statements(engine: Engine) -> None:
    """2000 new alerts in one body: a dozen statements, not one lookup per alert."""
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    ingest(engine, grouped(2000))
    assert len(statements) < 20, len(statements)


def coralogix_body(action: str, stamp: int | None) -> bytes:
    body: dict[str, object] = {"alert_action": action, "alertUniqueIdentifier": "u-1", "name": "A"}
    if stamp is not None:
        body["timestampMs"] = stamp
    return orjson.dumps(body)


def test_a_repeat_early_in_a_batch_does_not_hide_a_later_stored_key(engine: Engine) -> None:
    """Stored: trigger, resolve, and an unstamped resolve of episode 1. A batch repeating the
    trigger and then the unstamped resolve: the trigger's repeat keeps the incident resolved, so
    the resolve's key is episode 1's, which the batch's first lookup did not ask for; it is
    looked up and found, and both are duplicates (nothing stored twice, no conflict)."""
    trigger, resolve = coralogix_body("trigger", 1796480000000), coralogix_body("resolve", None)
    stamped_resolve = coralogix_body("resolve", 1796480060000)
    ingest(engine, trigger, stamped_resolve, resolve, parse=coralogix.parse)
    again = ingest(engine, trigger, resolve, parse=coralogix.parse)
    assert [a.duplicate for delivery in again for a in delivery] == [True, True]
    with engine.connect() as conn:
        assert len(conn.execute(select(events.c.id)).all()) == 3
