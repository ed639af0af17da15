"""The log of a real server: JSON lines, and exactly one line per decision, carrying the
incident id, the outcome and the reason the store recorded."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.polling import wait_for
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow


def poc(alert_id: str, action: str) -> bytes:
    return orjson.dumps({"alert_id": alert_id, "alert_name": alert_id, "alert_action": action})


def test_every_decision_is_one_json_log_line_matching_the_store(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Held, self-resolved and escalated decisions each appear once in the log, with the
    incident id, outcome and reason stored for that incident and the alert's name and source;
    a resolve with nothing to resolve is no decision and logs none."""
    with ServerProcess(sqlite_url, tmp_path, env={"ALERTGATE_HOLD_SECONDS": "1"}) as server:
        hook = f"{server.url}/coralogix/webhook"
        heals = httpx.post(hook, content=poc("heals", "TRIGGERED")).json()["incident_id"]
        httpx.post(hook, content=poc("heals", "RESOLVED"))
        stays = httpx.post(hook, content=poc("stays", "TRIGGERED")).json()["incident_id"]
        httpx.post(hook, content=poc("never-triggered", "RESOLVED"))
        wait_for(lambda: '"reason":"hold_expired"' in server.log(), "the escalation")
        stored = {
            i: httpx.get(f"{server.url}/api/incidents/{i}").json()["decisions"]
            for i in (heals, stays)
        }
        lines = [orjson.loads(line) for line in server.log().splitlines() if line.strip()]

    decisions = [line for line in lines if line["event"] == "decision"]
    logged = sorted((d["incident_id"], d["outcome"], d["reason"]) for d in decisions)
    expected = sorted(
        (incident, d["outcome"], d["reason"]) for incident, ds in stored.items() for d in ds
    )
    assert logged == expected
    assert ("held", "held") in {(d["outcome"], d["reason"]) for d in decisions}
    assert {(d["outcome"], d["reason"]) for d in decisions if d["incident_id"] == stays} == {
        ("held", "held"),
        ("escalated", "hold_expired"),
    }
    assert all(line["level"] and line["timestamp"].endswith("Z") for line in lines)
    names = {"heals": heals, "stays": stays}
    assert {(d["alert"], d["source"]) for d in decisions} == {
        ("heals", "coralogix"),
        ("stays", "coralogix"),
    }
    assert all(d["incident_id"] == names[d["alert"]] for d in decisions)
