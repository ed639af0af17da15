"""The Teams message as typed values: an Adaptive Card 1.4 in a `type: message` envelope, beside
the top-level fields the proof of concept's Power Automate flow reads (contracts.md §3.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from alertgate.adapters.notifiers.render import Summary, cut

CARD_VERSION = "1.4"  # 1.5 renders "We're sorry, this card couldn't be displayed" via Workflows
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_BYTES = 20_000  # Teams rejects cards over ~28 KB; stay well below (UTF-16 counting halves it)


@dataclass(frozen=True, slots=True)
class TextBlock:
    text: str
    size: str = "Default"
    weight: str = "Default"
    color: str = "Default"
    is_subtle: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "TextBlock",
            "text": self.text,
            "wrap": True,
            "size": self.size,
            "weight": self.weight,
            "color": self.color,
            "isSubtle": self.is_subtle,
        }


@dataclass(frozen=True, slots=True)
class FactSet:
    facts: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "FactSet",
            "facts": [{"title": title, "value": value} for title, value in self.facts],
        }


@dataclass(frozen=True, slots=True)
class OpenUrl:
    title: str
    url: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "Action.OpenUrl", "title": self.title, "url": self.url}


@dataclass(frozen=True, slots=True)
class AdaptiveCard:
    body: tuple[TextBlock | FactSet, ...]
    actions: tuple[OpenUrl, ...] = ()

    def to_json(self) -> dict[str, Any]:
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": CARD_VERSION,
            "body": [element.to_json() for element in self.body],
            "msteams": {"width": "Full"},
        }
        if self.actions:
            card["actions"] = [action.to_json() for action in self.actions]
        return card


@dataclass(frozen=True, slots=True)
class TeamsMessage:
    """The POST body: Workflows reads `attachments`; the PoC flow reads the `alert_*` fields."""

    alert_name: str
    alert_id: str
    instance_id: str
    alert_action: str
    card: AdaptiveCard

    def to_json(self) -> dict[str, Any]:
        return {
            "alert_name": self.alert_name,
            "alert_id": self.alert_id,
            "instance_id": self.instance_id,
            "alert_action": self.alert_action,
            "type": "message",
            "attachments": [
                {
                    "contentType": CARD_CONTENT_TYPE,
                    "contentUrl": None,
                    "content": self.card.to_json(),
                }
            ],
        }

    def encode(self) -> bytes:
        return orjson.dumps(self.to_json())


def _link_title(source: str) -> str:
    return "Open in Coralogix" if source in {"coralogix", "coralogix-nc"} else "Open the alert"


def card_for(
    summary: Summary, description_limit: int = 1000, with_link: bool = True
) -> AdaptiveCard:
    """The card: a coloured title, the facts, the description, a link to the alert."""
    body: list[TextBlock | FactSet] = [
        TextBlock(summary.headline, size="Large", weight="Bolder", color=summary.tone.value),
        FactSet(summary.facts),
    ]
    if summary.description and description_limit > 0:
        body.append(TextBlock(cut(summary.description, description_limit), is_subtle=True))
    link = summary.link if with_link else None
    actions = (OpenUrl(_link_title(summary.source), link),) if link else ()
    return AdaptiveCard(tuple(body), actions)


# What is given up, in this order, until the body fits: the description's length, the
# description, then the link (a sender's URL is only cut at 4096 characters).
_SHRINK = ((1000, True), (300, True), (0, True), (0, False))


def teams_message(summary: Summary) -> TeamsMessage:
    """The whole POST body, kept under MAX_BYTES.

    Every other text is cut where it is summarised, so the last step always fits: the facts
    and the PoC fields stay, whatever the sender put in its fields.
    """
    for limit, with_link in _SHRINK:
        message = TeamsMessage(
            alert_name=summary.alert,
            alert_id=summary.alert_id,
            instance_id=summary.instance or "",
            alert_action=summary.action,
            card=card_for(summary, limit, with_link),
        )
        if len(message.encode()) <= MAX_BYTES:
            break
    return message
