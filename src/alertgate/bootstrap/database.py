"""Opening the database: for serving (migrated), for the CLI beside a server (read-only),
and describing its URL without the password."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.queries import SqlQueries
from alertgate.adapters.stores.serve_lock import DatabaseInUseError, ServeLock
from alertgate.adapters.stores.sql import SqlStore
from alertgate.config import Settings
from alertgate.ports import IncidentQueries, Store


def database_url_problem(settings: Settings) -> str | None:
    """Why the database URL cannot be used, or None."""
    try:
        engines.parse_url(settings.database_url.get_secret_value())
    except engines.UnsupportedDatabaseError as exc:
        return f"ALERTGATE_DATABASE_URL (database.url): {exc}"
    return None


def display_database_url(url: str) -> str:
    """The database URL with its password hidden."""
    return engines.parse_url(url).render_as_string(hide_password=True)


def open_database(settings: Settings) -> Engine:
    """Connect and bring the schema up to date (the CLI beside a server, `migrate`).

    Raises:
        DatabaseNotReadyError: the database cannot be reached or written; the message names
            ALERTGATE_DATABASE_URL (password hidden) and the database's reason, in one line.
    """
    url = settings.database_url.get_secret_value()
    engine = _engine(url, serving=False)
    _migrate(engine, url)
    return engine


@dataclass(frozen=True, slots=True)
class ServingDatabase:
    """The database of `alertgate serve`, with its SQLite serve lock (None on PostgreSQL)."""

    engine: Engine
    lock: ServeLock | None

    def close(self) -> None:
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()


def serve_database(settings: Settings) -> ServingDatabase:
    """Open the database to serve from: on SQLite, lock it for this process first (one serving
    process per file), then connect and bring the schema up to date.

    Raises:
        DatabaseNotReadyError: as open_database(), or another process serves from this SQLite
            file (the message names it).
    """
    url = settings.database_url.get_secret_value()
    engine = _engine(url, serving=True)
    lock = None
    path = engines.sqlite_path(engine)
    if path is not None:
        try:
            lock = ServeLock.acquire(path)
        except DatabaseInUseError as exc:
            engine.dispose()
            raise DatabaseNotReadyError(str(exc)) from None
        except OSError as exc:
            engine.dispose()
            raise _unreachable(url, str(exc)) from None
    opened = ServingDatabase(engine, lock)
    try:
        _migrate(engine, url)
    except DatabaseNotReadyError:
        opened.close()
        raise
    return opened


def _engine(url: str, serving: bool) -> Engine:
    try:
        return engines.create(url, background_checkpoints=serving)
    except OSError as exc:  # SQLite: the file's directory cannot be created
        raise _unreachable(url, str(exc)) from None


def _migrate(engine: Engine, url: str) -> None:
    try:
        migrate.upgrade(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise _unreachable(url, str(exc.orig)) from None


def _unreachable(url: str, reason: str) -> DatabaseNotReadyError:
    return DatabaseNotReadyError(
        f"cannot open the database ALERTGATE_DATABASE_URL={display_database_url(url)}: "
        + " ".join(reason.split())  # psycopg's reasons span lines; this is one
    )


def outbox_access(settings: Settings) -> tuple[Store, IncidentQueries, Callable[[], None]]:
    """The store and its read side for the CLI, and how to let go of the database. Like
    `open_read_side`, it opens only an existing database at this version's schema."""
    engine = _open_existing(settings)
    return SqlStore(engine), SqlQueries(engine), engine.dispose


class DatabaseNotReadyError(Exception):
    """The database cannot be read: missing, unreachable, or at another schema revision."""


@dataclass(frozen=True, slots=True)
class ReadSide:
    """The store opened for reading only (the CLI beside a running server)."""

    queries: IncidentQueries
    engine: Engine

    def close(self) -> None:
        self.engine.dispose()


def open_read_side(settings: Settings) -> ReadSide:
    """Open the store to read it (the CLI beside a running server)."""
    engine = _open_existing(settings)
    return ReadSide(SqlQueries(engine), engine)


def _open_existing(settings: Settings) -> Engine:
    """Open the database the server uses: nothing is created or migrated, so a wrong URL or a
    server that never ran is reported instead of papered over with an empty database."""
    url = engines.parse_url(settings.database_url.get_secret_value())
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise DatabaseNotReadyError(
            f"no database at {url.database}: is ALERTGATE_DATABASE_URL the one `alertgate "
            "serve` uses (a relative path is relative to the working directory)?"
        )
    engine = engines.create(settings.database_url.get_secret_value())
    try:
        current = migrate.current_revision(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseNotReadyError(f"cannot read the database: {exc.orig}") from None
    head = migrate.head_revision()
    if current != head:
        engine.dispose()
        found = f"at schema revision {current}" if current else "without alertgate's tables"
        raise DatabaseNotReadyError(
            f"the database is {found}, this alertgate expects {head}: run `alertgate migrate` "
            "(or use the alertgate version that the server runs)"
        )
    return engine


def schema_revision() -> str | None:
    """The database schema revision this version of alertgate migrates to."""
    return migrate.head_revision()
