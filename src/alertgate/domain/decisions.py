"""What `step()` decides: outcomes, the reasons behind them, and the effects it asks for."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Reason(enum.StrEnum):
    """Why a decision was taken. Stored with every decision and shown with every notification."""

    HELD = "held"  # a trigger opened an episode; it is held for its window
    DUPLICATE_TRIGGER = "duplicate_trigger"  # a trigger for an episode that is already open
    RESOLVED_IN_HOLD = "resolved_in_hold"  # it resolved before its hold expired
    HOLD_EXPIRED = "hold_expired"  # still open when the hold expired
    RESOLVED_AFTER_ESCALATION = "resolved_after_escalation"
    DUPLICATE_RESOLVE = "duplicate_resolve"  # a resolve for an episode that is already over
    RESOLVE_WITHOUT_INCIDENT = "resolve_without_incident"  # nothing open to resolve
    STALE_TIMER = "stale_timer"  # a hold expiry for an episode that no longer holds
    NOT_DUE = "not_due"  # a hold expiry before the deadline (a clock went backwards)
    TEST = "test"  # a sender's connectivity test ("Test & Save"): recorded, never decided
    # alerts that never send a resolve (domain/no_resolve.py)
    NO_RESOLVE_EXPIRED = "no_resolve_expired"  # its episode ended silently
    NO_RESOLVE_INFORMED = "no_resolve_informed"  # its episode ended with a notice, no page
    NO_RESOLVE_CLOSED = "no_resolve_closed"  # its escalated episode ended; the next trigger pages


class Outcome(enum.StrEnum):
    """What a decision did to the incident."""

    HELD = "held"
    SELF_RESOLVED = "self_resolved"  # terminal: resolved on its own, informational
    ESCALATED = "escalated"  # terminal: people were paged
    RESOLVED_AFTER_ESCALATION = "resolved_after_escalation"
    RECORDED = "recorded"  # kept in the log; nothing changed
    EXPIRED = "expired"  # terminal: no resolve can come; ended silently
    INFORMED = "informed"  # terminal: no resolve can come; ended with a notice, nobody paged
    CLOSED = "closed"  # an escalated episode that can never resolve has ended


TERMINAL_OUTCOMES = frozenset(
    {Outcome.SELF_RESOLVED, Outcome.ESCALATED, Outcome.EXPIRED, Outcome.INFORMED}
)


class NotificationKind(enum.StrEnum):
    """The notifications alertgate sends."""

    SELF_RESOLVED = "self_resolved"  # informational: it fixed itself inside the hold
    ESCALATION = "escalation"  # still open after the hold: someone must act
    RESOLUTION = "resolution"  # follow-up: an escalated incident has resolved
    INFORMATION = "information"  # informational: an alert that never resolves ended its episode


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision about an incident, with its reason and a sentence for humans."""

    outcome: Outcome
    reason: Reason
    detail: str


@dataclass(frozen=True, slots=True)
class Notify:
    """Ask for a notification to be sent (through the outbox) because of `reason`."""

    kind: NotificationKind
    reason: Reason


Effect = Decision | Notify
