"""`alertgate serve` and `alertgate migrate`: start the engine under uvicorn, or only migrate."""

from __future__ import annotations

import structlog
import uvicorn

from alertgate import bootstrap
from alertgate import logging as agl
from alertgate.config import Settings
from alertgate.config_sources import Loaded

log = structlog.get_logger("alertgate")


def serve(loaded: Loaded) -> int:
    """Run until SIGTERM/SIGINT; accepted events are committed before the process exits."""
    settings = loaded.settings
    agl.configure(settings.log_level, settings.log_format, bootstrap.secrets_of(settings))
    for warning in loaded.warnings:
        log.warning("config.warning", message=warning)
    assembly = bootstrap.build(settings)
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
        uvicorn.Server(config).run()
    finally:
        assembly.close()
    return 0


def migrate_only(settings: Settings) -> int:
    """Bring the schema up to date (replicas also do this themselves at start)."""
    agl.configure(settings.log_level, settings.log_format, bootstrap.secrets_of(settings))
    engine = bootstrap.open_database(settings)
    log.info("alertgate.migrated", database=engine.url.render_as_string(hide_password=True))
    engine.dispose()
    return 0
