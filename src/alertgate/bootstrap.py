"""The composition root: settings -> concrete adapters -> a running service. The only module
that names adapter classes."""

from __future__ import annotations

import importlib.util
import os
import socket
import ssl
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy import Engine

from alertgate.adapters.notifiers import tls
from alertgate.adapters.notifiers.graph_mail import GraphMailNotifier, TokenSource
from alertgate.adapters.notifiers.log import LogNotifier
from alertgate.adapters.notifiers.smtp import SmtpNotifier, SmtpServer
from alertgate.adapters.notifiers.teams import TeamsNotifier
from alertgate.adapters.notifiers.webhook import WebhookNotifier
from alertgate.adapters.sources import PARSERS, coralogix_nc, generic
from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores import migrate
from alertgate.adapters.stores.checkpoint import Checkpointer
from alertgate.adapters.stores.queries import SqlQueries
from alertgate.adapters.stores.sql import SqlStore
from alertgate.app.delivery import Dispatcher, RetryPolicy
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
from alertgate.ports import Clock, IncidentQueries, ProbedNotifier, SourceParser, Store


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


EMAIL_CHANNELS = ("graph", "smtp", "webhook")  # the order `auto` tries them in


def _configured(settings: Settings, channel: str) -> bool:
    return {
        "graph": bool(settings.graph_tenant_id and settings.graph_client_secret),
        "smtp": bool(settings.smtp_host),
        "webhook": settings.notify_webhook_url is not None,
        "teams": settings.teams_webhook_url is not None,
        "log": True,
    }[channel]


def route_channels(settings: Settings) -> dict[Route, list[str]]:
    """The channels of each route, in the order they are tried; `log` when none is set up.

    With ALERTGATE_EMAIL_CHANNEL=auto every configured email channel is used, Graph first:
    when one fails permanently (a 403, a refused login) the next one carries the escalation.
    """
    if settings.email_channel == "auto":
        email = [c for c in EMAIL_CHANNELS if _configured(settings, c)] or ["log"]
    else:
        email = [settings.email_channel]
    return {Route.TEAMS: ["teams" if _configured(settings, "teams") else "log"], Route.EMAIL: email}


def route_descriptions(settings: Settings) -> dict[str, str]:
    """Which channel each route uses, in words (for check-config and the start-up log)."""
    return {route.value: ", then ".join(names) for route, names in route_channels(settings).items()}


def channel_problems(settings: Settings) -> list[str]:
    """Channels that are configured but cannot be built here (a missing extra, a bad CA file)."""
    problems: list[str] = []
    graph = any("graph" in names for names in route_channels(settings).values())
    if graph and importlib.util.find_spec("msal") is None:
        problems.append(
            "GRAPH_TENANT_ID, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET: Graph mail needs the "
            "'graph' extra (msal): pip install 'alertgate[graph]'"
        )
    try:
        tls.ssl_context(settings.ca_bundle)
    except tls.TrustError as exc:
        problems.append(str(exc))
    return problems


def config_warnings(settings: Settings) -> list[str]:
    """Settings that work but are probably not what a production user wants."""
    warnings: list[str] = []
    channels = route_channels(settings)
    if channels[Route.TEAMS] == ["log"]:
        warnings.append(
            "teams route: no Teams channel configured (TEAMS_WEBHOOK_URL); "
            "self-resolved notices are only logged"
        )
    if channels[Route.EMAIL] == ["log"]:
        warnings.append(
            "email route: no email channel configured (GRAPH_* with EMAIL_FROM and EMAIL_TO, "
            "or ALERTGATE_SMTP_HOST, or ALERTGATE_NOTIFY_WEBHOOK_URL); escalations are only logged"
        )
    if settings.smtp_security == "none" and settings.smtp_username and settings.smtp_host:
        warnings.append(
            "ALERTGATE_SMTP_SECURITY=none with a login: the SMTP password travels in clear text"
        )
    if settings.webhook_token is None and settings.host not in {"127.0.0.1", "::1", "localhost"}:
        warnings.append(
            f"ALERTGATE_WEBHOOK_TOKEN is not set while listening on {settings.host}: "
            "anyone who reaches the port can post alerts"
        )
    return warnings


@dataclass(slots=True)
class Channels:
    """The notifiers of each route, and what must be closed when delivery stops."""

    routes: dict[Route, list[ProbedNotifier]]
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


class _Factory:
    """Builds each channel once, sharing one SSL context and one HTTP client."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.context: ssl.SSLContext = tls.ssl_context(settings.ca_bundle)
        self._client: httpx.AsyncClient | None = None
        self._built: dict[str, ProbedNotifier] = {}
        self.closers: list[Callable[[], Awaitable[None]]] = []

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = tls.http_client(self.context)
            self.closers.append(self._client.aclose)
        return self._client

    def channel(self, name: str, route: Route) -> ProbedNotifier:
        key = "log:" + route.value if name == "log" else name
        if key not in self._built:
            self._built[key] = self._build(name, route)
        return self._built[key]

    def _build(self, name: str, route: Route) -> ProbedNotifier:
        s = self.settings
        if name == "teams" and s.teams_webhook_url:
            return TeamsNotifier(self.client, s.teams_webhook_url.get_secret_value())
        if name == "graph" and s.graph_client_secret and s.email_from:
            tokens = self._tokens(s.graph_client_secret.get_secret_value())
            return GraphMailNotifier(
                self.client, tokens, s.graph_api_base, s.email_from, s.email_to
            )
        if name == "smtp" and s.smtp_host and s.email_from:
            password = s.smtp_password.get_secret_value() if s.smtp_password else None
            server = SmtpServer(
                s.smtp_host, s.smtp_port_effective, s.smtp_security, s.smtp_username, password
            )
            return SmtpNotifier(server, s.email_from, s.email_to, self.context)
        if name == "webhook" and s.notify_webhook_url:
            headers = {k: v.get_secret_value() for k, v in s.notify_webhook_headers.items()}
            return WebhookNotifier(self.client, s.notify_webhook_url.get_secret_value(), headers)
        return LogNotifier(route.value)

    def _tokens(self, secret: str) -> TokenSource:
        # msal is an optional extra: imported only when Graph mail is configured (AP-16).
        from alertgate.adapters.notifiers import entra

        s = self.settings
        tokens = entra.EntraTokens(
            tenant=s.graph_tenant_id or "",
            client_id=s.graph_client_id or "",
            secret=secret,
            authority_host=s.graph_authority_host,
            scope=entra.scope_for(s.graph_api_base),
            context=self.context,
        )
        self.closers.append(tokens.aclose)
        return tokens


def channels(settings: Settings) -> Channels:
    """Build the notifiers of every route (channel_problems() must be empty)."""
    factory = _Factory(settings)
    routes = {
        route: [factory.channel(name, route) for name in names]
        for route, names in route_channels(settings).items()
    }
    return Channels(routes, factory.closers)


TEST_CHANNELS = ("teams", "email", "smtp", "webhook")


def channel_for_test(settings: Settings, which: str) -> Channels:
    """The channel `alertgate test-notify` exercises: `email` is the email route's first."""
    name = route_channels(settings)[Route.EMAIL][0] if which == "email" else which
    route = Route.TEAMS if which == "teams" else Route.EMAIL
    factory = _Factory(settings)
    notifier = factory.channel(name if _configured(settings, name) else "log", route)
    return Channels({route: [notifier]}, factory.closers)


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
    checkpointer: Checkpointer | None

    def close(self) -> None:
        """Release the database after the service has stopped."""
        if isinstance(self.runner, ThreadRunner):
            self.runner.close()
        self.engine.dispose()
        if self.checkpointer:
            self.checkpointer.stop()


def open_database(settings: Settings, *, serving: bool = False) -> Engine:
    """Connect and bring the schema up to date."""
    url = settings.database_url.get_secret_value()
    engine = engines.create(url, background_checkpoints=serving)
    migrate.upgrade(engine)
    return engine


def outbox_access(settings: Settings) -> tuple[Store, IncidentQueries, Callable[[], None]]:
    """The store and its read side for the CLI, and how to let go of the database."""
    engine = open_database(settings)
    return SqlStore(engine), SqlQueries(engine), engine.dispose


def build(settings: Settings, clock: Clock | None = None) -> Assembly:
    """Wire every part of one alertgate process."""
    engine = open_database(settings, serving=True)
    path = engines.sqlite_path(engine)
    checkpointer = Checkpointer(path) if path else None
    if checkpointer:
        checkpointer.start()
    clock = clock or SystemClock()
    store = SqlStore(engine)
    runner = InlineRunner() if engines.is_sqlite(engine) else ThreadRunner()
    policy = policy_from(settings)
    wired = channels(settings)
    retry = RetryPolicy(
        first_delay=timedelta(seconds=settings.delivery_backoff_first),
        max_delay=timedelta(seconds=settings.delivery_backoff_max),
        max_age=timedelta(seconds=settings.delivery_max_age),
    )
    dispatcher = Dispatcher(
        store,
        runner,
        clock,
        wired.routes,
        owner=owner_id(),
        retry=retry,
        closers=wired.closers,
    )

    def committed(transcript: Transcript) -> None:
        after_commit(scheduler, dispatcher, transcript)

    scheduler = Scheduler(store, runner, clock, policy, on_commit=committed)
    ingestor = Ingestor(store, runner, clock, policy, on_commit=committed)
    service = Service(
        Parts(store, SqlQueries(engine), runner, ingestor, scheduler, dispatcher, parsers(settings))
    )
    token = settings.webhook_token.get_secret_value() if settings.webhook_token else None
    app = create_app(service, WebhookOptions(token, settings.max_body_bytes))
    return Assembly(service, app, engine, runner, checkpointer)


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings, for log redaction."""
    values = [
        settings.webhook_token,
        settings.coralogix_api_key,
        settings.teams_webhook_url,
        settings.graph_client_secret,
        settings.smtp_password,
        settings.notify_webhook_url,
        *settings.notify_webhook_headers.values(),
    ]
    found = [v.get_secret_value() for v in values if v is not None]
    url = engines.parse_url(settings.database_url.get_secret_value())
    if url.password:
        found.append(str(url.password))
    return found
