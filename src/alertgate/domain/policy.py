"""Hold policy: how long an alert is held before it escalates (pure date math)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from alertgate.domain.alert import Priority
from alertgate.domain.no_resolve import NoResolvePolicy


def _frozen(mapping: Mapping[Priority, timedelta]) -> Mapping[Priority, timedelta]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class HoldPolicy:
    """A default hold window, optionally overridden per priority."""

    default: timedelta
    by_priority: Mapping[Priority, timedelta] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_priority", _frozen(self.by_priority))

    def window(self, priority: Priority | None) -> timedelta:
        """The hold window for an alert of this priority."""
        if priority is not None and priority in self.by_priority:
            return self.by_priority[priority]
        return self.default

    def deadline(self, opened_at: datetime, priority: Priority | None) -> datetime:
        """When a hold that opened at `opened_at` expires."""
        return opened_at + self.window(priority)


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything `step()` needs to know beyond the incident, the event and the time."""

    hold: HoldPolicy
    no_resolve: NoResolvePolicy = field(default_factory=NoResolvePolicy)
