"""The proof of concept's contract, verbatim: its curl examples work against `alertgate serve`."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

TRIGGER = b"""{
  "alert_id": "test-xx",
  "alert_name": "CPU Spike Test",
  "alert_action": "TRIGGERED"
}"""
RESOLVE = TRIGGER.replace(b"TRIGGERED", b"RESOLVED")
JSON = {"Content-Type": "application/json"}


def test_health_answers_like_the_proof_of_concept(sqlite_url: str, tmp_path: Path) -> None:
    """GET /health answers {"status":"ok"}, byte for byte what the PoC README expects."""
    with ServerProcess(sqlite_url, tmp_path) as server:
        response = httpx.get(f"{server.url}/health")
    assert response.status_code == 200
    assert response.text == '{"status":"ok"}'


def test_poc_trigger_then_resolve_is_held_then_self_resolved(
    sqlite_url: str, tmp_path: Path
) -> None:
    """TRIGGERED gets 202 "monitoring", RESOLVED inside the hold gets 200 "resolved" and a
    self-resolved notice; nobody is paged."""
    with ServerProcess(sqlite_url, tmp_path) as server:
        hook = f"{server.url}/coralogix/webhook"
        first = httpx.post(hook, content=TRIGGER, headers=JSON)
        second = httpx.post(hook, content=RESOLVE, headers=JSON)
        incident = httpx.get(f"{server.url}/api/incidents/{first.json()['incident_id']}").json()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "notification.logged" not in server.log():
            time.sleep(0.05)
        log = server.log()
    assert (first.status_code, first.json()["status"]) == (202, "monitoring")
    assert (second.status_code, second.json()["status"]) == (200, "resolved")
    assert incident["incident"]["state"] == "resolved"
    assert [d["outcome"] for d in incident["decisions"]] == ["held", "self_resolved"]
    assert '"kind":"self_resolved"' in log
    assert '"route":"teams"' in log
    assert '"kind":"escalation"' not in log


def test_poc_trigger_left_open_escalates_after_the_hold(sqlite_url: str, tmp_path: Path) -> None:
    """A TRIGGERED alert still open when its hold ends is escalated to the email route, once."""
    env = {"ALERTGATE_HOLD_SECONDS": "1"}
    with ServerProcess(sqlite_url, tmp_path, env=env) as server:
        hook = f"{server.url}/coralogix/webhook"
        incident_id = httpx.post(hook, content=TRIGGER, headers=JSON).json()["incident_id"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and '"kind":"escalation"' not in server.log():
            time.sleep(0.05)
        time.sleep(0.3)
        timeline = httpx.get(f"{server.url}/api/incidents/{incident_id}").json()
        log = server.log()
    assert timeline["incident"]["state"] == "escalated"
    assert [n["status"] for n in timeline["notifications"]] == ["sent"]
    assert log.count('"kind":"escalation"') == 2  # notification.logged + notification.sent
