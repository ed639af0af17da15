"""Request templates: the Coralogix Generic webhook's default body and Alertmanager's
`POST /api/v2/alerts` body, as constant parts and named slots.

The Coralogix body follows the default Generic webhook body key for key, in order (Coralogix's
docs page "Generic outbound webhooks"; the tail as rendered in keephq/keep's
`keep/providers/coralogix_provider/alerts_mock.py`, MIT). It is rendered the way Coralogix renders
a metric alert grouped by `host`: inapplicable placeholders stay literal (`"$SERVICE"`), missing
log fields are the string "null", `timestampMs` is a bare number. Keys the docs elide
("ratio/unique-count/new-value keys") are named after their placeholders.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from benchmarks.bodies import DEFINITIONS, Item

_MARK = "@@slot:{}@@"
_PRIORITIES = ("P1", "P2", "P2", "P3", "P3", "P3", "P4", "P5")
_SEVERITY = {"P1": "Critical", "P2": "Error", "P3": "Warning", "P4": "Warning", "P5": "Info"}
WEBHOOK_UUID = "d838cd7b-087b-40c6-bc33-80997020f5d0"


def _slot(name: str) -> str:
    return _MARK.format(name)


# (key, value): a value is the rendered text, or _slot(...) for what differs per request.
CORALOGIX_FIELDS: tuple[tuple[str, object], ...] = (
    ("team", "acme"),
    ("application", "payments"),
    ("subsystem", "api"),
    ("severity", _slot("severity")),
    ("priority", _slot("priority")),
    ("severityLowercase", _slot("severity_lower")),
    ("computer", "null"),
    ("ipAddress", "null"),
    ("timestamp", _slot("ts_gmt")),
    ("hitCount", "null"),
    ("text", "null"),
    ("Custom field", "$JSON_KEY"),
    ("Group-by Field1", "host"),
    ("Group-by Value1", _slot("host")),
    ("Group-by Field2", "$GROUP_BY_FIELD_2"),
    ("Group-by Value2", "$GROUP_BY_VALUE_2"),
    ("metricKey", "$METRIC_KEY"),
    ("metricOperator", "$METRIC_OPERATOR"),
    ("timeframe", "$TIMEFRAME"),
    ("timeframePercentageOverThreshold", "100"),
    ("metricCriteria", "avg"),
    ("ratioQueryOne", "$RATIO_QUERY_ONE"),
    ("ratioQueryTwo", "$RATIO_QUERY_TWO"),
    ("ratioTimeframe", "$RATIO_TIMEFRAME"),
    ("uniqueCountValuesList", "$UNIQUE_COUNT_VALUES_LIST"),
    ("newValueTrackedKey", "$NEW_VALUE_TRACKED_KEY"),
    ("metaLabels", "null"),
    ("timestampMs", _slot("ts_ms")),  # unquoted in the template: a number
    ("timestampISO", _slot("ts_iso")),
    ("threadId", "null"),
    ("category", "null"),
    ("queryText", "avg(system_cpu_utilization) by (host) > 90"),
    ("metaLabelsJson", "null"),
    ("metaLabelsList", []),  # unquoted $META_LABELS_LIST: an array
    ("opsgeniePriority", _slot("priority")),
    ("companyId", "1010757"),
    ("dedupKey", _slot("dedup")),
    ("alertUniqueIdentifier", _slot("uid")),
    ("relativeQueryText", "$RELATIVE_QUERY_TEXT"),
    ("actualRatio", "$ACTUAL_RATIO"),
    ("relativeHitCount", "$RELATIVE_HIT_COUNT"),
    ("flowAlertRelatedAlerts", "$FLOW_ALERT_RELATED_ALERTS"),
    ("alertGroupByValues", '{"host":"' + _slot("host") + '"}'),  # a JSON object in a string
)


def coralogix_body() -> object:
    """The default Generic webhook body with slots where values differ per request."""
    return {
        "uuid": WEBHOOK_UUID,
        "alert_id": _slot("alert_id"),
        "name": _slot("name"),
        "description": "CPU above 90% for 5 minutes",
        "threshold": "90",
        "timewindow": "5",
        "group_by_labels": '["host"]',
        "alert_action": _slot("action"),
        "alert_url": "https://acme.app.coralogix.com/#/insights?id=" + _slot("uid"),
        "log_url": "null",
        "icon_url": "https://dashboard.coralogix.com/assets/invite.png",
        "service": "$SERVICE",
        "duration": "$DURATION",
        "errors": "$ERRORS",
        "spans": "$SPANS",
        "fields": [{"key": k, "value": v} for k, v in CORALOGIX_FIELDS],
    }


def alertmanager_body() -> object:
    """One alert, as Prometheus or any client posts it to Alertmanager's API v2."""
    return [
        {
            "labels": {
                "alertname": _slot("name"),
                "alert_uid": _slot("uid"),
                "host": _slot("host"),
                "severity": _slot("severity_lower"),
                "priority": _slot("priority"),
                "team": "acme",
                "application": "payments",
            },
            "annotations": {
                "summary": _slot("name"),
                "description": "CPU above 90% for 5 minutes",
            },
            "startsAt": _slot("starts_iso"),
            "endsAt": _slot("ends_iso"),  # the zero time while firing: "not ended"
            "generatorURL": "https://acme.app.coralogix.com/#/insights?id=" + _slot("uid"),
        }
    ]


@dataclass(frozen=True, slots=True)
class Template:
    """A request body as constant parts around named slots."""

    name: str
    path: str
    parts: tuple[str, ...]
    slots: tuple[str, ...]  # the slot between parts[i] and parts[i + 1]

    @classmethod
    def of(cls, name: str, path: str, body: object) -> Template:
        text = orjson.dumps(body).decode()
        # A number slot sits in a JSON string in `body`; in the template it is bare.
        text = text.replace('"' + _slot("ts_ms") + '"', _slot("ts_ms"))
        pieces = text.split("@@slot:")
        parts, slots = [pieces[0]], []
        for piece in pieces[1:]:
            slot, rest = piece.split("@@", 1)
            slots.append(slot)
            parts.append(rest)
        return cls(name, path, tuple(parts), tuple(slots))

    @property
    def columns(self) -> tuple[str, ...]:
        """The distinct slots, in the order a data line lists their values."""
        return tuple(dict.fromkeys(self.slots))

    def render(self, values: Mapping[str, str]) -> bytes:
        out = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:], strict=True):
            out.append(values[slot])
            out.append(part)
        return "".join(out).encode()


CORALOGIX = Template.of("coralogix", "/coralogix/webhook", coralogix_body())
ALERTMANAGER = Template.of("alertmanager", "/api/v2/alerts", alertmanager_body())
ZERO_TIME = "0001-01-01T00:00:00.000Z"


def slot_values(item: Item, stream: str) -> dict[str, str]:
    """Every slot's value for one plan item; `stream` keeps runs and processes apart."""
    definition = item.incident % DEFINITIONS
    priority = _PRIORITIES[definition % len(_PRIORITIES)]
    host = f"{stream}-host-{item.incident:07d}"
    uid = f"{definition:08x}-5e1f-4a1e-9c0d-{definition:012x}"
    return {
        "uid": uid,
        "alert_id": f"{definition:08x}-0a1b-4c2d-8e3f-{item.incident % 7:012x}",
        "name": f"High CPU on payments api #{definition}",
        "priority": priority,
        "severity": _SEVERITY[priority],
        "severity_lower": _SEVERITY[priority].lower(),
        "host": host,
        "action": item.action,
        "ts_ms": str(item.ts_ms),
        "ts_iso": _iso(item.ts_ms),
        "ts_gmt": _moment(item.ts_ms).strftime("%Y/%m/%d %H:%M:%S GMT"),
        "dedup": hashlib.sha256(f"{uid}|{host}".encode()).hexdigest(),
        "starts_iso": _iso(item.started_ms),
        "ends_iso": _iso(item.ts_ms) if item.action == "resolve" else ZERO_TIME,
    }


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, tz=UTC)  # whole seconds; ms are formatted apart


def _iso(ms: int) -> str:
    return _moment(ms).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def render(template: Template, item: Item, stream: str) -> bytes:
    """The body of one plan item."""
    return template.render(slot_values(item, stream))


def data_line(template: Template, item: Item, stream: str) -> str:
    """One line of the wrk data file: the item's slot values in `template.columns` order."""
    values = slot_values(item, stream)
    fields = [values[c] for c in template.columns]
    if any(("\t" in f or "\n" in f or '"' in f or "\\" in f) for f in fields):
        raise ValueError(f"slot values must be plain JSON-safe text: {fields}")
    return "\t".join(fields)
