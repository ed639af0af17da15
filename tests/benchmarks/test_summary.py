"""The numbers the report states: ratios from the same rounds, targets judged, the machine's
noise, and a py-spy profile summed by part of the path."""

from __future__ import annotations

import math
from typing import Any

import pytest
from benchmarks.profile import summarise

from benchmarks import summary


def _round(
    system: str, number: int, rps: float, problems: list[str] | None = None
) -> dict[str, Any]:
    return {
        "system": system,
        "round": number,
        "throughput": rps,
        "p99_ms": 10.0 + number,
        "requests": int(rps * 10),
        "server_cpu_s": 5.0,
        "wrk_cpu_s": 1.0,
        "db_cpu_s": None,
        "machine_busy_s": 10.0,
        "duration_s": 10.0,
        "problems": problems or [],
    }


ROUNDS = [
    _round("alertmanager", 0, 1000),
    _round("alertmanager", 1, 2000),
    _round("alertmanager", 2, 3000),
    _round("alertgate-sqlite", 0, 500),
    _round("alertgate-sqlite", 1, 1000),
    _round("alertgate-sqlite", 2, 9999, ["3 requests failed"]),
]


def test_ratio_is_of_medians_over_valid_rounds_with_the_range_of_paired_rounds() -> None:
    """A round with a problem counts for neither side; the range pairs rounds one to one."""
    found = summary.ratio(ROUNDS, "alertgate-sqlite", "alertmanager")
    assert found.median == pytest.approx(750 / 2000)
    assert (found.low, found.high, found.n) == (0.5, 0.5, 2)


def test_ratio_against_a_system_not_measured_is_not_a_number() -> None:
    """Without the other system the ratio is NaN, and the target is reported as not measured."""
    assert math.isnan(summary.ratio(ROUNDS, "alertgate-sqlite", "bare-asgi").median)
    judged = summary.targets({"ingest": ROUNDS[3:]})
    assert judged[0].met is None


def test_targets_are_judged_against_issue_5s_goals() -> None:
    """0.375 x Alertmanager misses the 1.0 x goal; a p99 of 10.5 ms meets the 20 ms one."""
    judged = {t.what: t for t in summary.targets({"ingest": ROUNDS})}
    assert judged["Ingest, SQLite, 1 process: throughput vs Alertmanager"].met is False
    assert judged["Ingest, SQLite: p99 latency"].measured == "10.5 ms"
    assert judged["Ingest, SQLite: p99 latency"].met is True


def test_other_processes_share_is_what_the_machine_did_beyond_the_benchmark() -> None:
    """10 busy seconds on 2 cores over 10 s, of which 6 were ours: 20 % went elsewhere."""
    assert summary.foreign_cpu_share(ROUNDS[0], cores=2) == pytest.approx(0.2)


COLLAPSED = "\n".join(
    [
        "main (alertgate/cli/__init__.py:91);Runner.run (asyncio/runners.py:118) 50",
        "main (alertgate/cli/__init__.py:91);Webhooks.__call__ (alertgate/http/webhooks.py:83);"
        "parse (alertgate/adapters/sources/coralogix.py:137) 20",
        "main (alertgate/cli/__init__.py:91);Ingestor._write (alertgate/app/ingest.py:190);"
        "SqlStore.write (alertgate/adapters/stores/sql.py:48);"
        "DefaultDialect.do_commit (sqlalchemy/engine/default.py:700) 30",
        # the WAL sync thread: waiting for a commit (idle), then in an fdatasync (busy)
        "thread (0x7f01): alertgate-walsync;Thread._bootstrap (threading.py:995);"
        "WalSync._run (alertgate/adapters/stores/walsync.py:80) 40",
        "thread (0x7f02): alertgate-checkpoint 7",  # in C with no Python frame: idle
        "thread (0x7f01): alertgate-walsync;Thread._bootstrap (threading.py:995);"
        "WalSync._run (alertgate/adapters/stores/walsync.py:88);"
        "WalSync._sync (alertgate/adapters/stores/walsync.py:100) 10",
    ]
)


def test_profile_is_split_into_idle_and_parts_of_the_path() -> None:
    """The event loop waiting is idle; busy samples go to the part of their innermost frame,
    and alertgate functions get their inclusive samples (start-up frames left out)."""
    found = summarise(COLLAPSED)
    assert (found.samples, found.idle_samples) == (100, 50)  # the event loop's thread
    assert found.by_part == {"SQLite: commit, writing the WAL (driver)": 30, "Coralogix parser": 20}
    assert found.other_threads == {"alertgate-walsync": 10}  # its busy samples only
    assert found.top_self[0] == ("DefaultDialect.do_commit (sqlalchemy/engine/default.py)", 30)
    inclusive = dict(found.top_inclusive)
    assert inclusive["SqlStore.write (alertgate/adapters/stores/sql.py)"] == 30
    assert not any(name.startswith("main ") for name in inclusive)
