"""Group commit on SQLite: commits leave the WAL unsynced, and nothing is acknowledged before an
fdatasync of the WAL that began after the commit (adapters/stores/walsync.py)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.walsync import WalSync, WalSyncError
from alertgate.app.runtime import InlineRunner
from alertgate.ports import StoreError


class Recorder:
    """fdatasync that records which file it synced and how long the WAL was then."""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.synced: list[tuple[int, int]] = []  # (inode, size) at each sync
        self.delay, self.fail = delay, fail
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, fd: int) -> None:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        if self.fail:
            raise OSError(5, "Input/output error")
        os.fdatasync(fd)
        stat = os.fstat(fd)
        self.synced.append((stat.st_ino, stat.st_size))


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = str(tmp_path / "alertgate.db")
    engine = engines.create(f"sqlite:///{path}", background_checkpoints=True)
    migrate.upgrade(engine)
    engine.dispose()  # no pooled connection keeps the WAL alive behind a test's back
    return path


class Writer:
    """Commits as the serving engine does (synchronous=NORMAL), on a connection it keeps open,
    as the engine's pool does, so that SQLite keeps the WAL file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")

    def commit(self, n: int) -> int:
        """One committed row; the WAL's size after the commit."""
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO t VALUES (?)", (n,))
        self.conn.execute("COMMIT")
        return os.path.getsize(self.path + "-wal")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def writer(database: str) -> Iterator[Writer]:
    writer = Writer(database)
    yield writer
    writer.close()


def test_synced_returns_after_an_fdatasync_of_the_wal_that_holds_the_commit(
    database: str, writer: Writer
) -> None:
    recorder = Recorder()
    sync = WalSync(database, fdatasync=recorder)
    try:
        size = writer.commit(1)
        asyncio.run(sync.synced())
        inode = os.stat(database + "-wal").st_ino
        assert any(i == inode and s >= size for i, s in recorder.synced), recorder.synced
    finally:
        sync.close()


def test_waiters_that_come_together_share_one_fdatasync(database: str, writer: Writer) -> None:
    """Group commit: while one sync runs, everyone who asks waits for the next one."""
    recorder = Recorder(delay=0.05)
    sync = WalSync(database, fdatasync=recorder)
    writer.commit(1)

    async def many() -> None:
        await asyncio.gather(*(sync.synced() for _ in range(50)))

    try:
        asyncio.run(many())
    finally:
        sync.close()
    assert 1 <= recorder.calls <= 2


def test_a_failed_sync_fails_its_waiters_and_every_later_one(database: str, writer: Writer) -> None:
    """After a failed fdatasync nobody can vouch for the page cache: nothing more is
    acknowledged, and the runner's callers see a StoreError."""
    sync = WalSync(database, fdatasync=Recorder(fail=True))
    writer.commit(1)
    runner = InlineRunner(sync.synced)
    try:
        with pytest.raises(WalSyncError):
            asyncio.run(sync.synced())
        assert isinstance(sync.failure, StoreError)
        with pytest.raises(StoreError):
            asyncio.run(runner.run(lambda: "committed"))
    finally:
        sync.close()


def test_a_replaced_wal_file_is_synced_instead_of_the_old_one(database: str) -> None:
    """SQLite deletes the WAL when the last connection closes, and the next writer creates a
    new file: the sync follows it."""
    recorder = Recorder()
    sync = WalSync(database, fdatasync=recorder)
    try:
        writer = Writer(database)
        writer.commit(1)
        asyncio.run(sync.synced())
        first = recorder.synced[-1][0]
        writer.close()  # the last connection: SQLite checkpoints and deletes the WAL
        assert not os.path.exists(database + "-wal")
        writer = Writer(database)
        writer.commit(2)
        asyncio.run(sync.synced())
        second = os.stat(database + "-wal").st_ino
        writer.close()
        assert recorder.synced[-1][0] == second != first  # our open fd pins the old inode
    finally:
        sync.close()


def test_without_a_wal_file_there_is_nothing_to_sync(tmp_path: Path) -> None:
    recorder = Recorder()
    sync = WalSync(str(tmp_path / "none.db"), fdatasync=recorder)
    try:
        asyncio.run(sync.synced())
    finally:
        sync.close()
    assert recorder.calls == 0


def test_the_runner_answers_only_after_the_sync(database: str, writer: Writer) -> None:
    """InlineRunner.run returns what the call returned, once its commit is synced."""
    recorder = Recorder(delay=0.05)
    sync = WalSync(database, fdatasync=recorder)
    runner = InlineRunner(sync.synced)
    try:
        result = asyncio.run(runner.run(writer.commit, 3))
        assert recorder.synced
        assert recorder.synced[-1][1] >= result
    finally:
        sync.close()
