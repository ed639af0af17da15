"""`alertgate outbox list|retry`: what waits or died in the outbox, and re-driving it, straight
from the database (the server need not run; a running one picks re-driven rows up within 1 s)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from alertgate import bootstrap
from alertgate.config_sources import Loaded
from alertgate.logging import Redactor
from alertgate.ports import NotificationRecord, Redrive

STATUSES = ("pending", "dead", "sent")
MAX_LIMIT = 1000
_EXPLAIN = {
    Redrive.QUEUED: "queued: it is sent again now (a running alertgate picks it up within 1s)",
    Redrive.NOT_FOUND: "no such notification",
    Redrive.ALREADY_SENT: "already sent; sending it again would be a duplicate. Nothing changed",
    Redrive.IN_FLIGHT: "being sent right now; look again in a minute. Nothing changed",
}


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    settings_args: Callable[[argparse.ArgumentParser], None],
) -> None:
    outbox = commands.add_parser(
        "outbox",
        help="list pending and dead-lettered notifications; re-drive them",
        description="The notification outbox, read from the database.",
    )
    actions = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="notifications with their last error (default: pending and dead)",
        description="List notifications newest first, with their last error.",
    )
    listing.add_argument("--status", choices=STATUSES, help="only this status")
    listing.add_argument(
        "--limit", type=limit, default=50, metavar="N", help="rows per status (1-1000, default 50)"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    settings_args(listing)
    retry = actions.add_parser(
        "retry",
        help="send a dead (or waiting) notification again now",
        description="Re-drive notifications: due now, attempts from 0, maximum age from now. "
        "A sent notification is never sent again.",
    )
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="the notification id (from outbox list)")
    which.add_argument("--all-dead", action="store_true", help="every dead notification")
    settings_args(retry)


def limit(value: str) -> int:
    """A page size for the command line: 1 to 1000 (argparse names the option on error)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and {MAX_LIMIT}")
    return number


def run(args: argparse.Namespace, loaded: Loaded) -> int:
    # Last errors are scrubbed when they are made; this is the second line of defence for
    # rows written by older versions or quoting a secret in a spelling not foreseen.
    scrub = Redactor(bootstrap.secrets_of(loaded.settings)).scrub
    try:
        store, queries, close = bootstrap.outbox_access(loaded.settings)
    except bootstrap.DatabaseNotReadyError as exc:
        print(f"alertgate: {scrub(str(exc))}", file=sys.stderr)
        return 1
    try:
        if args.outbox_command == "list":
            statuses = [args.status] if args.status else ["pending", "dead"]
            rows = [r for s in statuses for r in queries.list_notifications(s, args.limit, None)]
            for line in _list_lines(rows, queries.outbox_counts(), as_json=args.json):
                print(scrub(line))
            return 0
        now = datetime.now(UTC)
        if args.all_dead:
            print(f"{store.redrive_dead(now)} dead notification(s) queued")
            return 0
        result = store.redrive(args.id, now)
        print(f"notification {args.id}: {_EXPLAIN[result]}")
        return 0 if result is Redrive.QUEUED else 1
    finally:
        close()


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _list_lines(rows: list[NotificationRecord], counts: dict[str, int], as_json: bool) -> list[str]:
    if as_json:
        return [orjson.dumps(r, default=str).decode() for r in rows]
    lines = ["outbox: " + ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES)]
    if not rows:
        return lines
    lines.append(
        f"{'ID':>6}  {'STATUS':<7} {'ROUTE':<5} {'CHANNEL':<8} {'KIND':<13} {'TRIES':>5}  "
        f"{'NEXT TRY / SENT (UTC)':<19}  {'INCIDENT':<16}  ALERT"
    )
    for r in rows:
        when = r.sent_at if r.status == "sent" else r.next_attempt_at
        state = "sending" if r.leased and r.status == "pending" else r.status
        lines.append(
            f"{r.id:>6}  {state:<7} {r.route.value:<5} {r.channel or '-':<8} "
            f"{r.kind.value:<13} {r.attempts:>5}  {_when(when):<19}  {r.incident_id:<16}  "
            f"{r.alert or ''}"
        )
        if r.last_error:
            lines.append(f"{'':>8}last error: {r.last_error}")
    return lines
