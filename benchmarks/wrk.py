"""Drive wrk: write the data files its Lua script reads, run it, and read back its summary with
the latency at 1,017 percentiles (so that several wrk processes' runs can be merged).

wrk is a C load generator that costs far less CPU per request than any Python client, which
matters when it shares 2 cores with the server; it times each request from the first byte sent
to the last byte received. It keeps a fixed number of connections busy (closed loop), so the
latencies are those of a saturated server with that many requests in flight.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bodies import Item
from benchmarks.templates import Template, data_line

LUA_SCRIPT = Path(__file__).with_name("load.lua")
TIMEOUT_S = 10  # a request slower than this counts as a timeout error (and fails the round)


@dataclass(frozen=True, slots=True)
class DataFiles:
    """What one wrk process sends: a template and a plan, as files for load.lua."""

    template: Template
    lua: Path
    plan: Path
    items: int


def write_data(
    template: Template, items: Sequence[Item], stream: str, directory: Path
) -> DataFiles:
    """Write the template as Lua and the plan as one line of slot values per request."""
    directory.mkdir(parents=True, exist_ok=True)
    lua = directory / f"{template.name}-{stream}.lua"
    plan = directory / f"{template.name}-{stream}.tsv"
    index = {name: i + 1 for i, name in enumerate(template.columns)}
    parts = ", ".join(_long_string(p) for p in template.parts)
    columns = ", ".join(str(index[s]) for s in template.slots)
    lua.write_text(f"return {{ parts = {{ {parts} }}, columns = {{ {columns} }} }}\n")
    with plan.open("w") as out:
        for item in items:
            out.write(data_line(template, item, stream) + "\n")
    return DataFiles(template, lua, plan, len(items))


def _long_string(text: str) -> str:
    level = "=" * 4
    if f"]{level}]" in text:
        raise ValueError("template text collides with the Lua long-string delimiter")
    return f"[{level}[{text}]{level}]"


@dataclass(slots=True)
class WrkResult:
    """One wrk run (or several merged): counts, errors and latency quantiles.

    `points` are (latency µs, share of all requests) pairs: each quantile wrk reports stands
    for the requests between it and the one before. One run's percentiles come out exactly at
    the reported ones (0.1 % steps, finer above 99.9 %); merged runs to within those steps.
    """

    requests: int
    duration_s: float
    generated: int
    wrapped: bool
    errors: dict[str, int]
    points: list[tuple[int, float]] = field(default_factory=list)
    command: str = ""

    @property
    def throughput(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def failed(self) -> int:
        """Requests that got no 2xx/3xx answer or no answer at all."""
        return sum(self.errors.values())

    def percentile_ms(self, pct: float) -> float:
        """The latency under which `pct` percent of the requests completed, in milliseconds."""
        if not self.points:
            return 0.0
        wanted, seen = pct / 100 - 1e-9, 0.0
        for us, share in self.points:
            seen += share
            if seen >= wanted:
                return us / 1000
        return self.points[-1][0] / 1000


def _points(quantiles: list[list[float]]) -> list[tuple[int, float]]:
    points, previous = [], 0.0
    for pct, us in quantiles:
        points.append((int(us), (pct - previous) / 100))
        previous = pct
    return points


def command(
    wrk: str, url: str, data: DataFiles, duration_s: float, connections: int, token: str = ""
) -> list[str]:
    args = [str(data.lua), str(data.plan), data.template.path]
    if token:
        args.append(token)
    return [
        wrk,
        "--threads",
        "1",  # one thread: wrk keeps off the server's core as much as it can
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(duration_s))}s",
        "--timeout",
        f"{TIMEOUT_S}s",
        "--script",
        str(LUA_SCRIPT),
        url,
        "--",
        *args,
    ]


def start(argv: list[str]) -> subprocess.Popen[str]:
    """Start wrk; `finish` waits for it and reads its summary."""
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str], argv: list[str]) -> WrkResult:
    out, err = process.communicate()
    summary = next((ln for ln in out.splitlines() if ln.startswith("WRK_JSON ")), None)
    if process.returncode != 0 or summary is None:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err.strip() or out.strip()}")
    data = json.loads(summary.removeprefix("WRK_JSON "))
    return WrkResult(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        generated=data["generated"],
        wrapped=bool(data["wrapped"]),
        errors=data["errors"],
        points=_points(data["quantiles"]),
        command=" ".join(argv),
    )


def run(argv: list[str]) -> WrkResult:
    return finish(start(argv), argv)


def merge(results: Sequence[WrkResult]) -> WrkResult:
    """Several wrk processes that ran at the same time, as one load generator."""
    total = sum(r.requests for r in results)
    points = sorted(
        (us, share * r.requests / total) for r in results if total for us, share in r.points
    )
    errors = {k: sum(r.errors.get(k, 0) for r in results) for k in results[0].errors}
    return WrkResult(
        requests=total,
        duration_s=max(r.duration_s for r in results),
        generated=sum(r.generated for r in results),
        wrapped=any(r.wrapped for r in results),
        errors=errors,
        points=points,
        command=" &\n".join(r.command for r in results),
    )
