"""The Coralogix parser on fixture files: every body shape Coralogix and the PoC send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alertgate.adapters.sources.coralogix import parse
from alertgate.domain.alert import Action, AlertEvent, Priority
from alertgate.domain.errors import PayloadError
from tests.conftest import FIXTURES

CORALOGIX = FIXTURES / "coralogix"


def one(name: str) -> AlertEvent:
    events = parse((CORALOGIX / name).read_bytes())
    assert len(events) == 1
    return events[0]


def test_default_body_reads_fields_array() -> None:
    """The default body: identity, priority, link and time come from the `fields` array."""
    event = one("default_trigger.json")
    assert event.action is Action.TRIGGER
    assert event.identity == "uid=780c892f-f4db-43cb-a833-5f13a5523e96"
    assert event.name == "High CPU on web tier"
    assert event.priority is Priority.P2
    assert (
        event.link
        == "https://acme.app.coralogix.in/#/insights?id=a6a74b7a-0d04-4806-9cf9-2d2c65ce444b"
    )
    assert event.event_time == datetime(2024, 8, 14, 21, 28, 56, 254000, tzinfo=UTC)
    assert event.description == "CPU above 85% for 5 minutes"


def test_trigger_and_resolve_of_one_alert_share_an_incident() -> None:
    """The resolve finds the trigger's incident: identity never includes time or action."""
    fired, cleared = one("default_trigger.json"), one("default_resolve.json")
    assert cleared.action is Action.RESOLVE
    assert fired.incident_id == cleared.incident_id


def test_each_group_by_combination_is_its_own_incident_with_its_instance() -> None:
    """A metric alert grouped by instance: one incident per instance, the instance named."""
    a, b = one("default_grouped_i-0a1.json"), one("default_grouped_i-0b2.json")
    assert a.incident_id != b.incident_id
    assert (a.instance, b.instance) == ("i-0a1", "i-0b2")
    assert a.identity == "uid=780c892f-f4db-43cb-a833-5f13a5523e96|instance_id=i-0a1"
    assert ("instance_id", "i-0a1") in a.labels


def test_identity_ignores_the_alert_id_that_changes_on_edit() -> None:
    """Editing the alert definition changes $ALERT_ID, never the incident."""
    body = (CORALOGIX / "default_trigger.json").read_bytes()
    edited = body.replace(
        b"49a4afb5-9231-418d-94ea-3a7546779658", b"11111111-2222-4333-8444-555555555555"
    )
    assert parse(body)[0].incident_id == parse(edited)[0].incident_id


def test_flat_custom_body_with_group_by_fields() -> None:
    """A flattened custom body is read like the default one; Group-by FieldN/ValueN pair up."""
    event = one("flat_groupby.json")
    assert event.identity == "uid=0c4d4f3e-6a0b-4c1e-9a9f-3f6e2b1d8c7a|user_test=root_user_8"
    assert event.priority is Priority.P1
    assert event.instance == "root_user_8"
    assert event.event_time == datetime(2024, 12, 16, 11, 48, 47, 213000, tzinfo=UTC)


def test_poc_body_keys_on_alert_id() -> None:
    """The proof of concept's three fields still work: identity falls back to alert_id."""
    fired, cleared = one("poc_triggered.json"), one("poc_resolved.json")
    assert (fired.action, cleared.action) == (Action.TRIGGER, Action.RESOLVE)
    assert fired.identity == "alert_id=test-xx"
    assert fired.name == "CPU Spike Test"
    assert fired.incident_id == cleared.incident_id
    assert fired.event_time is None


def test_unreplaced_unique_identifier_falls_back_to_alert_id() -> None:
    """A literal `$ALERT_UNIQUE_IDENTIFIER` counts as absent; action case does not matter."""
    event = one("unique_id_unreplaced.json")
    assert event.identity == "alert_id=9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b"
    assert event.action is Action.TRIGGER
    assert event.priority is Priority.P3


def test_legacy_severity_maps_to_priority() -> None:
    """Without a priority, the legacy severity maps as Coralogix's Opsgenie mapping does."""
    event = one("legacy_severity_only.json")
    assert event.action is Action.RESOLVE
    assert event.priority is Priority.P3  # Warning
    assert event.instance == "db-03"  # the log alert's computer name


def test_test_and_save_sample_is_a_test_event() -> None:
    """Coralogix's "Test & Save" sample values mark the body as a test, never an alert."""
    event = one("test_and_save.json")
    assert event.action is Action.TEST


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("trigger", Action.TRIGGER),
        ("TRIGGERED", Action.TRIGGER),
        (" Triggered ", Action.TRIGGER),
        ("resolve", Action.RESOLVE),
        ("Resolved", Action.RESOLVE),
        ("RESOLVE", Action.RESOLVE),
    ],
)
def test_actions_in_any_letter_case(value: str, expected: Action) -> None:
    """Coralogix renders trigger/resolve; the PoC sent TRIGGERED/RESOLVED; all are accepted."""
    body = f'{{"alert_id": "a1", "alert_action": "{value}"}}'.encode()
    assert parse(body)[0].action is expected


@pytest.mark.parametrize(
    ("value", "priority"),
    [
        ("P1", Priority.P1),
        ("p4", Priority.P4),
        ("ALERT_DEF_PRIORITY_P2", Priority.P2),
        ("P5_OR_UNSPECIFIED", Priority.P5),
        ("$ALERT_PRIORITY", None),
        ("null", None),
        ("high", None),
    ],
)
def test_priorities(value: str, priority: Priority | None) -> None:
    """P1..P5 in Coralogix's spellings; placeholders, "null" and unknown words are absent."""
    body = f'{{"alert_id": "a1", "alert_action": "trigger", "priority": "{value}"}}'.encode()
    assert parse(body)[0].priority is priority


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b"", "body", "empty"),
        (b"not json", "body", "not valid JSON"),
        (b"\xff\xfe{}", "body", "not valid JSON"),
        (b"[1, 2]", "body", "array"),
        (b'"trigger"', "body", "string"),
        (b'{"alert_id": "a1"}', "alert_action", "missing"),
        (b'{"alert_id": "a1", "alert_action": "$ALERT_ACTION"}', "alert_action", "missing"),
        (b'{"alert_id": "a1", "alert_action": "fired"}', "alert_action", "unknown action 'fired'"),
        (b'{"alert_id": "a1", "alert_action": ["trigger"]}', "alert_action", "expected a string"),
        (b'{"alert_name": "x", "alert_action": "trigger"}', "alertUniqueIdentifier", "identity"),
        (b'{"alert_id": {"a": 1}, "alert_action": "trigger"}', "alert_id", "expected a string"),
        (b'{"alert_id": "a", "alert_action": "trigger", "fields": {}}', "fields", "array"),
        (b'{"alert_id": "a", "alert_action": "trigger", "fields": [1]}', "fields[0]", "key"),
        (
            b'{"alert_id": "a", "alert_action": "trigger", "alertGroupByValues": "{oops"}',
            "alertGroupByValues",
            "group-by",
        ),
    ],
)
def test_bad_bodies_name_the_field(body: bytes, field: str, words: str) -> None:
    """Unusable input is rejected with the field that is wrong and why."""
    with pytest.raises(PayloadError) as caught:
        parse(body)
    assert caught.value.field == field
    assert words in caught.value.problem


def test_deeply_nested_json_is_rejected_not_crashed() -> None:
    """A hostile body nested deeper than the JSON parser allows is a clean PayloadError."""
    with pytest.raises(PayloadError) as caught:
        parse(b"[" * 100_000 + b"]" * 100_000)
    assert caught.value.field == "body"


def test_long_values_are_cut_not_rejected() -> None:
    """A huge description is kept to a bounded length; the alert is not lost over it."""
    body = (
        b'{"alert_id": "a1", "alert_action": "trigger", "description": "' + b"x" * 100_000 + b'"}'
    )
    assert len(parse(body)[0].description or "") == 4096
