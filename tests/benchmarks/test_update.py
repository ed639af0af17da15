"""`--update` re-runs some benchmarks and keeps the others' results, saying when each ran."""

from __future__ import annotations

from typing import Any

from benchmarks.__main__ import _keep_others


def test_benchmarks_not_run_now_are_carried_over_with_their_own_date() -> None:
    """Holds re-run: ingest and its date come from the previous run, holds stays the new one,
    and a benchmark the previous run lacked stays absent."""
    previous: dict[str, Any] = {
        "generated_at": "2026-12-01 10:00 UTC",
        "commit": "aaaaaaa",
        "ingest": [{"system": "alertmanager"}],
        "holds": {"decided": 1},
        "errors": {"ingest": "RuntimeError: x"},
        "ran_at": {"ingest": "2026-11-30 09:00 UTC, commit 1111111"},
    }
    now: dict[str, Any] = {"holds": {"decided": 2}, "errors": {}, "ran_at": {}}
    _keep_others(now, previous, only=["holds"])
    assert now["ingest"] == [{"system": "alertmanager"}]
    assert now["holds"] == {"decided": 2}
    assert now["ran_at"] == {"ingest": "2026-11-30 09:00 UTC, commit 1111111"}
    assert now["errors"] == {"ingest": "RuntimeError: x"}
    assert "cost" not in now
