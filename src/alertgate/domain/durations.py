"""Human durations: "4m 10s" for people, "10m" / "1h30m" / 600 in configuration."""

from __future__ import annotations

import functools
import re
from datetime import timedelta

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")


def format_duration(delta: timedelta) -> str:
    """Render a duration the way a person on call reads it: "1h 5m", "4m 10s", "12s"."""
    return _format_seconds(max(0, round(delta.total_seconds())))


@functools.lru_cache(maxsize=1024)
def _format_seconds(total: int) -> str:
    # Cached: every decision's detail names its hold window, and windows repeat.
    parts: list[str] = []
    for unit, size in _UNIT_SECONDS.items():
        amount, total = divmod(total, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return " ".join(parts[:2]) if parts else "0s"


def parse_duration(text: str | int | float) -> timedelta:
    """Parse seconds (600) or a unit string ("10m", "1h30m", "90s", "1.5h").

    Raises:
        ValueError: the text is not a duration.
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration such as 600, '10m' or '1h30m', got a boolean")
    if isinstance(text, int | float):
        return timedelta(seconds=text)
    cleaned = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", cleaned):
        return timedelta(seconds=float(cleaned))
    if not cleaned or _PART.sub("", cleaned):
        raise ValueError(f"expected a duration such as 600, '10m' or '1h30m', got {text!r}")
    seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(cleaned))
    return timedelta(seconds=seconds)
