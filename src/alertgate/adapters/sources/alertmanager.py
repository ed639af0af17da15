"""Prometheus Alertmanager webhooks (format version 4): every alert of a grouped body becomes one
event of its own, keyed by its fingerprint, with its own status (see docs/sources.md)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import orjson

from alertgate.adapters.sources.payload import (
    JsonObject,
    bounded_labels,
    http_link,
    identity_text,
    json_type,
    load_object,
    status_action,
    store_safe,
    string_pairs,
    text,
)
from alertgate.adapters.sources.severity import priority_of
from alertgate.adapters.sources.times import rfc3339
from alertgate.domain.alert import Action, AlertEvent
from alertgate.domain.errors import PayloadError

SOURCE = "alertmanager"
VERSION = "4"
UNNAMED = "Unnamed Alertmanager alert"
MAX_FINGERPRINT = 256
ANNOTATION_PREFIX = "annotations."  # no Prometheus label name has a dot: never a collision
_STATUS = {"firing": Action.TRIGGER, "resolved": Action.RESOLVE}
_EXPECTED = "firing or resolved"
_INSTANCE_LABELS = ("instance", "instance_id", "host", "hostname", "node")
_FNV_OFFSET, _FNV_PRIME, _MASK = 14695981039346656037, 1099511628211, 2**64 - 1


def parse(body: bytes) -> list[AlertEvent]:
    """Parse one Alertmanager webhook body into one event per alert.

    Raises:
        PayloadError: the body is not a usable Alertmanager webhook; `field` names what is wrong.
    """
    document = load_object(body)
    version = document.get("version")
    if version is not None and str(version).strip() != VERSION:
        raise PayloadError(
            "version", f"unsupported webhook version {version!r}; alertgate reads version 4"
        )
    alerts = document.get("alerts")
    if not isinstance(alerts, list):
        got = "missing" if alerts is None else json_type(alerts)
        raise PayloadError("alerts", f"expected an array of alerts, got {got}")
    group_status = document.get("status")
    truncated = _truncated(document.get("truncatedAlerts"))
    events = [
        _event(f"alerts[{i}]", alert, group_status, truncated) for i, alert in enumerate(alerts)
    ]
    if len(events) > 1:
        events = [  # each alert's event log entry: the same body, with only that alert
            replace(event, payload=orjson.dumps({**document, "alerts": [alert]}))
            for event, alert in zip(events, alerts, strict=True)
        ]
    return store_safe(body, events)


def _truncated(value: object) -> int:
    """How many alerts of the group Alertmanager left out of the body (`max_alerts` is set)."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError("truncatedAlerts", f"expected a count, got {json_type(value)}")
    if value < 0:
        raise PayloadError("truncatedAlerts", f"expected a count, got {value}")
    return value


def _event(path: str, alert: object, group_status: object, truncated: int) -> AlertEvent:
    if not isinstance(alert, dict):
        raise PayloadError(path, f"expected an alert object, got {json_type(alert)}")
    labels = string_pairs(f"{path}.labels", alert.get("labels"))
    annotations = dict(string_pairs(f"{path}.annotations", alert.get("annotations")))
    action = _action(path, alert, group_status)
    by_name = dict(labels)
    return AlertEvent(
        source=SOURCE,
        identity=_fingerprint(path, alert),
        action=action,
        name=by_name.get("alertname") or UNNAMED,
        priority=priority_of(by_name.get("priority") or by_name.get("severity")),
        instance=next((by_name[k] for k in _INSTANCE_LABELS if k in by_name), None),
        link=http_link(text(f"{path}.generatorURL", alert.get("generatorURL"))),
        description=annotations.get("summary") or annotations.get("description"),
        event_time=_event_time(path, alert, action),
        labels=bounded_labels(
            labels, [(ANNOTATION_PREFIX + k, v) for k, v in sorted(annotations.items())]
        ),
        level_triggered=True,  # it re-sends state: see domain.alert.delivery_key
        truncated_alerts=truncated,
    )


def _action(path: str, alert: JsonObject, group_status: object) -> Action:
    """The alert's own status (a partly resolved group says `firing` at the top); the group's
    only for a template imitating Alertmanager without per-alert status."""
    envelope = ("status", group_status)
    return status_action(f"{path}.status", alert.get("status"), envelope, _STATUS, _EXPECTED)


def _event_time(path: str, alert: JsonObject, action: Action) -> datetime | None:
    """startsAt for a firing alert, endsAt for a resolved one: what makes re-sends repeats.

    `0001-01-01T00:00:00Z` (Go's zero time) means "not ended" and reads as absent. Both are
    RFC 3339 text in Alertmanager's webhook; anything else is refused, whatever the status.
    """
    starts = rfc3339(f"{path}.startsAt", alert.get("startsAt"))
    ends = rfc3339(f"{path}.endsAt", alert.get("endsAt"))
    if action is Action.RESOLVE:
        return ends or starts
    return starts


def _fingerprint(path: str, alert: JsonObject) -> str:
    """The sender's fingerprint (a string, as Alertmanager writes it), or the one Alertmanager
    would compute from the labels."""
    given = identity_text(f"{path}.fingerprint", alert.get("fingerprint"), integers=False)
    if given is None:
        labels = alert.get("labels")
        if not isinstance(labels, dict) or not labels:
            raise PayloadError(
                f"{path}.fingerprint", "missing, and there are no labels to derive it from"
            )
        given = label_fingerprint({str(k): str(v) for k, v in labels.items()})
    if len(given) > MAX_FINGERPRINT:
        raise PayloadError(f"{path}.fingerprint", f"longer than {MAX_FINGERPRINT} characters")
    return given


def label_fingerprint(labels: dict[str, str]) -> str:
    """Prometheus's label-set fingerprint (FNV-1a 64 over sorted name, 0xff, value, 0xff)."""
    digest = _FNV_OFFSET
    for name in sorted(labels):
        for part in (name.encode(), b"\xff", labels[name].encode(), b"\xff"):
            for byte in part:
                digest = ((digest ^ byte) * _FNV_PRIME) & _MASK
    return f"{digest:016x}"
