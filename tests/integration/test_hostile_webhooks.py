"""Hostile bodies over real HTTP on every source: a 4xx naming the problem, never a 5xx, and
nothing stored (the database is read directly after each request)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.hostile import Hostile, cases
from tests.support.server import ServerProcess
from tests.support.sources import GRAFANA_TOML

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Path]]:
    workdir = tmp_path_factory.mktemp("hostile")
    database = workdir / "alertgate.db"
    env = {"ALERTGATE_CONFIG": str(GRAFANA_TOML)}
    with ServerProcess(f"sqlite:///{database}", workdir, env=env) as running:
        yield running, database


def stored_rows(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        tables = ("events", "incidents", "decisions", "outbox")
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)  # noqa: S608


@pytest.mark.parametrize(
    ("source", "hostile"), cases(), ids=lambda v: v.name if isinstance(v, Hostile) else v
)
def test_hostile_body_gets_a_4xx_naming_the_field_and_changes_nothing(
    server: tuple[ServerProcess, Path], source: str, hostile: Hostile
) -> None:
    """POST /webhooks/{source} with a hostile body: the status is 400 (413 over the body limit),
    the JSON answer names the field, and no row of any table was written."""
    running, database = server
    response = httpx.post(
        f"{running.url}/webhooks/{source}",
        content=hostile.body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == hostile.status, response.text
    answer = response.json()
    assert answer["field"] == hostile.field
    assert answer["message"]
    assert stored_rows(database) == 0
