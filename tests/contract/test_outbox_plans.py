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

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.sql import _NEXT_NOTIFICATION, _claim_statement
from alertgate.domain.routing import Route
from tests.unit.domain.factories import T0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = engines.create(f"sqlite:///{tmp_path / 'plans.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _plan(engine: Engine, statement: object) -> list[str]:
    compiled = statement.compile(  # type: ignore[attr-defined]
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    path = engine.url.database
    assert path is not None
    with sqlite3.connect(path) as conn:
        return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {compiled}")]


def test_a_claim_reads_the_due_rows_of_its_route_in_order(engine: Engine) -> None:
    """The claim walks ix_outbox_route_due: no scan of every pending row, no sort."""
    plan = _plan(engine, _claim_statement(T0, 16, "owner", 60.0, Route.TEAMS))
    assert any("ix_outbox_route_due" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step or step.startswith("SCAN outbox") for step in plan), plan


def test_the_next_due_time_is_an_index_lookup_per_route(engine: Engine) -> None:
    """The earliest due time reads one index entry per route, not every pending row."""
    plan = _plan(engine, _NEXT_NOTIFICATION)
    uses = [step for step in plan if "ix_outbox_route_due" in step]
    assert len(uses) == len(Route), plan
    assert not any("TEMP B-TREE" in step or "ix_outbox_status" in step for step in plan), plan
