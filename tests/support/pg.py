"""Throw-away PostgreSQL databases on the local server, one per test, cloned from a template."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

ADMIN_URL = os.environ.get("ALERTGATE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"),
        autocommit=True,
        connect_timeout=5,
    )


def sqlalchemy_url(database: str) -> str:
    """The SQLAlchemy URL of a database on the admin URL's server."""
    base = ADMIN_URL.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+psycopg://") + f"/{database}"


def create_database(template: str | None = None) -> str:
    name = f"alertgate_test_{uuid.uuid4().hex[:12]}"
    with _admin() as conn:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        conn.execute(statement)
    return name


def drop_database(name: str) -> None:
    with _admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def temporary_database(template: str | None = None) -> Iterator[str]:
    """A fresh database (its SQLAlchemy URL), dropped afterwards."""
    name = create_database(template)
    try:
        yield sqlalchemy_url(name)
    finally:
        drop_database(name)
