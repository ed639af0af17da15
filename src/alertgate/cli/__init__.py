"""The `alertgate` command: serve, check-config, migrate, incidents, outbox, test-notify,
healthcheck, version (thin: each command calls bootstrap). docs/cli.md shows every --help; a test
keeps the two in sync."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from alertgate import __version__, bootstrap
from alertgate.cli import outbox, test_notify
from alertgate.config_sources import ConfigError, Loaded, load
from alertgate.domain.incident import State

EXIT_CONFIG = 2
EPILOG = """\
settings come from, lowest to highest: defaults, the --config TOML file, the --env-file,
the environment, flags (docs/configuration.md lists every setting).
exit status: 0 ok; 1 not found, unhealthy or database not ready; 2 usage or configuration
error."""


def _settings_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="read KEY=VALUE settings from this file as systemd's EnvironmentFile= reads it "
        "(the /etc/aiops.env format); the process environment wins over it",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="TOML config file (default: $ALERTGATE_CONFIG); see docs/configuration.md",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alertgate",
        description="Alert decision engine: holds alert webhooks, lets alerts that resolve on\n"
        "their own through as information, and escalates the rest.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"alertgate {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the engine (webhooks, scheduler, delivery)",
        description="Run the engine: receive webhooks, hold, decide, "
        "deliver. Migrates the database schema first.",
    )
    serve.add_argument("--host", help="address to listen on (ALERTGATE_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (ALERTGATE_PORT, default 5000)")
    _settings_args(serve)
    check = commands.add_parser(
        "check-config",
        help="print the effective configuration",
        description="Print the effective configuration with secrets "
        "masked; exit 2 naming any invalid setting.",
    )
    _settings_args(check)
    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema up to date and exit",
        description="Bring the database schema up to date and exit. `serve` does this "
        "itself at start; run it alone before a rolling upgrade of several replicas.",
    )
    _settings_args(migrate)
    outbox.add_parser(commands, _settings_args)
    test_notify.add_parser(commands, _settings_args)
    _incidents_parser(commands)
    health = commands.add_parser(
        "healthcheck",
        help="exit 0 when the local server answers GET /health",
        description="GET /health of the server these settings describe (a wildcard "
        "ALERTGATE_HOST is reached on 127.0.0.1); exit 0 when it answers ok, 1 otherwise. "
        "The container image's HEALTHCHECK runs it.",
    )
    health.add_argument("--url", help="check this URL instead (e.g. http://10.0.0.5:5000/health)")
    health.add_argument(
        "--timeout", type=float, default=5.0, metavar="SECONDS", help="default: %(default)s"
    )
    _settings_args(health)
    commands.add_parser(
        "version",
        help="print the version",
        description="Print alertgate's version, the Python running it and the database "
        "schema revision it migrates to.",
    )
    return parser


def _incidents_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    incidents = commands.add_parser(
        "incidents",
        help="list incidents or show one, from the database",
        description="Read incidents from the database the server uses. Read-only: safe beside "
        "a running server. Run it as the user the server runs as (sudo -u alertgate ...) with "
        "the same settings (--env-file /etc/alertgate/alertgate.env).",
    )
    actions = incidents.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="incidents, most recently changed first",
        description="Incidents, most recently changed first: id, state, priority, when the "
        "episode opened, the reason of the last decision, and the alert's name.",
    )
    listing.add_argument(
        "--state", choices=[s.value for s in State], help="only incidents in this state"
    )
    listing.add_argument(
        "--limit", type=outbox.limit, default=50, metavar="N", help="at most N (1-1000, default 50)"
    )
    listing.add_argument("--cursor", help="continue after the page that printed this cursor")
    listing.add_argument("--json", action="store_true", help="print JSON, as GET /api/incidents")
    _settings_args(listing)
    show = actions.add_parser(
        "show",
        help="one incident and its timeline",
        description="One incident and everything that happened to it, in order: events "
        "received, decisions with their reasons, notifications and their delivery.",
    )
    show.add_argument("id", metavar="ID", help="incident id (16 hex digits, from `list`)")
    show.add_argument("--json", action="store_true", help="print JSON, as GET /api/incidents/ID")
    _settings_args(show)


def _load(args: argparse.Namespace, overrides: dict[str, object] | None = None) -> Loaded:
    return load(os.environ, env_file=args.env_file, config_file=args.config, overrides=overrides)


_COMMANDS: dict[str, Callable[[argparse.Namespace, Loaded], int]] = {
    "outbox": outbox.run,
    "test-notify": test_notify.run,
}


def _invalid(problems: list[str], warnings: Sequence[str] = ()) -> int:
    print("alertgate: invalid configuration:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    for warning in warnings:  # e.g. the env file line that left a setting unset
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_CONFIG


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "version":
        return _version()
    overrides = {}
    if args.command == "serve":
        overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        loaded = _load(args, overrides)
    except ConfigError as exc:
        return _invalid(exc.problems, exc.warnings)
    if args.command == "check-config":
        from alertgate.cli.check_config import check_config

        return check_config(loaded)
    if args.command in ("serve", "test-notify") and (
        problems := bootstrap.channel_problems(loaded.settings)
    ):
        return _invalid(problems, loaded.warnings)
    if args.command in _COMMANDS:
        return _COMMANDS[args.command](args, loaded)
    if args.command == "migrate":
        from alertgate.cli.serve import migrate_only

        return migrate_only(loaded.settings)
    if args.command in ("incidents", "healthcheck"):
        return _read_command(args, loaded)
    from alertgate.cli.serve import serve

    return serve(loaded)


def _read_command(args: argparse.Namespace, loaded: Loaded) -> int:
    if args.command == "healthcheck":
        from alertgate.cli.healthcheck import healthcheck

        return healthcheck(loaded.settings, args.url, args.timeout)
    from alertgate.cli import incidents

    if args.action == "list":
        state = State(args.state) if args.state else None
        return incidents.list_incidents(loaded.settings, state, args.limit, args.cursor, args.json)
    return incidents.show_incident(loaded.settings, args.id, args.json)


def _version() -> int:
    from alertgate import bootstrap

    python = ".".join(str(n) for n in sys.version_info[:3])
    print(
        f"alertgate {__version__} (Python {python}, database schema {bootstrap.schema_revision()})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
