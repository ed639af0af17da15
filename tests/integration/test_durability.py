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


@pytest.mark.postgres
def test_two_replicas_on_postgres_never_decide_or_deliver_twice(
    pg_url: str, tmp_path: Path
) -> None:
    """Two `alertgate serve` processes share one database and the load: every hold is decided
    by exactly one of them, and every notification is delivered exactly once."""
    env = {"ALERTGATE_HOLD_SECONDS": "2"}
    with (
        ServerProcess(pg_url, tmp_path, env=env) as one,
        ServerProcess(pg_url, tmp_path, env=env) as two,
    ):

        def post(n: int) -> None:
            target = (one, two)[n % 2]
            body = trigger_body(f"replica-{n // 2}")  # each alert sent to both replicas
            assert (
                httpx.post(f"{target.url}/coralogix/webhook", content=body, timeout=10).status_code
                == 202
            )

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(post, range(400)))
        wait_until(lambda: escalations_done(pg_url, 200), timeout=60)
        time.sleep(1.5)  # give a wrongly duplicated decision or send the chance to show up
        logs = (one.log(), two.log())
    state = snapshot(pg_url)
    assert len(state.states) == 200
    assert set(state.decisions.values()) == {1}
    assert Counter(k[2] for k in state.decisions) == {"held": 200, "escalated": 200}
    delivered = logged_notifications(*logs)
    assert len(delivered) == 200
    assert set(delivered.values()) == {1}
    assert all('"decision"' in log for log in logs)  # both replicas did real work
