"""Bulk inserts for the ingest hot path: compiled once per dialect, run with the driver's own
executemany. SQLAlchemy's per-row parameter processing showed up in the ingest profile
(docs/benchmarks.md); the rows here are already plain values, so that work buys nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError

from alertgate.adapters.stores.schema import EPOCH

_MS = timedelta(milliseconds=1)


class BulkInsert:
    """`INSERT INTO table (...) VALUES (...)` for many rows with the same keys."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._compiled: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...] | None]] = {}

    def __call__(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        keys = tuple(rows[0])
        sql, positions = self._compile(conn, keys)
        if positions is None:  # named parameters (psycopg): dicts as they are
            params: list[Any] = [{k: _plain(v) for k, v in row.items()} for row in rows]
        else:  # positional parameters (sqlite3's qmark style)
            params = [tuple(_plain(row[k]) for k in positions) for row in rows]
        dbapi = conn.dialect.loaded_dbapi
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, params)
        except dbapi.Error as exc:
            # The same exception SQLAlchemy raises, so callers handle one error tree.
            raise DBAPIError.instance(sql, None, exc, dbapi.Error) from None
        finally:
            cursor.close()

    def _compile(
        self, conn: Connection, keys: tuple[str, ...]
    ) -> tuple[str, tuple[str, ...] | None]:
        cache_key = (conn.dialect.name, keys)
        if cache_key not in self._compiled:
            compiled = insert(self._table).compile(dialect=conn.dialect, column_keys=list(keys))
            positions = tuple(compiled.positiontup or ()) if compiled.positional else None
            self._compiled[cache_key] = (compiled.string, positions)
        return self._compiled[cache_key]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value - EPOCH) // _MS  # the EpochMs column type, done by hand
    return value
