"""Any JSON sender: a field mapping from the config file turns its bodies into alert events
(`POST /webhooks/generic/{name}`; the worked example is in docs/sources.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import orjson

from alertgate.adapters.sources.payload import (
    JsonObject,
    bounded_labels,
    http_link,
    identity_text,
    json_type,
    load_object,
    store_safe,
    string_pairs,
    text,
)
from alertgate.adapters.sources.severity import priority_of
from alertgate.adapters.sources.times import event_time
from alertgate.domain.alert import Action, AlertEvent, Priority
from alertgate.domain.errors import PayloadError
from alertgate.ports import SourceParser

PREFIX = "generic/"  # the source of a mapping named "grafana" is "generic/grafana"
ROOT = "$."  # a path starting with it is read from the body, not from the alert element
MAX_IDENTITY = 2048


@dataclass(frozen=True, slots=True)
class GenericMapping:
    """Where a sender keeps each field: dotted paths ("labels.alertname", "items.0.id").

    With `alerts` set, the body holds an array of alerts there and the other paths are read
    from each element ("$.receiver" reads the body). Values are compared without case.
    """

    identity: tuple[str, ...]
    action: str
    trigger: frozenset[str]
    resolve: frozenset[str] = frozenset()  # empty: the sender never resolves
    alerts: str | None = None
    name: str | None = None
    priority: str | None = None
    priorities: Mapping[str, Priority] = field(default_factory=dict)
    instance: str | None = None
    link: str | None = None
    description: str | None = None
    time: str | None = None
    resolve_time: str | None = None  # default: `time`
    labels: tuple[str, ...] = ()
    resends_state: bool = False  # True for Alertmanager-like senders (see AlertEvent)

    def __post_init__(self) -> None:
        lowered = {k.lower(): v for k, v in self.priorities.items()}
        object.__setattr__(self, "priorities", MappingProxyType(lowered))
        object.__setattr__(self, "trigger", frozenset(v.lower() for v in self.trigger))
        object.__setattr__(self, "resolve", frozenset(v.lower() for v in self.resolve))
        if not self.identity or not self.trigger or self.trigger & self.resolve:
            raise ValueError("a mapping needs identity paths and disjoint trigger/resolve values")


def parser(name: str, mapping: GenericMapping) -> SourceParser:
    """The parser for the sender configured under `name`."""
    source = PREFIX + name

    def parse(body: bytes) -> list[AlertEvent]:
        """Parse one body with the mapping; raises PayloadError naming the path that is wrong."""
        document = load_object(body)
        if mapping.alerts is None:
            return store_safe(body, [_Reader(document, document, "", mapping).event(source)])
        found = _Reader(document, document, "", mapping).lookup(mapping.alerts)
        where, items = found
        if not isinstance(items, list):
            got = "missing" if items is None else json_type(items)
            raise PayloadError(where, f"expected an array of alerts, got {got}")
        events = [
            _Reader(document, item, f"{where}[{i}]", mapping).event(source)
            for i, item in enumerate(items)
        ]
        if len(events) > 1:
            steps = mapping.alerts.removeprefix(ROOT).split(".")
            events = [  # each alert's event log entry: the same body, with only that alert
                replace(event, payload=orjson.dumps(_only(document, steps, item)))
                for event, item in zip(events, items, strict=True)
            ]
        return store_safe(body, events)

    return parse


def _only(value: object, steps: list[str], item: object) -> object:
    """`value` with the array at `steps` (a path that exists) holding `item` alone."""
    if not steps:
        return [item]
    head, rest = steps[0], steps[1:]
    if isinstance(value, dict):
        return {**value, head: _only(value[head], rest, item)}
    if isinstance(value, list):
        copy = list(value)
        copy[int(head)] = _only(value[int(head)], rest, item)
        return copy
    return value


class _Reader:
    """Reads one alert (an element, or the body itself) through the mapping."""

    def __init__(self, root: JsonObject, element: object, base: str, mapping: GenericMapping):
        if not isinstance(element, dict):
            raise PayloadError(base or "body", f"expected an object, got {json_type(element)}")
        self._root, self._element, self._base, self._m = root, element, base, mapping

    def lookup(self, path: str) -> tuple[str, object]:
        """(where, value) for a path; value None when any step is missing."""
        current: object = self._root if path.startswith(ROOT) else self._element
        steps = path.removeprefix(ROOT)
        where = steps if path.startswith(ROOT) or not self._base else f"{self._base}.{steps}"
        for step in steps.split("."):
            if isinstance(current, dict):
                current = current.get(step)
            elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
                current = current[int(step)]
            else:
                return where, None
        return where, current

    def text(self, path: str | None) -> str | None:
        if path is None:
            return None
        where, value = self.lookup(path)
        if isinstance(value, bool):
            value = "true" if value else "false"
        return text(where, value)

    def event(self, source: str) -> AlertEvent:
        m = self._m
        action = self._action()
        labels = [pair for path in m.labels for pair in string_pairs(*self.lookup(path))]
        time_path = m.resolve_time if action is Action.RESOLVE and m.resolve_time else m.time
        return AlertEvent(
            source=source,
            identity=self._identity(),
            action=action,
            name=self.text(m.name) or f"{source} alert",
            priority=self._priority(),
            instance=self.text(m.instance),
            link=http_link(self.text(m.link)),
            description=self.text(m.description),
            event_time=event_time(*self.lookup(time_path)) if time_path else None,
            labels=bounded_labels(labels),
            level_triggered=m.resends_state,
        )

    def _identity(self) -> str:
        """The values at the identity paths: strings or integers (see identity_text)."""
        parts = []
        for path in self._m.identity:
            where, found = self.lookup(path)
            value = identity_text(where, found, integers=True)
            if value is None:
                raise PayloadError(where, "missing; it is part of the alert's identity")
            parts.append(f"{path}={value}")
        identity = "|".join(parts)
        if len(identity) > MAX_IDENTITY:
            raise PayloadError(self.lookup(self._m.identity[0])[0], "identity is too long")
        return identity

    def _action(self) -> Action:
        value = self.text(self._m.action)
        where = self.lookup(self._m.action)[0]
        if value is None:
            raise PayloadError(where, f"missing; expected one of {self._expected()}")
        if value.lower() in self._m.trigger:
            return Action.TRIGGER
        if value.lower() in self._m.resolve:
            return Action.RESOLVE
        raise PayloadError(where, f"unknown value {value!r}; expected one of {self._expected()}")

    def _expected(self) -> str:
        return ", ".join(sorted(self._m.trigger | self._m.resolve))

    def _priority(self) -> Priority | None:
        value = self.text(self._m.priority)
        if value is None:
            return None
        return self._m.priorities.get(value.lower()) or priority_of(value)
