"""What every channel says about a notification: headline, facts, subject. Pure presentation,
shared by the Teams card, the emails and the outbound webhook (no transport here)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import assert_never

from alertgate.domain.decisions import NotificationKind, Reason
from alertgate.domain.durations import format_duration
from alertgate.ports import Notification

MAX_FIELD = 500  # a fact longer than this is cut (cards and subjects must stay small)
TEST_NAME = "alertgate test notification"


class Tone(enum.StrEnum):
    """How a notification should look: Adaptive Card colour names double as the values."""

    GOOD = "Good"  # resolved
    ATTENTION = "Attention"  # someone must act
    ACCENT = "Accent"  # a test


_HEADLINE = {
    NotificationKind.SELF_RESOLVED: ("RESOLVED", Tone.GOOD),
    NotificationKind.ESCALATION: ("ESCALATED", Tone.ATTENTION),
    NotificationKind.RESOLUTION: ("RESOLVED after escalation", Tone.GOOD),
    NotificationKind.INFORMATION: ("FIRED (never resolves; nobody paged)", Tone.ACCENT),
}
# What the proof of concept's Power Automate flow reads as `alert_action`.
_ACTION = {
    NotificationKind.SELF_RESOLVED: "RESOLVED",
    NotificationKind.ESCALATION: "ESCALATED",
    NotificationKind.RESOLUTION: "RESOLVED",
    NotificationKind.INFORMATION: "TRIGGERED",
}


def cut(text: str, limit: int = MAX_FIELD) -> str:
    """`text` on one line, at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def when(moment: datetime | None) -> str:
    """A time as people on call read it: 2024-08-14 21:28:56 UTC."""
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything a message shows, already worded; built once per notification."""

    kind: NotificationKind
    test: bool
    alert: str
    alert_id: str  # what the user knows as the alert id (Coralogix alert_id, else incident id)
    incident_id: str
    notification_key: str
    priority: str | None
    instance: str | None
    source: str
    headline: str
    tone: Tone
    action: str
    facts: tuple[tuple[str, str], ...]
    link: str | None
    description: str | None
    detail: str

    @property
    def subject(self) -> str:
        """The email subject: `[ESCALATION][P1] <alert> on <instance>`; a resolution replies
        to it (`Re: ...`) so that mail clients thread the two."""
        tag = {
            NotificationKind.SELF_RESOLVED: "[RESOLVED]",
            NotificationKind.INFORMATION: "[INFO]",
        }.get(self.kind, "[ESCALATION]")
        base = f"{tag}[{self.priority}]" if self.priority else tag
        where = f" on {self.instance}" if self.instance else ""
        subject = f"{base} {self.alert}{where}"
        if self.kind is NotificationKind.RESOLUTION:
            subject = f"Re: {subject}"
        return f"[TEST] {subject}" if self.test else subject

    @property
    def urgent(self) -> bool:
        """P1 and P2 escalations are sent with high importance."""
        return self.kind is NotificationKind.ESCALATION and self.priority in ("P1", "P2")


def summarize(notification: Notification) -> Summary:
    """Word a notification once, for every channel."""
    incident = notification.incident
    test = notification.reason is Reason.TEST
    word, tone = _HEADLINE[notification.kind]
    alert = cut(incident.name, 200)
    where = f" on {cut(incident.instance, 200)}" if incident.instance else ""
    headline = f"{word}: {alert}{where}"
    if test:
        headline, tone = f"[TEST] {headline} (nothing is wrong: alertgate test-notify)", Tone.ACCENT
    labels = dict(incident.labels)
    return Summary(
        kind=notification.kind,
        test=test,
        alert=alert,
        alert_id=cut(labels.get("alert_id", incident.id), 200),
        incident_id=incident.id,
        notification_key=notification.idempotency_key,
        priority=incident.priority.value if incident.priority else None,
        instance=cut(incident.instance, 200) if incident.instance else None,
        source=incident.source,
        headline=headline,
        tone=tone,
        action="TEST" if test else _ACTION[notification.kind],
        facts=_facts(notification),
        link=incident.link,
        description=cut(incident.description, 2000) if incident.description else None,
        detail=cut(notification.detail),
    )


def _facts(notification: Notification) -> tuple[tuple[str, str], ...]:
    incident = notification.incident
    facts = [
        ("Alert", cut(incident.name)),
        ("Priority", incident.priority.value if incident.priority else "not given"),
        ("Instance", cut(incident.instance) if incident.instance else "not given"),
        ("Source", incident.source),
        ("Triggered at", when(incident.triggered_at)),
        *_episode_facts(notification),
        ("Reason", f"{notification.reason.value}: {cut(notification.detail)}"),
        ("Incident", f"{incident.id} (episode {incident.episode})"),
    ]
    return tuple(facts)


def _episode_facts(notification: Notification) -> list[tuple[str, str]]:
    """How long the episode has lasted, worded for what happened to it: only a resolved alert
    says "Resolved after" (an alert that never resolves was closed, not resolved)."""
    incident = notification.incident
    ended = incident.resolved_at or notification.created_at
    match notification.kind:
        case NotificationKind.ESCALATION:
            held = (incident.escalated_at or notification.created_at) - incident.opened_at
            return [("Held for", format_duration(held))]
        case NotificationKind.SELF_RESOLVED:
            return [("Resolved after", format_duration(ended - incident.opened_at))]
        case NotificationKind.RESOLUTION:
            facts = [("Resolved after", format_duration(ended - incident.opened_at))]
            if incident.escalated_at:
                facts.append(("Escalated at", when(incident.escalated_at)))
            return facts
        case NotificationKind.INFORMATION:
            lasted = format_duration(ended - incident.opened_at)
            return [("Closed after", f"{lasted}, unresolved (it never sends a resolve)")]
        case _:  # pragma: no cover - mypy proves every kind is handled above
            assert_never(notification.kind)
