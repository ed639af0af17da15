"""`alertgate test-notify teams|email|smtp|webhook`: send one clearly marked test message through
a configured channel and say what happened, with the likely cause and fix when it fails."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from alertgate import bootstrap
from alertgate.config_sources import Loaded
from alertgate.domain.decisions import NotificationKind, Reason
from alertgate.domain.incident import Incident, State
from alertgate.domain.routing import Route
from alertgate.logging import Redactor
from alertgate.ports import DeliveryError, Notification, ProbedNotifier

_NEEDS = {
    "teams": "TEAMS_WEBHOOK_URL",
    "email": "GRAPH_* with EMAIL_FROM and EMAIL_TO (or ALERTGATE_SMTP_HOST, or "
    "ALERTGATE_NOTIFY_WEBHOOK_URL)",
    "smtp": "ALERTGATE_SMTP_HOST, EMAIL_FROM and EMAIL_TO",
    "webhook": "ALERTGATE_NOTIFY_WEBHOOK_URL",
}


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    settings_args: Callable[[argparse.ArgumentParser], None],
) -> None:
    parser = commands.add_parser(
        "test-notify",
        help="send a test message through a channel and diagnose it",
        description="Send one message marked [TEST] through the configured channel and print "
        "the outcome: token acquisition, permission, mailbox or URL problems are named with "
        "their likely fix. `email` is the channel that carries escalations (Graph by default). "
        "Exit 0 when the channel accepted it, 1 when it failed, 2 when it is not configured.",
    )
    parser.add_argument(
        "channel",
        choices=bootstrap.TEST_CHANNELS,
        help="teams, email (the channel that carries escalations), smtp or webhook",
    )
    settings_args(parser)


def test_notification(kind: NotificationKind) -> Notification:
    """A notification that says it is a test, about an incident that does not exist."""
    now = datetime.now(UTC).replace(microsecond=0)
    opened = now - timedelta(minutes=10)
    incident = Incident(
        id="test-notify",
        key="alertgate:test-notify",
        source="alertgate",
        name="alertgate test notification",
        state=State.ESCALATED if kind is NotificationKind.ESCALATION else State.RESOLVED,
        episode=1,
        version=1,
        opened_at=opened,
        triggered_at=opened,
        last_event_at=now,
        reason=Reason.TEST,
        escalated_at=now if kind is NotificationKind.ESCALATION else None,
        resolved_at=None if kind is NotificationKind.ESCALATION else now,
        instance="test-instance",
        description="Sent by `alertgate test-notify` to check the channel. Nothing is wrong.",
    )
    return Notification(
        id=0,
        idempotency_key=f"test-notify:{uuid.uuid4().hex}",
        incident=incident,
        kind=kind,
        route=Route.TEAMS if kind is NotificationKind.SELF_RESOLVED else Route.EMAIL,
        reason=Reason.TEST,
        detail="a test sent by alertgate test-notify",
        created_at=now,
        attempts=1,
    )


def run(args: argparse.Namespace, loaded: Loaded) -> int:
    settings = loaded.settings
    # What a channel answers may quote the request back, credentials included: scrub it.
    scrub = Redactor(bootstrap.secrets_of(settings)).scrub

    def say(line: str) -> None:
        print(scrub(line))

    wired = bootstrap.channel_for_test(settings, args.channel)
    route, notifiers = next(iter(wired.routes.items()))
    notifier = notifiers[0]
    say(f"test-notify {args.channel}: {notifier.channel} -> {notifier.target}")
    if notifier.channel == "log":
        say(f"  not configured: set {_NEEDS[args.channel]} (see docs/channels.md)")
        return 2
    kind = NotificationKind.SELF_RESOLVED if route is Route.TEAMS else NotificationKind.ESCALATION
    return asyncio.run(_exercise(notifier, test_notification(kind), wired.closers, say))


async def _exercise(
    notifier: ProbedNotifier,
    notification: Notification,
    closers: Sequence[Callable[[], Awaitable[None]]],
    say: Callable[[str], None],
) -> int:
    try:
        for note in await notifier.preflight():
            say(f"  check  {note}")
        await notifier.send(notification)
    except DeliveryError as exc:
        kind = "temporary: alertgate would retry" if exc.retryable else "permanent"
        say(f"  FAILED ({exc.reason}, {kind})")
        say(f"  {exc.message}")
        return 1
    finally:
        for close in closers:
            await close()
    say(f"  sent   {notifier.explain_success()}")
    return 0
