"""docs/metrics.md documents every metric family /metrics can show."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from alertgate.adapters.metrics.prometheus import PrometheusMetrics
from alertgate.adapters.notifiers._http import Failure
from alertgate.app.service import after_commit
from alertgate.app.transcript import Transcript
from alertgate.domain.alert import Action
from alertgate.domain.decisions import NotificationKind, Outcome, Reason
from alertgate.domain.lifecycle import Event, HoldExpired, step
from alertgate.domain.no_resolve import NoResolveMode, NoResolvePolicy, NoResolveRule
from alertgate.domain.policy import HoldPolicy, Policy
from alertgate.ports import DeliveryStatus, StoreStats
from tests.support.deploy_files import ROOT
from tests.unit.domain.factories import resolve, trigger

NOW = datetime(2026, 1, 14, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


def test_every_alertgate_metric_is_documented() -> None:
    """With every series populated, each `alertgate_*` family appears in docs/metrics.md."""
    metrics = PrometheusMetrics(Clock(), "1")
    metrics.event_received("coralogix", Action.TRIGGER, False)
    metrics.request_rejected("coralogix", "unauthorized")
    metrics.request_ingested("coralogix", 0.01)
    metrics.alerts_truncated("alertmanager", 2)
    metrics.decided(Outcome.ESCALATED, Reason.HOLD_EXPIRED, 600)
    metrics.delivery_attempted("log", NotificationKind.ESCALATION, DeliveryStatus.SENT, None)
    metrics.delivery_attempted("log", NotificationKind.ESCALATION, DeliveryStatus.DEAD, "auth")
    text = metrics.exposition(StoreStats(1, 1, NOW, 1, 1, NOW)).decode()
    names = set()
    for family in text_string_to_metric_families(text):
        if family.name.startswith("alertgate_"):
            suffix = "_total" if family.type == "counter" else ""
            names.add(family.name + suffix)
    doc = (ROOT / "docs" / "metrics.md").read_text()
    assert len(names) == 14
    assert not [n for n in names if f"`{n}`" not in doc]


class _Nudged:
    """Stands in for the scheduler and the dispatcher: after_commit only nudges them."""

    def nudge(self, *_: object) -> None:
        pass


def _play(policy: Policy, events: list[tuple[Event, int]]) -> Transcript:
    """Apply events (with their minute) the way ingest and the scheduler do, in one transcript."""
    transcript = Transcript({})
    incident = None
    for event, minute in events:
        transition = step(incident, event, NOW + timedelta(minutes=minute), policy)
        transcript.record(incident, transition, NOW + timedelta(minutes=minute))
        incident = transition.incident or incident
    return transcript


def _emitted() -> str:
    """The /metrics text after every kind of episode the lifecycle has, and every kind of event
    that changes nothing, went through after_commit as the running service sends them."""
    hold = HoldPolicy(default=timedelta(minutes=10))
    plain = Policy(hold)
    rules = {mode: Policy(hold, NoResolvePolicy((NoResolveRule(mode),))) for mode in NoResolveMode}
    on, off = trigger(), resolve()
    metrics = PrometheusMetrics(Clock(), "1")
    scenarios = [
        (plain, [(on, 0), (on, 1), (off, 2), (off, 3)]),  # self-resolved, duplicates
        (plain, [(off, 0), (on, 1), (HoldExpired(), 5), (HoldExpired(), 11), (off, 20)]),
        (rules[NoResolveMode.INFORM], [(on, 0), (HoldExpired(), 10)]),
        (rules[NoResolveMode.EXPIRE], [(on, 0), (HoldExpired(), 10)]),
        (rules[NoResolveMode.ESCALATE], [(on, 0), (HoldExpired(), 10), (HoldExpired(), 10)]),
    ]
    for policy, events in scenarios:
        after_commit(_Nudged(), _Nudged(), _play(policy, events), metrics)  # type: ignore[arg-type]
    return metrics.exposition(None).decode()


def _labels(text: str, family: str, label: str) -> set[str]:
    found = set()
    for metric in text_string_to_metric_families(text):
        if metric.name == family:
            found |= {s.labels[label] for s in metric.samples if label in s.labels}
    return found


def _row(name: str) -> str:
    doc = (ROOT / "docs" / "metrics.md").read_text()
    return next(line for line in doc.splitlines() if line.startswith(f"| `{name}` |"))


def test_the_decision_outcomes_and_reasons_documented_are_those_emitted() -> None:
    """docs/metrics.md lists exactly the outcomes and reasons that alertgate_decisions_total
    takes when every kind of episode runs through the service's after_commit, no fewer (the
    no-resolve outcomes) and no more (events that change nothing are not decisions here)."""
    text = _emitted()
    row = _row("alertgate_decisions_total")
    outcomes_part, reasons_part = row.split("Outcomes:")[1].split("; reasons:")
    documented_outcomes = set(re.findall(r"`(\w+)`", outcomes_part))
    documented_reasons = set(re.findall(r"`(\w+)`", reasons_part.split("(")[0]))
    assert documented_outcomes == _labels(text, "alertgate_decisions", "outcome")
    assert documented_reasons == _labels(text, "alertgate_decisions", "reason")
    assert {o.value for o in Outcome} - documented_outcomes == {"recorded"}


def test_the_hold_duration_outcomes_documented_are_those_observed() -> None:
    """The outcome label of alertgate_hold_duration_seconds: the doc's list is what is observed."""
    text = _emitted()
    row = _row("alertgate_hold_duration_seconds")
    documented = set(re.findall(r"`(\w+)`", row.split("|")[3]))
    assert documented == _labels(text, "alertgate_hold_duration_seconds", "outcome") | {"outcome"}


def test_every_notification_kind_is_documented() -> None:
    """The kind label of alertgate_notifications_sent_total lists every kind alertgate sends."""
    row = _row("alertgate_notifications_sent_total")
    assert {k.value for k in NotificationKind} <= set(re.findall(r"`(\w+)`", row))


SRC = ROOT / "src" / "alertgate"


def _calls(path: Path, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name
    ]


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _documented(name: str, after: str, before: str) -> set[str]:
    """The backquoted words of a metric's row between two markers."""
    part = _row(name).split(after, 1)[1].split(before, 1)[0]
    return set(re.findall(r"`(\w+)`", part))


def test_every_rejection_reason_the_webhooks_answer_is_documented_and_no_other() -> None:
    """The `reason` label of alertgate_requests_rejected_total is the `error` code of the
    webhook's error answer: the codes in http/webhooks.py (RejectedError and the answers built
    there) are exactly the ones the row lists."""
    webhooks = SRC / "http" / "webhooks.py"
    codes = {_literal(call.args[1]) for call in _calls(webhooks, "RejectedError")}
    for node in ast.walk(ast.parse(webhooks.read_text())):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                # RejectedError's own body names its `error` argument: counted above
                named = isinstance(value, ast.Name)
                if key is not None and _literal(key) == "error" and not named:
                    codes.add(_literal(value))
    assert None not in codes, "a rejection code is not a literal: the doc cannot list it"
    documented = _documented("alertgate_requests_rejected_total", "response body:", "|")
    assert documented == codes


def test_every_delivery_failure_reason_is_documented_and_no_other() -> None:
    """The `reason` label of alertgate_notifications_failed_total: the bounded Failure values
    plus every literal reason a notifier or the delivery stage raises, exactly as listed."""
    reasons = {f.value for f in Failure}
    for path in SRC.rglob("*.py"):
        for call in _calls(path, "DeliveryError"):
            if call.args and (reason := _literal(call.args[0])) is not None:
                reasons.add(reason)
    documented = _documented(
        "alertgate_notifications_failed_total", "classification of the failure:", "; `result"
    )
    assert documented == reasons
