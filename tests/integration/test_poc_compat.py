"""The proof of concept's contract, verbatim: its curl examples work against `alertgate serve`."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.deploy_files import ROOT
from tests.support.polling import wait_for
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


def readme_examples() -> list[str]:
    """The ```bash blocks of the README's "Try it" section, as written."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)


def run_curl(command: str, port: int) -> tuple[int, str]:
    """Run one README command (one request) as written, only its port moved, and return the
    answer's status and body (curl is told to print the status after the body)."""
    command = command.replace("localhost:5000", f"localhost:{port}").strip()
    done = subprocess.run(
        ["bash", "-c", f"{command} --silent --show-error --write-out '\\n%{{http_code}}'"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


def test_readme_curl_examples_work_verbatim_against_serve_with_nothing_configured(
    tmp_path: Path,
) -> None:
    """What `make run` starts (`alertgate serve`, no settings, no credentials) answers the
    README's curl examples, run as written, as the README says: /health, TRIGGERED held (202,
    "monitoring"), RESOLVED inside the hold (200, "resolved", a notice on the Teams route), and
    the API explaining it; its database is SQLite in ./var/ of the working directory."""
    make = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert make.stdout.splitlines()[-1] == ".venv/bin/alertgate serve"  # no flags: defaults
    health, trigger, resolve, api = readme_examples()
    assert "<incident_id>" in api
    with ServerProcess(None, tmp_path) as server:
        assert run_curl(health, server.port) == (200, '{"status":"ok"}')
        status, body = run_curl(trigger, server.port)
        held = json.loads(body)
        assert (status, held["status"], held["state"]) == (202, "monitoring", "holding")
        status, body = run_curl(resolve, server.port)
        resolved = json.loads(body)
        assert (status, resolved["status"], resolved["state"]) == (200, "resolved", "resolved")
        assert resolved["incident_id"] == held["incident_id"]
        wait_for(lambda: '"event":"notification.sent"' in server.log(), "the Teams notice")
        listing, shown = api.replace("<incident_id>", held["incident_id"]).splitlines()
        status, body = run_curl(listing, server.port)
        assert status == 200
        assert [i["id"] for i in json.loads(body)["incidents"]] == [held["incident_id"]]
        status, body = run_curl(shown.split("#")[0], server.port)
        timeline = json.loads(body)
        log = server.log()
    assert status == 200
    assert [e["payload"]["alert_name"] for e in timeline["events"]] == ["CPU Spike Test"] * 2
    assert [(d["outcome"], d["reason"]) for d in timeline["decisions"]] == [
        ("held", "held"),
        ("self_resolved", "resolved_in_hold"),
    ]
    assert [(n["kind"], n["route"], n["status"]) for n in timeline["notifications"]] == [
        ("self_resolved", "teams", "sent")
    ]
    assert (tmp_path / "var" / "alertgate.db").is_file()
    serving = next(json.loads(line) for line in log.splitlines() if "alertgate.serving" in line)
    assert (serving["host"], serving["database"]) == ("127.0.0.1", "sqlite:///var/alertgate.db")
    assert serving["routes"] == {"teams": "log", "email": "log"}
