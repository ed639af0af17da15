"""`python -m benchmarks --quick` runs every benchmark end to end, so the harness cannot rot.

It checks that the harness works and writes a complete page; what the numbers say about the
engine is the page's business (a smoke run's numbers say nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]


def test_quick_mode_runs_every_benchmark_and_writes_the_page(tmp_path: Path) -> None:
    """Every benchmark ran (no harness error) and the page has every section with numbers."""
    page = tmp_path / "benchmarks.md"
    work = str(tmp_path / "work")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(page), "--workdir", work],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(page.with_suffix(".json").read_text())
    assert results["errors"] == {}
    systems = {r["system"] for r in results["ingest"]}
    assert systems == {
        "bare-asgi",
        "alertmanager",
        "alertgate-sqlite",
        "alertgate-pg-1",
        "alertgate-pg-2",
    }
    assert all(r["requests"] > 0 for r in results["ingest"])
    assert results["holds"]["decided"] > 0
    stored = [p["incidents"] for p in results["cost"]]
    assert len(stored) == 3
    assert all(n >= size for n, size in zip(stored, (500, 1000, 2000), strict=True))
    assert results["profile"]["samples"] > 0
    text = page.read_text()
    for heading in (
        "## Issue 5's targets",
        "## Machine and versions",
        "## Method",
        "## 1 and 2. Ingest under load",
        "## 3. A million open holds",
        "## 4. Cost per alert",
        "## Profile",
    ):
        assert heading in text
    assert not list((tmp_path / "work").rglob("*.db"))  # databases are cleaned up
