"""Coralogix Notification Center, "Generic HTTPS" destination with the default payload: the alert
context (`alert.groups[]`, `alertDef`, `_context`), one event per group (see docs/sources.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

import orjson

from alertgate.adapters.sources.payload import (
    NUL,
    JsonObject,
    bounded_labels,
    http_link,
    identity_text,
    json_type,
    load_object,
    refuse_nul,
    status_action,
    store_safe,
    string_pairs,
    text,
)
from alertgate.adapters.sources.times import event_time
from alertgate.domain.alert import Action, AlertEvent, Priority
from alertgate.domain.errors import PayloadError

SOURCE = "coralogix-nc"
UNNAMED = "Unnamed Coralogix alert"
MAX_IDENTITY = 2048
_STATUS = {
    "triggered": Action.TRIGGER,
    "trigger": Action.TRIGGER,
    "resolved": Action.RESOLVE,
    "resolve": Action.RESOLVE,
}
_EXPECTED = "Triggered or Resolved"
# Alert types as the Notification Center docs list them ("Alerts as a notification source type").
ALERT_TYPES = (
    "LOGS_TIME_RELATIVE_THRESHOLD",
    "LOGS_RATIO_THRESHOLD",
    "LOGS_UNIQUE_COUNT",
    "LOGS_IMMEDIATE",
    "LOGS_THRESHOLD",
    "LOGS_NEW_VALUE",
    "LOGS_ANOMALY",
    "METRIC_THRESHOLD",
    "METRIC_ANOMALY",
    "TRACING_IMMEDIATE",
    "TRACING_THRESHOLD",
    "FLOW",
)
# The types whose status column says only "Triggered": they never send a resolve (contracts 1.8).
TRIGGER_ONLY_TYPES = frozenset(
    {"LOGS_NEW_VALUE", "LOGS_UNIQUE_COUNT", "TRACING_IMMEDIATE", "TRACING_THRESHOLD"}
)
_INSTANCE_KEYS = ("instanceid", "instance", "host", "hostname", "node", "computer")
ALERT_TYPE = "alert_type"  # the label the built-in never-resolve rule reads (bootstrap/policy.py)


def _norm(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def parse(body: bytes) -> list[AlertEvent]:
    """Parse one Notification Center body into one event per alert group.

    Raises:
        PayloadError: the body is not a usable alert context; `field` names what is wrong.
    """
    document = load_object(body)
    alert = _object(document, "alert", required=True)
    definition = _object(document, "alertDef", required=False)
    context = _object(document, "_context", required=False)
    groups = alert.get("groups")
    if not isinstance(groups, list) or not groups:
        got = "missing" if groups is None else json_type(groups)
        raise PayloadError("alert.groups", f"expected a non-empty array of groups, got {got}")
    common = _Common.read(alert, definition, context)
    events = [_event(f"alert.groups[{i}]", group, common) for i, group in enumerate(groups)]
    if len(events) > 1:
        events = [  # each group's event log entry: the same body, with only that group
            replace(
                event, payload=orjson.dumps({**document, "alert": {**alert, "groups": [group]}})
            )
            for event, group in zip(events, groups, strict=True)
        ]
    return store_safe(body, events)


def _object(parent: JsonObject, key: str, *, required: bool, path: str = "") -> JsonObject:
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        got = "missing" if value is None else json_type(value)
        raise PayloadError(f"{path}{key}", f"expected an object, got {got}")
    return value


@dataclass(frozen=True, slots=True)
class _Common:
    """What every group of one notification shares: the alert definition and the alert."""

    definition_id: str
    name: str
    description: str | None
    priority: Priority | None
    status: object
    link: str | None
    event_time: datetime | None
    derived: list[tuple[str, str]]  # labels alertgate derives: they win their names, never cut
    labels: list[tuple[str, str]]

    @classmethod
    def read(cls, alert: JsonObject, definition: JsonObject, context: JsonObject) -> _Common:
        alert_type = _alert_type(definition, context)
        labels = string_pairs("alertDef.entityLabels", definition.get("entityLabels"))
        labels += string_pairs("_context.entityLabels", context.get("entityLabels"))
        return cls(
            definition_id=_definition_id(definition),
            name=text("alertDef.name", definition.get("name")) or UNNAMED,
            description=text("alertDef.description", definition.get("description")),
            priority=_priority("alertDef.priority", definition.get("priority")),
            status=alert.get("status"),
            link=http_link(text("alert.alertDataUrl", alert.get("alertDataUrl"))),
            event_time=event_time("alert.timestamp", alert.get("timestamp")),
            derived=[(ALERT_TYPE, alert_type)] if alert_type else [],
            labels=labels,
        )


def _definition_id(definition: JsonObject) -> str:
    """The alert definition's stable id: the only part of the context that is the same for a
    trigger and its resolve whatever the group. `alert.id` is not used in its place: it names
    one alert event, and keying on it would open a new incident per notification."""
    found = identity_text("alertDef.id", definition.get("id"), integers=False)
    if found is None:
        raise PayloadError(
            "alertDef.id", "missing; the alert definition's id is the alert's identity"
        )
    return found


def _event(path: str, group: object, common: _Common) -> AlertEvent:
    if not isinstance(group, dict):
        raise PayloadError(path, f"expected a group object, got {json_type(group)}")
    where = f"{path}.keyValues"
    keys = string_pairs(where, group.get("keyValues"))
    suffix = ",".join(f"{k}={v}" for k, v in keys)
    identity = f"def={common.definition_id}|{suffix}" if suffix else f"def={common.definition_id}"
    if NUL in identity:  # a group value is part of the identity: never rewritten
        refuse_nul((f"{where}.{k}", f"{k}={v}") for k, v in keys)
    if len(identity) > MAX_IDENTITY:
        raise PayloadError(f"{path}.keyValues", f"identity longer than {MAX_IDENTITY} characters")
    return AlertEvent(
        source=SOURCE,
        identity=identity,
        action=_action(path, group, common.status),
        name=common.name,
        priority=_priority(f"{path}.priority", group.get("priority")) or common.priority,
        instance=_instance(keys),
        link=common.link,
        description=common.description,
        event_time=common.event_time,
        labels=bounded_labels(common.derived, keys, common.labels),
    )


def _action(path: str, group: JsonObject, alert_status: object) -> Action:
    envelope = ("alert.status", alert_status)
    return status_action(f"{path}.status", group.get("status"), envelope, _STATUS, _EXPECTED)


def _priority(path: str, value: object) -> Priority | None:
    """P1..P5, also in the API's spelling ALERT_DEF_PRIORITY_P1."""
    if isinstance(value, dict | list | bool):
        raise PayloadError(path, f"expected a priority such as P1, got {json_type(value)}")
    match = re.search(r"P([1-5])", (text(path, value) or "").upper())
    return Priority(f"P{match.group(1)}") if match else None


def _alert_type(definition: JsonObject, context: JsonObject) -> str | None:
    """The alert type as the docs spell it (LOGS_NEW_VALUE), from alertDef.type ("logsNewValue")
    or else from the entity subtype ("logsNewValueTriggered")."""
    declared = text("alertDef.type", definition.get("type"))
    subtype = text("_context.entitySubType", context.get("entitySubType"))
    for candidate in (declared, subtype):
        if candidate is None:
            continue
        normalised = _norm(candidate)
        for known in sorted(ALERT_TYPES, key=len, reverse=True):  # no type shadows a longer one
            if normalised.startswith(_norm(known)):
                return known
    if declared is None:
        return None
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", declared).upper()[:64]


def _instance(keys: list[tuple[str, str]]) -> str | None:
    for wanted in _INSTANCE_KEYS:
        for key, value in keys:
            if wanted in _norm(key):
                return value
    return " / ".join(v for _, v in keys) or None
