"""The dispatcher's hot queries read only what is due, however many notifications are pending.

A channel that is down, or an escalation storm, leaves thousands of rows pending; a claim or a
next-due query that reads all of them runs on the event loop every delivery round. These tests
check SQLite's query plans (deterministic, unlike timings): an index range, never a sort of the
pending rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.dialects import sqlite

from alertgate.adapters.stores import bulk, migrate
from alertgate.adapters.stores import engine as engines
from alertgate.domain.routing import Route


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = engines.create(f"sqlite:///{tmp_path / 'plans.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _plan(engine: Engine, statement: object, params: tuple[object, ...] = ()) -> list[str]:
    if not isinstance(statement, str):
        statement = statement.compile(  # type: ignore[attr-defined]
            dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
        )
    path = engine.url.database
    assert path is not None
    with sqlite3.connect(path) as conn:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", params)]


def test_a_claim_reads_the_due_rows_of_its_route_in_order(engine: Engine) -> None:
    """The claim walks ix_outbox_route_due: no scan of every pending row, no sort."""
    params = ("owner", 2_000, Route.TEAMS.value, 1_000, 16)
    plan = _plan(engine, bulk.SQLITE.claim, params)
    assert any("ix_outbox_route_due" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step or step.startswith("SCAN outbox") for step in plan), plan


def test_the_next_due_time_is_an_index_lookup_per_route(engine: Engine) -> None:
    """The earliest due time reads one index entry per route, not every pending row."""
    plan = _plan(engine, bulk.SQLITE.next_notification)
    uses = [step for step in plan if "ix_outbox_route_due" in step]
    assert len(uses) == len(Route), plan
    assert not any("TEMP B-TREE" in step or "ix_outbox_status" in step for step in plan), plan


def test_the_dedup_lookup_probes_one_index_entry_per_pair(engine: Engine) -> None:
    """Known delivery keys are found by (incident, key) pairs through the unique index, not by
    every combination of the batch's incidents and keys."""
    plan = _plan(engine, bulk.SQLITE.known_keys(3), ("i", "k") * 3)
    assert any("ux_events_incident_delivery (incident_id=? AND delivery_key=?)" in s for s in plan)
    assert not any(step.startswith("SCAN e") for step in plan), plan


def test_incidents_are_loaded_through_their_primary_key(engine: Engine) -> None:
    plan = _plan(engine, bulk.SQLITE.load_incidents(3), ("a", "b", "c"))
    assert any(step.startswith("SEARCH incidents USING INDEX") for step in plan), plan


def test_due_holds_are_read_from_the_deadline_index_in_order(engine: Engine) -> None:
    """The scheduler's claim walks ix_incidents_deadline: no scan, no sort of the incidents."""
    plan = _plan(engine, bulk.SQLITE.claim_holds, (1_000, 500))
    assert any("ix_incidents_deadline" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step or step.startswith("SCAN incidents") for step in plan)
