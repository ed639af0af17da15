"""The Coralogix Notification Center parser (tests/fixtures/coralogix-nc/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from alertgate.adapters.sources import PARSERS
from alertgate.adapters.sources.coralogix_nc import TRIGGER_ONLY_TYPES, parse
from alertgate.bootstrap.policy import no_resolve_policy
from alertgate.config_sources import load
from alertgate.domain.alert import Action, AlertEvent, Priority
from alertgate.domain.errors import PayloadError
from alertgate.domain.no_resolve import NoResolveRule

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


def no_resolve_rule_for(event: AlertEvent) -> NoResolveRule | None:
    """The rule a default configuration applies to the event (built-in rules only)."""
    return no_resolve_policy(load({}).settings).rule_for(event.source, event.name, event.labels)


@pytest.mark.parametrize(
    "collision",
    ["entity_label", "group_by_key", "many_group_keys"],
)
def test_the_declared_alert_type_wins_its_label_and_keeps_the_never_resolve_rule(
    collision: str,
) -> None:
    """A user label `alert_type: security` (a meta label such as the contracts' sample), a
    group-by key named `alert_type`, or 100 group keys sorting before it: the label still says
    LOGS_NEW_VALUE, so the built-in never-resolve rule still applies."""
    body = document("new_value_triggered")
    group = body["alert"]["groups"][0]  # type: ignore[index]
    if collision == "entity_label":
        body["alertDef"]["entityLabels"]["alert_type"] = "security"  # type: ignore[index]
    elif collision == "group_by_key":
        group["keyValues"]["alert_type"] = "security"
    else:
        group["keyValues"].update({f"a{n:02}": "x" for n in range(100)})
    (event,) = parse(json.dumps(body).encode())
    assert dict(event.labels)["alert_type"] == "LOGS_NEW_VALUE"
    rule = no_resolve_rule_for(event)
    assert rule is not None
    assert rule.sources == {"coralogix-nc"}


def test_the_identity_is_the_definition_and_group_never_the_event_or_its_grouping_key() -> None:
    """Two notifications of one alert group with a different `alert.id` (one alert event
    each) and a different `alert.groupingKey` are one incident: alertDef.id + keyValues."""
    first, second = document("metric_resolved"), document("metric_resolved")
    first["alert"].update(id="event-1", groupingKey="k-1")  # type: ignore[attr-defined]
    second["alert"].update(id="event-2", groupingKey="k-2")  # type: ignore[attr-defined]
    (one,) = parse(json.dumps(first).encode())
    (two,) = parse(json.dumps(second).encode())
    assert one.identity == two.identity == "def=a1f4e2b0-6c1d-4f7e-9a55-3e2f0c9b7d10|host=server1"


def test_without_a_definition_id_the_event_id_is_not_taken_in_its_place() -> None:
    """alertDef.id missing, alert.id present: refused naming alertDef.id (alert.id names one
    alert event; keyed on it every notification would open a new incident)."""
    body = document("metric_resolved")
    del body["alertDef"]["id"]  # type: ignore[attr-defined]
    assert body["alert"]["id"]  # type: ignore[index]
    with pytest.raises(PayloadError) as error:
        parse(json.dumps(body).encode())
    assert error.value.field == "alertDef.id"
