"""Severity words to priorities: the one table for senders that label alerts with a word."""

from __future__ import annotations

import re
from types import MappingProxyType

from alertgate.domain.alert import Priority

# The words Prometheus rule sets, Grafana and PagerDuty-style senders use (kubernetes-mixin:
# critical / warning / info), mapped so that only what pages somebody today is P1.
SEVERITY_PRIORITY = MappingProxyType(
    {
        "critical": Priority.P1,
        "page": Priority.P1,
        "emergency": Priority.P1,
        "fatal": Priority.P1,
        "disaster": Priority.P1,
        "error": Priority.P2,
        "high": Priority.P2,
        "major": Priority.P2,
        "warning": Priority.P3,
        "warn": Priority.P3,
        "medium": Priority.P3,
        "minor": Priority.P3,
        "average": Priority.P3,
        "low": Priority.P4,
        "info": Priority.P5,
        "informational": Priority.P5,
        "notice": Priority.P5,
        "none": Priority.P5,
        "debug": Priority.P5,
    }
)
_PRIORITY = re.compile(r"p([1-5])")


def priority_of(word: str | None) -> Priority | None:
    """P1..P5 from a severity word or a priority ("critical" -> P1, "p2" -> P2); None if unknown.

    An unknown word is not an error: the alert is held for the default window.
    """
    cleaned = (word or "").strip().lower()
    match = _PRIORITY.fullmatch(cleaned)
    if match:
        return Priority(f"P{match.group(1)}")
    return SEVERITY_PRIORITY.get(cleaned)
