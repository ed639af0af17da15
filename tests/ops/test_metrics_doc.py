"""docs/metrics.md documents every metric family /metrics can show."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from alertgate.adapters.metrics.prometheus import PrometheusMetrics
from alertgate.domain.alert import Action
from alertgate.domain.decisions import NotificationKind, Outcome, Reason
from alertgate.ports import DeliveryStatus, StoreStats
from tests.support.deploy_files import ROOT

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
    assert len(names) == 13
    assert not [n for n in names if f"`{n}`" not in doc]
