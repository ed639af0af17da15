"""Shared fixtures: a fresh store URL per test (SQLite file or PostgreSQL database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from alertgate.adapters.stores import migrate
from tests.support import pg

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that per-test databases are cloned from."""
    name = pg.create_database()
    engine = create_engine(pg.sqlalchemy_url(name))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    pg.drop_database(name)


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    with pg.temporary_database(template=pg_template) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'alertgate.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test against both stores."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'alertgate.db'}"
    else:
        yield request.getfixturevalue("pg_url")
