"""The escalation email as a person on call reads it: subject, importance, an HTML body and its
plain-text twin, and the headers that identify the incident. Shared by Graph and SMTP."""

from __future__ import annotations

import html
from dataclasses import dataclass

from alertgate.adapters.notifiers.render import Summary, summarize
from alertgate.domain.decisions import NotificationKind
from alertgate.ports import Notification

INCIDENT_HEADER = "X-Alertgate-Incident"  # the incident id, for mail rules and searches
KEY_HEADER = "X-Alertgate-Notification"  # one per notification: receivers can deduplicate

_LEAD = {
    NotificationKind.ESCALATION: "This alert is still open after its hold: someone must act.",
    NotificationKind.RESOLUTION: "The alert escalated earlier has resolved. No action needed.",
    NotificationKind.SELF_RESOLVED: "This alert resolved on its own inside its hold.",
    NotificationKind.INFORMATION: "This alert never sends a resolve; it is reported, not paged.",
}


@dataclass(frozen=True, slots=True)
class Mail:
    """One rendered email, independent of how it is sent."""

    subject: str
    html: str
    text: str
    high_importance: bool
    headers: tuple[tuple[str, str], ...]
    thread_id: str  # Message-ID of the escalation; its resolution replies to it
    is_reply: bool


def mail_for(notification: Notification, sender_domain: str) -> Mail:
    """Render the email for a notification."""
    summary = summarize(notification)
    incident = notification.incident
    thread_id = f"<alertgate.{incident.id}.{incident.episode}@{sender_domain}>"
    return Mail(
        subject=summary.subject,
        html=_html(summary),
        text=_text(summary),
        high_importance=summary.urgent,
        headers=((INCIDENT_HEADER, incident.id), (KEY_HEADER, notification.idempotency_key)),
        thread_id=thread_id,
        is_reply=notification.kind is NotificationKind.RESOLUTION,
    )


def _lead(summary: Summary) -> str:
    lead = _LEAD[summary.kind]
    if summary.test:
        lead = "This is a test sent by `alertgate test-notify`: nothing is wrong. " + lead
    return lead


def _html(summary: Summary) -> str:
    e = html.escape
    colour = {"Good": "#107c10", "Attention": "#c50f1f", "Accent": "#0f6cbd"}[summary.tone]
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(title)}</th>'
        f"<td>{e(value)}</td></tr>"
        for title, value in summary.facts
    )
    parts = [
        f'<h2 style="color:{colour};margin:0 0 8px">{e(summary.headline)}</h2>',
        f"<p>{e(_lead(summary))}</p>",
        f'<table style="border-collapse:collapse">{rows}</table>',
    ]
    if summary.description:
        parts.append(f"<p><b>Description:</b> {e(summary.description)}</p>")
    if summary.link:
        parts.append(f'<p><a href="{e(summary.link, quote=True)}">Open the alert</a></p>')
    parts.append(
        '<p style="color:#616161;font-size:small">Sent by alertgate. Incident '
        f"{e(summary.incident_id)}: GET /api/incidents/{e(summary.incident_id)} explains every "
        "decision.</p>"
    )
    return "<html><body>" + "\n".join(parts) + "</body></html>"


def _text(summary: Summary) -> str:
    lines = [summary.headline, "", _lead(summary), ""]
    lines += [f"{title}: {value}" for title, value in summary.facts]
    if summary.description:
        lines += ["", f"Description: {summary.description}"]
    if summary.link:
        lines += ["", f"Open the alert: {summary.link}"]
    lines += ["", f"Sent by alertgate (incident {summary.incident_id})."]
    return "\n".join(lines) + "\n"
