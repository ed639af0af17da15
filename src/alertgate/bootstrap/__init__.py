"""The composition root: settings -> concrete adapters -> a running service. The only package
that names adapter classes (its modules split the wiring by concern)."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from alertgate import __version__
from alertgate.adapters.metrics.prometheus import PrometheusMetrics
from alertgate.adapters.notifiers._http import redact_url
from alertgate.adapters.stores import engine as engines
from alertgate.adapters.stores.checkpoint import Checkpointer
from alertgate.adapters.stores.queries import SqlQueries
from alertgate.adapters.stores.sql import SqlStore
from alertgate.adapters.stores.walsync import WalSync
from alertgate.app.delivery import Dispatcher, RetryPolicy
from alertgate.app.ingest import Ingestor
from alertgate.app.runtime import InlineRunner, SystemClock, ThreadRunner
from alertgate.app.scheduler import Scheduler
from alertgate.app.service import Parts, Service, after_commit
from alertgate.app.transcript import Transcript
from alertgate.bootstrap.channels import (
    TEST_CHANNELS,
    channel_for_test,
    channel_problems,
    channels,
    route_channels,
    route_descriptions,
)
from alertgate.bootstrap.database import (
    DatabaseNotReadyError,
    ReadSide,
    ServingDatabase,
    database_url_problem,
    display_database_url,
    open_database,
    open_read_side,
    outbox_access,
    schema_revision,
    serve_database,
)
from alertgate.bootstrap.policy import no_resolve_policy, parsers, policy_from
from alertgate.bootstrap.secrets import secrets_of
from alertgate.config import Settings
from alertgate.domain.routing import Route
from alertgate.http.app import AlertgateApp, create_app
from alertgate.http.webhooks import WebhookOptions
from alertgate.logging import Redactor
from alertgate.ports import Clock

MIN_TOKEN = 16  # a shorter webhook token can be guessed by anyone who reaches the port
# SQLite: batches committed on the loop and waiting for their WAL sync. PostgreSQL: batch
# transactions at once, each on its own store thread and connection (the pool has 4 + 4).
MAX_SYNCING_BATCHES = 8
POSTGRES_BATCHES = 4


def config_warnings(settings: Settings) -> list[str]:
    """Settings that work but are probably not what a production user wants."""
    warnings: list[str] = []
    channels = route_channels(settings)
    if channels[Route.TEAMS] == ["log"]:
        warnings.append(
            "teams route: no Teams channel configured (TEAMS_WEBHOOK_URL); "
            "informational notices (self-resolved, never-resolving alerts) are only logged"
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


def owner_id() -> str:
    """This process's name on leases: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Assembly:
    """One wired alertgate process."""

    service: Service
    app: AlertgateApp
    database: ServingDatabase
    runner: InlineRunner | ThreadRunner
    checkpointer: Checkpointer | None
    wal_sync: WalSync | None = None

    @property
    def engine(self) -> Engine:
        return self.database.engine

    def close(self) -> None:
        """Release the database after the service has stopped (the SQLite serve lock last)."""
        if isinstance(self.runner, ThreadRunner):
            self.runner.close()
        if self.wal_sync:
            self.wal_sync.close()
        self.engine.dispose()
        if self.checkpointer:
            self.checkpointer.stop()
        self.database.close()  # the SQLite serve lock last: the checkpoint above still writes


def build(settings: Settings, clock: Clock | None = None) -> Assembly:
    """Wire every part of one alertgate process."""
    database = serve_database(settings)
    engine = database.engine
    path = engines.sqlite_path(engine)
    checkpointer = Checkpointer(path) if path else None
    if checkpointer:
        checkpointer.start()
    wal_sync = WalSync(path) if path else None
    clock = clock or SystemClock()
    store = SqlStore(engine)
    runner = InlineRunner(wal_sync.synced) if wal_sync else ThreadRunner(POSTGRES_BATCHES)
    policy = policy_from(settings)
    wired = channels(settings)
    retry = RetryPolicy(
        first_delay=timedelta(seconds=settings.delivery_backoff_first),
        max_delay=timedelta(seconds=settings.delivery_backoff_max),
        max_age=timedelta(seconds=settings.delivery_max_age),
    )
    metrics = PrometheusMetrics(clock, __version__)
    scrub = Redactor(secrets_of(settings)).scrub
    dispatcher = Dispatcher(
        store,
        runner,
        clock,
        wired.routes,
        owner=owner_id(),
        retry=retry,
        closers=wired.closers,
        metrics=metrics,
        scrub=scrub,
    )

    def committed(transcript: Transcript) -> None:
        after_commit(scheduler, dispatcher, transcript, metrics)

    scheduler = Scheduler(store, runner, clock, policy, on_commit=committed)
    # SQLite: transactions commit on the loop one after the other and share WAL syncs, so
    # several batches may wait for theirs at once; PostgreSQL: several transactions at once,
    # each on its own store thread, never two on one incident.
    ingestor = Ingestor(
        store,
        runner,
        clock,
        policy,
        on_commit=committed,
        max_in_flight=MAX_SYNCING_BATCHES if wal_sync else POSTGRES_BATCHES,
        concurrent=wal_sync is None,
    )
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
    app = create_app(service, WebhookOptions(token, settings.max_body_bytes), scrub)
    return Assembly(service, app, database, runner, checkpointer, wal_sync)


__all__ = [
    "MIN_TOKEN",
    "TEST_CHANNELS",
    "Assembly",
    "DatabaseNotReadyError",
    "ReadSide",
    "build",
    "channel_for_test",
    "channel_problems",
    "channels",
    "config_warnings",
    "database_url_problem",
    "display_database_url",
    "no_resolve_policy",
    "open_database",
    "open_read_side",
    "outbox_access",
    "owner_id",
    "parsers",
    "policy_from",
    "redact_url",
    "route_channels",
    "route_descriptions",
    "schema_revision",
    "secrets_of",
    "serve_database",
]
