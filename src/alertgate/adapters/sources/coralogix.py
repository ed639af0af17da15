"""Coralogix outbound webhooks: the Generic webhook's default body, flat custom bodies, and the
proof of concept's three-field body, turned into alert events (see docs/sources/coralogix.md)."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

import orjson

from alertgate.adapters.sources.payload import (
    JsonObject,
    from_epoch_ms,
    from_iso,
    is_absent,
    json_type,
    load_object,
    present_text,
    text,
)
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
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_TEST_MARKER = re.compile(r"^\*insert\b.*\*$", re.IGNORECASE)  # "Test & Save" sample values
_INSTANCE_KEYS = ("instanceid", "instance", "host", "hostname", "node", "computer")
_CONTEXT_LABELS = {  # label name -> normalised body keys it is read from
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
}


@functools.lru_cache(maxsize=4096)
def _norm(key: str) -> str:
    # Cached: the same few dozen key names arrive in every body (the parse profile showed it).
    return _NOT_ALNUM.sub("", key.lower())


class _Fields:
    """Lookup over a Coralogix body: top-level keys first, then the `fields` key/value array.

    Names are compared without case and punctuation (`alert_action` = `alertAction`), so flat
    custom bodies and the default body are read the same way. Built in one pass that keeps the
    first present value per name and notices "Test & Save" sample values on the way (a parse
    profile showed repeated scans of the ~50 values of the default body dominating).
    """

    __slots__ = ("_first", "is_test")

    def __init__(self, body: JsonObject) -> None:
        # One tight loop per part: this runs for each of the ~50 values of every default body.
        first: dict[str, tuple[str | int, object]] = {}
        is_test = False
        for key, value in body.items():
            if key == "fields" or is_absent(value):
                continue
            if isinstance(value, str) and value[:1] == "*":
                is_test = is_test or _is_test_marker(value)
            first.setdefault(_norm(key), (key, value))
        fields = body.get("fields")
        if fields is not None:
            if not isinstance(fields, list):
                raise PayloadError(
                    "fields", f"expected an array of {{key, value}}, got {json_type(fields)}"
                )
            for index, item in enumerate(fields):
                name = item.get("key") if isinstance(item, dict) else None
                if not isinstance(name, str):
                    raise PayloadError(f"fields[{index}]", "expected an object with a string `key`")
                value = item.get("value")
                if is_absent(value):
                    continue
                if isinstance(value, str) and value[:1] == "*":
                    is_test = is_test or _is_test_marker(value)
                first.setdefault(_norm(name), (index, value))
        self._first = first
        self.is_test = is_test

    def raw(self, *names: str) -> tuple[str, object] | None:
        """The first present (not absent) value under any of the normalised names, with the
        path of the field it came from (for error messages)."""
        for name in names:
            found = self._first.get(name)
            if found is not None:
                where, value = found
                return (f"fields[{where}]" if where.__class__ is int else str(where)), value
        return None

    def text(self, *names: str) -> str | None:
        found = self.raw(*names)
        return present_text(found[0], found[1]) if found else None

    def soft_text(self, *names: str) -> str | None:
        """Like text(), but a non-scalar value counts as absent (for optional context)."""
        found = self.raw(*names)
        if found is None or isinstance(found[1], dict | list | bool):
            return None
        return present_text(found[0], found[1])


def parse(body: bytes) -> list[AlertEvent]:
    """Parse one Coralogix webhook body into one alert event.

    Raises:
        PayloadError: the body is not a usable Coralogix alert; `field` names what is wrong.
    """
    fields = _Fields(load_object(body))
    if fields.is_test:
        return [_test_event(fields)]
    action = _action(fields)
    groups = _group_by(fields)
    return [
        AlertEvent(
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
    ]


def _is_test_marker(value: str) -> bool:
    return bool(_TEST_MARKER.match(value.strip()))


def _test_event(fields: _Fields) -> AlertEvent:
    reference = fields.soft_text("uuid", "alertuniqueidentifier", "alertid") or "sample"
    return AlertEvent(
        source=SOURCE,
        identity=f"test:{reference}",
        action=Action.TEST,
        name=fields.soft_text("name", "alertname") or "Coralogix test",
    )


def _action(fields: _Fields) -> Action:
    found = fields.raw("alertaction", "action")
    if found is None:
        raise PayloadError("alert_action", "missing; expected trigger or resolve ($ALERT_ACTION)")
    path, value = found
    word = text(path, value)
    action = _ACTIONS.get((word or "").lower())
    if action is None:
        raise PayloadError(path, f"unknown action {word!r}; expected trigger or resolve")
    return action


def _group_by(fields: _Fields) -> list[tuple[str, str]]:
    """Group-by values as (label, value) pairs, from alertGroupByValues or Group-by Field/ValueN."""
    found = fields.raw("alertgroupbyvalues", "groupbyvalues")
    if found is not None:
        return _group_by_object(*found)
    pairs: list[tuple[str, str]] = []
    for n in range(1, 11):
        value = fields.text(f"groupbyvalue{n}")
        if value is not None:
            pairs.append((fields.text(f"groupbyfield{n}") or f"group_by_{n}", value))
    return pairs


def _group_by_object(path: str, value: object) -> list[tuple[str, str]]:
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise PayloadError(path, "expected a JSON object of group-by values") from None
    if not isinstance(value, dict):
        raise PayloadError(path, f"expected an object of group-by values, got {json_type(value)}")
    pairs = [(str(k), text(f"{path}.{k}", v)) for k, v in value.items()]
    return [(k, v) for k, v in pairs if v is not None]


def _identity(fields: _Fields, groups: list[tuple[str, str]]) -> str:
    """(alertUniqueIdentifier | alert_id) + group-by values; never the name or the query."""
    unique = fields.text("alertuniqueidentifier", "uniqueidentifier")
    if unique is not None:
        base = f"uid={unique}"
    else:
        alert_id = fields.text("alertid")
        if alert_id is None:
            raise PayloadError(
                "alertUniqueIdentifier",
                "no usable identity; send alertUniqueIdentifier ($ALERT_UNIQUE_IDENTIFIER) "
                "or alert_id ($ALERT_ID)",
            )
        base = f"alert_id={alert_id}"
    if not groups and (instance := fields.text("instanceid")) is not None:
        groups = [("instance_id", instance)]
    suffix = ",".join(f"{k}={v}" for k, v in sorted(groups))
    identity = f"{base}|{suffix}" if suffix else base
    if len(identity) > MAX_IDENTITY:
        raise PayloadError("alertUniqueIdentifier", f"identity longer than {MAX_IDENTITY} chars")
    return identity


def _instance(fields: _Fields, groups: list[tuple[str, str]]) -> str | None:
    for wanted in _INSTANCE_KEYS:
        for key, value in groups:
            if wanted in _norm(key):
                return value
    if groups:
        return " / ".join(v for _, v in groups)
    return fields.text("instanceid") or fields.soft_text("computer", "computername")


def _priority(fields: _Fields) -> Priority | None:
    """P1..P5 from `priority` (also ALERT_DEF_PRIORITY_Pn), else from the legacy severity."""
    for names in (("priority", "alertpriority"), ("opsgeniepriority",)):
        value = fields.soft_text(*names)
        match = re.search(r"P([1-5])", (value or "").upper())
        if match:
            return Priority(f"P{match.group(1)}")
    severity = fields.soft_text("severity", "eventseverity", "severitylowercase")
    return _SEVERITY_PRIORITY.get((severity or "").lower())


def _link(fields: _Fields) -> str | None:
    url = fields.soft_text("alerturl", "link", "url")
    return url if url and url.startswith(("https://", "http://")) else None


def _event_time(fields: _Fields) -> datetime | None:
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


def _labels(fields: _Fields, groups: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    labels = dict(groups)
    for label, names in _CONTEXT_LABELS.items():
        value = fields.soft_text(*names)
        if value is not None:
            labels.setdefault(label, value)
    return tuple(sorted(labels.items())[:MAX_LABELS])
