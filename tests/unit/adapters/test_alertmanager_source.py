"""The Alertmanager parser on real captured bodies (tests/fixtures/alertmanager/)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from alertgate.adapters.sources import PARSERS
from alertgate.adapters.sources.alertmanager import label_fingerprint, parse
from alertgate.adapters.sources.payload import MAX_LABELS
from alertgate.adapters.sources.severity import SEVERITY_PRIORITY
from alertgate.domain.alert import Action, Priority
from alertgate.domain.errors import PayloadError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "alertmanager"
DOCS = Path(__file__).parents[3] / "docs" / "sources.md"


def body(name: str) -> bytes:
    return (FIXTURES / f"alertmanager_{name}.json").read_bytes()


def edited(name: str, **changes: object) -> bytes:
    """A fixture with fields of its first alert changed (None deletes the field)."""
    document = json.loads(body(name))
    for key, value in changes.items():
        if value is None:
            del document["alerts"][0][key]
        else:
            document["alerts"][0][key] = value
    return orjson.dumps(document)


def test_registered_under_its_url_name() -> None:
    """POST /webhooks/alertmanager reaches this parser (one registry line)."""
    assert PARSERS["alertmanager"] is parse


def test_firing_alert_becomes_one_trigger_with_every_field() -> None:
    """One firing alert: identity is the fingerprint; severity critical is P1; `instance` is the
    instance; generatorURL the link; summary the description; startsAt the event time; labels
    and annotations are kept."""
    (event,) = parse(body("firing"))
    assert event.source == "alertmanager"
    assert event.identity == "e97337af095c17e6"
    assert event.action is Action.TRIGGER
    assert event.name == "HighCPU"
    assert event.priority is Priority.P1
    assert event.instance == "i-0a1b2c3d"
    assert event.link == "http://prometheus.local/graph?g0.expr=cpu"
    assert event.description == "CPU above 80% on i-0a1b2c3d"
    assert event.event_time == datetime(2026, 12, 3, 15, 19, 46, tzinfo=UTC)
    labels = dict(event.labels)
    assert labels["service"] == "checkout"
    assert labels["severity"] == "critical"
    assert labels["annotations.description"] == "ec2_cpu_utilization avg_over_time[5m] = 92.4"
    assert event.level_triggered


def test_resolved_alert_is_stamped_with_its_end() -> None:
    """A resolved alert's event time is its endsAt, so the resolve and its retries are one."""
    (event,) = parse(body("resolved"))
    assert event.action is Action.RESOLVE
    assert event.identity == "e97337af095c17e6"
    assert event.event_time == datetime(2026, 12, 3, 15, 19, 50, tzinfo=UTC)


def test_grouped_body_is_split_into_one_event_per_fingerprint() -> None:
    """A group of three alerts is three incidents, each with its own instance."""
    events = parse(body("grouped_firing"))
    assert [e.identity for e in events] == [
        "0b0547ec94de2b34",
        "94647917a099f31d",
        "145f15ce4b8b8016",
    ]
    assert [e.instance for e in events] == ["i-001", "i-002", "i-003"]
    assert {e.priority for e in events} == {Priority.P3}  # severity warning


def test_partly_resolved_group_uses_each_alerts_own_status() -> None:
    """The group says `firing` at the top; the alert that resolved is still a resolve."""
    events = parse(body("grouped_partially_resolved"))
    assert [e.action for e in events] == [Action.TRIGGER, Action.RESOLVE, Action.TRIGGER]
    assert events[1].event_time == datetime(2026, 12, 3, 15, 20, 5, tzinfo=UTC)


def test_not_ended_time_is_not_an_event_time() -> None:
    """endsAt 0001-01-01T00:00:00Z means not ended: a firing alert keeps startsAt, with its
    nanoseconds read (to the microsecond)."""
    (first, *_) = parse(body("grouped_firing"))
    assert first.event_time == datetime(2026, 12, 3, 15, 19, 58, 949130, tzinfo=UTC)


def test_resolve_without_end_falls_back_to_its_start() -> None:
    """A resolved alert from a template without endsAt still has a stable stamp."""
    (event,) = parse(edited("resolved", endsAt="0001-01-01T00:00:00Z"))
    assert event.event_time == datetime(2026, 12, 3, 15, 19, 46, tzinfo=UTC)


@pytest.mark.parametrize("name", ["firing", "grouped_firing", "from_prometheus_firing"])
def test_fingerprint_computed_from_labels_equals_alertmanagers(name: str) -> None:
    """Without `fingerprint`, the one Alertmanager computes from the labels is used: the
    computation gives the very values Alertmanager sent."""
    document = json.loads(body(name))
    for alert in document["alerts"]:
        assert label_fingerprint(alert["labels"]) == alert["fingerprint"]
    (event, *_) = parse(edited(name, fingerprint=None))
    assert event.identity == document["alerts"][0]["fingerprint"]


def test_alert_status_falls_back_to_the_group_status() -> None:
    """A template imitating Alertmanager without per-alert status uses the top-level one."""
    (event,) = parse(edited("resolved", status=None))
    assert event.action is Action.RESOLVE


def test_unknown_severity_gives_no_priority() -> None:
    """An unknown severity word is not an error: the default hold applies."""
    (event,) = parse(edited("firing", labels={"alertname": "X", "severity": "spicy"}))
    assert event.priority is None


def test_priority_label_wins_over_severity() -> None:
    """A `priority` label (P1..P5) is taken before `severity`."""
    labels = {"alertname": "X", "severity": "critical", "priority": "P4"}
    (event,) = parse(edited("firing", labels=labels))
    assert event.priority is Priority.P4


def test_the_severity_words_in_the_docs_are_the_table_the_code_uses() -> None:
    """docs/sources.md lists every severity word with its priority: exactly SEVERITY_PRIORITY."""
    text = " ".join(DOCS.read_text().split("Severity words and the priority", 1)[1].split())
    listed = {
        word: Priority(priority)
        for words, priority in re.findall(
            r"((?:`\w+`,? )+)→ (P[1-5])", text.split("Per-priority holds", 1)[0]
        )
        for word in re.findall(r"`(\w+)`", words)
    }
    assert listed == dict(SEVERITY_PRIORITY)


def test_labels_are_bounded() -> None:
    """Thousands of labels are cut to the first MAX_LABELS (sorted), never stored whole."""
    labels = {f"l{i:05d}": "v" for i in range(5000)}
    (event,) = parse(edited("firing", labels=labels, fingerprint="abc"))
    assert len(event.labels) == MAX_LABELS


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        ({"version": "3", "alerts": []}, "version", "unsupported webhook version"),
        ({"version": "4"}, "alerts", "got missing"),
        ({"alerts": {"a": 1}}, "alerts", "got object"),
        ({"alerts": [7]}, "alerts[0]", "got number"),
        ({"alerts": [{"status": "firing", "labels": ["a"]}]}, "alerts[0].labels", "got array"),
        ({"alerts": [{"status": "firing", "labels": {"a": {"b": 1}}}]}, "alerts[0].labels.a", ""),
        ({"alerts": [{"status": "pending", "fingerprint": "f"}]}, "alerts[0].status", "pending"),
        ({"alerts": [{"fingerprint": "f"}]}, "alerts[0].status", "missing"),
        ({"alerts": [{"status": "firing", "fingerprint": {}}]}, "alerts[0].fingerprint", ""),
        ({"alerts": [{"status": "firing"}]}, "alerts[0].fingerprint", "no labels"),
        ({"alerts": [{"status": "firing", "fingerprint": "f" * 300}]}, "alerts[0].fingerprint", ""),
        # Alertmanager writes these as strings: another type is refused, not read loosely.
        (
            {"alerts": [{"status": "firing", "fingerprint": 1e308}]},
            "alerts[0].fingerprint",
            "expected a string, got the number 1e+308",
        ),
        (
            {"alerts": [{"status": "firing", "fingerprint": "f", "startsAt": {}}]},
            "alerts[0].startsAt",
            "expected an RFC 3339 time, got object",
        ),
        (
            {"alerts": [{"status": "resolved", "fingerprint": "f", "endsAt": "2026-12-03"}]},
            "alerts[0].endsAt",
            "not an RFC 3339 time",
        ),
    ],
)
def test_unusable_bodies_name_the_field(document: object, field: str, words: str) -> None:
    """Wrong types, missing parts and unknown values are a PayloadError naming the field."""
    with pytest.raises(PayloadError) as error:
        parse(orjson.dumps(document))
    assert error.value.field == field
    assert words in error.value.problem


def test_truncated_alerts_are_carried_on_every_event_of_the_body() -> None:
    """`truncatedAlerts: 3` (a receiver with max_alerts): each event of the body says 3 alerts
    were left out, for intake to log and count; a body without it says 0."""
    document = json.loads(body("grouped_firing"))
    document["truncatedAlerts"] = 3
    assert [e.truncated_alerts for e in parse(orjson.dumps(document))] == [3, 3, 3]
    del document["truncatedAlerts"]
    assert {e.truncated_alerts for e in parse(orjson.dumps(document))} == {0}
