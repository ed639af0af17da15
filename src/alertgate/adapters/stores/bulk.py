"""The hot path's statements as the driver's own SQL text, per dialect, run on its cursor.

Ingest and delivery run these for every batch. SQLAlchemy's statement compilation, expanding IN
parameters and per-row result processing were a fifth of the ingest profile (docs/benchmarks.md),
and bought nothing here: the rows are plain values (epoch milliseconds, strings) that the
codec builds and reads positionally. The statements are written out once per dialect from the
table definitions; the rest of the store keeps SQLAlchemy Core.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy.exc import DBAPIError

from alertgate.adapters.stores.schema import decisions, events, incidents
from alertgate.domain.routing import Route

Row = tuple[Any, ...]


def columns(table: Table, *, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(str(c.name) for c in table.columns if c.name not in without)


INCIDENT_COLUMNS = columns(incidents)
EVENT_COLUMNS = columns(events, without=("id",))
DECISION_COLUMNS = columns(decisions, without=("id",))
INTENT_COLUMNS = (  # what ingest writes of an outbox row; delivery fills the rest
    "idempotency_key",
    "incident_id",
    "episode",
    "kind",
    "route",
    "reason",
    "detail",
    "snapshot",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
)
NOTIFICATION_COLUMNS = (  # what delivery reads of a claimed outbox row
    "id",
    "idempotency_key",
    "snapshot",
    "kind",
    "route",
    "reason",
    "detail",
    "created_at",
    "attempts",
    "redriven_at",
)
_UPDATED = tuple(c for c in INCIDENT_COLUMNS if c != "id")


@dataclass(frozen=True)  # no slots: cached_property keeps each text in __dict__
class Statements:
    """The hot statements of one dialect. `p` is its parameter marker."""

    p: str
    postgres: bool

    def _marks(self, count: int) -> str:
        return ", ".join([self.p] * count)

    def insert(self, table: str, names: Sequence[str]) -> str:
        return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({self._marks(len(names))})"

    @functools.cached_property
    def insert_events(self) -> str:
        return self.insert("events", EVENT_COLUMNS)

    @functools.cached_property
    def insert_incidents(self) -> str:
        return self.insert("incidents", INCIDENT_COLUMNS)

    @functools.cached_property
    def insert_decisions(self) -> str:
        return self.insert("decisions", DECISION_COLUMNS)

    @functools.cached_property
    def insert_intents(self) -> str:
        return self.insert("outbox", INTENT_COLUMNS)

    @functools.cached_property
    def update_incident(self) -> str:
        """Compare-and-set: parameters are the new values, then the id and expected version."""
        sets = ", ".join(f"{c} = {self.p}" for c in _UPDATED)
        return f"UPDATE incidents SET {sets} WHERE id = {self.p} AND version = {self.p}"

    def load_incidents(self, count: int) -> str:
        """Incidents by id (locked until the transaction ends on PostgreSQL, in id order so
        that no two writers deadlock; SQLite's one writer holds the database lock)."""
        cols = ", ".join(INCIDENT_COLUMNS)
        if self.postgres:
            return f"SELECT {cols} FROM incidents WHERE id = ANY(%s) ORDER BY id FOR UPDATE"
        return _sqlite_load(cols, count)

    @functools.cached_property
    def claim_holds(self) -> str:
        """Due holds, earliest first: parameters now, limit. PostgreSQL locks them and skips
        those another replica holds."""
        cols, p = ", ".join(INCIDENT_COLUMNS), self.p
        skip = " FOR UPDATE SKIP LOCKED" if self.postgres else ""
        return (
            f"SELECT {cols} FROM incidents WHERE deadline IS NOT NULL AND deadline <= {p} "
            f"ORDER BY deadline LIMIT {p}{skip}"
        )

    def known_keys(self, count: int) -> str:
        """Which (incident id, delivery key) pairs the event log holds: one index probe per
        pair (an IN list per column would probe every combination of ids and keys)."""
        if self.postgres:
            return (
                "SELECT e.delivery_key FROM unnest(%s::text[], %s::text[]) AS v(i, k) "
                "JOIN events AS e ON e.incident_id = v.i AND e.delivery_key = v.k"
            )
        return _sqlite_known(count)

    @functools.cached_property
    def next_notification(self) -> str:
        """The earliest due time of any route: a minimum per route, each one lookup in
        ix_outbox_route_due (one minimum over every route would read every pending row)."""
        per_route = " UNION ALL ".join(
            "SELECT min(next_attempt_at) AS due FROM outbox "
            f"WHERE status = 'pending' AND route = '{route.value}'"
            for route in Route
        )
        return f"SELECT min(due) FROM ({per_route}) AS due_per_route"

    @functools.cached_property
    def next_deadline(self) -> str:
        return "SELECT min(deadline) FROM incidents WHERE deadline IS NOT NULL"

    @functools.cached_property
    def claim(self) -> str:
        """Lease the earliest due rows of one route: parameters owner, lease end, route, now,
        limit. Rows another replica holds are skipped, not waited for."""
        p = self.p
        skip = " FOR UPDATE SKIP LOCKED" if self.postgres else ""
        # 'pending' as a literal: only then can SQLite use the partial index ix_outbox_route_due
        return (
            f"UPDATE outbox SET lease_owner = {p}, next_attempt_at = {p}, attempts = attempts + 1 "
            f"WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND route = {p} "
            f"AND next_attempt_at <= {p} ORDER BY next_attempt_at LIMIT {p}{skip}) "
            f"RETURNING {', '.join(NOTIFICATION_COLUMNS)}"
        )

    @functools.cached_property
    def record(self) -> str:
        """An attempt's outcome, written only by the lease's owner: parameters status, channel,
        last error, sent at, next attempt at, id, owner."""
        p = self.p
        return (
            f"UPDATE outbox SET status = {p}, channel = {p}, last_error = {p}, sent_at = {p}, "
            f"next_attempt_at = {p}, lease_owner = NULL WHERE id = {p} AND lease_owner = {p}"
        )


@functools.lru_cache(maxsize=512)
def _sqlite_load(cols: str, count: int) -> str:
    return f"SELECT {cols} FROM incidents WHERE id IN ({', '.join(['?'] * count)})"


@functools.lru_cache(maxsize=512)
def _sqlite_known(count: int) -> str:
    pairs = ", ".join(["(?, ?)"] * count)
    return (
        f"SELECT e.delivery_key FROM (VALUES {pairs}) AS v CROSS JOIN events AS e "
        "ON e.incident_id = v.column1 AND e.delivery_key = v.column2"
    )


SQLITE = Statements("?", postgres=False)
POSTGRES = Statements("%s", postgres=True)


def statements(conn: Connection) -> Statements:
    return POSTGRES if conn.dialect.name == "postgresql" else SQLITE


def query(conn: Connection, sql: str, params: Sequence[Any]) -> list[Row]:
    """Run a statement on the driver's cursor; its rows as tuples."""
    cursor = _cursor(conn)
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, sql, exc) from None
    finally:
        cursor.close()


def execute_many(conn: Connection, sql: str, rows: Sequence[Row]) -> int:
    """Run a statement for every row; returns the number of rows the driver reports changed."""
    if not rows:
        return 0
    cursor = _cursor(conn)
    try:
        cursor.executemany(sql, rows)
        return int(cursor.rowcount)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _wrapped(conn, sql, exc) from None
    finally:
        cursor.close()


def _cursor(conn: Connection) -> Any:
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _wrapped(conn: Connection, sql: str, exc: Exception) -> Exception:
    """The exception SQLAlchemy would have raised, so callers handle one error tree; and, as
    SQLAlchemy does for its own statements, a connection the error shows is lost is
    invalidated, so that the pool discards it instead of trying to reset it."""
    dbapi = conn.dialect.loaded_dbapi
    if conn.dialect.is_disconnect(cast(Any, exc), conn.connection.dbapi_connection, None):
        conn.invalidate(exc)
    return DBAPIError.instance(sql, None, exc, dbapi.Error, connection_invalidated=conn.invalidated)
