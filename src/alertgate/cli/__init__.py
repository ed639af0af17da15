"""The `alertgate` command: serve, check-config, migrate, outbox, test-notify, version (thin:
calls bootstrap)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from alertgate import __version__, bootstrap
from alertgate.cli import outbox, test_notify
from alertgate.config_sources import ConfigError, Loaded, load

EXIT_CONFIG = 2


def _settings_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="read KEY=VALUE settings from this file (the /etc/aiops.env format); "
        "the process environment wins over it",
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
        description="Alert decision engine: holds alert webhooks, lets alerts that resolve on "
        "their own through as information, and escalates the rest.",
    )
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
    migrate = commands.add_parser("migrate", help="bring the database schema up to date and exit")
    _settings_args(migrate)
    outbox.add_parser(commands, _settings_args)
    test_notify.add_parser(commands, _settings_args)
    commands.add_parser("version", help="print the version")
    return parser


def _load(args: argparse.Namespace, overrides: dict[str, object] | None = None) -> Loaded:
    return load(os.environ, env_file=args.env_file, config_file=args.config, overrides=overrides)


_COMMANDS: dict[str, Callable[[argparse.Namespace, Loaded], int]] = {
    "outbox": outbox.run,
    "test-notify": test_notify.run,
}


def _invalid(problems: list[str]) -> int:
    print("alertgate: invalid configuration:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    return EXIT_CONFIG


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "version":
        print(f"alertgate {__version__}")
        return 0
    overrides = {}
    if args.command == "serve":
        overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        loaded = _load(args, overrides)
    except ConfigError as exc:
        return _invalid(exc.problems)
    if args.command == "check-config":
        from alertgate.cli.check_config import check_config

        return check_config(loaded)
    if args.command in ("serve", "test-notify") and (
        problems := bootstrap.channel_problems(loaded.settings)
    ):
        return _invalid(problems)
    if args.command in _COMMANDS:
        return _COMMANDS[args.command](args, loaded)
    if args.command == "migrate":
        from alertgate.cli.serve import migrate_only

        return migrate_only(loaded.settings)
    from alertgate.cli.serve import serve

    return serve(loaded)


if __name__ == "__main__":
    sys.exit(main())
