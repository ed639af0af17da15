"""Profile the ingest path under load: py-spy samples a running `alertgate serve` (SQLite) from
outside while wrk loads it, and the samples are summed by function and by part of the path.

py-spy attaches to the unmodified process, so the profile is of the engine as users run it;
sampling 100 times a second costs it little. Samples are taken of every thread, idle ones too:
the event loop's thread is split into the time it waits and the parts of the path it works in;
the other threads' (WAL sync, checkpoints) busy samples are counted beside it.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field

from benchmarks import procs, wrk
from benchmarks.bodies import plan
from benchmarks.harness import Bench, sqlite_url
from benchmarks.ingest import MIX
from benchmarks.templates import CORALOGIX

RATE = 100  # samples per second
MAIN_THREAD = "MainThread"  # the event loop's thread

# Parts of the path, by where a frame's code lives; the first match in this order wins when
# the profile is split by part (self time of the innermost frame that is ours or a library's).
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("webhook handler (http/webhooks.py)", ("alertgate/http/webhooks.py",)),
    ("Coralogix parser", ("alertgate/adapters/sources/",)),
    (
        "ingest: decide (app/ingest.py, domain)",
        ("alertgate/app/ingest.py", "alertgate/domain/", "alertgate/app/transcript.py"),
    ),
    ("SQLite: commit, writing the WAL (driver)", ("do_commit (",)),
    (
        "SQLite: execute statements (driver)",
        ("do_execute (", "do_executemany (", "do_execute_no_params ("),
    ),
    ("SQLAlchemy Core (statement building, rows)", ("sqlalchemy/",)),
    ("store: SQL adapter (adapters/stores)", ("alertgate/adapters/stores/",)),
    (
        "delivery (app/delivery.py, notifiers)",
        ("alertgate/app/delivery.py", "alertgate/adapters/notifiers/"),
    ),
    ("scheduler (app/scheduler.py)", ("alertgate/app/scheduler.py",)),
    ("logging (structlog)", ("structlog/", "alertgate/logging.py", "/logging/")),
    ("HTTP server (uvicorn, httptools)", ("uvicorn/", "httptools/")),
    ("event loop (asyncio, uvloop)", ("asyncio/", "uvloop/")),
)


@dataclass
class Profile:
    samples: int
    idle_samples: int
    by_part: dict[str, int] = field(default_factory=dict)  # self samples per part
    # busy samples of the engine's other threads (WAL sync, checkpoints), by thread name: they
    # run beside the event loop, not in its way
    other_threads: dict[str, int] = field(default_factory=dict)
    top_self: list[tuple[str, int]] = field(default_factory=list)
    top_inclusive: list[tuple[str, int]] = field(default_factory=list)  # alertgate functions
    requests: int = 0
    throughput: float = 0.0
    command: str = ""
    problems: list[str] = field(default_factory=list)


def run(bench: Bench) -> Profile:
    if bench.tools.py_spy is None:
        return Profile(0, 0, problems=["py-spy is not installed (the `bench` dependency group)"])
    work = bench.directory("profile")
    seconds = bench.sizes.profile_s
    size = int((seconds + 2) * bench.sizes.plan_rate)
    items = plan(size, MIX, 11, int(time.time() * 1000) - size)
    data = wrk.write_data(CORALOGIX, items, "p1", work)
    service = procs.alertgate(
        sqlite_url(work / "alertgate.db"), bench.port(), work / "alertgate.log"
    )
    raw = work / "py-spy.txt"
    spy = [
        bench.tools.py_spy, "record", "--pid", str(service.pid), "--rate", str(RATE),
        "--duration", str(max(1, round(seconds))), "--idle", "--threads", "--format", "raw",
        "--output", str(raw), "--nonblocking",
    ]  # fmt: skip
    try:
        argv = wrk.command(bench.tools.wrk, service.url, data, seconds + 1, bench.sizes.connections)
        load = wrk.start(argv)
        sampled = subprocess.run(spy, capture_output=True, text=True, check=False)
        result = wrk.finish(load, argv)
    finally:
        stopped = service.stop(bench.sizes.stop_s)
    profile = summarise(raw.read_text() if raw.exists() else "")
    profile.requests, profile.throughput = result.requests, result.throughput
    profile.command = " ".join(spy)
    if sampled.returncode != 0:
        profile.problems.append(f"py-spy failed: {sampled.stderr.strip()[-500:]}")
    if stopped:
        profile.problems.append(stopped)
    return profile


def summarise(collapsed: str, top: int = 20) -> Profile:
    """Sum py-spy's collapsed stacks (`frame;frame;... count`) by part and by function."""
    by_part: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    others: Counter[str] = Counter()
    samples = idle = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        thread, frames = _thread(stack.split(";"))
        if thread != MAIN_THREAD:
            if not _is_idle(frames):
                others[thread] += count
            continue
        samples += count
        if _is_idle(frames):
            idle += count
            continue
        self_time[_name(frames[-1])] += count
        by_part[_part(frames)] += count
        for name in {_name(f) for f in frames if "alertgate/" in f and not _wrapper(f)}:
            inclusive[name] += count
    return Profile(
        samples=samples,
        idle_samples=idle,
        by_part=dict(by_part.most_common()),
        other_threads=dict(others.most_common()),
        top_self=self_time.most_common(top),
        top_inclusive=inclusive.most_common(top),
    )


def _thread(frames: list[str]) -> tuple[str, list[str]]:
    """The thread of a stack and its frames: `--threads` makes the first frame
    `thread (ID): NAME`; a stack without one is the main thread's."""
    if frames[0].startswith("thread ("):
        return frames[0].partition(": ")[2] or MAIN_THREAD, frames[1:]
    return MAIN_THREAD, frames


def _is_idle(frames: list[str]) -> bool:
    # The event loop waiting in epoll (uvloop polls in C, so the stack ends in the asyncio
    # runner), or a worker thread waiting for work (or in C code with no Python frame).
    if not frames:
        return True
    leaf = frames[-1]
    return any(word in leaf for word in _IDLE_LEAVES)


_IDLE_LEAVES = (
    "Runner.run (asyncio/runners.py",
    "run_forever (",
    "run_until_complete (",
    "select (selectors.py",
    "_worker (concurrent/futures/thread.py",
    "wait (threading.py",
    "WalSync._run (",  # the WAL sync thread waiting for a commit to sync
)


def _wrapper(frame: str) -> bool:
    """Frames every sample passes through (start-up, supervision): no information."""
    return any(
        marker in frame
        for marker in (
            "alertgate/cli/",
            "alertgate/__main__.py",
            "_supervise (",
            "InlineRunner.run (",
        )
    )


def _part(frames: list[str]) -> str:
    for frame in reversed(frames):
        for part, markers in PARTS:
            if any(m in frame for m in markers):
                return part
    return "other"


def _name(frame: str) -> str:
    """`function (path/to/module.py:line)` -> `function (module path)` without the line."""
    function, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for anchor in ("site-packages/", "python3.11/", "src/"):
        if anchor in path:
            path = path.split(anchor, 1)[1]
    return f"{function} ({path})"
