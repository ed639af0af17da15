"""Group commit for SQLite: commits write the WAL without syncing it, and one thread syncs it.

The serving engine commits with `synchronous=NORMAL`, so a COMMIT returns once its WAL frames are
in the page cache, and the event loop goes on to the next transaction at once. Nothing is
acknowledged until `WalSync.synced()`, called after the commit, returns: by then an fdatasync of
the WAL file that began after that commit has finished, so the transaction is on disk exactly as
`synchronous=FULL` would have left it. One fdatasync covers every commit made before it began, so
transactions overlap the disk's latency instead of waiting for it one by one (the fsync releases
the GIL while the loop parses the next requests).

A failed fdatasync leaves the page cache in a state nobody can vouch for (the kernel may have
dropped the dirty pages): from then on every `synced()` raises, so nothing more is acknowledged,
and /ready reports it. A restart recovers from what is on disk.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path

import structlog

from alertgate.ports import StoreError

log = structlog.get_logger(__name__)

_Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class WalSyncError(StoreError):
    """The WAL could not be synced: what was committed since the last sync may be lost."""


class WalSync:
    """Syncs one SQLite database's WAL file on a thread, for as many waiters as are waiting."""

    def __init__(self, database: str, fdatasync: Callable[[int], None] = os.fdatasync) -> None:
        self._wal = Path(f"{database}-wal")
        self._fdatasync = fdatasync
        self._requests: queue.SimpleQueue[_Waiter | None] = queue.SimpleQueue()  # None: stop
        self._fd: int | None = None
        self._inode: int | None = None
        self._failure: WalSyncError | None = None
        self._thread = threading.Thread(target=self._run, name="alertgate-walsync", daemon=True)
        self._thread.start()

    @property
    def failure(self) -> WalSyncError | None:
        """The sync failure that stopped acknowledgements, if one happened."""
        return self._failure

    async def synced(self) -> None:
        """Return once everything committed before this call is on disk."""
        if self._failure is not None:
            raise self._failure
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._requests.put((loop, done))
        await done

    def close(self) -> None:
        """Sync what is pending, then stop the thread."""
        if self._thread.is_alive():
            self._requests.put(None)
            self._thread.join(timeout=30)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _run(self) -> None:
        stopping = False
        while not stopping:
            waiting = [self._requests.get()]
            while True:  # everyone who asked before this sync begins is covered by it
                try:
                    waiting.append(self._requests.get_nowait())
                except queue.Empty:
                    break
            stopping = None in waiting
            error = self._sync()
            _answer([w for w in waiting if w is not None], error)

    def _sync(self) -> WalSyncError | None:
        if self._failure is not None:
            return self._failure
        try:
            fd = self._open()
            if fd is not None:
                self._fdatasync(fd)
        except OSError as exc:
            self._failure = WalSyncError(f"could not sync {self._wal}: {exc.strerror}")
            log.critical("sqlite.wal_sync_failed", path=str(self._wal), error=str(exc))
        return self._failure

    def _open(self) -> int | None:
        """The WAL file's descriptor; reopened if SQLite replaced the file (it deletes the WAL
        when the last connection closes). None when there is no WAL file: then every commit has
        been checkpointed into the database file, which SQLite synced itself."""
        try:
            inode = self._wal.stat().st_ino
        except FileNotFoundError:
            return None
        if self._fd is None or inode != self._inode:
            if self._fd is not None:
                os.close(self._fd)
            self._fd, self._inode = os.open(self._wal, os.O_RDONLY), inode
            _sync_directory(self._wal.parent)  # the new file's name is durable too
        return self._fd


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _answer(waiting: list[_Waiter], error: WalSyncError | None) -> None:
    """Wake the waiters, one call per event loop (each call writes to the loop's wake-up pipe)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for loop, future in waiting:
        by_loop.setdefault(loop, []).append(future)
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, futures, error)
        except RuntimeError:  # that loop is closed: nobody is waiting any more
            continue


def _resolve(futures: list[asyncio.Future[None]], error: WalSyncError | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
