"""Generic JSON senders: mappings from the config file, parsed end to end from TOML to events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from alertgate import bootstrap
from alertgate.config import Settings
from alertgate.config_sources import load
from alertgate.domain.alert import Action, Priority
from alertgate.domain.errors import PayloadError
from alertgate.ports import SourceParser

FIXTURES = Path(__file__).parents[2] / "fixtures" / "generic"

CLOUDWATCH = """
[sources.generic.cloudwatch]
identity = ["AlarmName", "Region"]
action = "NewStateValue"
trigger = ["ALARM"]
resolve = ["OK", "INSUFFICIENT_DATA"]
name = "AlarmName"
description = "NewStateReason"
priority = "Trigger.Namespace"
priorities = { "AWS/EC2" = "P2" }
instance = "Trigger.Dimensions.0.value"
time = "StateChangeTime"
labels = ["Trigger"]
"""


def settings_from(tmp_path: Path, toml: str) -> Settings:
    path = tmp_path / "alertgate.toml"
    path.write_text(toml)
    return load({}, config_file=path).settings


def grafana(tmp_path: Path) -> SourceParser:
    toml = (FIXTURES / "grafana.toml").read_text()
    return bootstrap.parsers(settings_from(tmp_path, toml))["generic/grafana"]


def test_grafana_worked_example_splits_alerts_and_reads_every_field(tmp_path: Path) -> None:
    """The docs' Grafana mapping: one event per alert, identity from the fingerprint, severity
    warning -> P3, instance, link, summary, startsAt in UTC, labels kept, state re-sends."""
    events = grafana(tmp_path)((FIXTURES / "grafana_firing.json").read_bytes())
    assert [e.identity for e in events] == [
        "fingerprint=c6eadffa33fcdf37",
        "fingerprint=bc97ff14869b13e3",
    ]
    first = events[0]
    assert first.source == "generic/grafana"
    assert first.action is Action.TRIGGER
    assert first.name == "High memory usage"
    assert first.priority is Priority.P3
    assert first.instance == "web-1:9100"
    assert first.link == "https://grafana.example/alerting/c6eadffa/edit"
    assert first.description == "Memory above 90% in zone us-1"
    assert first.event_time == datetime(2026, 12, 3, 7, 51, 3, 157076, tzinfo=UTC)
    assert dict(first.labels)["zone"] == "us-1"
    assert first.level_triggered


def test_grafana_resolve_is_stamped_with_its_end(tmp_path: Path) -> None:
    """`resolve_time = "endsAt"`: the resolve's event time is when it ended."""
    (event,) = grafana(tmp_path)((FIXTURES / "grafana_resolved.json").read_bytes())
    assert event.action is Action.RESOLVE
    assert event.identity == "fingerprint=c6eadffa33fcdf37"
    assert event.event_time == datetime(2026, 12, 3, 8, 2, 3, 157076, tzinfo=UTC)


def cloudwatch_body(state: str = "ALARM") -> bytes:
    return orjson.dumps(
        {
            "AlarmName": "web-cpu-high",
            "Region": "EU (Ireland)",
            "NewStateValue": state,
            "NewStateReason": "Threshold Crossed: 1 datapoint [93.1] > 80",
            "StateChangeTime": "2026-12-03T15:19:46.000+0000",
            "Trigger": {
                "MetricName": "CPUUtilization",
                "Namespace": "AWS/EC2",
                "Dimensions": [{"name": "InstanceId", "value": "i-0abc123"}],
            },
        }
    )


def test_flat_body_mapping_with_array_index_and_own_priorities(tmp_path: Path) -> None:
    """A flat body (CloudWatch alarm JSON): identity from two paths, `Dimensions.0.value` as
    instance, the sender's own priority words, several resolve values; nested labels refused
    only where a path points, scalars kept."""
    parse = bootstrap.parsers(settings_from(tmp_path, CLOUDWATCH))["generic/cloudwatch"]
    with pytest.raises(PayloadError) as error:
        parse(cloudwatch_body())  # `Trigger` holds an array: not a label object
    assert error.value.field == "Trigger.Dimensions"
    fixed = CLOUDWATCH.replace('labels = ["Trigger"]', "")
    parse = bootstrap.parsers(settings_from(tmp_path, fixed))["generic/cloudwatch"]
    (event,) = parse(cloudwatch_body())
    assert event.identity == "AlarmName=web-cpu-high|Region=EU (Ireland)"
    assert (event.action, event.priority, event.instance) == (
        Action.TRIGGER,
        Priority.P2,
        "i-0abc123",
    )
    assert event.event_time == datetime(2026, 12, 3, 15, 19, 46, tzinfo=UTC)  # CloudWatch's +0000
    assert parse(cloudwatch_body("INSUFFICIENT_DATA"))[0].action is Action.RESOLVE


def test_root_paths_read_the_body_when_alerts_are_elements(tmp_path: Path) -> None:
    """`$.receiver` reads from the body while other paths read from each alert."""
    toml = (FIXTURES / "grafana.toml").read_text() + 'instance = "$.receiver"\n'
    toml = toml.replace('instance = "labels.instance"\n', "")
    events = grafana_parser(tmp_path, toml)((FIXTURES / "grafana_firing.json").read_bytes())
    assert {e.instance for e in events} == {"alertgate"}


def grafana_parser(tmp_path: Path, toml: str) -> SourceParser:
    return bootstrap.parsers(settings_from(tmp_path, toml))["generic/grafana"]


def test_sender_without_resolve_values_is_a_no_resolve_source(tmp_path: Path) -> None:
    """A mapping with no `resolve` says the sender never resolves: its alerts get a rule."""
    toml = '[sources.generic.pinger]\nidentity = "id"\naction = "kind"\ntrigger = ["down"]\n'
    policy = bootstrap.no_resolve_policy(settings_from(tmp_path, toml))
    assert policy.rule_for("generic/pinger", "x", ()) is not None
    assert policy.rule_for("generic/other", "x", ()) is None


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d["alerts"][1].pop("fingerprint"), "alerts[1].fingerprint", "identity"),
        (lambda d: d["alerts"][0].update(status="pending"), "alerts[0].status", "firing"),
        (lambda d: d["alerts"][0].pop("status"), "alerts[0].status", "missing"),
        (lambda d: d.update(alerts={"a": 1}), "alerts", "got object"),
        (lambda d: d.update(alerts=[[]]), "alerts[0]", "got array"),
        (lambda d: d["alerts"][0].update(labels=7), "alerts[0].labels", "got number"),
        (
            lambda d: d["alerts"][0]["labels"].update(alertname=[1]),
            "alerts[0].labels.alertname",
            "",
        ),
    ],
)
def test_unusable_bodies_name_the_path(tmp_path: Path, change, field: str, words: str) -> None:
    """A body the mapping cannot read is a PayloadError naming the path, with the values the
    mapping expects where that helps."""
    document = json.loads((FIXTURES / "grafana_firing.json").read_bytes())
    change(document)
    with pytest.raises(PayloadError) as error:
        grafana(tmp_path)(orjson.dumps(document))
    assert error.value.field == field
    assert words in error.value.problem
