"""A body with several alerts gives each event its own part of it (what the event log keeps),
and that part is a body of the same format that parses back to the very same event: a replay
of the log decides as the live engine did."""

from __future__ import annotations

import pytest

from tests.support.sources import FIXTURES, configured_parsers

PARSERS = configured_parsers()
GROUPED = [
    ("alertmanager", "alertmanager/alertmanager_grouped_firing.json"),
    ("alertmanager", "alertmanager/alertmanager_grouped_partially_resolved.json"),
    ("coralogix-nc", "coralogix-nc/metric_triggered.json"),
    ("generic/grafana", "generic/grafana_firing.json"),
]


@pytest.mark.parametrize(("source", "fixture"), GROUPED)
def test_each_part_parses_back_to_its_event(source: str, fixture: str) -> None:
    """Every event of a grouped body has a payload holding one alert, parsing to that event."""
    events = PARSERS[source]((FIXTURES / fixture).read_bytes())
    assert len(events) > 1
    for event in events:
        assert event.payload is not None
        assert PARSERS[source](event.payload) == [event]


@pytest.mark.parametrize(
    ("source", "fixture"),
    [
        ("alertmanager", "alertmanager/alertmanager_firing.json"),
        ("coralogix-nc", "coralogix-nc/metric_resolved.json"),
        ("generic/grafana", "generic/grafana_resolved.json"),
    ],
)
def test_a_body_with_one_alert_is_kept_whole(source: str, fixture: str) -> None:
    """With one alert there is nothing to narrow: the event log keeps the body as sent."""
    (event,) = PARSERS[source]((FIXTURES / fixture).read_bytes())
    assert event.payload is None
