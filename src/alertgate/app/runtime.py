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
    given, is awaited after each call: it returns once what the call committed is on disk (the
    WAL sync that many commits share), so the caller acts only on durable results.
    """

    def __init__(self, durable: Callable[[], Awaitable[None]] | None = None) -> None:
        self._durable = durable

    async def run(self, fn: Callable[..., T], /, *args: object) -> T:
        result = fn(*args)
        if self._durable is not None:
            await self._durable()
        return result


class ThreadRunner:
    """Runs store calls on worker threads, so network waits never block the loop. With one
    thread, calls run in the order they were made; with more, they may overlap (each thread
    takes its own database connection)."""

    def __init__(self, threads: int = 1, name: str = "alertgate-store") -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], /, *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
