"""What the messages say: the Teams card, the email subject, body and headers."""

from __future__ import annotations

from dataclasses import replace

import orjson
import pytest

from alertgate.adapters.notifiers.adaptive_card import MAX_BYTES, teams_message
from alertgate.adapters.notifiers.graph_mail import graph_message
from alertgate.adapters.notifiers.mail import mail_for
from alertgate.adapters.notifiers.render import summarize
from alertgate.adapters.notifiers.smtp import email_message
from alertgate.domain.alert import Priority
from alertgate.domain.decisions import NotificationKind, Reason
from tests.unit.adapters.notifications import notification


def test_teams_body_has_the_poc_fields_beside_a_1_4_card() -> None:
    """Top-level alert_name/alert_id/instance_id/alert_action plus type: message and one
    Adaptive Card 1.4 attachment."""
    body = teams_message(summarize(notification(NotificationKind.SELF_RESOLVED))).to_json()
    assert body["alert_name"] == "High CPU"
    assert body["alert_id"] == "def-1"  # Coralogix's alert_id label, not the incident id
    assert body["instance_id"] == "i-0abc123"
    assert body["alert_action"] == "RESOLVED"
    assert body["type"] == "message"
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["version"] == "1.4"
    title = attachment["content"]["body"][0]
    assert (title["text"], title["color"]) == ("RESOLVED: High CPU on i-0abc123", "Good")
    facts = {f["title"]: f["value"] for f in attachment["content"]["body"][1]["facts"]}
    assert facts["Resolved after"] == "14m 10s"
    assert facts["Triggered at"] == "2026-12-03 09:59:30 UTC"


def test_escalation_card_is_red_and_says_how_long_it_was_held() -> None:
    """An escalation (were one routed to Teams) is coloured Attention with its hold."""
    card = teams_message(summarize(notification())).to_json()["attachments"][0]["content"]
    assert card["body"][0]["color"] == "Attention"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Held for"] == "10m"


def test_a_huge_description_still_gives_a_card_under_the_teams_limit() -> None:
    """A 1 MB description and a 5 kB name are cut: the body stays under 20 kB."""
    n = notification(name="N" * 5000, description="D" * 1_000_000, instance="I" * 5000)
    body = teams_message(summarize(n)).encode()
    assert len(body) <= MAX_BYTES
    assert orjson.loads(body)["attachments"][0]["content"]["version"] == "1.4"


def test_every_field_at_its_longest_in_four_byte_characters_still_fits_the_card() -> None:
    """Sources keep up to 4096 characters per field: with every field that long, in emoji
    (4 bytes each in UTF-8), the body stays under 20 kB; the description and then the link
    are what give way, the facts and the PoC fields stay."""
    wide = "\U0001f525" * 4096
    n = notification(NotificationKind.SELF_RESOLVED, name=wide, description=wide, instance=wide)
    incident = replace(n.incident, link=f"https://example.com/{wide}", labels=(("alert_id", wide),))
    n = replace(n, incident=incident, detail=wide)
    body = teams_message(summarize(n)).encode()
    assert len(body) <= MAX_BYTES
    sent = orjson.loads(body)
    card = sent["attachments"][0]["content"]
    assert "actions" not in card  # the 16 kB link went last
    assert [f["title"] for f in card["body"][1]["facts"]][:3] == ["Alert", "Priority", "Instance"]
    assert sent["alert_name"] == "\U0001f525" * 199 + "…"
    assert sent["alert_id"] == "\U0001f525" * 199 + "…"


def test_a_normal_card_keeps_its_description_and_link() -> None:
    """Shrinking is for oversized senders only: a usual alert keeps everything."""
    n = notification(NotificationKind.SELF_RESOLVED, description="Disk above 90% for 5m")
    card = teams_message(summarize(n)).to_json()["attachments"][0]["content"]
    assert card["body"][2]["text"] == "Disk above 90% for 5m"
    assert card["actions"][0]["url"] == "https://team.app.coralogix.in/#/insights?id=1"


def test_an_alert_without_instance_or_id_label_still_has_string_poc_fields() -> None:
    """The PoC flow's Parse JSON expects strings: no instance gives "", no alert_id label
    gives the incident id."""
    n = notification(NotificationKind.SELF_RESOLVED, instance=None)
    n = replace(n, incident=replace(n.incident, labels=()))
    body = teams_message(summarize(n)).to_json()
    assert body["instance_id"] == ""
    assert body["alert_id"] == "3fa2c1d0e9b8a7f6"


def test_subjects_thread_the_resolution_with_its_escalation() -> None:
    """[ESCALATION][P1] <alert> on <instance>, and its resolution `Re:` the same subject."""
    assert summarize(notification()).subject == "[ESCALATION][P1] High CPU on i-0abc123"
    resolution = summarize(notification(NotificationKind.RESOLUTION))
    assert resolution.subject == "Re: [ESCALATION][P1] High CPU on i-0abc123"
    assert summarize(notification(priority=None, instance=None)).subject == (
        "[ESCALATION] High CPU"
    )
    test = summarize(notification(reason=Reason.TEST))
    assert test.subject == "[TEST] [ESCALATION][P1] High CPU on i-0abc123"


def test_importance_is_high_for_p1_and_p2_escalations_only() -> None:
    """P1/P2 escalations are urgent; P3 and every resolution are normal."""
    assert summarize(notification(priority=Priority.P2)).urgent
    assert not summarize(notification(priority=Priority.P3)).urgent
    assert not summarize(notification(NotificationKind.RESOLUTION)).urgent


def test_graph_body_has_recipients_importance_and_x_headers() -> None:
    """sendMail body per contracts §4.3: HTML body, toRecipients, importance, x- headers."""
    mail = mail_for(notification(), "contoso.com")
    body = graph_message(mail, ("a@contoso.com", "b@contoso.com"))
    message = body["message"]
    assert message["importance"] == "high"
    assert message["body"]["contentType"] == "HTML"
    assert [r["emailAddress"]["address"] for r in message["toRecipients"]] == [
        "a@contoso.com",
        "b@contoso.com",
    ]
    headers = {h["name"]: h["value"] for h in message["internetMessageHeaders"]}
    assert headers == {
        "X-Alertgate-Incident": "3fa2c1d0e9b8a7f6",
        "X-Alertgate-Notification": "3fa2c1d0e9b8a7f6:2:escalation",
    }
    assert body["saveToSentItems"] is False


def test_email_body_escapes_what_the_sender_wrote() -> None:
    """An alert name with markup is shown, not executed."""
    mail = mail_for(notification(name="<script>x</script>"), "contoso.com")
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "<script>x</script>" in mail.text


def test_smtp_resolution_replies_to_the_escalation_message_id() -> None:
    """The escalation's Message-ID is stable; the resolution's In-Reply-To names it."""
    escalation = email_message(
        mail_for(notification(), "contoso.com"), "a@contoso.com", ("b@x.org",)
    )
    resolution = email_message(
        mail_for(notification(NotificationKind.RESOLUTION), "contoso.com"),
        "a@contoso.com",
        ("b@x.org",),
    )
    assert escalation["Message-ID"] == "<alertgate.3fa2c1d0e9b8a7f6.2@contoso.com>"
    assert resolution["In-Reply-To"] == escalation["Message-ID"]
    assert escalation["Importance"] == "high"


@pytest.mark.parametrize(
    ("source", "title"),
    [
        ("coralogix", "Open in Coralogix"),
        ("coralogix-nc", "Open in Coralogix"),
        ("alertmanager", "Open the alert"),
        ("generic/grafana", "Open the alert"),
    ],
)
def test_the_card_link_names_coralogix_for_both_coralogix_sources(source: str, title: str) -> None:
    """Both Coralogix sources link to Coralogix's alert page, and the button says so; other
    senders' links are named neutrally."""
    n = notification()
    n = replace(n, incident=replace(n.incident, source=source))
    card = teams_message(summarize(n)).to_json()["attachments"][0]["content"]
    assert [a["title"] for a in card["actions"]] == [title]
