"""`alertgate check-config`: the effective configuration, secrets masked, problems named."""

from __future__ import annotations

import sys
from datetime import timedelta

from alertgate import bootstrap
from alertgate.bootstrap import listen
from alertgate.config import DURATION_FIELDS, SPECS, Settings
from alertgate.config_sources import Loaded
from alertgate.domain.durations import format_duration
from alertgate.domain.no_resolve import NoResolveRule
from alertgate.http.webhooks import POC_PATH, paths_of

NOT_SET = "(not set)"


def _seconds(value: float) -> str:
    return f"{format_duration(timedelta(seconds=value))} ({value:g}s)"


def masked(settings: Settings, field: str) -> str:
    """A setting's value as it may be shown: secrets never appear."""
    value = getattr(settings, field)
    if value is None or value == ():
        return NOT_SET
    if field == "database_url":
        return bootstrap.display_database_url(value.get_secret_value())
    if field == "teams_webhook_url":
        return bootstrap.redact_url(value.get_secret_value())
    if field == "notify_webhook_headers":
        return ", ".join(f"{name}: ***" for name in value) if value else NOT_SET
    if field in DURATION_FIELDS:
        return _seconds(value)
    if hasattr(value, "get_secret_value"):
        return "*** (set)"
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def describe_rule(rule: NoResolveRule) -> str:
    """One no-resolve rule in a line: what it matches, and what it does."""
    matches = [
        f"source in {sorted(rule.sources)}" if rule.sources else "",
        f"name like {list(rule.names)}" if rule.names else "",
        *(f"{label} in {sorted(values)}" for label, values in rule.labels.items()),
    ]
    what = " and ".join(m for m in matches if m) or "every alert"
    after = format_duration(rule.after) if rule.after else "its hold"
    return f"{what}: {rule.mode.value}, episode lasts {after}"


def check_config(loaded: Loaded) -> int:
    """Print the effective configuration; exit 2 when something is unusable."""
    settings = loaded.settings
    problems = [
        bootstrap.database_url_problem(settings),
        listen.host_problem(settings),
        *bootstrap.channel_problems(settings),
    ]
    if any(problems):
        print("alertgate: invalid configuration:", file=sys.stderr)
        for problem in filter(None, problems):
            print(f"  - {problem}", file=sys.stderr)
        for warning in loaded.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return 2
    print("alertgate configuration (effective; secrets masked)")
    for spec in SPECS:
        value = masked(settings, spec.field)
        print(f"  {spec.env:<34} {spec.key:<24} {value:<40} [{loaded.origin[spec.field]}]")
    holds = ", ".join(
        f"{p.value} {_seconds(s)}" for p, s in sorted(settings.hold_by_priority.items())
    )
    print(
        f"  {'ALERTGATE_HOLD_SECONDS_P1..P5':<34} {'hold.priority.P1..P5':<24} "
        f"{holds or 'none: every priority uses hold.default':<40} "
        f"[{loaded.origin['hold_by_priority']}]"
    )
    print("webhooks (POST):")
    for path, source in paths_of(bootstrap.parsers(settings)):
        same = f"  (the proof of concept's path: {source})" if path == POC_PATH else ""
        print(f"  {path}{same}")
    print("alerts that never resolve (first matching rule decides):")
    for rule in bootstrap.no_resolve_policy(settings).rules:
        print(f"  {describe_rule(rule)}")
    print("routes (channels in the order they are tried):")
    for route, channel in bootstrap.route_descriptions(settings).items():
        print(f"  {route:<6} -> {channel}")
    for warning in loaded.warnings + bootstrap.config_warnings(settings):
        print(f"warning: {warning}")
    print("configuration OK")
    return 0
