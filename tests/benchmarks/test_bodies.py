"""The load plan and its bodies: the mix it promises, and bodies the engine reads as intended."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest
from benchmarks.bodies import RESOLVE_LAG, Mix, distinct_events, plan
from benchmarks.templates import ALERTMANAGER, CORALOGIX, CORALOGIX_FIELDS, render, slot_values

from alertgate.adapters.sources import coralogix
from alertgate.domain.alert import Action

START = 1_764_000_000_000


def test_plan_has_the_mix_it_promises() -> None:
    """Over many requests each kind's share is close to the mix, and a retry repeats bytes."""
    items = plan(20_000, Mix(), seed=1, start_ms=START)
    shares = Counter(i.kind for i in items)
    assert shares["trigger"] / len(items) == pytest.approx(0.65, abs=0.02)
    assert shares["retry"] / len(items) == pytest.approx(0.10, abs=0.02)
    assert shares["renotify"] / len(items) == pytest.approx(0.05, abs=0.02)
    assert shares["resolve"] / len(items) == pytest.approx(0.20, abs=0.02)
    # Every other request has a timestamp of its own, so only retries repeat an event.
    assert distinct_events(items) == len(items) - shares["retry"]


def test_plan_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    """Every round and every system gets the same requests; another stream gets others."""
    assert plan(500, Mix(), 3, START) == plan(500, Mix(), 3, START)
    assert plan(500, Mix(), 3, START) != plan(500, Mix(), 4, START)


def test_resolves_close_incidents_triggered_long_enough_before_and_only_once() -> None:
    """A resolve never races its own trigger across connections, and each incident resolves
    once (a second resolve would be a different, cheaper path)."""
    items = plan(5_000, Mix(), 2, START)
    triggered_at = {i.incident: n for n, i in enumerate(items) if i.kind == "trigger"}
    resolves = [(n, i) for n, i in enumerate(items) if i.kind == "resolve"]
    assert resolves
    assert all(n - triggered_at[i.incident] >= RESOLVE_LAG for n, i in resolves)
    assert len({i.incident for _, i in resolves}) == len(resolves)


def test_mix_must_add_up() -> None:
    """A mix whose shares do not sum to 1 is refused with the sum it has."""
    with pytest.raises(ValueError, match=r"sum to 1\.1"):
        Mix(trigger=0.75)


def test_coralogix_body_is_read_by_the_engine_as_the_plan_item() -> None:
    """The engine's own parser sees the action, the incident and the timestamp of the item."""
    items = plan(2_000, Mix(), 5, START)
    resolve = next(i for i in items if i.kind == "resolve")
    trigger = next(i for i in items if i.incident == resolve.incident)
    (opened,) = coralogix.parse(render(CORALOGIX, trigger, "s1"))
    (closed,) = coralogix.parse(render(CORALOGIX, resolve, "s1"))
    assert (opened.action, closed.action) == (Action.TRIGGER, Action.RESOLVE)
    assert opened.incident_id == closed.incident_id
    assert opened.event_time is not None
    assert opened.event_time.timestamp() * 1000 == trigger.ts_ms
    other = coralogix.parse(render(CORALOGIX, trigger, "s2"))[0]
    assert other.incident_id != opened.incident_id  # streams never share incidents


def test_coralogix_body_has_every_key_of_the_default_template_in_order() -> None:
    """The body is the default Generic webhook body: top-level keys and the `fields` array."""
    body = orjson.loads(render(CORALOGIX, plan(1, Mix(), 1, START)[0], "s1"))
    assert list(body)[:9] == [
        "uuid",
        "alert_id",
        "name",
        "description",
        "threshold",
        "timewindow",
        "group_by_labels",
        "alert_action",
        "alert_url",
    ]
    assert [f["key"] for f in body["fields"]] == [k for k, _ in CORALOGIX_FIELDS]
    assert body["service"] == "$SERVICE"  # inapplicable placeholders stay literal
    assert isinstance(body["fields"][27]["value"], int)  # timestampMs is a bare number


def test_alertmanager_body_is_one_alert_resolved_by_its_end_time() -> None:
    """Alertmanager gets one alert per request; a resolve carries endsAt, a trigger the zero
    time, and both the alert's original start."""
    items = plan(2_000, Mix(), 5, START)
    resolve = next(i for i in items if i.kind == "resolve")
    (alert,) = orjson.loads(render(ALERTMANAGER, resolve, "s1"))
    values = slot_values(resolve, "s1")
    assert alert["labels"]["host"] == values["host"]
    assert alert["startsAt"] == values["starts_iso"]
    assert alert["endsAt"] == values["ts_iso"] > alert["startsAt"]
    trigger = next(i for i in items if i.kind == "trigger")
    assert orjson.loads(render(ALERTMANAGER, trigger, "s1"))[0]["endsAt"].startswith("0001-")
