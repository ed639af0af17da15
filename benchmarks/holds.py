"""Benchmark 3: a store with a million open holds. The engine's memory, its time to ready after
a restart, and ten thousand holds that fall due in the same second: how late each is decided
(decision time minus deadline, from the `decisions` table) and that none is decided twice."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores.schema import decisions, incidents, outbox
from benchmarks import procs
from benchmarks.bodies import TRIGGERS_ONLY, Item, plan
from benchmarks.harness import Bench, settle_writeback, sqlite_url
from benchmarks.seed import BATCH as SEED_BATCH
from benchmarks.seed import Seeder, spaced
from benchmarks.store_checks import episodes_decided_twice

HOLD_SECONDS = 86_400.0  # far-future deadlines for the holds that must not fall due
DUE_BATCH = 100  # due holds seeded per transaction: one deadline per batch, 10 ms apart
STREAM = "h"


@dataclass
class HoldsResult:
    holds: int
    due: int
    seed_s: float
    first_ready_s: float
    restart_ready_s: float
    rss_idle_mb: float
    rss_peak_mb: float
    decided: int
    decided_twice: int
    decided_not_due: int  # holds decided although their deadline is a day away
    lateness_ms: dict[str, float]
    drain_s: float  # first deadline -> last of the due holds decided
    notifications: dict[str, int]
    problems: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


def run(bench: Bench) -> HoldsResult:
    """Seed the holds, start, restart (ready time, RSS), then seed the due holds and start
    once more to watch them fall due."""
    sizes = bench.sizes
    work = bench.directory("holds")
    url = sqlite_url(work / "alertgate.db")
    now_ms = int(time.time() * 1000)
    items = plan(sizes.holds, TRIGGERS_ONLY, 5, now_ms - sizes.holds)
    far, due = items[: sizes.holds - sizes.holds_due], items[sizes.holds - sizes.holds_due :]
    seeder = Seeder(url, HOLD_SECONDS, STREAM)
    bench.log(f"holds: seeding {len(far):,} open holds")
    seed_s = _seed(seeder, far, spaced(datetime.now(UTC), timedelta(0)), SEED_BATCH)
    stopped: list[str | None] = []
    first = _start(bench, url, work / "alertgate-1.log")
    stopped.append(first.stop(sizes.stop_s))
    second = _start(bench, url, work / "alertgate-2.log")  # the restart that is measured
    idle = second.memory()["VmRSS"]
    stopped.append(second.stop(sizes.stop_s))

    # The due holds opened one hold window before t0, so they fall due at t0 .. t0 + 1 s; t0
    # leaves room to seed them (at the pace seeding has had, twice over) and to start again.
    lead = 2 * seed_s / max(1, len(far)) * len(due) + max(
        sizes.holds_lead_s, 2 * second.ready_s + 1
    )
    # Whole seconds: the store keeps milliseconds, and the deadlines are compared exactly.
    t0 = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0)
    opened = t0 - timedelta(seconds=HOLD_SECONDS)
    step = timedelta(seconds=1) / max(1, -(-len(due) // DUE_BATCH))
    bench.log(f"holds: {len(due):,} holds fall due at {t0:%H:%M:%S}; starting again")
    _seed(seeder, due, spaced(opened, step), DUE_BATCH)
    seeder.close()

    problems, peak = [], 0
    engine = engines.create(url)
    try:
        third = _start(bench, url, work / "alertgate-3.log", timeout=lead + 30)
    except RuntimeError as exc:  # it may never answer once the holds fall due (it is stopped)
        problems.append(f"third start: {exc}")
    else:
        if datetime.now(UTC) > t0:
            problems.append("the engine was ready only after the deadlines: lateness includes it")
        try:
            _wait_decided(engine, len(due), t0, lead + 120, sizes.stall_s)
            peak = third.memory()["VmHWM"]
        finally:
            stopped.append(third.stop(sizes.stop_s))
    result = _collect(engine, sizes.holds, len(due), t0, opened)
    engine.dispose()
    result.problems += problems + [p for p in stopped if p]
    result.seed_s = seed_s
    result.first_ready_s = first.ready_s
    result.restart_ready_s = second.ready_s
    result.rss_idle_mb = idle / 1024
    result.rss_peak_mb = max(peak, idle) / 1024
    result.commands = [second.command_line]
    return result


def _seed(
    seeder: Seeder, items: list[Item], now_of: Callable[[int], datetime], batch: int
) -> float:
    """Seed holds without deciding any; returns the seconds it took. Its writes are on disk
    before this returns (`settle_writeback`), so none lands on a later measurement."""
    started = time.monotonic()
    seeder.ingest(items, now_of, schedule=False, batch=batch)
    seconds = time.monotonic() - started
    settle_writeback()
    return seconds


def _start(bench: Bench, url: str, log: Path, timeout: float = 120.0) -> procs.Service:
    env = {"ALERTGATE_HOLD_SECONDS": str(HOLD_SECONDS)}
    return procs.alertgate(url, bench.port(), log, env, timeout=timeout)


def _escalations(engine: Engine) -> int:
    with engine.connect() as conn:
        query = (
            select(func.count()).select_from(decisions).where(decisions.c.outcome == "escalated")
        )
        return int(conn.execute(query).scalar_one())


def _wait_decided(engine: Engine, due: int, t0: datetime, timeout: float, stall: float) -> None:
    """Poll until `due` escalations are stored, or none were added for `stall` seconds once the
    holds were due (the engine is stuck)."""
    give_up = time.monotonic() + timeout
    # Stalls count from one second after the deadline, or from the last new decision.
    stall_from = time.monotonic() + (t0 - datetime.now(UTC)).total_seconds() + 1
    seen = -1
    while time.monotonic() < give_up:
        count = _escalations(engine)
        if count >= due:
            break
        if count != seen:
            seen, stall_from = count, max(stall_from, time.monotonic())
        elif time.monotonic() - stall_from > stall:
            break  # stuck
        time.sleep(0.2)


def _collect(engine: Engine, holds: int, due: int, t0: datetime, opened: datetime) -> HoldsResult:
    hold = timedelta(seconds=HOLD_SECONDS)
    with engine.connect() as conn:
        rows = conn.execute(
            select(decisions.c.incident_id, decisions.c.decided_at, incidents.c.opened_at)
            .join(incidents, incidents.c.id == decisions.c.incident_id)
            .where(decisions.c.outcome == "escalated")
        ).all()
        twice = episodes_decided_twice(conn)
        by_status = select(outbox.c.status, func.count()).group_by(outbox.c.status)
        statuses = {str(status): int(n) for status, n in conn.execute(by_status).all()}
    lateness = sorted((r.decided_at - (r.opened_at + hold)).total_seconds() * 1000 for r in rows)
    # Only the holds opened in [opened, opened + 1 s) were due; any other decided is a bug.
    not_due = sum(1 for r in rows if not opened <= r.opened_at < opened + timedelta(seconds=1))
    result = HoldsResult(
        holds=holds,
        due=due,
        seed_s=0.0,
        first_ready_s=0.0,
        restart_ready_s=0.0,
        rss_idle_mb=0.0,
        rss_peak_mb=0.0,
        decided=len(rows),
        decided_twice=int(twice),
        decided_not_due=not_due,
        lateness_ms=_summary(lateness),
        drain_s=(max(r.decided_at for r in rows) - t0).total_seconds() if rows else math.nan,
        notifications=statuses,
    )
    if len(rows) != due:
        result.problems.append(f"{len(rows)} holds decided, {due} fell due")
    if twice:
        result.problems.append(f"{twice} episodes decided twice")
    if not_due or any(ms < 0 for ms in lateness):
        result.problems.append("holds were decided before their deadline")
    return result


def _summary(ordered: list[float]) -> dict[str, float]:
    if not ordered:
        return {}
    return {
        "min": ordered[0],
        "p50": nearest_rank(ordered, 50),
        "p99": nearest_rank(ordered, 99),
        "max": ordered[-1],
    }


def nearest_rank(ordered: list[float], pct: float) -> float:
    """The smallest value with at least `pct` percent of the values at or below it."""
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
