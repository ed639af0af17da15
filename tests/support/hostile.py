"""Hostile webhook bodies for every source: deep nesting, huge strings, wrong types, invalid
UTF-8, each with the field the 4xx answer must name. Built here because some are megabytes."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

HUGE = 600_000  # characters: inside the default 1 MiB body limit, far beyond any real field
DEEP = 5_000  # levels: beyond any JSON parser's default depth limit


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


def specific(source: str) -> list[Hostile]:
    """Bodies shaped like the source's own, wrong in one place."""
    huge = "f" * HUGE
    nested = _nested(200)  # deep, yet inside the parser's limit: must be refused by type
    if source == "alertmanager":
        alert = {"status": "firing", "fingerprint": "abc", "labels": {"alertname": "A"}}
        return [
            Hostile("alerts_wrong_type", _json({"alerts": "all"}), "alerts"),
            Hostile(
                "status_wrong_type",
                _json({"alerts": [{**alert, "status": ["firing"]}]}),
                "alerts[0].status",
            ),
            Hostile(
                "labels_wrong_type",
                _json({"alerts": [{**alert, "labels": "a=b"}]}),
                "alerts[0].labels",
            ),
            Hostile(
                "label_nested_deep",
                _json({"alerts": [{**alert, "labels": {"a": nested}}]}),
                "alerts[0].labels.a",
            ),
            Hostile(
                "huge_fingerprint",
                _json({"alerts": [{**alert, "fingerprint": huge}]}),
                "alerts[0].fingerprint",
            ),
        ]
    if source == "coralogix-nc":
        group = {"status": "Triggered", "keyValues": {"host": "h"}}
        body = {"alertDef": {"id": "d"}, "alert": {"groups": [group]}}
        return [
            Hostile("groups_wrong_type", _json({**body, "alert": {"groups": "g"}}), "alert.groups"),
            Hostile(
                "status_wrong_type",
                _json({**body, "alert": {"groups": [{**group, "status": 1.5}]}}),
                "alert.groups[0].status",
            ),
            Hostile(
                "key_nested_deep",
                _json({**body, "alert": {"groups": [{**group, "keyValues": {"host": nested}}]}}),
                "alert.groups[0].keyValues.host",
            ),
            Hostile(
                "huge_group_value",
                _json({**body, "alert": {"groups": [{**group, "keyValues": {"host": huge}}]}}),
                "alert.groups[0].keyValues",
            ),
        ]
    if source == "generic/grafana":
        alert = {"status": "firing", "fingerprint": "abc", "labels": {"alertname": "A"}}
        return [
            Hostile("alerts_wrong_type", _json({"alerts": {"a": alert}}), "alerts"),
            Hostile(
                "status_wrong_type",
                _json({"alerts": [{**alert, "status": {"s": 1}}]}),
                "alerts[0].status",
            ),
            Hostile(
                "name_nested_deep",
                _json({"alerts": [{**alert, "labels": {"alertname": nested}}]}),
                "alerts[0].labels.alertname",
            ),
            Hostile(
                "huge_fingerprint",
                _json({"alerts": [{**alert, "fingerprint": huge}]}),
                "alerts[0].fingerprint",
            ),
        ]
    if source == "coralogix":
        body = {"alert_action": "trigger", "alertUniqueIdentifier": "u", "name": "A"}
        return [
            Hostile("action_wrong_type", _json({**body, "alert_action": {"a": 1}}), "alert_action"),
            Hostile("fields_wrong_type", _json({**body, "fields": "x"}), "fields"),
            Hostile("fields_nested_deep", _json({**body, "fields": [nested]}), "fields[0]"),
            Hostile(
                "huge_identity",
                _json({**body, "alertUniqueIdentifier": huge}),
                "alertUniqueIdentifier",
            ),
        ]
    raise ValueError(f"no hostile bodies for {source!r}")


SOURCES = ("alertmanager", "coralogix-nc", "generic/grafana", "coralogix")


def cases() -> list[tuple[str, Hostile]]:
    """(source, body) for every source and every hostile body."""
    return [(s, h) for s in SOURCES for h in (*common(), *specific(s))]
