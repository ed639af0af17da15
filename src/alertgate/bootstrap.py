"""The composition root: settings -> concrete adapters -> a running service. The only module
that names adapter classes."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from alertgate.adapters.notifiers.log import LogNotifier
from alertgate.adapters.sources import PARSERS, coralogix_nc, generic
from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.queries import SqlQueries
from alertgate.adapters.stores.sql import SqlStore
from alertgate.app.delivery import Dispatcher
from alertgate.app.ingest import Ingestor
from alertgate.app.runtime import InlineRunner, SystemClock, ThreadRunner
from alertgate.app.scheduler import Scheduler
from alertgate.app.service import Parts, Service, after_commit
from alertgate.app.transcript import Transcript
from alertgate.config import Settings
from alertgate.config_tables import GenericSource
from alertgate.domain.no_resolve import NoResolvePolicy, NoResolveRule
from alertgate.domain.policy import HoldPolicy, Policy
from alertgate.domain.routing import Route
from alertgate.http.app import AlertgateApp, create_app
from alertgate.http.webhooks import WebhookOptions
from alertgate.ports import Clock, Notifier, SourceParser


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
            labels={"alert_type": coralogix_nc.TRIGGER_ONLY_TYPES},
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


def routes(settings: Settings) -> dict[Route, Notifier]:
    """The notifier behind each route; a route whose channel is not configured logs instead."""
    return {route: LogNotifier(route.value) for route in Route}


def route_descriptions(settings: Settings) -> dict[str, str]:
    """Which channel each route uses, in words (for check-config and the start-up log)."""
    return {route.value: n.channel for route, n in routes(settings).items()}


def config_warnings(settings: Settings) -> list[str]:
    """Settings that work but are probably not what a production user wants."""
    warnings: list[str] = []
    channels = route_descriptions(settings)
    if channels[Route.TEAMS.value] == "log":
        warnings.append(
            "teams route: no Teams channel configured (TEAMS_WEBHOOK_URL); "
            "self-resolved notices are only logged"
        )
    if channels[Route.EMAIL.value] == "log":
        warnings.append(
            "email route: no email channel configured (GRAPH_*, EMAIL_FROM, "
            "EMAIL_TO); escalations are only logged"
        )
    if settings.webhook_token is None and settings.host not in {"127.0.0.1", "::1", "localhost"}:
        warnings.append(
            f"ALERTGATE_WEBHOOK_TOKEN is not set while listening on {settings.host}: "
            "anyone who reaches the port can post alerts"
        )
    return warnings


def database_url_problem(settings: Settings) -> str | None:
    """Why the database URL cannot be used, or None."""
    try:
        engines.parse_url(settings.database_url.get_secret_value())
    except engines.UnsupportedDatabaseError as exc:
        return f"ALERTGATE_DATABASE_URL (database.url): {exc}"
    return None


def display_database_url(url: str) -> str:
    """The database URL with its password hidden."""
    return engines.parse_url(url).render_as_string(hide_password=True)


def owner_id() -> str:
    """This process's name on leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Assembly:
    """One wired alertgate process."""

    service: Service
    app: AlertgateApp
    engine: Engine
    runner: InlineRunner | ThreadRunner

    def close(self) -> None:
        """Release the database after the service has stopped."""
        if isinstance(self.runner, ThreadRunner):
            self.runner.close()
        self.engine.dispose()


def open_database(settings: Settings) -> Engine:
    """Connect and bring the schema up to date."""
    engine = engines.create(settings.database_url.get_secret_value())
    migrate.upgrade(engine)
    return engine


def build(settings: Settings, clock: Clock | None = None) -> Assembly:
    """Wire every part of one alertgate process."""
    engine = open_database(settings)
    clock = clock or SystemClock()
    store = SqlStore(engine)
    runner = InlineRunner() if engines.is_sqlite(engine) else ThreadRunner()
    policy = policy_from(settings)
    dispatcher = Dispatcher(store, runner, clock, routes(settings), owner=owner_id())

    def committed(transcript: Transcript) -> None:
        after_commit(scheduler, dispatcher, transcript)

    scheduler = Scheduler(store, runner, clock, policy, on_commit=committed)
    ingestor = Ingestor(store, runner, clock, policy, on_commit=committed)
    service = Service(
        Parts(store, SqlQueries(engine), runner, ingestor, scheduler, dispatcher, parsers(settings))
    )
    token = settings.webhook_token.get_secret_value() if settings.webhook_token else None
    app = create_app(service, WebhookOptions(token, settings.max_body_bytes))
    return Assembly(service, app, engine, runner)


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings, for log redaction."""
    values = [
        settings.webhook_token,
        settings.coralogix_api_key,
        settings.teams_webhook_url,
        settings.graph_client_secret,
    ]
    found = [v.get_secret_value() for v in values if v is not None]
    url = engines.parse_url(settings.database_url.get_secret_value())
    if url.password:
        found.append(str(url.password))
    return found
