"""A real Alertmanager posting to a real `alertgate serve`: alerts injected through
Alertmanager's API come out held, self-resolved or escalated, and Alertmanager's own retries and
re-sends while alertgate is down lose nothing and double nothing; a group alertgate refuses is
sent again until the cause is fixed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from alertgate.adapters.sources.alertmanager import label_fingerprint
from alertgate.domain.alert import incident_id_for
from tests.support.alertmanager import AlertmanagerProcess, Timings
from tests.support.net import free_port
from tests.support.outage import Refuser
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow
TOKEN = "e2e-shared-secret"
PATIENCE = 60.0  # seconds: generous, the machine is shared and loaded


def now() -> str:
    return datetime.now(UTC).isoformat()


class Alert:
    """One alert as a Prometheus would post it, and the incident alertgate keeps for it."""

    def __init__(self, name: str, instance: str, severity: str) -> None:
        self.labels = {
            "alertname": name,
            "instance": instance,
            "severity": severity,
            "run": uuid.uuid4().hex[:8],  # so no two runs share a fingerprint
        }
        self.starts_at = now()
        self.incident_id = incident_id_for(f"alertmanager:{label_fingerprint(self.labels)}")

    def firing(self) -> dict[str, object]:
        return {
            "labels": self.labels,
            "annotations": {"summary": f"{self.labels['alertname']} on {self.labels['instance']}"},
            "startsAt": self.starts_at,
            "generatorURL": "http://prometheus.example/graph?g0.expr=up",
        }

    def resolved(self) -> dict[str, object]:
        return {**self.firing(), "endsAt": now()}


def alertgate(
    database_url: str, workdir: Path, port: int | None = None, env: dict[str, str] | None = None
) -> ServerProcess:
    settings = {"ALERTGATE_WEBHOOK_TOKEN": TOKEN, "ALERTGATE_HOLD_SECONDS": "600", **(env or {})}
    return ServerProcess(database_url, workdir, env=settings, port=port)


def hook(server_port: int) -> str:
    return f"http://127.0.0.1:{server_port}/webhooks/alertmanager"


def timeline(server: ServerProcess, alert: Alert) -> Any:
    response = httpx.get(f"{server.url}/api/incidents/{alert.incident_id}", timeout=10)
    return response.json() if response.status_code == 200 else None


def wait_until(what: str, check: Callable[[], bool], *logs: Callable[[], str]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        if time.monotonic() > deadline:
            details = "\n".join(log()[-4000:] for log in logs)
            raise AssertionError(f"gave up waiting for {what}\n{details}")
        time.sleep(0.2)


def outcomes(server: ServerProcess, alert: Alert) -> list[str]:
    found = timeline(server, alert)
    return [d["outcome"] for d in found["decisions"]] if found else []


def all_sent(server: ServerProcess, alert: Alert) -> bool:
    found = timeline(server, alert)
    return bool(found) and all(n["status"] == "sent" for n in found["notifications"])


def test_grouped_alerts_are_held_then_self_resolved_or_escalated_each_on_its_own(
    alertmanager_binary: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """Two alerts of one group reach alertgate in one body and become two incidents: the
    warning one (held 60s) resolves inside its hold and is self-resolved (Teams); the critical
    one (P1 held 2s) escalates (email), and its later resolve is a resolution follow-up. Each
    incident keeps its alert's labels and annotations, with generatorURL as its link."""
    warning = Alert("DiskFull", "i-001", "warning")
    critical = Alert("DiskFull", "i-002", "critical")
    env = {"ALERTGATE_HOLD_SECONDS": "60", "ALERTGATE_HOLD_SECONDS_P1": "2"}
    with (
        alertgate(sqlite_url, tmp_path, env=env) as server,
        AlertmanagerProcess(hook(server.port), tmp_path, bearer_token=TOKEN) as am,
    ):
        am.post_alerts([warning.firing(), critical.firing()])
        wait_until(
            "the critical alert to escalate",
            lambda: (
                all_sent(server, critical) and outcomes(server, critical) == ["held", "escalated"]
            ),
            am.log,
            server.log,
        )
        assert outcomes(server, warning) == ["held"]
        am.post_alerts([warning.resolved()])
        wait_until(
            "the warning alert to self-resolve",
            lambda: outcomes(server, warning) == ["held", "self_resolved"],
            am.log,
        )
        am.post_alerts([critical.resolved()])
        wait_until(
            "the critical alert's resolution",
            lambda: (
                all_sent(server, critical)
                and outcomes(server, critical)[-1] == "resolved_after_escalation"
            ),
            am.log,
        )
        wait_until("the self-resolved notice", lambda: all_sent(server, warning), server.log)
        calm, paged = timeline(server, warning), timeline(server, critical)
    assert [(n["kind"], n["route"]) for n in calm["notifications"]] == [("self_resolved", "teams")]
    assert [(n["kind"], n["route"]) for n in paged["notifications"]] == [
        ("escalation", "email"),
        ("resolution", "email"),
    ]
    # Alertmanager sent both in one body (its commonLabels lack the differing instance); each
    # incident's event log keeps its own alert of it.
    parts = [calm["events"][0]["payload"], paged["events"][0]["payload"]]
    assert parts[0]["groupKey"] == parts[1]["groupKey"]
    assert all(len(p["alerts"]) == 1 and "instance" not in p["commonLabels"] for p in parts)
    assert calm["incident"]["instance"] == "i-001"
    assert paged["incident"]["priority"] == "P1"  # label severity: critical
    # What Alertmanager made of the alert it was given, kept on the incident.
    incident = paged["incident"]
    assert incident["link"] == critical.firing()["generatorURL"]
    assert incident["description"] == "DiskFull on i-002"
    assert {k: incident["labels"][k] for k in critical.labels} == critical.labels
    assert incident["labels"]["annotations.summary"] == "DiskFull on i-002"


def resolves_of(alert: Alert, sent: list[dict[str, Any]]) -> int:
    """How many of the alerts sent are this alert's resolve."""
    return sum(
        1 for a in sent if a["status"] == "resolved" and a["labels"]["run"] == alert.labels["run"]
    )


def test_retries_while_alertgate_is_down_lose_nothing_and_double_nothing(
    alertmanager_binary: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """Alertmanager fires while alertgate is not running (connection refused), keeps retrying,
    and re-sends every 2s (repeat_interval) once it is up; alertgate stops again before the
    resolve, while a stand-in on its port answers 503 (a proxy with its backend gone) and shows
    that Alertmanager sent the resolve itself more than once; then alertgate comes back.
    Result: one trigger and one resolve stored, one held and one self-resolved decision, one
    notice, however many requests Alertmanager made."""
    port = free_port()
    disk = Alert("DiskFull", "i-003", "warning")
    timings = Timings(repeat_interval="2s")
    with AlertmanagerProcess(hook(port), tmp_path, bearer_token=TOKEN, timings=timings) as am:

        def failed() -> float:
            return am.metric(
                "alertmanager_notification_requests_failed_total", integration="webhook"
            )

        def sent() -> float:
            return am.metric("alertmanager_notification_requests_total", integration="webhook")

        am.post_alerts([disk.firing()])
        wait_until(
            "Alertmanager to fail against the stopped alertgate", lambda: failed() >= 2, am.log
        )
        server = alertgate(sqlite_url, tmp_path, port=port).start()
        try:
            wait_until("the trigger to arrive", lambda: outcomes(server, disk) == ["held"], am.log)
            before = sent()
            wait_until("a re-send of the firing alert", lambda: sent() >= before + 1, am.log)
            server.stop()
            with Refuser(port) as refuser:
                am.post_alerts([disk.resolved()])
                # Counted by what was refused, not by Alertmanager's failure counter: a failed
                # re-send of the firing alert would have met that too.
                wait_until(
                    "Alertmanager to retry the refused resolve",
                    lambda: resolves_of(disk, refuser.alerts()) >= 2,
                    am.log,
                )
            server = alertgate(sqlite_url, tmp_path, port=port).start()
            wait_until(
                "the resolve to arrive",
                lambda: outcomes(server, disk) == ["held", "self_resolved"],
                am.log,
            )
            wait_until("the notice to be sent", lambda: all_sent(server, disk), server.log)
            found = timeline(server, disk)
        finally:
            server.stop()
        requests = sent()
    assert [e["action"] for e in found["events"]] == ["trigger", "resolve"]
    assert [n["kind"] for n in found["notifications"]] == ["self_resolved"]
    assert requests >= 5  # >= 2 failures, the first delivery, a re-send, the resolve


def test_alert_firing_again_with_its_old_start_opens_a_new_episode(
    alertmanager_binary: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """After a resolve, the same alert posted again with its original startsAt (a Prometheus
    whose alert came back) is sent by Alertmanager with that old startsAt: alertgate must hear
    it as a new episode, not take it for a retry of the first trigger (a lost page)."""
    flapping = Alert("HighCPU", "i-004", "warning")
    with (
        alertgate(sqlite_url, tmp_path) as server,
        AlertmanagerProcess(hook(server.port), tmp_path, bearer_token=TOKEN) as am,
    ):
        am.post_alerts([flapping.firing()])
        wait_until("episode 1", lambda: outcomes(server, flapping) == ["held"], am.log)
        am.post_alerts([flapping.resolved()])
        wait_until(
            "its resolve", lambda: outcomes(server, flapping)[-1:] == ["self_resolved"], am.log
        )
        am.post_alerts([flapping.firing()])  # the same startsAt
        wait_until(
            "episode 2", lambda: outcomes(server, flapping)[-1:] == ["held"], am.log, server.log
        )
        found = timeline(server, flapping)
    assert found["incident"]["episode"] == 2
    assert found["incident"]["state"] == "holding"
    starts = {
        e["payload"]["alerts"][0]["startsAt"] for e in found["events"] if e["action"] == "trigger"
    }
    assert len(starts) == 1  # both triggers carried the same startsAt


def rejected(server: ServerProcess, reason: str) -> float:
    """alertgate's count of webhooks it refused for `reason` (from its /metrics)."""
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    wanted = f'alertgate_requests_rejected_total{{reason="{reason}",source="alertmanager"}} '
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(wanted)
    )


def test_a_refused_notification_is_sent_again_until_the_cause_is_fixed(
    alertmanager_binary: Path, sqlite_url: str, tmp_path: Path
) -> None:
    """What docs/sources.md promises for a 4xx: Alertmanager does not retry it at once, but
    logs alertgate's message and sends the group again at every group_interval; once the
    cause is fixed (here: the token alertgate wants), the alert arrives, stored once."""
    port = free_port()
    alert = Alert("TokenRotated", "i-005", "warning")
    wrong = alertgate(sqlite_url, tmp_path, port=port, env={"ALERTGATE_WEBHOOK_TOKEN": "rotated"})
    with AlertmanagerProcess(hook(port), tmp_path, bearer_token=TOKEN) as am:
        with wrong as server:
            am.post_alerts([alert.firing()])
            wait_until(
                "Alertmanager to send the refused group again",
                lambda: rejected(server, "unauthorized") >= 3,
                am.log,
                server.log,
            )
            assert outcomes(server, alert) == []
        assert "unexpected status code 401" in am.log()
        assert "missing or wrong webhook token" in am.log()
        with alertgate(sqlite_url, tmp_path, port=port) as server:  # the token Alertmanager sends
            wait_until("the alert to arrive", lambda: outcomes(server, alert) == ["held"], am.log)
            found = timeline(server, alert)
    assert [e["action"] for e in found["events"]] == ["trigger"]
