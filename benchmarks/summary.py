"""Numbers out of the raw results: medians with their range, ratios between systems, the noise
of the machine, and issue 5's targets judged against what was measured."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Result = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Spread:
    """The median of several rounds, with the smallest and largest."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            return cls(math.nan, math.nan, math.nan, 0)
        return cls(statistics.median(values), min(values), max(values), len(values))


def valid_rounds(ingest: Sequence[Result], system: str) -> list[Result]:
    return [r for r in ingest if r["system"] == system and not r["problems"]]


def spread(ingest: Sequence[Result], system: str, key: str) -> Spread:
    return Spread.of([float(r[key]) for r in valid_rounds(ingest, system)])


def cpu_us_per_request(r: Result) -> float:
    return float(r["server_cpu_s"]) / r["requests"] * 1e6 if r["requests"] else math.nan


def db_cpu_us_per_request(r: Result) -> float:
    db = r["db_cpu_s"]
    return float(db) / r["requests"] * 1e6 if db is not None and r["requests"] else math.nan


def ratio(ingest: Sequence[Result], system: str, versus: str) -> Spread:
    """Throughput of `system` over `versus`: the ratio of medians, and the range of the ratios
    of the rounds in which both were measured (one run, turn by turn)."""
    mine = {r["round"]: float(r["throughput"]) for r in valid_rounds(ingest, system)}
    theirs = {r["round"]: float(r["throughput"]) for r in valid_rounds(ingest, versus)}
    paired = [mine[k] / theirs[k] for k in mine if theirs.get(k)]
    if not mine or not theirs:
        return Spread.of([])
    middle = statistics.median(mine.values()) / statistics.median(theirs.values())
    return Spread(middle, min(paired, default=math.nan), max(paired, default=math.nan), len(paired))


def foreign_cpu_share(r: Result, cores: int) -> float:
    """Share of the machine's CPU that processes outside the benchmark used during the load."""
    ours = float(r["server_cpu_s"]) + float(r["wrk_cpu_s"]) + float(r["db_cpu_s"] or 0.0)
    capacity = cores * float(r["duration_s"])
    return max(0.0, float(r["machine_busy_s"]) - ours) / capacity if capacity else math.nan


@dataclass(frozen=True, slots=True)
class Target:
    what: str
    goal: str
    measured: str
    met: bool | None  # None: not measured in this run


def targets(results: Result) -> list[Target]:
    """Issue 5's targets, each with what this run measured."""
    found: list[Target] = []
    ingest = results.get("ingest") or []
    if ingest:
        vs_am = ratio(ingest, "alertgate-sqlite", "alertmanager")
        p99 = spread(ingest, "alertgate-sqlite", "p99_ms")
        pg2 = ratio(ingest, "alertgate-pg-2", "alertmanager")
        pg1 = ratio(ingest, "alertgate-pg-1", "alertmanager")
        found += [
            Target(
                "Ingest, SQLite, 1 process: throughput vs Alertmanager",
                "≥ 1.0× (floor 0.4×)",
                f"{vs_am.median:.2f}×",
                _at_least(vs_am.median, 1.0),
            ),
            Target(
                "Ingest, SQLite: p99 latency",
                "≤ 20 ms (floor 50 ms)",
                f"{p99.median:.1f} ms",
                _at_most(p99.median, 20.0),
            ),
            Target(
                "Ingest, PostgreSQL, 2 processes: throughput vs Alertmanager",
                "≥ 0.5×",
                f"{pg2.median:.2f}× (1 process: {pg1.median:.2f}×)",
                _at_least(pg2.median, 0.5),
            ),
        ]
    holds = results.get("holds")
    if holds:
        late = holds["lateness_ms"].get("p99", math.nan)
        all_decided = holds["decided"] == holds["due"] and not holds["decided_twice"]
        found += [
            Target(
                f"{holds['holds']:,} open holds: engine RSS",
                "≤ 150 MB",
                f"{holds['rss_idle_mb']:.0f} MB idle, {holds['rss_peak_mb']:.0f} MB peak",
                _at_most(holds["rss_peak_mb"], 150.0),
            ),
            Target(
                "Ready to serve after a restart",
                "≤ 5 s",
                f"{holds['restart_ready_s']:.2f} s",
                _at_most(holds["restart_ready_s"], 5.0),
            ),
            Target(
                f"{holds['due']:,} holds due in one second: all decided, none twice",
                "all, none twice",
                f"{holds['decided']:,} decided, {holds['decided_twice']} twice",
                all_decided,
            ),
            Target(
                "... their lateness p99 (decision time − deadline)",
                "≤ 250 ms",
                f"{late:.0f} ms (of those decided)",
                _at_most(late, 250.0) and all_decided,
            ),
        ]
    return found


def _at_least(value: float, goal: float) -> bool | None:
    return None if math.isnan(value) else value >= goal


def _at_most(value: float, goal: float) -> bool | None:
    return None if math.isnan(value) else value <= goal
