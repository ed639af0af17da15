"""Hold policy, durations and delivery keys: the small pure pieces the lifecycle relies on."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from alertgate.domain.alert import Action, Priority, delivery_key, incident_id_for
from alertgate.domain.durations import format_duration, parse_duration
from tests.unit.domain.factories import POLICY, T0, trigger


def test_hold_window_per_priority_falls_back_to_the_default() -> None:
    """Priorities without their own window use the default one."""
    assert POLICY.hold.window(Priority.P1) == timedelta(minutes=2)
    assert POLICY.hold.window(Priority.P4) == timedelta(minutes=10)
    assert POLICY.hold.deadline(T0, None) == T0 + timedelta(minutes=10)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (600, 600),
        ("600", 600),
        ("10m", 600),
        ("1h30m", 5400),
        ("90s", 90),
        ("1.5h", 5400),
        ("2d", 172800),
        (" 5 m ", 300),
    ],
)
def test_durations_parse_seconds_and_unit_strings(text: str | int, seconds: int) -> None:
    """Configuration accepts plain seconds and unit strings alike."""
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "ten minutes", "10x", "m10", "-5m", True])
def test_durations_reject_what_is_not_a_duration(text: str) -> None:
    """A typo in a duration is an error, never a silent zero."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_durations_format_for_people_on_call() -> None:
    """Two units at most, largest first."""
    assert format_duration(timedelta(seconds=250)) == "4m 10s"
    assert format_duration(timedelta(hours=1, minutes=5, seconds=3)) == "1h 5m"
    assert format_duration(timedelta(0)) == "0s"


def test_incident_ids_are_stable_and_short() -> None:
    """Every replica derives the same id from the same identity."""
    event = trigger()
    assert event.incident_id == incident_id_for("coralogix:uid=cpu|instance_id=i-1")
    assert len(event.incident_id) == 16


def test_stamped_events_are_keyed_on_their_time() -> None:
    """A re-notification (new event time) is a new delivery; a retry (same time) is not."""
    first = trigger(at=T0)
    assert delivery_key(first, 1) == delivery_key(trigger(at=T0), 1)
    assert delivery_key(first, 1) != delivery_key(trigger(at=T0 + timedelta(minutes=5)), 1)


def test_unstamped_events_are_keyed_on_the_episode_they_act_on() -> None:
    """The PoC body has no time: a retry in the same episode repeats, the next episode does not."""
    event = trigger()
    assert delivery_key(event, 1) == delivery_key(trigger(), 1)
    assert delivery_key(event, 1) != delivery_key(event, 2)


def test_trigger_and_resolve_never_share_a_key() -> None:
    """Coralogix may stamp a resolve with the trigger's time; the action keeps them apart."""
    fired = trigger(at=T0)
    assert delivery_key(fired, 1) != delivery_key(replace(fired, action=Action.RESOLVE), 1)
