"""One serving process per SQLite database: an exclusive lock on a file beside the database.

SQLite is for one `alertgate serve`. A second one on the same file would release the first's
outbox leases at its start (the restart path, `release_leases`) and send what the first is
sending. The kernel drops the lock when its process ends, SIGKILL included, so it never goes
stale and needs no clean-up.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path


class DatabaseInUseError(Exception):
    """Another process serves from this SQLite database."""

    def __init__(self, database: str, holder: str) -> None:
        who = f" ({holder})" if holder else ""
        super().__init__(
            f"another alertgate serve{who} is using the SQLite database {database}; SQLite takes "
            "one serving process: stop the other one, or share PostgreSQL between replicas "
            "(docs/postgresql.md)"
        )


class ServeLock:
    """Held while this process serves from one SQLite database."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, database: str) -> ServeLock:
        """Lock `<database>.lock`, naming this process in it.

        Raises:
            DatabaseInUseError: another process holds the lock (its pid and host in the message).
            OSError: the lock file cannot be created.
        """
        path = Path(f"{database}.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 256, 0).decode(errors="replace").strip()
            os.close(fd)
            raise DatabaseInUseError(database, holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        """Let another process serve from the database (closing the file drops the lock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
