"""Bulk writes for the ingest hot path: statements compiled once per dialect, run with the
driver's own executemany on rows of plain values (epoch milliseconds, strings).

SQLAlchemy's per-row parameter processing (type conversion, parameter dictionaries) showed up in
the ingest profile (docs/benchmarks.md); the codec already builds rows of plain values, so that
work bought nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Row = Mapping[str, Any]


class _Compiled:
    """One statement, compiled per dialect and column list, executed with executemany."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...] | None]] = {}

    def statement(self, keys: tuple[str, ...]) -> ClauseElement:
        raise NotImplementedError

    def run(self, conn: Connection, rows: Sequence[Row]) -> int:
        """Execute for every row; returns the number of rows the driver reports changed."""
        if not rows:
            return 0
        keys = tuple(rows[0])
        sql, positions = self._compile(conn, keys)
        if positions is None:  # named parameters (psycopg)
            params: list[Any] = list(rows)
        else:  # positional parameters (sqlite3's qmark style)
            params = [tuple(row[k] for k in positions) for row in rows]
        dbapi = conn.dialect.loaded_dbapi
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, params)
            return int(cursor.rowcount)
        except dbapi.Error as exc:
            # The same exception SQLAlchemy raises, so callers handle one error tree.
            raise DBAPIError.instance(sql, None, exc, dbapi.Error) from None
        finally:
            cursor.close()

    def _compile(
        self, conn: Connection, keys: tuple[str, ...]
    ) -> tuple[str, tuple[str, ...] | None]:
        cache_key = (conn.dialect.name, keys)
        if cache_key not in self._cache:
            compiled = self.statement(keys).compile(dialect=conn.dialect, column_keys=list(keys))
            assert isinstance(compiled, SQLCompiler)
            positions = tuple(compiled.positiontup or ()) if compiled.positional else None
            self._cache[cache_key] = (compiled.string, positions)
        return self._cache[cache_key]


class BulkInsert(_Compiled):
    """`INSERT INTO table (...) VALUES (...)` for many rows with the same keys."""

    def __init__(self, table: Table) -> None:
        super().__init__()
        self._table = table

    def statement(self, keys: tuple[str, ...]) -> ClauseElement:
        return insert(self._table)

    def __call__(self, conn: Connection, rows: Sequence[Row]) -> int:
        return self.run(conn, rows)


class CompareAndSet(_Compiled):
    """`UPDATE table SET ... WHERE id = :b_id AND version = :b_expected` for many rows: a row
    another writer changed first is not updated, and the returned count says so."""

    def __init__(self, table: Table) -> None:
        super().__init__()
        self._table = table

    def statement(self, keys: tuple[str, ...]) -> ClauseElement:
        columns = self._table.c
        values: dict[str, Any] = {k: bindparam(k) for k in keys if not k.startswith("b_")}
        return (
            update(self._table)
            .where(columns.id == bindparam("b_id"), columns.version == bindparam("b_expected"))
            .values(values)
        )

    def __call__(self, conn: Connection, rows: Sequence[Row]) -> int:
        return self.run(conn, rows)
