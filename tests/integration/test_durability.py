"""Durability with real processes: restarts, SIGKILL mid-storm, two replicas on PostgreSQL."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
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
    """Stop with holds pending, stay down past their deadline, start: each escalates once, at
    once (the first tick, not a later poll)."""
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
        started = time.monotonic()
        wait_until(lambda: escalations_done(sqlite_url, 20))
        took = time.monotonic() - started
    finally:
        restarted.stop()
    assert took < 5, f"overdue holds took {took:.1f}s to be decided after the restart"
    state = snapshot(sqlite_url)
    for incident_id in ids:
        assert state.decisions[(incident_id, 1, "escalated")] == 1
    assert set(logged_notifications(server.log(), restarted.log()).values()) == {1}


class Storm:
    """Eight senders posting fresh PoC triggers as fast as the server answers them: which
    alerts were acknowledged (202), and how many requests the server's death cut off after
    they were sent (an error other than a refused connection: the request was in flight)."""

    def __init__(self, url: str, workers: int = 8) -> None:
        self.url = url
        self.acknowledged: list[str] = []
        self.first_ack: float | None = None
        self.cut_off = 0
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(workers)
        for worker in range(workers):
            self._pool.submit(self._send, worker)

    def _send(self, worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            n = 0
            while not self._stop.is_set():
                alert_id = f"kill-{worker}-{n}"
                n += 1
                try:
                    response = client.post(
                        f"{self.url}/coralogix/webhook", content=trigger_body(alert_id)
                    )
                except httpx.ConnectError:
                    continue  # nobody listening: this request never reached a server
                except httpx.TransportError:
                    self.cut_off += 1  # sent, and the connection died before the answer
                    continue
                if response.status_code == 202:
                    self.first_ack = self.first_ack or time.monotonic()
                    self.acknowledged.append(alert_id)

    def stop(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True)


def test_sigkill_mid_storm_loses_nothing_acknowledged_and_decides_once(
    store_url: str, tmp_path: Path
) -> None:
    """SIGKILL while requests are in flight and every hold is still pending, the engine down
    until all of them are overdue; after a restart every acknowledged event is stored, every
    hold is decided exactly once and at once, and no notification is sent twice. On SQLite and
    on PostgreSQL.

    The kill comes before the first hold ends (the storm lasts at most 1.5 s of a 3 s hold), so
    no delivery is in flight at the kill: a notification sent twice here would be the engine's
    fault, not the at-least-once window of a crash between a send and its record."""
    hold = 3.0
    env = {"ALERTGATE_HOLD_SECONDS": str(hold)}
    server = ServerProcess(store_url, tmp_path, env=env).start()
    storm = Storm(server.url)
    try:
        wait_until(
            lambda: (
                len(storm.acknowledged) >= 200
                or (storm.first_ack is not None and time.monotonic() - storm.first_ack > 1.5)
            )
        )
        server.kill()
        killed_at = time.monotonic()
        time.sleep(0.3)  # the senders see the dead server
    finally:
        storm.stop()
    acknowledged = storm.acknowledged
    assert len(acknowledged) >= 50, "too few requests acknowledged before the kill to prove much"
    assert storm.cut_off >= 1, "no request was in flight when the server was killed"
    at_kill = snapshot(store_url)
    assert set(at_kill.states.values()) == {"holding"}, "a hold ended before the kill"
    assert at_kill.outbox == []
    missing = [a for a in acknowledged if trigger_body(a) not in set(at_kill.payloads)]
    assert missing == [], "acknowledged, yet not in the store"
    pending = set(at_kill.states)
    assert len(pending) >= len(acknowledged)  # plus any committed whose answer was cut off
    latest = max(d for d in at_kill.deadlines.values() if d is not None)
    time.sleep(max(0.0, hold - (time.monotonic() - killed_at)) + 0.3)  # all overdue while down
    assert latest < datetime.now(UTC)

    restarted = ServerProcess(store_url, tmp_path, env=env).start()
    try:
        started = time.monotonic()
        wait_until(lambda: escalations_done(store_url, len(pending)), timeout=60)
        took = time.monotonic() - started
    finally:
        restarted.stop()
    assert took < 5, f"overdue holds took {took:.1f}s to be decided after the restart"
    after = snapshot(store_url)
    assert after.escalations() == Counter(dict.fromkeys(pending, 1))
    assert Counter(k[2] for k in after.decisions) == {
        "held": len(pending),
        "escalated": len(pending),
    }
    delivered = logged_notifications(server.log(), restarted.log())
    assert delivered == Counter({(i, "escalation"): 1 for i in pending})
    assert logged_notifications(server.log()) == Counter()  # the killed one sent nothing


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
    by exactly one of them, every event (each sent to both) is stored once, and every
    notification is delivered exactly once. Each replica's scheduler and dispatcher are first
    shown to work while the other one is stopped, so "both did real work" is proven from each
    one's own log, not left to chance."""
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
    assert len(state.payloads) == len(set(state.payloads)) == 220  # each event stored once
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
