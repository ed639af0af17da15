"""Alerts that never resolve: which alerts they are, and what ends their episodes instead.

Some senders only ever trigger (Coralogix's new-value, unique-count and tracing alerts; a JSON
sender with no resolve value). Without a rule such an episode would stay open for ever and swallow
every later trigger as a duplicate; a rule says how the episode ends when no resolve can come.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from fnmatch import fnmatchcase
from types import MappingProxyType

from alertgate.domain.durations import format_duration


class NoResolveMode(enum.StrEnum):
    """What happens to an episode of an alert that never sends a resolve."""

    ESCALATE = "escalate"  # paged when the hold ends, like any alert; the episode closes later
    INFORM = "inform"  # the episode ends with a notice to the team's channel; nobody is paged
    EXPIRE = "expire"  # the episode ends silently (recorded, visible in the API)


DEFAULT_MODE = NoResolveMode.ESCALATE
"""The default: a trigger-only alert still pages, so configuring nothing loses no page."""


def _frozen(labels: Mapping[str, frozenset[str]]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType({k: frozenset(v) for k, v in labels.items()})


@dataclass(frozen=True, slots=True)
class NoResolveRule:
    """Alerts that never resolve, picked by source, name and labels; an empty matcher matches all.

    `after` is how long one episode lasts: triggers inside it repeat it, the first trigger after it
    starts a new episode. None means the alert's hold window. In ESCALATE mode the episode is
    escalated when its hold ends and closed `after` its start (at once if that has passed).
    """

    mode: NoResolveMode = DEFAULT_MODE
    after: timedelta | None = None
    sources: frozenset[str] = frozenset()
    names: tuple[str, ...] = ()  # shell-style patterns ("New value*"), case-sensitive
    labels: Mapping[str, frozenset[str]] = field(default_factory=dict)  # label -> allowed values

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _frozen(self.labels))
        if self.after is not None and self.after <= timedelta(0):
            raise ValueError("a no-resolve episode must last longer than zero")

    def matches(self, source: str, name: str, labels: tuple[tuple[str, str], ...]) -> bool:
        """True when an alert with this source, name and labels is one this rule is about."""
        if self.sources and source not in self.sources:
            return False
        if self.names and not any(fnmatchcase(name, pattern) for pattern in self.names):
            return False
        have = dict(labels)
        return all(have.get(label) in allowed for label, allowed in self.labels.items())

    def length(self, hold: timedelta) -> timedelta:
        """How long one episode lasts, given the alert's hold window."""
        return self.after if self.after is not None else hold

    def plan(self, hold: timedelta) -> str:
        """What will happen to an episode under this rule, in words (for the held decision)."""
        if self.mode is NoResolveMode.ESCALATE:
            length = format_duration(self.length(hold))
            return f"it never sends a resolve: escalated when the hold ends, closed after {length}"
        if self.mode is NoResolveMode.INFORM:
            return "it never sends a resolve: the team's channel is told when the hold ends"
        return "it never sends a resolve: it expires silently when the hold ends"


@dataclass(frozen=True, slots=True)
class NoResolvePolicy:
    """The rules, in order: the first rule that matches an alert decides for it."""

    rules: tuple[NoResolveRule, ...] = ()

    def rule_for(
        self, source: str, name: str, labels: tuple[tuple[str, str], ...]
    ) -> NoResolveRule | None:
        """The rule for an alert, or None when the alert is expected to resolve."""
        return next((r for r in self.rules if r.matches(source, name, labels)), None)
