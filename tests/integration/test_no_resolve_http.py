"""Alerts that never resolve, through a real server: a Coralogix new-value alert (a trigger-only
type) escalates and then closes by default, or informs or expires as configured."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import ServerProcess
from tests.support.sources import FIXTURES

pytestmark = pytest.mark.slow
NEW_VALUE = FIXTURES / "coralogix-nc" / "new_value_triggered.json"


def trigger(server: ServerProcess, timestamp: int) -> str:
    document = json.loads(NEW_VALUE.read_bytes())
    document["alert"]["timestamp"] = timestamp
    response = httpx.post(f"{server.url}/webhooks/coralogix-nc", json=document, timeout=30)
    assert response.status_code == 202, response.text
    incident_id: str = response.json()["incident_id"]
    return incident_id


def wait_for_state(server: ServerProcess, incident_id: str, state: str) -> Any:
    deadline = time.monotonic() + 30
    while True:
        timeline: Any = httpx.get(f"{server.url}/api/incidents/{incident_id}", timeout=30).json()
        sent = all(n["status"] == "sent" for n in timeline["notifications"])
        if timeline["incident"]["state"] == state and sent:
            return timeline
        assert time.monotonic() < deadline, f"never {state}: {timeline}\n{server.log()}"
        time.sleep(0.1)


def test_trigger_only_alert_escalates_then_closes_so_the_next_trigger_pages_again(
    store_url: str, tmp_path: Path
) -> None:
    """Default (escalate): paged when the 1s hold ends, the episode closes (expired, outcome
    closed) instead of swallowing every later trigger, and the next trigger is episode 2."""
    env = {"ALERTGATE_HOLD_SECONDS": "1"}
    with ServerProcess(store_url, tmp_path, env=env) as server:
        incident_id = trigger(server, 1796490000)
        first = wait_for_state(server, incident_id, "expired")
        assert [d["outcome"] for d in first["decisions"]] == ["held", "escalated", "closed"]
        assert [n["kind"] for n in first["notifications"]] == ["escalation"]
        assert trigger(server, 1796490600) == incident_id
        second = wait_for_state(server, incident_id, "expired")
    assert second["incident"]["episode"] == 2
    assert [n["kind"] for n in second["notifications"]] == ["escalation", "escalation"]


@pytest.mark.parametrize(
    ("mode", "outcome", "kinds"),
    [("inform", "informed", ["information"]), ("expire", "expired", [])],
)
def test_configured_mode_informs_or_expires_without_paging(
    sqlite_url: str, tmp_path: Path, mode: str, outcome: str, kinds: list[str]
) -> None:
    """`[no_resolve] mode` inform: one notice on the Teams route; expire: nothing sent. Neither
    pages anybody."""
    env = {"ALERTGATE_HOLD_SECONDS": "1", "ALERTGATE_NO_RESOLVE_MODE": mode}
    with ServerProcess(sqlite_url, tmp_path, env=env) as server:
        incident_id = trigger(server, 1796490000)
        timeline = wait_for_state(server, incident_id, "expired")
    assert [d["outcome"] for d in timeline["decisions"]] == ["held", outcome]
    notifications = timeline["notifications"]
    assert [n["kind"] for n in notifications] == kinds
    assert all(n["route"] == "teams" for n in notifications)


def test_per_alert_rule_from_the_config_file_applies_to_its_alert_only(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A `[[no_resolve.rules]]` entry for one Alertmanager alert name expires that alert; the
    other alert in the same group escalates as usual."""
    config = tmp_path / "alertgate.toml"
    config.write_text(
        '[[no_resolve.rules]]\nsource = "alertmanager"\nname = "DiskFull"\n'
        'labels = { instance = ["i-002"] }\nmode = "expire"\n'
    )
    env = {"ALERTGATE_HOLD_SECONDS": "1", "ALERTGATE_CONFIG": str(config)}
    body = (FIXTURES / "alertmanager" / "alertmanager_grouped_firing.json").read_bytes()
    with ServerProcess(sqlite_url, tmp_path, env=env) as server:
        response = httpx.post(f"{server.url}/webhooks/alertmanager", content=body, timeout=30)
        ids = [e["incident_id"] for e in response.json()["events"]]
        expired = wait_for_state(server, ids[1], "expired")
        escalated = wait_for_state(server, ids[0], "escalated")
    assert expired["notifications"] == []
    assert [n["kind"] for n in escalated["notifications"]] == ["escalation"]
