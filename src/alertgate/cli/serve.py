"""`alertgate serve` and `alertgate migrate`: start the engine under uvicorn, or only migrate."""

from __future__ import annotations

import sys

import structlog
import uvicorn

from alertgate import bootstrap
from alertgate import logging as agl
from alertgate.bootstrap import listen
from alertgate.config import Settings
from alertgate.config_sources import Loaded
from alertgate.logging import Redactor

log = structlog.get_logger("alertgate")


EXIT_DATABASE = 1  # the database is not ready (docs/cli.md: exit status)
EXIT_CONFIG = 2  # the host or port cannot be listened on


def _fail(settings: Settings, exc: Exception) -> None:
    """One line on stderr, secrets scrubbed: what cannot be used, and which setting says so."""
    print(f"alertgate: {Redactor(bootstrap.secrets_of(settings)).scrub(str(exc))}", file=sys.stderr)


def serve(loaded: Loaded) -> int:
    """Run until SIGTERM/SIGINT; accepted events are committed before the process exits."""
    settings = loaded.settings
    agl.configure(settings.log_level, settings.log_format, bootstrap.secrets_of(settings))
    for warning in loaded.warnings:
        log.warning("config.warning", message=warning)
    try:
        sockets = listen.bind(settings)
    except listen.ListenError as exc:
        _fail(settings, exc)
        return EXIT_CONFIG
    try:
        assembly = bootstrap.build(settings)
    except bootstrap.DatabaseNotReadyError as exc:
        listen.close(sockets)
        _fail(settings, exc)
        return EXIT_DATABASE
    log.info(
        "alertgate.serving",
        host=settings.host,
        port=settings.port,
        database=assembly.engine.url.render_as_string(hide_password=True),
        routes=bootstrap.route_descriptions(settings),
    )
    config = uvicorn.Config(
        assembly.app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=False,  # nothing uses client addresses; skips a middleware per request
        timeout_graceful_shutdown=30,
        loop="uvloop",
        http="httptools",
    )
    try:
        uvicorn.Server(config).run(sockets=sockets)
    finally:
        assembly.close()
    return 0


def migrate_only(settings: Settings) -> int:
    """Bring the schema up to date (replicas also do this themselves at start)."""
    agl.configure(settings.log_level, settings.log_format, bootstrap.secrets_of(settings))
    try:
        engine = bootstrap.open_database(settings)
    except bootstrap.DatabaseNotReadyError as exc:
        _fail(settings, exc)
        return EXIT_DATABASE
    log.info("alertgate.migrated", database=engine.url.render_as_string(hide_password=True))
    engine.dispose()
    return 0
