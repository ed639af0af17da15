"""Database engines: SQLite (WAL, synchronous=FULL, one writer) and PostgreSQL (psycopg 3).

This module and `migrate.py` are the only places that know which database is which (AP-5).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError

WRITE_OPTION = "alertgate_write"  # execution option: this transaction will write


class UnsupportedDatabaseError(ValueError):
    """The database URL names a database alertgate does not support."""


def parse_url(url: str) -> URL:
    """Validate a database URL: sqlite:///PATH or postgresql+psycopg://..."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UnsupportedDatabaseError(f"not a database URL: {exc}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend == "sqlite" and driver == "pysqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise UnsupportedDatabaseError("SQLite needs a file path: sqlite:///var/alertgate.db")
        return parsed
    if backend == "postgresql" and driver == "psycopg":
        return parsed
    raise UnsupportedDatabaseError(
        f"unsupported database {parsed.drivername!r}; use sqlite:///PATH or "
        "postgresql+psycopg://USER@HOST:PORT/DB"
    )


def create(url: str, *, background_checkpoints: bool = False) -> Engine:
    """An engine for `url`, configured for alertgate's durability and concurrency rules.

    `background_checkpoints`: for SQLite, leave WAL checkpoints to a `Checkpointer` thread
    instead of the committing request (the serving engine does this).
    """
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(parsed, background_checkpoints)
    return _postgres(parsed)


def sqlite_path(engine: Engine) -> str | None:
    """The database file of a SQLite engine, else None."""
    return engine.url.database if is_sqlite(engine) else None


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite(url: URL, background_checkpoints: bool) -> Engine:
    assert url.database is not None  # checked by parse_url
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so that BEGIN is ours (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers run beside the writer; FULL syncs the WAL on every commit, so a
        # 2xx is only sent for an event that survives a power cut.
        pragmas = ["journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"]
        if background_checkpoints:
            # The serving engine syncs the WAL itself, once for many commits, before anything
            # is acknowledged (walsync.py); checkpoints run on their own thread (checkpoint.py).
            pragmas += ["synchronous=NORMAL", "wal_autocheckpoint=0"]
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock up front: a deferred transaction that reads and then
        # writes can fail with SQLITE_BUSY when another process wrote in between.
        # On the driver's own connection: SQLAlchemy's statement execution here cost as much as
        # the rest of an empty transaction (docs/benchmarks.md).
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgres(url: URL) -> Engine:
    return create_engine(
        url,
        pool_size=4,
        max_overflow=4,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": 5,
            # Never wait forever on another replica's lock or a runaway query.
            "options": "-c lock_timeout=10000 -c statement_timeout=30000",
        },
    )


# PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and is
# rolled back; running it again is the documented answer.
_TRANSIENT_CONFLICTS = frozenset({"40P01", "40001"})


def is_transient_conflict(exc: DBAPIError) -> bool:
    """True when the database rolled the transaction back because of a concurrent one."""
    return getattr(exc.orig, "sqlstate", None) in _TRANSIENT_CONFLICTS


def is_unique_violation(exc: IntegrityError) -> bool:
    """True when an insert lost a race on a unique key (another writer got there first)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "UNIQUE constraint failed" in str(orig)  # SQLite
