"""Benchmarks 1 and 2: webhook ingest under load, alertgate (SQLite; PostgreSQL with one and
two processes) beside Alertmanager 0.25 and a bare ASGI app, round after round in one run.

Each round starts every system afresh (new database, new Alertmanager) and loads it with the
same plan for the same time; the systems take turns in a rotating order so that noise from
other work on the machine falls on all of them alike.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from benchmarks import procs, wrk
from benchmarks.bodies import Item, Mix, plan
from benchmarks.harness import Bench, pg_backend_pids, pg_database, pids_cpu, sqlite_url
from benchmarks.store_checks import check_ingest
from benchmarks.templates import ALERTMANAGER, CORALOGIX, Template

SYSTEMS = ("bare-asgi", "alertmanager", "alertgate-sqlite", "alertgate-pg-1", "alertgate-pg-2")
MIX = Mix()


@dataclass
class Round:
    """One system, one round."""

    system: str
    round: int
    throughput: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    requests: int
    errors: dict[str, int]
    wrapped: bool
    duration_s: float
    server_cpu_s: float
    db_cpu_s: float | None
    wrk_cpu_s: float
    machine_busy_s: float
    ready_s: float
    checks: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass
class Loads:
    """The plans of this run, written once as wrk data files, reused by every round."""

    items: dict[str, list[Item]]  # stream -> plan
    files: dict[tuple[str, str], wrk.DataFiles]  # (template, stream) -> files


def prepare(bench: Bench) -> Loads:
    size = int(bench.sizes.duration_s * bench.sizes.plan_rate)
    warm = int(max(bench.sizes.warmup_s, 0.1) * bench.sizes.plan_rate)
    now_ms = int(time.time() * 1000)
    items = {
        "s1": plan(size, MIX, 1, now_ms - size),
        "s2": plan(size, MIX, 2, now_ms - size),
        "w1": plan(warm, MIX, 3, now_ms - warm),
        "w2": plan(warm, MIX, 4, now_ms - warm),
    }
    directory = bench.directory("plans")
    files = {
        (t.name, stream): wrk.write_data(t, items[stream], stream, directory)
        for t in (CORALOGIX, ALERTMANAGER)
        for stream in items
    }
    return Loads(items, files)


def run(bench: Bench) -> list[Round]:
    loads = prepare(bench)
    rounds: list[Round] = []
    for number in range(bench.sizes.rounds):
        shift = number % len(SYSTEMS)
        for system in SYSTEMS[shift:] + SYSTEMS[:shift]:
            bench.log(f"ingest round {number + 1}/{bench.sizes.rounds}: {system}")
            result = measure(bench, loads, system, number)
            bench.log(
                f"  {result.throughput:,.0f} req/s, p99 {result.p99_ms:.1f} ms"
                + (f"  PROBLEMS: {result.problems}" if result.problems else "")
            )
            rounds.append(result)
    return rounds


@dataclass
class _Target:
    """The servers of one system for one round, and where their stores are."""

    services: list[procs.Service]
    template: Template
    database: str | None = None  # PostgreSQL database name (for its backends' CPU)
    store_url: str | None = None  # alertgate's store, checked after the round


@contextmanager
def _start(bench: Bench, system: str, number: int) -> Iterator[_Target]:
    """Start a system's servers (and its database); stop them all however the round ends."""
    work = bench.directory(f"ingest/{system}-{number}")
    with ExitStack() as stack:

        def started(service: procs.Service) -> procs.Service:
            stack.callback(service.stop, bench.sizes.stop_s)  # a no-op once it has stopped
            return service

        if system == "bare-asgi":
            target = _Target(
                [started(procs.bare_asgi(bench.port(), work / "server.log"))], CORALOGIX
            )
        elif system == "alertmanager":
            service = started(procs.alertmanager(bench.tools.alertmanager, bench.port(), work))
            target = _Target([service], ALERTMANAGER)
        elif system == "alertgate-sqlite":
            url = sqlite_url(work / "alertgate.db")
            service = started(procs.alertgate(url, bench.port(), work / "alertgate.log"))
            target = _Target([service], CORALOGIX, None, url)
        else:
            name, url = stack.enter_context(pg_database())
            count = int(system.rsplit("-", 1)[1])
            services = [
                started(procs.alertgate(url, bench.port(), work / f"alertgate-{i}.log"))
                for i in range(count)
            ]
            target = _Target(services, CORALOGIX, name, url)
        yield target


def measure(bench: Bench, loads: Loads, system: str, number: int) -> Round:
    sizes = bench.sizes
    with _start(bench, system, number) as target:
        streams = ["s1", "s2"][: len(target.services)]
        per = max(1, sizes.connections // len(target.services))
        if sizes.warmup_s > 0:
            _load(bench, loads, target, ["w1", "w2"], per, sizes.warmup_s)
        before = _sample(target, {})
        runs = _load(bench, loads, target, streams, per, sizes.duration_s)
        after = _sample(target, before)
        # Graceful stop: what was accepted is committed before the store is checked.
        stopped = [p for s in target.services if (p := s.stop(sizes.stop_s))]
        result = wrk.merge(list(runs.values()))
        rnd = _round(system, number, result, before, after, target)
        rnd.problems += stopped
        if target.store_url is not None and not result.wrapped:
            rnd.problems += check_ingest(target.store_url, loads.items, runs, per, rnd.checks)
    return rnd


def _round(
    system: str,
    number: int,
    result: wrk.WrkResult,
    before: dict[str, float],
    after: dict[str, float],
    target: _Target,
) -> Round:
    rnd = Round(
        system=system,
        round=number,
        throughput=result.throughput,
        p50_ms=result.percentile_ms(50),
        p99_ms=result.percentile_ms(99),
        p999_ms=result.percentile_ms(99.9),
        max_ms=result.percentile_ms(100),
        requests=result.requests,
        errors=result.errors,
        wrapped=result.wrapped,
        duration_s=result.duration_s,
        server_cpu_s=after["server"] - before["server"],
        db_cpu_s=(after["db"] - before["db"]) if target.database else None,
        wrk_cpu_s=after["children"] - before["children"],
        machine_busy_s=after["machine"] - before["machine"],
        ready_s=max(s.ready_s for s in target.services),
    )
    rnd.checks["command"] = result.command
    rnd.checks["servers"] = "\n".join(s.command_line for s in target.services)
    if result.failed:
        rnd.problems.append(f"{result.failed} requests failed: {result.errors}")
    if result.wrapped:
        rnd.problems.append("the plan ran out and repeated (raise Sizes.plan_rate)")
    return rnd


def _load(
    bench: Bench, loads: Loads, target: _Target, streams: list[str], per: int, seconds: float
) -> dict[str, wrk.WrkResult]:
    """One wrk per server process, all at once: the connections are split across the ports."""
    runs = []
    for service, stream in zip(target.services, streams, strict=False):
        data = loads.files[(target.template.name, stream)]
        argv = wrk.command(bench.tools.wrk, service.url, data, seconds, per)
        runs.append((stream, wrk.start(argv), argv))
    return {stream: wrk.finish(process, argv) for stream, process, argv in runs}


def _sample(target: _Target, before: dict[str, float]) -> dict[str, float]:
    """CPU seconds so far: the servers, their database backends, wrk, the whole machine."""
    pids = pg_backend_pids(target.database) if target.database else []
    backends = {f"pg:{pid}": cpu for pid, cpu in pids_cpu(pids).items()}
    # A backend that appeared during the load counts from zero; one that left is lost (rare).
    for key in before:
        if key.startswith("pg:") and key not in backends:
            backends[key] = before[key]
    return {
        **backends,
        "server": sum(s.cpu() for s in target.services),
        "db": sum(backends.values()),
        "children": _children_cpu(),
        "machine": procs.machine_busy_seconds(),
    }


def _children_cpu() -> float:
    """CPU of waited-for children: during a load, only the wrk processes end."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
