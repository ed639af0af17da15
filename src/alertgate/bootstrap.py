"""The composition root: settings -> concrete adapters -> a running service. The only module
that names adapter classes."""

from __future__ import annotations

import importlib.util
import os
import socket
import ssl
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from alertgate import __version__
from alertgate.adapters.metrics.prometheus import PrometheusMetrics
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
from alertgate.config import SPECS, Settings
from alertgate.config_tables import GenericSource
from alertgate.domain.no_resolve import NoResolvePolicy, NoResolveRule
from alertgate.domain.policy import HoldPolicy, Policy
from alertgate.domain.routing import Route
from alertgate.http.app import AlertgateApp, create_app
from alertgate.http.webhooks import WebhookOptions
from alertgate.logging import Redactor
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


MIN_TOKEN = 16  # a shorter webhook token can be guessed by anyone who reaches the port


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
    token = settings.webhook_token.get_secret_value() if settings.webhook_token else None
    if token is not None and len(token) < MIN_TOKEN:
        warnings.append(
            f"ALERTGATE_WEBHOOK_TOKEN has {len(token)} characters: easy to guess; "
            "use `openssl rand -hex 32`"
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
    metrics = PrometheusMetrics(clock, __version__)
    dispatcher = Dispatcher(
        store,
        runner,
        clock,
        wired.routes,
        owner=owner_id(),
        retry=retry,
        closers=wired.closers,
        metrics=metrics,
    )

    def committed(transcript: Transcript) -> None:
        after_commit(scheduler, dispatcher, transcript, metrics)

    scheduler = Scheduler(store, runner, clock, policy, on_commit=committed)
    ingestor = Ingestor(store, runner, clock, policy, on_commit=committed)
    service = Service(
        Parts(
            store,
            SqlQueries(engine),
            runner,
            ingestor,
            scheduler,
            dispatcher,
            parsers(settings),
            metrics,
        )
    )
    token = settings.webhook_token.get_secret_value() if settings.webhook_token else None
    scrub = Redactor(secrets_of(settings)).scrub
    app = create_app(service, WebhookOptions(token, settings.max_body_bytes), scrub)
    return Assembly(service, app, engine, runner, checkpointer)


class DatabaseNotReadyError(Exception):
    """The database cannot be read: missing, unreachable, or at another schema revision."""


@dataclass(frozen=True, slots=True)
class ReadSide:
    """The store opened for reading only (the CLI beside a running server)."""

    queries: IncidentQueries
    engine: Engine

    def close(self) -> None:
        self.engine.dispose()


def open_read_side(settings: Settings) -> ReadSide:
    """Open the store to read it: nothing is created or migrated, so a wrong URL or a server
    that never ran is reported instead of papered over with an empty database."""
    url = engines.parse_url(settings.database_url.get_secret_value())
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        raise DatabaseNotReadyError(
            f"no database at {url.database}: is ALERTGATE_DATABASE_URL the one `alertgate "
            "serve` uses (a relative path is relative to the working directory)?"
        )
    engine = engines.create(settings.database_url.get_secret_value())
    try:
        current = migrate.current_revision(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseNotReadyError(f"cannot read the database: {exc.orig}") from None
    head = migrate.head_revision()
    if current != head:
        engine.dispose()
        found = f"at schema revision {current}" if current else "without alertgate's tables"
        raise DatabaseNotReadyError(
            f"the database is {found}, this alertgate expects {head}: run `alertgate migrate` "
            "(or use the alertgate version that the server runs)"
        )
    return ReadSide(SqlQueries(engine), engine)


def schema_revision() -> str | None:
    """The database schema revision this version of alertgate migrates to."""
    return migrate.head_revision()


def secrets_of(settings: Settings) -> list[str]:
    """Every secret in the settings, for redaction: the value of each setting marked secret
    (so a new secret setting is covered by its Spec alone), and the secret parts of URLs."""
    found: list[str] = []
    for spec in SPECS:
        value = getattr(settings, spec.field)
        if not spec.secret or value is None:
            continue
        for text in secret_texts(value):
            # The database URL is shown without its password (check-config, the start-up
            # log); every other secret setting is secret as a whole.
            whole = [] if spec.field == "database_url" else [text]
            found += [*whole, *url_secrets(text)]
    return found


def secret_texts(value: object) -> list[str]:
    """The texts inside a secret setting: a SecretStr, or the values of a table or list of
    them (a header table: its values are the secrets, not its names)."""
    if isinstance(value, SecretStr):
        return [value.get_secret_value()]
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in secret_texts(v)]
    if isinstance(value, list | tuple | set | frozenset):
        return [t for v in value for t in secret_texts(v)]
    return [str(value)]


# Query parameters that carry credentials in the URLs people configure (a Workflows URL's sig).
_SECRET_PARAMS = frozenset(
    {
        "sig",
        "signature",
        "token",
        "key",
        "apikey",
        "api_key",
        "api-key",
        "code",
        "secret",
        "password",
    }
)


def url_secrets(text: str) -> list[str]:
    """The password and the credential query parameters of a URL, each a secret by itself."""
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        return []
    found = [unquote(parts.password)] if parts.password else []
    params = parse_qsl(parts.query, keep_blank_values=False)
    return found + [v for k, v in params if k.lower() in _SECRET_PARAMS]
