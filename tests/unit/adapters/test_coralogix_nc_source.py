"""The Coralogix Notification Center parser (tests/fixtures/coralogix-nc/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from alertgate.adapters.sources import PARSERS
from alertgate.adapters.sources.coralogix_nc import TRIGGER_ONLY_TYPES, parse
from alertgate.domain.alert import Action, Priority
from alertgate.domain.errors import PayloadError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "coralogix-nc"


def document(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((FIXTURES / f"{name}.json").read_bytes())
    return loaded


def test_registered_under_its_url_name() -> None:
    """POST /webhooks/coralogix-nc reaches this parser (one registry line)."""
    assert PARSERS["coralogix-nc"] is parse


def test_each_group_is_one_incident_keyed_by_definition_and_group_values() -> None:
    """Two triggered groups: two events, identity = alert definition id + the group's keys
    (never the definition's version id), priority from the group, instance from `host`."""
    events = parse(json.dumps(document("metric_triggered")).encode())
    assert [e.identity for e in events] == [
        "def=a1f4e2b0-6c1d-4f7e-9a55-3e2f0c9b7d10|host=server1",
        "def=a1f4e2b0-6c1d-4f7e-9a55-3e2f0c9b7d10|host=server2",
    ]
    first = events[0]
    assert first.source == "coralogix-nc"
    assert first.action is Action.TRIGGER
    assert first.name == "CPU Usage Alert"
    assert first.priority is Priority.P1
    assert first.instance == "server1"
    assert first.link is not None
    assert first.link.startswith("https://onlineboutique.app.coralogix.in/")
    assert first.description == "CPU above 90% for 5 minutes"
    assert first.event_time == datetime.fromtimestamp(1796483600, tz=UTC)
    assert dict(first.labels) == {
        "host": "server1",
        "team": "payments",
        "alert_type": "METRIC_THRESHOLD",
    }


def test_resolved_group_resolves_the_same_incident() -> None:
    """A Resolved group has the identity of its trigger and a later stamp."""
    (event,) = parse(json.dumps(document("metric_resolved")).encode())
    assert event.action is Action.RESOLVE
    assert event.identity == "def=a1f4e2b0-6c1d-4f7e-9a55-3e2f0c9b7d10|host=server1"
    assert event.event_time == datetime.fromtimestamp(1796484200, tz=UTC)


def test_trigger_only_alert_type_is_labelled_for_the_no_resolve_rule() -> None:
    """alertDef.type logsNewValue reads as LOGS_NEW_VALUE, a type that never resolves."""
    (event,) = parse(json.dumps(document("new_value_triggered")).encode())
    assert dict(event.labels)["alert_type"] == "LOGS_NEW_VALUE"
    assert "LOGS_NEW_VALUE" in TRIGGER_ONLY_TYPES


def test_alert_type_is_read_from_the_entity_subtype_without_alertdef_type() -> None:
    """Without alertDef.type the subtype (logsUniqueCountMoreThanTriggered) tells the type."""
    body = document("new_value_triggered")
    del body["alertDef"]["type"]  # type: ignore[attr-defined]
    body["_context"]["entitySubType"] = "logsUniqueCountMoreThanTriggered"  # type: ignore[index]
    (event,) = parse(json.dumps(body).encode())
    assert dict(event.labels)["alert_type"] == "LOGS_UNIQUE_COUNT"


def test_api_spelling_of_priority_is_understood() -> None:
    """ALERT_DEF_PRIORITY_P3 on the definition is P3 when the group has none."""
    body = document("metric_triggered")
    body["alertDef"]["priority"] = "ALERT_DEF_PRIORITY_P3"  # type: ignore[index]
    for group in body["alert"]["groups"]:  # type: ignore[index]
        del group["priority"]
    assert {e.priority for e in parse(json.dumps(body).encode())} == {Priority.P3}


def test_millisecond_timestamp_is_read_too() -> None:
    """alert.timestamp in epoch milliseconds gives the same time as in seconds."""
    body = document("metric_resolved")
    body["alert"]["timestamp"] = 1796484200000  # type: ignore[index]
    (event,) = parse(json.dumps(body).encode())
    assert event.event_time == datetime.fromtimestamp(1796484200, tz=UTC)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"alertDef": {"id": "x"}}, "alert"),
        ({"alert": [], "alertDef": {"id": "x"}}, "alert"),
        ({"alert": {"groups": []}, "alertDef": {"id": "x"}}, "alert.groups"),
        ({"alert": {"groups": "g"}, "alertDef": {"id": "x"}}, "alert.groups"),
        ({"alert": {"groups": [{"status": "Triggered"}]}}, "alertDef.id"),
        ({"alert": {"groups": [1]}, "alertDef": {"id": "x"}}, "alert.groups[0]"),
        (
            {"alert": {"groups": [{"status": "Maybe"}]}, "alertDef": {"id": "x"}},
            "alert.groups[0].status",
        ),
        (
            {
                "alert": {"groups": [{"status": "Triggered", "keyValues": [1]}]},
                "alertDef": {"id": "x"},
            },
            "alert.groups[0].keyValues",
        ),
        (
            {
                "alert": {"groups": [{"status": "Triggered", "priority": {}}]},
                "alertDef": {"id": "x"},
            },
            "alert.groups[0].priority",
        ),
        ({"alert": {"groups": [{"status": "Triggered"}]}, "alertDef": "x"}, "alertDef"),
    ],
)
def test_unusable_bodies_name_the_field(body: object, field: str) -> None:
    """Wrong types and missing parts are a PayloadError naming the field."""
    with pytest.raises(PayloadError) as error:
        parse(orjson.dumps(body))
    assert error.value.field == field
