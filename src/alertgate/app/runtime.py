"""The clock and the runners that the shell uses to read time and call the blocking store."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
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
    transaction takes well under a millisecond plus one fsync, and no thread hand-off is paid.
    """

    async def run(self, fn: Callable[..., T], /, *args: object) -> T:
        return fn(*args)


class ThreadRunner:
    """Runs store calls on one worker thread, in order, so network waits never block the loop."""

    def __init__(self, name: str = "alertgate-store") -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], /, *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
