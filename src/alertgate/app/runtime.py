"""The clock and the runners that the shell uses to read time and call the blocking store."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")


class SystemClock:
    """The wall clock in UTC, to the millisecond (the store's resolution)."""

    def now(self) -> datetime:
        now = datetime.now(UTC)
        return now.replace(microsecond=now.microsecond // 1000 * 1000)


class InlineRunner:
    """Runs store calls on the event loop thread.

    For SQLite this is the fastest durable design measured (docs/benchmarks.md): a batch
    transaction takes well under a millisecond, and no thread hand-off is paid. `durable`, when
    given, returns once what was committed before it is on disk (the WAL sync that many commits
    share): run() awaits it after each call, so the caller acts only on durable results.
    """

    def __init__(self, durable: Callable[[], Awaitable[None]] | None = None) -> None:
        self._durable = durable

    async def run(self, fn: Callable[..., T], /, *args: object) -> T:
        result = fn(*args)
        await self.synced()
        return result

    async def call(self, fn: Callable[..., T], /, *args: object) -> T:
        return fn(*args)

    async def synced(self) -> None:
        if self._durable is not None:
            await self._durable()


class ThreadRunner:
    """Runs store calls on worker threads, so network waits never block the loop. With one
    thread, calls run in the order they were made; with more, they may overlap (each thread
    takes its own database connection)."""

    def __init__(self, threads: int = 1, name: str = "alertgate-store") -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], /, *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    call = run  # a commit on PostgreSQL is durable when it returns

    async def synced(self) -> None:
        return None

    def close(self) -> None:
        self._pool.shutdown(wait=True)
