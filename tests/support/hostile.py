"""Hostile webhook bodies for every source: deep nesting, huge strings, wrong types, invalid
UTF-8, each with the field the 4xx answer must name. Built here because some are megabytes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson

HUGE = 600_000  # characters: inside the default 1 MiB body limit, far beyond any real field
DEEP = 5_000  # levels: beyond any JSON parser's default depth limit
DEEPER_THAN_WRITTEN = 300  # levels: orjson reads them (up to 1024) but cannot write them back
NESTED = 100  # levels inside a field: under MAX_DEPTH (128), so the field itself is named


@dataclass(frozen=True, slots=True)
class Hostile:
    name: str
    body: bytes
    field: str  # what the error must name
    status: int = 400


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def common() -> list[Hostile]:
    """Bodies that no source can read, whatever it expects."""
    return [
        Hostile("empty", b"", "body"),
        Hostile("invalid_utf8", b'{"alerts": [{"status": "firing\xff"}]}', "body"),
        Hostile("lone_surrogate", b'{"status": "\\ud800"}', "body"),
        Hostile("deep_nesting", b'{"alerts": ' + _deep(DEEP) + b"}", "body"),
        Hostile(
            "nested_past_max_depth", b'{"alerts": ' + _deep(DEEPER_THAN_WRITTEN) + b"}", "body"
        ),
        Hostile("not_an_object", b"[1, 2, 3]", "body"),
        Hostile("nan", b'{"status": NaN}', "body"),
        Hostile("truncated", b'{"alerts": [{"status": "fir', "body"),
        Hostile("over_the_body_limit", b'{"x": "' + b"a" * 2_000_000 + b'"}', "body", 413),
    ]


def _nested(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = {"k": value}
    return value


def _json(document: object) -> bytes:
    return orjson.dumps(document)


def _with_deep_extra(document: dict[str, object]) -> bytes:
    """A body of two or more alerts with a field nobody reads nested past what orjson writes:
    splitting it into one stored body per alert once answered 500."""
    document = {**document, "extra": "EXTRA"}
    deep = b'{"k": ' * DEEPER_THAN_WRITTEN + b"1" + b"}" * DEEPER_THAN_WRITTEN
    return _json(document).replace(b'"EXTRA"', deep)


def _alertmanager() -> list[Hostile]:
    alert = {"status": "firing", "fingerprint": "abc", "labels": {"alertname": "A"}}

    def body(**changes: object) -> bytes:
        return _json({"alerts": [{**alert, **changes}]})

    return [
        Hostile("alerts_wrong_type", _json({"alerts": "all"}), "alerts"),
        Hostile("status_wrong_type", body(status=["firing"]), "alerts[0].status"),
        Hostile("labels_wrong_type", body(labels="a=b"), "alerts[0].labels"),
        Hostile("label_nested_deep", body(labels={"a": _nested(NESTED)}), "alerts[0].labels.a"),
        Hostile("huge_fingerprint", body(fingerprint="f" * HUGE), "alerts[0].fingerprint"),
        Hostile("nul_in_fingerprint", body(fingerprint="ab\x00c"), "alerts[0].fingerprint"),
        Hostile(
            "number_fingerprint",
            b'{"alerts": [{"status": "firing", "fingerprint": 1e308}]}',
            "alerts[0].fingerprint",
        ),
        Hostile("true_fingerprint", body(fingerprint=True), "alerts[0].fingerprint"),
        Hostile("starts_at_wrong_type", body(startsAt=1796483600), "alerts[0].startsAt"),
        Hostile("starts_at_not_a_time", body(startsAt="yesterday"), "alerts[0].startsAt"),
        Hostile("ends_at_wrong_type", body(status="resolved", endsAt={}), "alerts[0].endsAt"),
        Hostile(
            "truncated_wrong_type",
            _json({"alerts": [alert], "truncatedAlerts": "2"}),
            "truncatedAlerts",
        ),
        Hostile(
            "group_nested_past_max_depth",
            _with_deep_extra({"alerts": [alert, {**alert, "fingerprint": "def"}]}),
            "body",
        ),
    ]


def _coralogix_nc() -> list[Hostile]:
    group = {"status": "Triggered", "keyValues": {"host": "h"}}
    definition = {"id": "d"}

    def body(alert: object = None, **group_changes: object) -> bytes:
        alert = alert or {"groups": [{**group, **group_changes}]}
        return _json({"alertDef": definition, "alert": alert})

    return [
        Hostile("groups_wrong_type", body({"groups": "g"}), "alert.groups"),
        Hostile("status_wrong_type", body(status=1.5), "alert.groups[0].status"),
        Hostile(
            "key_nested_deep",
            body(keyValues={"host": _nested(NESTED)}),
            "alert.groups[0].keyValues.host",
        ),
        Hostile(
            "huge_group_value", body(keyValues={"host": "f" * HUGE}), "alert.groups[0].keyValues"
        ),
        Hostile(
            "nul_in_group_value",
            body(keyValues={"host": "h\x00"}),
            "alert.groups[0].keyValues.host",
        ),
        Hostile(
            "nul_in_definition_id",
            _json({"alertDef": {"id": "d\x00"}, "alert": {"groups": [group]}}),
            "alertDef.id",
        ),
        Hostile(
            "number_definition_id",
            _json({"alertDef": {"id": 7}, "alert": {"groups": [group]}}),
            "alertDef.id",
        ),
        Hostile(
            "only_the_event_id",  # alert.id names one event: no stable identity
            _json({"alert": {"id": "e-1", "groups": [group]}}),
            "alertDef.id",
        ),
        Hostile(
            "timestamp_wrong_type",
            body({"groups": [group], "timestamp": {"s": 1}}),
            "alert.timestamp",
        ),
        Hostile(
            "groups_nested_past_max_depth",
            _with_deep_extra(
                {"alertDef": definition, "alert": {"groups": [group, {**group, "keyValues": {}}]}}
            ),
            "body",
        ),
    ]


def _generic_grafana() -> list[Hostile]:
    alert = {"status": "firing", "fingerprint": "abc", "labels": {"alertname": "A"}}

    def body(**changes: object) -> bytes:
        return _json({"alerts": [{**alert, **changes}]})

    return [
        Hostile("alerts_wrong_type", _json({"alerts": {"a": alert}}), "alerts"),
        Hostile("status_wrong_type", body(status={"s": 1}), "alerts[0].status"),
        Hostile(
            "name_nested_deep",
            body(labels={"alertname": _nested(NESTED)}),
            "alerts[0].labels.alertname",
        ),
        Hostile("huge_fingerprint", body(fingerprint="f" * HUGE), "alerts[0].fingerprint"),
        Hostile("nul_in_fingerprint", body(fingerprint="\x00"), "alerts[0].fingerprint"),
        Hostile("true_fingerprint", body(fingerprint=True), "alerts[0].fingerprint"),
        Hostile("fractional_fingerprint", body(fingerprint=1.5), "alerts[0].fingerprint"),
        Hostile("starts_at_not_a_time", body(startsAt="soon"), "alerts[0].startsAt"),
        Hostile("ends_at_wrong_type", body(status="resolved", endsAt={}), "alerts[0].endsAt"),
        Hostile(
            "group_nested_past_max_depth",
            _with_deep_extra({"alerts": [alert, {**alert, "fingerprint": "def"}]}),
            "body",
        ),
    ]


def _coralogix() -> list[Hostile]:
    alert = {"alert_action": "trigger", "alertUniqueIdentifier": "u", "name": "A"}

    def body(**changes: object) -> bytes:
        return _json({**alert, **changes})

    return [
        Hostile("action_wrong_type", body(alert_action={"a": 1}), "alert_action"),
        Hostile("fields_wrong_type", body(fields="x"), "fields"),
        Hostile("fields_nested_deep", body(fields=[_nested(NESTED)]), "fields[0]"),
        Hostile("huge_identity", body(alertUniqueIdentifier="f" * HUGE), "alertUniqueIdentifier"),
        Hostile("nul_in_identity", body(alertUniqueIdentifier="u\x00"), "alertUniqueIdentifier"),
        Hostile("fractional_identity", body(alertUniqueIdentifier=1e308), "alertUniqueIdentifier"),
        Hostile(
            "nul_in_group_by_value",
            body(alertGroupByValues={"host": "h\x00"}),
            "alertGroupByValues.host",
        ),
        Hostile(
            "nul_in_group_by_field",
            body(fields=[{"key": "Group-by Value1", "value": "v\x00"}]),
            "fields[0]",
        ),
    ]


@dataclass(frozen=True, slots=True)
class Tolerated:
    """A body with NULs only where alertgate keeps free text, or keeps nothing: accepted, each
    kept NUL shown as U+FFFD, the raw body stored as sent."""

    name: str
    body: bytes
    shown: tuple[str, ...]  # texts the event must carry, with U+FFFD where the NULs were


TOLERATED: dict[str, Tolerated] = {
    "alertmanager": Tolerated(
        "nul_in_free_texts",
        _json(
            {
                "receiver": "team\x00a",  # read by nobody: only in the stored body
                "alerts": [
                    {
                        "status": "firing",
                        "fingerprint": "0f1e2d3c4b5a6978",
                        "labels": {"alertname": "Disk\x00Full", "dc\x00": "eu\x00"},
                        "annotations": {"summary": "disk \x00 full"},
                    }
                ],
            }
        ),
        ("Disk\ufffdFull", "eu\ufffd", "disk \ufffd full"),
    ),
    "coralogix-nc": Tolerated(
        "nul_in_free_texts",
        _json(
            {
                "_context": {"system": {"name": "x\x00"}},
                "alertDef": {"id": "d", "name": "CPU\x00", "entityLabels": {"team": "p\x00"}},
                "alert": {"groups": [{"status": "Triggered", "keyValues": {"host": "h"}}]},
            }
        ),
        ("CPU\ufffd", "p\ufffd"),
    ),
    "generic/grafana": Tolerated(
        "nul_in_free_texts",
        _json(
            {
                "receiver": "r\x00",
                "alerts": [
                    {
                        "status": "firing",
                        "fingerprint": "abc",
                        "labels": {"alertname": "A\x00", "instance": "web\x00-1"},
                        "annotations": {"summary": "s\x00"},
                    }
                ],
            }
        ),
        ("A\ufffd", "web\ufffd-1", "s\ufffd"),
    ),
    "coralogix": Tolerated(
        "nul_in_free_texts",
        _json(
            {
                "alert_action": "trigger",
                "alertUniqueIdentifier": "u",
                "name": "High\x00CPU",
                "description": "d\x00",
                "fields": [
                    {"key": "text", "value": "log line \x00"},  # the log text: not read
                    {"key": "team", "value": "ac\x00me"},
                ],
            }
        ),
        ("High\ufffdCPU", "d\ufffd", "ac\ufffdme"),
    ),
}
"""Per source: NULs where they cost no page (not in an identity)."""


SPECIFIC: dict[str, Callable[[], list[Hostile]]] = {
    "alertmanager": _alertmanager,
    "coralogix-nc": _coralogix_nc,
    "generic/grafana": _generic_grafana,
    "coralogix": _coralogix,
}
"""Bodies shaped like each source's own, wrong in one place; every source of the registry
must have its entry (test_source_properties.py checks)."""


def cases(sources: Iterable[str]) -> list[tuple[str, Hostile]]:
    """(source, body) for every source given (the registry) and every hostile body."""
    return [(s, h) for s in sorted(sources) for h in (*common(), *SPECIFIC.get(s, lambda: [])())]
