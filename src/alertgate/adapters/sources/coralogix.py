"""Coralogix outbound webhooks: the Generic webhook's default body, flat custom bodies, and the
proof of concept's three-field body, turned into alert events (see docs/sources/coralogix.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson

from alertgate.adapters.sources.coralogix_fields import FieldReader, Fields, Lookups, norm
from alertgate.adapters.sources.payload import (
    NUL,
    NUL_PROBLEM,
    json_type,
    load_object,
    refuse_nul,
    store_safe,
    text,
)
from alertgate.adapters.sources.times import from_epoch_ms, from_iso
from alertgate.domain.alert import Action, AlertEvent, Priority
from alertgate.domain.errors import PayloadError

SOURCE = "coralogix"
UNNAMED = "Unknown Alert"  # the proof of concept's name for an alert without `alert_name`
MAX_IDENTITY = 2048
MAX_LABELS = 32

_ACTIONS = {
    "trigger": Action.TRIGGER,
    "triggered": Action.TRIGGER,
    "resolve": Action.RESOLVE,
    "resolved": Action.RESOLVE,
}
# Coralogix's legacy severity, mapped as its own $OPSGENIE_PRIORITY placeholder maps it.
_SEVERITY_PRIORITY = {
    "critical": Priority.P1,
    "error": Priority.P2,
    "warning": Priority.P3,
    "info": Priority.P5,
}
_PRIORITY = re.compile(r"P([1-5])")
_PRIORITIES = {p.value[1]: p for p in Priority}  # "1" -> P1
_INSTANCE_KEYS = ("instanceid", "instance", "host", "hostname", "node", "computer")
_CONTEXT_LABELS = Lookups(  # label name -> normalised body keys it is read from
    sorted(  # by label name, which _labels relies on
        {
            "alert_id": ("alertid",),
            "application": ("application", "applicationname"),
            "subsystem": ("subsystem", "subsystemname"),
            "severity": ("severity", "eventseverity"),
            "team": ("team", "teamname"),
            "computer": ("computer", "computername"),
            "ip_address": ("ipaddress",),
            "hit_count": ("hitcount",),
            "meta_labels": ("metalabels",),
            "dedup_key": ("dedupkey",),
            "webhook_uuid": ("uuid",),
        }.items()
    )
)
# Group-by Value/FieldN pairs: value name -> (field name, value name, label when no field)
_GROUP_BY_VALUES = Lookups(
    ((f"groupbyfield{n}", f"groupbyvalue{n}", f"group_by_{n}"), (f"groupbyvalue{n}",))
    for n in range(1, 11)
)
_READER = FieldReader()


def parse(body: bytes) -> list[AlertEvent]:
    """Parse one Coralogix webhook body into one alert event.

    Raises:
        PayloadError: the body is not a usable Coralogix alert; `field` names what is wrong.
    """
    fields = _READER.read(load_object(body), body)
    if fields.is_test:
        return store_safe(body, [_test_event(fields)])
    action = _action(fields)
    groups = _group_by(fields)
    event = AlertEvent(
        source=SOURCE,
        identity=_identity(fields, groups),
        action=action,
        name=fields.text("name", "alertname") or UNNAMED,
        priority=_priority(fields),
        instance=_instance(fields, groups),
        link=_link(fields),
        description=fields.soft_text("description", "alertdescription"),
        event_time=_event_time(fields),
        labels=_labels(fields, groups),
    )
    return store_safe(body, [event])


def _test_event(fields: Fields) -> AlertEvent:
    names = ("uuid", "alertuniqueidentifier", "alertid")
    reference = fields.soft_text(*names) or "sample"
    if NUL in reference:
        raise PayloadError(fields.path(*names), NUL_PROBLEM)
    return AlertEvent(
        source=SOURCE,
        identity=f"test:{reference}",
        action=Action.TEST,
        name=fields.soft_text("name", "alertname") or "Coralogix test",
    )


def _action(fields: Fields) -> Action:
    word = fields.text("alertaction", "action")
    if word is None:
        raise PayloadError("alert_action", "missing; expected trigger or resolve ($ALERT_ACTION)")
    action = _ACTIONS.get(word.lower())
    if action is None:
        path = fields.path("alertaction", "action")
        raise PayloadError(path, f"unknown action {word!r}; expected trigger or resolve")
    return action


def _group_by(fields: Fields) -> list[tuple[str, str]]:
    """Group-by values as (label, value) pairs, from alertGroupByValues or Group-by Field/ValueN."""
    found = fields.raw("alertgroupbyvalues", "groupbyvalues")
    if found is not None:
        return _group_by_object(*found)
    pairs: list[tuple[str, str]] = []
    for (field_name, value_name, unnamed), value in fields.texts(_GROUP_BY_VALUES):
        key = fields.text(field_name) or unnamed
        if NUL in key or NUL in value:  # part of the identity: never rewritten
            raise PayloadError(fields.path(field_name if NUL in key else value_name), NUL_PROBLEM)
        pairs.append((key, value))
    return pairs


def _group_by_object(path: str, value: object) -> list[tuple[str, str]]:
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise PayloadError(path, "expected a JSON object of group-by values") from None
    if not isinstance(value, dict):
        raise PayloadError(path, f"expected an object of group-by values, got {json_type(value)}")
    pairs = [(k, text(f"{path}.{k}", v)) for k, v in value.items()]
    refuse_nul((f"{path}.{k}", f"{k}={v}") for k, v in pairs if v is not None)
    return [(k, v) for k, v in pairs if v is not None]


def _identity(fields: Fields, groups: list[tuple[str, str]]) -> str:
    """(alertUniqueIdentifier | alert_id) + group-by values; never the name or the query."""
    unique = fields.identity("alertuniqueidentifier", "uniqueidentifier")
    if unique is not None:
        base = f"uid={unique}"
    else:
        alert_id = fields.identity("alertid")
        if alert_id is None:
            raise PayloadError(
                "alertUniqueIdentifier",
                "no usable identity; send alertUniqueIdentifier ($ALERT_UNIQUE_IDENTIFIER) "
                "or alert_id ($ALERT_ID)",
            )
        base = f"alert_id={alert_id}"
    if not groups and (instance := fields.identity("instanceid")) is not None:
        groups = [("instance_id", instance)]
    suffix = ",".join([f"{k}={v}" for k, v in sorted(groups)]) if groups else ""
    identity = f"{base}|{suffix}" if suffix else base
    if len(identity) > MAX_IDENTITY:
        raise PayloadError("alertUniqueIdentifier", f"identity longer than {MAX_IDENTITY} chars")
    return identity


def _instance(fields: Fields, groups: list[tuple[str, str]]) -> str | None:
    if not groups:
        return fields.text("instanceid") or fields.soft_text("computer", "computername")
    for wanted in _INSTANCE_KEYS:
        for key, value in groups:
            if wanted in norm(key):
                return value
    return " / ".join(v for _, v in groups)


def _priority(fields: Fields) -> Priority | None:
    """P1..P5 from `priority` (also ALERT_DEF_PRIORITY_Pn), else from the legacy severity."""
    for names in (("priority", "alertpriority"), ("opsgeniepriority",)):
        value = fields.soft_text(*names)
        match = _PRIORITY.search((value or "").upper())
        if match:
            return _PRIORITIES[match.group(1)]
    severity = fields.soft_text("severity", "eventseverity", "severitylowercase")
    return _SEVERITY_PRIORITY.get((severity or "").lower())


def _link(fields: Fields) -> str | None:
    url = fields.soft_text("alerturl", "link", "url")
    return url if url and url.startswith(("https://", "http://")) else None


def _event_time(fields: Fields) -> datetime | None:
    for name in ("timestampms", "eventtimestampms"):
        found = fields.raw(name)
        if found and (when := from_epoch_ms(found[1])):
            return when
    for name in ("timestampiso", "eventtimestampiso"):
        found = fields.raw(name)
        if found and (when := from_iso(found[1])):
            return when
    stamp = fields.soft_text("timestamp")
    if stamp:
        try:
            return datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S GMT").replace(tzinfo=UTC)
        except ValueError:
            return from_iso(stamp) or from_epoch_ms(stamp)
    return None


def _labels(fields: Fields, groups: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    context = fields.soft_texts(_CONTEXT_LABELS)
    if not groups:  # already sorted, one label per name: the common case skips dict and sort
        return tuple(context[:MAX_LABELS])
    labels = dict(context)
    labels.update(groups)  # a group-by value wins a label name
    return tuple(sorted(labels.items())[:MAX_LABELS])
