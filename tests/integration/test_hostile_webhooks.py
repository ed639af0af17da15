"""Hostile bodies over real HTTP on every source and on both stores (SQLite and PostgreSQL): a
4xx naming the problem, never a 5xx, and nothing stored (the database is read directly after
each request); NULs where no identity is are accepted and stored."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
from sqlalchemy import create_engine, text

from tests.support import pg
from tests.support.hostile import TOLERATED, Hostile, cases
from tests.support.server import ServerProcess
from tests.support.sources import GRAFANA_TOML, configured_parsers

pytestmark = pytest.mark.slow
SOURCES = sorted(configured_parsers())
TABLES = ("events", "incidents", "decisions", "outbox")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, str]]:
    """One `alertgate serve` per store, with the docs' Grafana mapping loaded."""
    workdir = tmp_path_factory.mktemp(f"hostile-{request.param}")
    env = {"ALERTGATE_CONFIG": str(GRAFANA_TOML)}
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'alertgate.db'}"
        with ServerProcess(url, workdir, env=env) as running:
            yield running, url
        return
    name = pg.create_database(template=request.getfixturevalue("pg_template"))
    try:
        url = pg.sqlalchemy_url(name)
        with ServerProcess(url, workdir, env=env) as running:
            yield running, url
    finally:
        pg.drop_database(name)


def stored_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            counts = [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES]  # noqa: S608
    finally:
        engine.dispose()
    return sum(counts)


def post(running: ServerProcess, source: str, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{running.url}/webhooks/{source}",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("source", "hostile"), cases(SOURCES), ids=lambda v: v.name if isinstance(v, Hostile) else v
)
def test_hostile_body_gets_a_4xx_naming_the_field_and_changes_nothing(
    server: tuple[ServerProcess, str], source: str, hostile: Hostile
) -> None:
    """POST /webhooks/{source} with a hostile body: the status is 400 (413 over the body limit),
    the JSON answer names the field, and no row of any table was written."""
    running, url = server
    before = stored_rows(url)
    response = post(running, source, hostile.body)
    assert response.status_code == hostile.status, response.text
    answer = response.json()
    assert answer["field"] == hostile.field
    assert answer["message"]
    assert stored_rows(url) == before


@pytest.mark.parametrize("source", SOURCES)
def test_nul_outside_identities_is_accepted_and_the_body_stored_as_sent(
    server: tuple[ServerProcess, str], source: str
) -> None:
    """NULs in names, labels, annotations and unread fields (PostgreSQL's text cannot hold
    one): the alert is accepted (202), its texts show U+FFFD, and the event log gives back the
    body as it was sent, NULs included (it is stored as bytes)."""
    running, _ = server
    tolerated = TOLERATED[source]
    response = post(running, source, tolerated.body)
    assert response.status_code == 202, response.text
    incident_id = response.json()["incident_id"]
    found = httpx.get(f"{running.url}/api/incidents/{incident_id}", timeout=10).json()
    shown = set(strings(found["incident"]))
    assert set(tolerated.shown) <= shown, shown
    assert found["events"][0]["payload"] == orjson.loads(tolerated.body)


def strings(value: object) -> Iterator[str]:
    """Every string in a decoded JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
