"""Decision policy and sources from settings: hold windows, alerts that never resolve,
and the webhook parsers (built-in and mapped JSON senders)."""

from __future__ import annotations

from datetime import timedelta

from alertgate.adapters.sources import PARSERS, coralogix_nc, generic
from alertgate.config import Settings
from alertgate.config_tables import GenericSource
from alertgate.domain.no_resolve import NoResolvePolicy, NoResolveRule
from alertgate.domain.policy import HoldPolicy, Policy
from alertgate.ports import SourceParser


def policy_from(settings: Settings) -> Policy:
    """The decision policy the settings describe."""
    return Policy(
        hold=HoldPolicy(
            default=timedelta(seconds=settings.hold_seconds),
            by_priority={p: timedelta(seconds=s) for p, s in settings.hold_by_priority.items()},
        ),
        no_resolve=no_resolve_policy(settings),
    )


def no_resolve_policy(settings: Settings) -> NoResolvePolicy:
    """The configured rules first, then the alerts known never to resolve: a generic sender
    without resolve values, and Coralogix Notification Center's trigger-only alert types."""

    def seconds(value: float | None) -> timedelta | None:
        return timedelta(seconds=value) if value is not None else None

    mode, after = settings.no_resolve_mode, seconds(settings.no_resolve_after)
    rules = [
        NoResolveRule(
            mode=rule.mode or mode,
            after=seconds(rule.after) or after,
            sources=frozenset(rule.source),
            names=rule.name,
            labels={label: frozenset(values) for label, values in rule.labels.items()},
        )
        for rule in settings.no_resolve_rules
    ]
    rules += [
        NoResolveRule(mode, after, sources=frozenset({generic.PREFIX + name}))
        for name, source in settings.generic_sources.items()
        if not source.resolve
    ]
    rules.append(
        NoResolveRule(
            mode,
            after,
            sources=frozenset({coralogix_nc.SOURCE}),
            labels={coralogix_nc.ALERT_TYPE: coralogix_nc.TRIGGER_ONLY_TYPES},
        )
    )
    return NoResolvePolicy(tuple(rules))


def generic_mapping(source: GenericSource) -> generic.GenericMapping:
    """The parser's view of one `[sources.generic.NAME]` table."""
    return generic.GenericMapping(
        identity=source.identity,
        action=source.action,
        trigger=frozenset(source.trigger),
        resolve=frozenset(source.resolve),
        alerts=source.alerts,
        name=source.name,
        priority=source.priority,
        priorities=source.priorities,
        instance=source.instance,
        link=source.link,
        description=source.description,
        time=source.time,
        resolve_time=source.resolve_time,
        labels=source.labels,
        resends_state=source.resends_state,
    )


def parsers(settings: Settings) -> dict[str, SourceParser]:
    """Every source by the name in its URL: the built-in ones and `generic/NAME` per mapping."""
    found = dict(PARSERS)
    for name, source in settings.generic_sources.items():
        found[generic.PREFIX + name] = generic.parser(name, generic_mapping(source))
    return found
