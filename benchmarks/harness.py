"""What every benchmark shares: the sizes of this run, the work directory, the tools, fresh
databases (SQLite files, PostgreSQL databases) and the CPU of PostgreSQL backends."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from tests.support import pg
from tests.support.net import free_port

from benchmarks.prereqs import Tools
from benchmarks.procs import cpu_seconds


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big and how long: the full run and the smoke run differ only here."""

    rounds: int = 5
    duration_s: float = 10.0
    warmup_s: float = 2.0
    connections: int = 32
    plan_rate: int = 60_000  # plan items per second of load: more than any server here takes
    holds: int = 1_000_000
    holds_due: int = 10_000
    holds_lead_s: float = 10.0  # at least this long from the restart to the due holds' deadline
    stall_s: float = 15.0  # no decision for this long after the deadline: the engine is stuck
    stop_s: float = 30.0  # SIGTERM -> exit; longer and the process is killed (and it is a problem)
    cost_sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    cost_duration_s: float = 5.0
    profile_s: float = 10.0


FULL = Sizes()
QUICK = Sizes(
    rounds=1,
    duration_s=1.0,
    warmup_s=0.0,
    connections=16,
    plan_rate=30_000,
    holds=2_000,
    holds_due=200,
    holds_lead_s=3.0,
    stall_s=3.0,
    stop_s=5.0,
    cost_sizes=(500, 1_000, 2_000),
    cost_duration_s=1.0,
    profile_s=1.0,
)


@dataclass
class Bench:
    """One run of the harness."""

    sizes: Sizes
    tools: Tools
    workdir: Path
    quick: bool

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def directory(self, name: str) -> Path:
        """A fresh, empty directory under the work directory."""
        path = self.workdir / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    @staticmethod
    def port() -> int:
        return free_port()


def settle_writeback() -> None:
    """Write the page cache's dirty pages out now (sync(2)): seeding leaves gigabytes of them,
    and the kernel's writeback of those, half a minute later, would land on the measured
    seconds as slow fsyncs that have nothing to do with the engine under test."""
    os.sync()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    url = pg.ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def pg_server_version() -> str | None:
    """The PostgreSQL server's version, or None when it cannot be reached."""
    try:
        with _admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError:
        return None
    return str(row[0]) if row else None


def pg_setting(name: str) -> str | None:
    """A setting of the PostgreSQL server (e.g. synchronous_commit), or None if unreachable."""
    try:
        with _admin() as conn:
            row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
    except psycopg.OperationalError:
        return None
    return str(row[0]) if row else None


@contextmanager
def pg_database() -> Iterator[tuple[str, str]]:
    """A fresh, empty PostgreSQL database: (name, SQLAlchemy URL); dropped afterwards."""
    name = pg.create_database()
    try:
        yield name, pg.sqlalchemy_url(name)
    finally:
        pg.drop_database(name)


def pg_backend_pids(database: str) -> list[int]:
    """The server processes serving connections to `database` (they run on this machine)."""
    with _admin() as conn:
        rows = conn.execute(
            sql.SQL("SELECT pid FROM pg_stat_activity WHERE datname = {}").format(
                sql.Literal(database)
            )
        ).fetchall()
    return [int(str(r[0])) for r in rows]


def pids_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each process still alive."""
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found
