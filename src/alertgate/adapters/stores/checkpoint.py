"""SQLite WAL checkpoints on a background thread, so that no webhook waits for one.

By default SQLite checkpoints inside the commit that pushes the WAL past 1000 pages: that commit
copies megabytes into the database file and fsyncs it while the request waits (a p99 spike on the
event loop). The serving engine turns that off and this thread checkpoints instead, PASSIVE (it
never blocks the writer); the sqlite3 module releases the GIL while SQLite works.
"""

from __future__ import annotations

import sqlite3
import threading

import structlog

log = structlog.get_logger(__name__)


class Checkpointer:
    """Checkpoints one SQLite database every `interval` seconds until stopped."""

    def __init__(self, path: str, interval: float = 0.25) -> None:
        self._path = path
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alertgate-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop, after a last checkpoint that also truncates the WAL file."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=30, check_same_thread=False)
        try:
            while not self._stop.wait(self._interval):
                self._checkpoint(conn, "PASSIVE")
            self._checkpoint(conn, "TRUNCATE")
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection, mode: str) -> None:
        try:
            conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
        except sqlite3.Error as exc:  # busy or locked: the next round tries again
            log.warning("sqlite.checkpoint_failed", mode=mode, error=str(exc))
