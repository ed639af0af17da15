"""Durability with real processes: restarts, SIGKILL mid-storm, two replicas on PostgreSQL."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.db import snapshot
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow


def trigger_body(alert_id: str) -> bytes:
    return (
        f'{{"alert_id": "{alert_id}", "alert_name": "Disk", "alert_action": "TRIGGERED"}}'.encode()
    )


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def logged_notifications(*logs: str) -> Counter[tuple[str, str]]:
    """(incident_id, kind) of every notification the log channel delivered, across runs."""
    pattern = re.compile(r'"event":"notification.logged".*')
    found: Counter[tuple[str, str]] = Counter()
    for log in logs:
        for line in log.splitlines():
            if pattern.search(line):
                incident = re.search(r'"incident_id":"(\w+)"', line)
                kind = re.search(r'"kind":"(\w+)"', line)
                assert incident
                assert kind
                found[(incident.group(1), kind.group(1))] += 1
    return found


def escalations_done(url: str, count: int) -> bool:
    return snapshot(url).sent() == count


def test_holds_that_fell_due_while_down_are_decided_once_at_start(
    sqlite_url: str, tmp_path: Path
) -> None:
    """Stop with holds pending, stay down past their deadline, start: each escalates once."""
    env = {"ALERTGATE_HOLD_SECONDS": "2"}
    server = ServerProcess(sqlite_url, tmp_path, env=env).start()
    ids = [
        httpx.post(f"{server.url}/coralogix/webhook", content=trigger_body(f"down-{n}")).json()[
            "incident_id"
        ]
        for n in range(20)
    ]
    assert server.stop() in (0, -15)  # uvicorn re-raises SIGTERM after a clean shutdown
    assert '"event":"engine.stopped"' in server.log()
    time.sleep(2.5)  # every hold is now overdue, with no engine running
    restarted = ServerProcess(sqlite_url, tmp_path, env=env).start()
    try:
        wait_until(lambda: escalations_done(sqlite_url, 20))
    finally:
        restarted.stop()
    state = snapshot(sqlite_url)
    for incident_id in ids:
        assert state.decisions[(incident_id, 1, "escalated")] == 1
    assert set(logged_notifications(server.log(), restarted.log()).values()) == {1}


def test_sigkill_mid_storm_loses_nothing_acknowledged_and_decides_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    """SIGKILL while requests are in flight and holds are pending; after a restart every
    acknowledged event is stored, every hold is decided exactly once, nothing is sent twice."""
    env = {"ALERTGATE_HOLD_SECONDS": "2"}
    server = ServerProcess(sqlite_url, tmp_path, env=env).start()
    acknowledged: list[str] = []
    stop = threading.Event()

    def sender(worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            n = 0
            while not stop.is_set():
                alert_id = f"kill-{worker}-{n}"
                n += 1
                try:
                    response = client.post(
                        f"{server.url}/coralogix/webhook", content=trigger_body(alert_id)
                    )
                except httpx.TransportError:
                    continue
                if response.status_code == 202:
                    acknowledged.append(alert_id)

    with ThreadPoolExecutor(8) as pool:
        for worker in range(8):
            pool.submit(sender, worker)
        wait_until(lambda: len(acknowledged) >= 200)
        server.kill()  # requests are in flight and 200+ holds are pending
        time.sleep(0.5)
        stop.set()
    restarted = ServerProcess(sqlite_url, tmp_path, env=env).start()
    try:
        stored = set(snapshot(sqlite_url).payloads)
        missing = [a for a in acknowledged if trigger_body(a) not in stored]
        assert missing == []
        held = len(snapshot(sqlite_url).states)
        wait_until(lambda: escalations_done(sqlite_url, held), timeout=60)
    finally:
        restarted.stop()
    escalated = snapshot(sqlite_url).escalations()
    assert set(escalated.values()) == {1}
    assert len(escalated) == held >= len(acknowledged)
    assert set(logged_notifications(server.log(), restarted.log()).values()) == {1}


def escalated_in(log: str) -> set[str]:
    """Incidents whose escalation this process decided (its own `decision` log lines)."""
    found = set()
    for line in log.splitlines():
        if line.startswith("{") and '"event":"decision"' in line:
            record = orjson.loads(line)
            if record.get("outcome") == "escalated":
                found.add(record["incident_id"])
    return found


def alone(
    active: ServerProcess, paused: ServerProcess, url: str, prefix: str, sent: int
) -> set[str]:
    """Work only `active` can do: with the other replica stopped (SIGSTOP), post 10 triggers to
    `active` and wait until their escalations are delivered; returns their incident ids."""
    paused.pause()
    try:
        ids = {
            httpx.post(
                f"{active.url}/coralogix/webhook", content=trigger_body(f"{prefix}-{n}"), timeout=10
            ).json()["incident_id"]
            for n in range(10)
        }
        wait_until(lambda: escalations_done(url, sent + 10), timeout=60)
    finally:
        paused.resume()
    return ids


@pytest.mark.postgres
def test_two_replicas_on_postgres_never_decide_or_deliver_twice(
    pg_url: str, tmp_path: Path
) -> None:
    """Two `alertgate serve` processes share one database and the load: every hold is decided
    by exactly one of them, and every notification is delivered exactly once. Each replica's
    scheduler and dispatcher are first shown to work while the other one is stopped, so "both
    did real work" is proven from each one's own log, not left to chance."""
    env = {"ALERTGATE_HOLD_SECONDS": "2"}
    with (
        ServerProcess(pg_url, tmp_path, env=env) as one,
        ServerProcess(pg_url, tmp_path, env=env) as two,
    ):
        by_one = alone(one, two, pg_url, "only-one", sent=0)
        by_two = alone(two, one, pg_url, "only-two", sent=10)

        def post(n: int) -> None:
            target = (one, two)[n % 2]
            body = trigger_body(f"replica-{n // 2}")  # each alert sent to both replicas
            assert (
                httpx.post(f"{target.url}/coralogix/webhook", content=body, timeout=10).status_code
                == 202
            )

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(post, range(400)))
        wait_until(lambda: escalations_done(pg_url, 220), timeout=60)
        time.sleep(1.5)  # give a wrongly duplicated decision or send the chance to show up
        logs = (one.log(), two.log())
    state = snapshot(pg_url)
    assert len(state.states) == 220
    assert set(state.decisions.values()) == {1}
    assert Counter(k[2] for k in state.decisions) == {"held": 220, "escalated": 220}
    delivered = logged_notifications(*logs)
    assert len(delivered) == 220
    assert set(delivered.values()) == {1}
    # Both replicas' schedulers decided holds and both dispatchers delivered, each its own.
    assert len(by_one) == len(by_two) == 10
    assert by_one <= escalated_in(logs[0])
    assert by_two <= escalated_in(logs[1])
    assert {(i, "escalation") for i in by_one} <= set(logged_notifications(logs[0]))
    assert {(i, "escalation") for i in by_two} <= set(logged_notifications(logs[1]))
    assert not escalated_in(logs[0]) & escalated_in(logs[1])
