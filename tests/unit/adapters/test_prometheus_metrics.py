"""PrometheusMetrics: what each port call adds to /metrics, and the store gauges at scrape time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from alertgate.adapters.metrics.prometheus import PrometheusMetrics
from alertgate.domain.alert import Action
from alertgate.domain.decisions import NotificationKind, Outcome, Reason
from alertgate.ports import DeliveryStatus, StoreStats

NOW = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def samples(metrics: PrometheusMetrics, stats: StoreStats | None = None) -> dict[str, float]:
    """Every sample of one scrape as {'name{label="v",...}': value}."""
    text = metrics.exposition(stats).decode()
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            found[f"{s.name}{{{labels}}}"] = s.value
    return found


def test_events_are_counted_by_source_action_and_duplicate() -> None:
    """Each accepted event adds one to its (source, action, duplicate) series."""
    metrics = PrometheusMetrics(FixedClock(), "1.2.3")
    metrics.event_received("coralogix", Action.TRIGGER, False)
    metrics.event_received("coralogix", Action.TRIGGER, False)
    metrics.event_received("coralogix", Action.TRIGGER, True)
    metrics.event_received("coralogix", Action.RESOLVE, False)
    found = samples(metrics)
    base = 'alertgate_events_received_total{action="%s",duplicate="%s",source="coralogix"}'
    assert found[base % ("trigger", "false")] == 2
    assert found[base % ("trigger", "true")] == 1
    assert found[base % ("resolve", "false")] == 1
    assert found['alertgate_build_info{version="1.2.3"}'] == 1


def test_rejections_latency_and_decisions_land_in_their_series() -> None:
    """Rejections count by reason, ingest latency and hold durations are histograms, and a
    decision that did not end a hold is counted without a hold duration."""
    metrics = PrometheusMetrics(FixedClock(), "1")
    metrics.request_rejected("unknown", "unknown_source")
    metrics.request_ingested("coralogix", 0.004)
    metrics.decided(Outcome.HELD, Reason.HELD, None)
    metrics.decided(Outcome.SELF_RESOLVED, Reason.RESOLVED_IN_HOLD, 95.0)
    metrics.decided(Outcome.ESCALATED, Reason.HOLD_EXPIRED, 601.0)
    found = samples(metrics)
    assert found['alertgate_requests_rejected_total{reason="unknown_source",source="unknown"}'] == 1
    assert found['alertgate_ingest_duration_seconds_bucket{le="0.005",source="coralogix"}'] == 1
    assert found['alertgate_ingest_duration_seconds_bucket{le="0.0025",source="coralogix"}'] == 0
    assert found['alertgate_decisions_total{outcome="held",reason="held"}'] == 1
    assert found['alertgate_hold_duration_seconds_bucket{le="120.0",outcome="self_resolved"}'] == 1
    assert found['alertgate_hold_duration_seconds_bucket{le="600.0",outcome="escalated"}'] == 0
    assert found['alertgate_hold_duration_seconds_bucket{le="900.0",outcome="escalated"}'] == 1
    assert not any(
        k.startswith('alertgate_hold_duration_seconds_count{outcome="held"') for k in found
    )
    assert not any("_created" in k for k in found)  # no doubled series


def test_deliveries_split_into_sent_and_failed_by_reason_and_result() -> None:
    """A sent notification counts as sent; a failure counts by reason, as retry or dead."""
    metrics = PrometheusMetrics(FixedClock(), "1")
    metrics.delivery_attempted("teams", NotificationKind.SELF_RESOLVED, DeliveryStatus.SENT, None)
    metrics.delivery_attempted(
        "graph", NotificationKind.ESCALATION, DeliveryStatus.PENDING, "rate_limited"
    )
    metrics.delivery_attempted("graph", NotificationKind.ESCALATION, DeliveryStatus.DEAD, "auth")
    found = samples(metrics)
    assert found['alertgate_notifications_sent_total{channel="teams",kind="self_resolved"}'] == 1
    failed = (
        "alertgate_notifications_failed_total"
        '{channel="graph",kind="escalation",reason="%s",result="%s"}'
    )
    assert found[failed % ("rate_limited", "retry")] == 1
    assert found[failed % ("auth", "dead")] == 1


def test_store_gauges_come_from_the_stats_of_this_scrape() -> None:
    """Outbox depth, oldest pending age (from the clock), open incidents and the last event
    time are reported exactly as the store query returned them."""
    metrics = PrometheusMetrics(FixedClock(), "1")
    stats = StoreStats(
        pending_notifications=3,
        dead_notifications=2,
        oldest_pending_at=NOW - timedelta(seconds=125),
        holding=7,
        escalated=1,
        last_event_at=NOW - timedelta(minutes=1),
    )
    found = samples(metrics, stats)
    assert found["alertgate_store_up{}"] == 1
    assert found['alertgate_outbox_notifications{status="pending"}'] == 3
    assert found['alertgate_outbox_notifications{status="dead"}'] == 2
    assert found["alertgate_outbox_oldest_pending_age_seconds{}"] == 125
    assert found['alertgate_incidents_open{state="holding"}'] == 7
    assert found['alertgate_incidents_open{state="escalated"}'] == 1
    assert found["alertgate_last_event_received_timestamp_seconds{}"] == NOW.timestamp() - 60


def test_an_unanswered_store_query_reports_store_down_and_no_store_gauges() -> None:
    """When the store did not answer, store_up is 0 and no stale or made-up gauge is shown."""
    metrics = PrometheusMetrics(FixedClock(), "1")
    found = samples(metrics, None)
    assert found["alertgate_store_up{}"] == 0
    assert not any(k.startswith(("alertgate_outbox", "alertgate_incidents")) for k in found)


def test_an_empty_store_reports_zero_age_and_no_last_event_time() -> None:
    """Nothing pending is age 0 (so an age alert resolves); no event yet means no timestamp
    (rather than 1970, which would look like a very long silence)."""
    metrics = PrometheusMetrics(FixedClock(), "1")
    found = samples(metrics, StoreStats(0, 0, None, 0, 0, None))
    assert found["alertgate_outbox_oldest_pending_age_seconds{}"] == 0
    assert "alertgate_last_event_received_timestamp_seconds{}" not in found


def test_two_instances_do_not_share_counts() -> None:
    """Each instance has its own registry: building the app twice (tests, reloads) neither
    fails on duplicate registration nor mixes counts."""
    first, second = PrometheusMetrics(FixedClock(), "1"), PrometheusMetrics(FixedClock(), "1")
    first.request_rejected("coralogix", "unauthorized")
    assert (
        'alertgate_requests_rejected_total{reason="unauthorized",source="coralogix"}'
        not in samples(second)
    )
