"""A real Prometheus scrapes a real alertgate with the documented job name and evaluates the
documented alerting rules against what it scrapes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.deploy_files import DEPLOY
from tests.support.polling import wait_for
from tests.support.prometheus import PrometheusProcess
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

RULES = DEPLOY / "prometheus" / "alertgate-rules.yml"
BODY = b'{"alert_id": "scraped", "alert_name": "Scraped", "alert_action": "TRIGGERED"}'


def firing(prometheus: PrometheusProcess, alertname: str) -> bool:
    return bool(prometheus.query(f'ALERTS{{alertname="{alertname}", alertstate="firing"}}'))


def test_prometheus_scrapes_the_metrics_and_the_dead_letter_rule_fires(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The target is up, the counters and store gauges arrive with their labels, every rule
    evaluates without error, and a dead-lettered notification fires AlertgateDeadLetters,
    which clears when the notification is no longer dead."""
    with ServerProcess(sqlite_url, tmp_path, env={"ALERTGATE_HOLD_SECONDS": "1"}) as server:
        target = server.url.removeprefix("http://")
        with PrometheusProcess(tmp_path, "alertgate", [target], RULES) as prometheus:
            assert httpx.post(f"{server.url}/coralogix/webhook", content=BODY).status_code == 202
            wait_for(
                lambda: prometheus.query(
                    'alertgate_events_received_total{job="alertgate",action="trigger"} == 1'
                ),
                "Prometheus to scrape the trigger",
            )
            wait_for(
                lambda: prometheus.query(
                    'alertgate_notifications_sent_total{job="alertgate",kind="escalation"} == 1'
                ),
                "Prometheus to scrape the escalation",
            )
            (group,) = prometheus.api("rules")["groups"]
            assert {r["name"]: r["health"] for r in group["rules"]} == {
                "AlertgateOutboxStuck": "ok",
                "AlertgateDeadLetters": "ok",
                "AlertgateNoEvents": "ok",
            }
            assert not firing(prometheus, "AlertgateDeadLetters")

            engine = create_engine(sqlite_url)  # dead-letter the sent escalation, as a 403 would
            with engine.begin() as conn:
                conn.execute(text("UPDATE outbox SET status = 'dead'"))
            wait_for(lambda: firing(prometheus, "AlertgateDeadLetters"), "the rule to fire")
            with engine.begin() as conn:
                conn.execute(text("UPDATE outbox SET status = 'sent'"))
            engine.dispose()
            wait_for(lambda: not firing(prometheus, "AlertgateDeadLetters"), "the rule to clear")
            assert not firing(prometheus, "AlertgateOutboxStuck")
            assert not firing(prometheus, "AlertgateNoEvents")
