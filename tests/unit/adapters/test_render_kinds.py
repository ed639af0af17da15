"""Every notification kind the domain can ask for, rendered for every channel: the facts say
what happened to that kind of episode, and the emails (Graph and SMTP) carry them."""

from __future__ import annotations

import html

import pytest

from alertgate.adapters.notifiers.adaptive_card import teams_message
from alertgate.adapters.notifiers.graph_mail import graph_message
from alertgate.adapters.notifiers.mail import mail_for
from alertgate.adapters.notifiers.render import summarize
from alertgate.adapters.notifiers.smtp import email_message
from alertgate.domain.decisions import NotificationKind
from tests.unit.adapters.notifications import notification

# What each kind must say about its episode (the helper's times: opened 10:00, hold ended
# 10:10, resolved 10:14:10), its subject and the PoC flow's alert_action.
EXPECTED = {
    NotificationKind.ESCALATION: (
        {"Held for": "10m"},
        "[ESCALATION][P1] High CPU on i-0abc123",
        "ESCALATED",
        "someone must act",
    ),
    NotificationKind.SELF_RESOLVED: (
        {"Resolved after": "14m 10s"},
        "[RESOLVED][P1] High CPU on i-0abc123",
        "RESOLVED",
        "resolved on its own",
    ),
    NotificationKind.RESOLUTION: (
        {"Resolved after": "14m 10s", "Escalated at": "2026-12-03 10:10:00 UTC"},
        "Re: [ESCALATION][P1] High CPU on i-0abc123",
        "RESOLVED",
        "has resolved",
    ),
    NotificationKind.INFORMATION: (
        {"Closed after": "10m, unresolved (it never sends a resolve)"},
        "[INFO][P1] High CPU on i-0abc123",
        "TRIGGERED",
        "never sends a resolve",
    ),
}
EPISODE_FACTS = {"Held for", "Resolved after", "Escalated at", "Closed after"}


def test_every_kind_has_an_expectation_here() -> None:
    """A kind added to the domain fails here until its wording is decided and tested."""
    assert set(EXPECTED) == set(NotificationKind)


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_each_kind_states_the_episode_facts_that_are_true_of_it(kind: NotificationKind) -> None:
    """An escalation says how long it was held, a resolved alert when it resolved, and an
    alert that never resolves when its episode was closed: never "Resolved after"."""
    facts, subject, action, _ = EXPECTED[kind]
    summary = summarize(notification(kind))
    episode = {t: v for t, v in summary.facts if t in EPISODE_FACTS}
    assert episode == facts
    assert summary.subject == subject
    assert summary.action == action
    card = teams_message(summary).to_json()
    assert card["alert_action"] == action
    shown = {f["title"]: f["value"] for f in card["attachments"][0]["content"]["body"][1]["facts"]}
    assert {t: v for t, v in shown.items() if t in EPISODE_FACTS} == facts


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_each_kind_renders_an_email_for_graph_and_smtp(kind: NotificationKind) -> None:
    """Subject, lead sentence and every fact reach the HTML and the text part; only the
    resolution replies to the escalation; only the P1 escalation is high importance."""
    facts, subject, _, lead = EXPECTED[kind]
    n = notification(kind)
    mail = mail_for(n, "contoso.com")
    assert mail.subject == subject
    assert lead in mail.text
    assert html.escape(lead) in mail.html
    for title, value in summarize(n).facts:
        assert f"{title}: {value}" in mail.text
        assert f"<td>{html.escape(value)}</td>" in mail.html
    assert all(f"{t}: {v}" in mail.text for t, v in facts.items())
    assert mail.is_reply is (kind is NotificationKind.RESOLUTION)
    assert mail.high_importance is (kind is NotificationKind.ESCALATION)
    graph = graph_message(mail, ("oncall@contoso.com",))["message"]
    assert graph["subject"] == subject
    assert graph["importance"] == ("high" if kind is NotificationKind.ESCALATION else "normal")
    smtp = email_message(mail, "alerts@contoso.com", ("oncall@contoso.com",))
    assert smtp["Subject"] == subject
    assert (smtp["In-Reply-To"] is not None) is (kind is NotificationKind.RESOLUTION)
    text = smtp.get_body(("plain",))
    assert text is not None
    assert lead in text.get_content()
