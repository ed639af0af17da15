"""GET /metrics of a real server: every issue-6 metric moves when the engine does, and the page
passes promtool's exposition-format check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from alertgate import __version__
from tests.support import pg
from tests.support.polling import wait_for
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

TOKEN = "metrics-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def poc(alert_id: str, action: str) -> bytes:
    return (
        f'{{"alert_id": "{alert_id}", "alert_name": "CPU {alert_id}", "alert_action": "{action}"}}'
    ).encode()


def scrape(url: str) -> tuple[str, dict[str, float]]:
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            found[f"{s.name}{{{labels}}}"] = s.value
    return response.text, found


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool not found: `make test-tools` installs it (Debian package prometheus)"
    return path


def drive(url: str) -> None:
    """Two triggers, one resolved in its hold, one sender retry, three bad requests."""
    hook = f"{url}/coralogix/webhook"
    assert httpx.post(hook, content=poc("a", "TRIGGERED"), headers=AUTH).status_code == 202
    assert httpx.post(hook, content=poc("b", "TRIGGERED"), headers=AUTH).status_code == 202
    assert httpx.post(hook, content=poc("b", "RESOLVED"), headers=AUTH).status_code == 200
    retry = httpx.post(hook, content=poc("a", "TRIGGERED"), headers=AUTH)
    assert retry.json()["duplicate"] is True
    assert httpx.post(hook, content=poc("c", "TRIGGERED")).status_code == 401
    assert httpx.post(hook, content=b"{", headers=AUTH).status_code == 400
    assert httpx.post(f"{url}/webhooks/nagios", content=b"{}", headers=AUTH).status_code == 404


def test_metrics_follow_events_decisions_and_deliveries(store_url: str, tmp_path: Path) -> None:
    """After a known sequence of requests, every counter, histogram and store gauge holds the
    number that sequence implies, on SQLite and PostgreSQL."""
    env = {"ALERTGATE_HOLD_SECONDS": "2", "ALERTGATE_WEBHOOK_TOKEN": TOKEN}
    with ServerProcess(store_url, tmp_path, env=env) as server:
        drive(server.url)

        def delivered_and_recorded() -> dict[str, float]:
            # The counter moves when the send succeeds; the outbox gauge when the outcome is
            # recorded, in the dispatcher's next round (up to its linger later).
            found = scrape(server.url)[1]
            sent = found.get('alertgate_notifications_sent_total{channel="log",kind="escalation"}')
            pending = found.get('alertgate_outbox_notifications{status="pending"}')
            return found if sent and pending == 0 else {}

        found = wait_for(delivered_and_recorded, "the escalation of alert a to be delivered")

    events = 'alertgate_events_received_total{action="%s",duplicate="%s",source="coralogix"}'
    assert found[events % ("trigger", "false")] == 2
    assert found[events % ("trigger", "true")] == 1
    assert found[events % ("resolve", "false")] == 1
    rejected = 'alertgate_requests_rejected_total{reason="%s",source="%s"}'
    assert found[rejected % ("unauthorized", "coralogix")] == 1
    assert found[rejected % ("invalid_payload", "coralogix")] == 1
    assert found[rejected % ("unknown_source", "unknown")] == 1
    assert found['alertgate_ingest_duration_seconds_count{source="coralogix"}'] == 4
    decisions = 'alertgate_decisions_total{outcome="%s",reason="%s"}'
    assert found[decisions % ("held", "held")] == 2
    assert found[decisions % ("self_resolved", "resolved_in_hold")] == 1
    assert found[decisions % ("escalated", "hold_expired")] == 1
    assert found['alertgate_hold_duration_seconds_count{outcome="self_resolved"}'] == 1
    assert found['alertgate_hold_duration_seconds_count{outcome="escalated"}'] == 1
    assert found['alertgate_hold_duration_seconds_sum{outcome="escalated"}'] >= 2.0
    sent = 'alertgate_notifications_sent_total{channel="log",kind="%s"}'
    assert found[sent % "self_resolved"] == 1
    assert found["alertgate_store_up{}"] == 1
    assert found['alertgate_incidents_open{state="holding"}'] == 0
    assert found['alertgate_incidents_open{state="escalated"}'] == 1
    assert found['alertgate_outbox_notifications{status="pending"}'] == 0
    assert found['alertgate_outbox_notifications{status="dead"}'] == 0
    assert found["alertgate_last_event_received_timestamp_seconds{}"] > 1.7e9


def test_metrics_page_passes_promtool_check(sqlite_url: str, tmp_path: Path) -> None:
    """`promtool check metrics` (format and naming lint) accepts the page after real traffic."""
    with ServerProcess(sqlite_url, tmp_path, env={"ALERTGATE_WEBHOOK_TOKEN": TOKEN}) as server:
        drive(server.url)
        text, _ = scrape(server.url)
    result = subprocess.run(
        [promtool(), "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_store_gauges_report_the_store_down_but_the_page_still_answers(
    pg_url: str, tmp_path: Path
) -> None:
    """With the database gone, /metrics still answers (process counters, store_up 0) so the
    outage itself is visible to Prometheus."""
    with ServerProcess(pg_url, tmp_path) as server:
        assert scrape(server.url)[1]["alertgate_store_up{}"] == 1
        pg.drop_database(pg_url.rsplit("/", 1)[1])
        _, found = scrape(server.url)
    assert found["alertgate_store_up{}"] == 0
    assert 'alertgate_outbox_notifications{status="pending"}' not in found
    assert found[f'alertgate_build_info{{version="{__version__}"}}'] == 1


def test_a_secret_that_occurs_in_metric_text_does_not_corrupt_the_page(
    sqlite_url: str, tmp_path: Path
) -> None:
    """/metrics is not scrubbed (it holds only numbers and bounded labels): a short secret
    equal to part of a metric name leaves the exposition intact, while the API is scrubbed."""
    env = {"ALERTGATE_WEBHOOK_TOKEN": "_total"}
    with ServerProcess(sqlite_url, tmp_path, env=env) as server:
        hook = f"{server.url}/coralogix/webhook"
        httpx.post(hook, content=poc("a", "TRIGGERED"))  # no token: 401
        named = b'{"alert_id": "b", "alert_name": "disk_total", "alert_action": "TRIGGERED"}'
        httpx.post(hook, content=named, headers={"Authorization": "Bearer _total"})
        text, found = scrape(server.url)
        listed = httpx.get(f"{server.url}/api/incidents").json()
    assert found['alertgate_requests_rejected_total{reason="unauthorized",source="coralogix"}'] == 1
    assert "[REDACTED]" not in text
    assert listed["incidents"][0]["name"] == "disk[REDACTED]"
