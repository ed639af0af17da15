"""Benchmark 4: what one alert costs, and how that grows with the store: CPU microseconds of
the engine per accepted webhook, and bytes on disk per incident, at each store size.

One SQLite store grows through the sizes: seeded with days of history (the benchmark mix, on a
virtual clock, holds decided and notifications sent as the engine would have), then settled,
measured on disk, and loaded through `alertgate serve` for a few seconds.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks import procs, wrk
from benchmarks.bodies import Mix, plan
from benchmarks.harness import Bench, settle_writeback, sqlite_url
from benchmarks.seed import BATCH, Seeder, spaced
from benchmarks.templates import CORALOGIX

HOLD_SECONDS = 600.0  # alertgate's default hold
SECONDS_PER_ITEM = 0.1  # virtual time between seeded requests: ~1.5 days per million incidents
MIX = Mix()


@dataclass
class CostPoint:
    incidents: int  # stored when the load started
    incidents_after: int
    events: int
    seed_s: float
    bytes_total: int
    bytes_by_object: dict[str, int]
    requests: int
    throughput: float
    p99_ms: float
    server_cpu_s: float
    problems: list[str] = field(default_factory=list)

    @property
    def bytes_per_incident(self) -> float:
        return self.bytes_total / self.incidents if self.incidents else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu_s / self.requests * 1e6 if self.requests else 0.0


def run(bench: Bench) -> list[CostPoint]:
    sizes = bench.sizes
    work = bench.directory("cost")
    path = work / "alertgate.db"
    # Enough requests for the largest store: about 65 % of them open a new incident.
    items = plan(int(max(sizes.cost_sizes) / MIX.trigger * 1.1) + BATCH, MIX, 7, 0)
    span = timedelta(
        seconds=len(items) * SECONDS_PER_ITEM + len(sizes.cost_sizes) * 2 * HOLD_SECONDS
    )
    clock = datetime.now(UTC) - span - timedelta(hours=1)
    seeder = Seeder(sqlite_url(path), HOLD_SECONDS, "c")
    done, seeded, points = 0, 0, []
    for target in sizes.cost_sizes:
        # The previous point's load stored incidents too: seed only what is missing.
        seeded += max(0, target - seeder.incident_count())
        upto = next(
            i for i, it in enumerate(items) if it.kind == "trigger" and it.incident == seeded
        )
        bench.log(f"cost: seeding to {target:,} incidents ({upto - done:,} requests)")
        started = time.monotonic()
        seeder.ingest(items[done:upto], spaced(clock, timedelta(seconds=BATCH * SECONDS_PER_ITEM)))
        clock += (upto - done) * timedelta(seconds=SECONDS_PER_ITEM)
        # Settle as the live engine would: every hold decided, every notification sent.
        clock += timedelta(seconds=HOLD_SECONDS + 1)
        seeder.decide_due(clock)
        seeder.deliver_all(clock)
        # The previous point's load left holds that are due by now: decide them before the
        # load, or the engine's start-up would spend the measured seconds on them.
        seeder.decide_due(datetime.now(UTC))
        seeder.deliver_all(datetime.now(UTC))
        seed_s = time.monotonic() - started
        settle_writeback()
        done = upto
        points.append(_measure(bench, path, target, seed_s))
    seeder.close()
    return points


def _measure(bench: Bench, path: Path, target: int, seed_s: float) -> CostPoint:
    on_disk = _disk(path)
    stored = _count(path, "incidents")
    events = _count(path, "events")
    stream = f"L{target}"
    size = int(bench.sizes.cost_duration_s * bench.sizes.plan_rate)
    items = plan(size, MIX, 100 + target % 97, int(time.time() * 1000) - size)
    data = wrk.write_data(CORALOGIX, items, stream, bench.workdir / "cost")
    service = procs.alertgate(sqlite_url(path), bench.port(), path.with_suffix(f".{target}.log"))
    try:
        before = service.cpu()
        argv = wrk.command(
            bench.tools.wrk, service.url, data, bench.sizes.cost_duration_s, bench.sizes.connections
        )
        result = wrk.run(argv)
        cpu = service.cpu() - before
    finally:
        stopped = service.stop(bench.sizes.stop_s)
    point = CostPoint(
        incidents=stored,
        incidents_after=_count(path, "incidents"),
        events=events,
        seed_s=seed_s,
        bytes_total=on_disk["total"],
        bytes_by_object={k: v for k, v in on_disk.items() if k != "total"},
        requests=result.requests,
        throughput=result.throughput,
        p99_ms=result.percentile_ms(99),
        server_cpu_s=cpu,
    )
    if result.failed:
        point.problems.append(f"{result.failed} requests failed: {result.errors}")
    if result.wrapped:
        point.problems.append("the plan ran out and repeated")
    if stopped:
        point.problems.append(stopped)
    return point


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=30)


def _count(path: Path, table: str) -> int:
    with _connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def _disk(path: Path) -> dict[str, int]:
    """Bytes on disk after a checkpoint: the files, and each table and index (SQLite dbstat)."""
    conn = _connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        conn.close()
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    found = {str(name): int(size) for name, size in rows}
    found["total"] = sum(f.stat().st_size for f in files if f.exists())
    return found
