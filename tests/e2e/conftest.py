"""End-to-end fixtures: the real Alertmanager binary, fetched with apt when it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.alertmanager import AptUnreachableError, binary


@pytest.fixture(scope="session")
def alertmanager_binary() -> Path:
    """Debian's prometheus-alertmanager; skips only when apt cannot reach its mirror."""
    try:
        return binary()
    except AptUnreachableError as exc:
        pytest.skip(f"prometheus-alertmanager is missing and cannot be fetched: {exc}")
