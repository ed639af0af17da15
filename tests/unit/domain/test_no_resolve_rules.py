"""Which alerts a no-resolve rule is about (domain/no_resolve.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alertgate.domain.no_resolve import (
    DEFAULT_MODE,
    NoResolveMode,
    NoResolvePolicy,
    NoResolveRule,
)

LABELS = (("alert_type", "LOGS_NEW_VALUE"), ("team", "security"))


def test_empty_rule_matches_every_alert() -> None:
    """A rule without matchers is about every alert (a sender that only triggers)."""
    assert NoResolveRule().matches("generic/legacy", "anything", ())


def test_source_matcher_picks_sources() -> None:
    """`sources` limits a rule to alerts from those sources."""
    rule = NoResolveRule(sources=frozenset({"coralogix"}))
    assert rule.matches("coralogix", "x", ())
    assert not rule.matches("alertmanager", "x", ())


def test_name_patterns_are_shell_globs_and_case_sensitive() -> None:
    """`names` holds shell-style patterns compared with case."""
    rule = NoResolveRule(names=("New country*", "Unique users"))
    assert rule.matches("coralogix", "New country login", ())
    assert rule.matches("coralogix", "Unique users", ())
    assert not rule.matches("coralogix", "new country login", ())


def test_every_label_must_have_one_of_its_values() -> None:
    """`labels` needs each named label present with one of the listed values."""
    rule = NoResolveRule(
        labels={
            "alert_type": frozenset({"LOGS_NEW_VALUE", "LOGS_UNIQUE_COUNT"}),
            "team": frozenset({"sec"}),
        }
    )
    assert not rule.matches("coralogix", "x", LABELS)
    assert rule.matches("coralogix", "x", (("alert_type", "LOGS_UNIQUE_COUNT"), ("team", "sec")))
    assert not rule.matches("coralogix", "x", (("alert_type", "LOGS_NEW_VALUE"),))


def test_first_matching_rule_decides() -> None:
    """Rules are tried in order; the first that matches is the alert's rule."""
    inform = NoResolveRule(NoResolveMode.INFORM, names=("New*",))
    expire = NoResolveRule(NoResolveMode.EXPIRE)
    policy = NoResolvePolicy((inform, expire))
    assert policy.rule_for("coralogix", "New value", ()) is inform
    assert policy.rule_for("coralogix", "Other", ()) is expire
    assert NoResolvePolicy().rule_for("coralogix", "Other", ()) is None


def test_length_defaults_to_the_hold_window() -> None:
    """Without `after` an episode lasts the alert's hold window."""
    assert NoResolveRule().length(timedelta(minutes=10)) == timedelta(minutes=10)
    assert NoResolveRule(after=timedelta(hours=2)).length(timedelta(minutes=10)) == timedelta(
        hours=2
    )


def test_zero_length_is_refused() -> None:
    """An episode that lasts no time cannot be meant: the rule is refused."""
    with pytest.raises(ValueError, match="longer than zero"):
        NoResolveRule(after=timedelta(0))


def test_default_mode_is_escalate_so_no_page_is_lost() -> None:
    """Configuring nothing keeps paging for trigger-only alerts."""
    assert DEFAULT_MODE is NoResolveMode.ESCALATE
