"""The Metrics port on prometheus-client: counters and histograms kept in this process, and store
gauges computed from a fresh store query each time /metrics is scraped (docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from alertgate.domain.alert import Action
from alertgate.domain.decisions import NotificationKind, Outcome, Reason
from alertgate.domain.incident import State
from alertgate.ports import Clock, DeliveryStatus, StoreStats

PREFIX = "alertgate"
# Holds are minutes long (default 10m); the buckets resolve "how long do self-healing alerts
# take to heal" around that, up to a day for long per-priority windows.
HOLD_BUCKETS = (15, 30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 3600, 7200, 21600, 86400)
# A webhook is answered after its group commit: a few ms on SQLite, more on a remote PostgreSQL.
INGEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FAILED = {
    DeliveryStatus.PENDING: "retry",
    DeliveryStatus.DEAD: "dead",
    DeliveryStatus.FELL_BACK: "fallback",
}


class PrometheusMetrics:
    """Metrics port: one registry per process (never the global one, so tests can build many)."""

    content_type = CONTENT_TYPE_PLAIN_0_0_4

    def __init__(self, clock: Clock, version: str) -> None:
        self._clock = clock
        # `_created` series double the series count and Prometheus 2's text parser stores them
        # as plain gauges; nothing here needs them. (A process-wide switch in prometheus-client.)
        disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        Gauge(
            f"{PREFIX}_build_info", "alertgate version (always 1)", ["version"], registry=registry
        ).labels(version).set(1)
        self._events = Counter(
            f"{PREFIX}_events_received",
            "Events in accepted webhook requests, by source and action; duplicate=true for a "
            "sender's retry of an event already stored",
            ["source", "action", "duplicate"],
            registry=registry,
        )
        self._rejected = Counter(
            f"{PREFIX}_requests_rejected",
            "Webhook requests answered with an error, by source (unknown for paths naming no "
            "known source) and reason (the error code in the response body)",
            ["source", "reason"],
            registry=registry,
        )
        self._truncated = Counter(
            f"{PREFIX}_alerts_truncated",
            "Alerts a sender left out of accepted webhook bodies, by source (Alertmanager's "
            "truncatedAlerts, when its receiver sets max_alerts): alertgate never saw them",
            ["source"],
            registry=registry,
        )
        self._ingest = Histogram(
            f"{PREFIX}_ingest_duration_seconds",
            "Time from a webhook request's arrival to its answer, for accepted requests (parse, "
            "group commit, reply)",
            ["source"],
            buckets=INGEST_BUCKETS,
            registry=registry,
        )
        self._decisions = Counter(
            f"{PREFIX}_decisions",
            "Decisions taken by this process, by outcome and reason",
            ["outcome", "reason"],
            registry=registry,
        )
        self._held = Histogram(
            f"{PREFIX}_hold_duration_seconds",
            "How long an episode was held before its hold ended, by the decision that ended "
            "it: self_resolved, escalated, or (alerts that never resolve) informed, expired",
            ["outcome"],
            buckets=HOLD_BUCKETS,
            registry=registry,
        )
        self._sent = Counter(
            f"{PREFIX}_notifications_sent",
            "Notifications delivered, by channel and kind",
            ["channel", "kind"],
            registry=registry,
        )
        self._children: dict[object, Any] = {}
        self._failed = Counter(
            f"{PREFIX}_notifications_failed",
            "Failed delivery attempts, by channel, kind and reason; result=retry will be tried "
            "again, result=dead was dead-lettered",
            ["channel", "kind", "reason", "result"],
            registry=registry,
        )

    # The hot-path series are looked up once per label set: `labels()` validates and hashes
    # its arguments on every call, which showed up in the in-process ingest profile.

    def event_received(self, source: str, action: Action, duplicate: bool) -> None:
        key = (source, action, duplicate)
        child = self._children.get(key)
        if child is None:
            child = self._events.labels(source, action.value, "true" if duplicate else "false")
            self._children[key] = child
        child.inc()

    def request_rejected(self, source: str, reason: str) -> None:
        self._rejected.labels(source, reason).inc()

    def request_ingested(self, source: str, seconds: float) -> None:
        child = self._children.get(source)
        if child is None:
            child = self._children[source] = self._ingest.labels(source)
        child.observe(seconds)

    def alerts_truncated(self, source: str, count: int) -> None:
        self._truncated.labels(source).inc(count)

    def decided(self, outcome: Outcome, reason: Reason, held_seconds: float | None) -> None:
        key = (outcome, reason)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self._decisions.labels(outcome.value, reason.value)
        child.inc()
        if held_seconds is not None:
            self._held.labels(outcome.value).observe(held_seconds)

    def delivery_attempted(
        self, channel: str, kind: NotificationKind, status: str, reason: str | None
    ) -> None:
        if status == DeliveryStatus.SENT:
            self._sent.labels(channel, kind.value).inc()
        else:
            self._failed.labels(channel, kind.value, reason or "unknown", _FAILED[status]).inc()

    def exposition(self, stats: StoreStats | None) -> bytes:
        return generate_latest(_Scrape(self.registry, store_families(stats, self._clock)))


class _Scrape:
    """One scrape: the process registry, then the store gauges read for this scrape."""

    def __init__(self, registry: CollectorRegistry, store: Iterable[Metric]) -> None:
        self._registry, self._store = registry, store

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()
        yield from self._store


def store_families(stats: StoreStats | None, clock: Clock) -> list[Metric]:
    """The gauges that describe the store; the same on every replica that shares it."""
    up = GaugeMetricFamily(
        f"{PREFIX}_store_up", "1 when the store answered this scrape's query, else 0"
    )
    up.add_metric([], 0 if stats is None else 1)
    if stats is None:
        return [up]
    outbox = GaugeMetricFamily(
        f"{PREFIX}_outbox_notifications",
        "Notifications in the outbox by status: pending (not sent yet, including retries) and "
        "dead (dead-lettered: retry them with alertgate outbox retry)",
        labels=["status"],
    )
    outbox.add_metric([DeliveryStatus.PENDING], stats.pending_notifications)
    outbox.add_metric([DeliveryStatus.DEAD], stats.dead_notifications)
    oldest = GaugeMetricFamily(
        f"{PREFIX}_outbox_oldest_pending_age_seconds",
        "Age of the oldest notification not sent yet (0 when nothing is pending)",
    )
    now = clock.now()
    age = (now - stats.oldest_pending_at).total_seconds() if stats.oldest_pending_at else 0.0
    oldest.add_metric([], max(0.0, age))
    incidents = GaugeMetricFamily(
        f"{PREFIX}_incidents_open",
        "Open incidents by state: holding (held, waiting for the hold to expire) and escalated",
        labels=["state"],
    )
    incidents.add_metric([State.HOLDING.value], stats.holding)
    incidents.add_metric([State.ESCALATED.value], stats.escalated)
    families: list[Metric] = [up, outbox, oldest, incidents]
    if stats.last_event_at is not None:
        last = GaugeMetricFamily(
            f"{PREFIX}_last_event_received_timestamp_seconds",
            "Unix time the newest event was received, by any replica (absent before the first)",
        )
        last.add_metric([], stats.last_event_at.timestamp())
        families.append(last)
    return families
