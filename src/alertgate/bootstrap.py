"""The composition root: settings -> concrete adapters -> a running service. The only module
that names adapter classes."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from alertgate import __version__
from alertgate.adapters.metrics.prometheus import PrometheusMetrics
from alertgate.adapters.notifiers.log import LogNotifier
from alertgate.adapters.sources import PARSERS
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
from alertgate.config import SPECS, Settings
from alertgate.domain.policy import HoldPolicy, Policy
from alertgate.domain.routing import Route
from alertgate.http.app import AlertgateApp, create_app
from alertgate.http.webhooks import WebhookOptions
from alertgate.logging import Redactor
from alertgate.ports import Clock, IncidentQueries, Notifier


def policy_from(settings: Settings) -> Policy:
    """The decision policy the settings describe."""
    return Policy(
        hold=HoldPolicy(
            default=timedelta(seconds=settings.hold_seconds),
            by_priority={p: timedelta(seconds=s) for p, s in settings.hold_by_priority.items()},
        )
    )


def routes(settings: Settings) -> dict[Route, Notifier]:
    """The notifier behind each route; a route whose channel is not configured logs instead."""
    return {route: LogNotifier(route.value) for route in Route}


def route_descriptions(settings: Settings) -> dict[str, str]:
    """Which channel each route uses, in words (for check-config and the start-up log)."""
    return {route.value: n.channel for route, n in routes(settings).items()}


MIN_TOKEN = 16  # a shorter webhook token can be guessed by anyone who reaches the port


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
    token = settings.webhook_token.get_secret_value() if settings.webhook_token else None
    if token is not None and len(token) < MIN_TOKEN:
        warnings.append(
            f"ALERTGATE_WEBHOOK_TOKEN has {len(token)} characters: easy to guess; "
            "use `openssl rand -hex 32`"
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
    metrics = PrometheusMetrics(clock, __version__)
    dispatcher = Dispatcher(
        store, runner, clock, routes(settings), owner=owner_id(), metrics=metrics
    )

    def committed(transcript: Transcript) -> None:
        after_commit(scheduler, dispatcher, transcript, metrics)

    scheduler = Scheduler(store, runner, clock, policy, on_commit=committed)
    ingestor = Ingestor(store, runner, clock, policy, on_commit=committed)
    service = Service(
        Parts(store, SqlQueries(engine), runner, ingestor, scheduler, dispatcher, PARSERS, metrics)
    )
    token = settings.webhook_token.get_secret_value() if settings.webhook_token else None
    scrub = Redactor(secrets_of(settings)).scrub
    app = create_app(service, WebhookOptions(token, settings.max_body_bytes), scrub)
    return Assembly(service, app, engine, runner)


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
