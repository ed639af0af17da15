"""Delivery under stress, against real processes: a Graph throttling storm, a Teams outage of a
minute, and the engine killed with SIGKILL while notifications are pending."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.channels import flows
from tests.emulators.https import LoopbackCA, ThreadedServer
from tests.emulators.microsoft import MicrosoftEmulator
from tests.emulators.teams import TeamsEmulator
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow
STORM = 500


def test_500_escalations_while_graph_throttles_are_all_delivered_once(
    sqlite_url: str, workdir: Path, test_ca: LoopbackCA, microsoft: MicrosoftEmulator
) -> None:
    """500 escalations fall due while Graph answers 429 (Retry-After: 1) for a while: every
    one is mailed exactly once, never more than 4 requests are in flight for the mailbox, and
    the mailbox waits out each Retry-After instead of hammering Graph."""
    env = flows.base_env(test_ca, **flows.graph_env(microsoft.base))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        microsoft.throttle_until = time.monotonic() + 6
        with httpx.Client() as client:
            for n in range(STORM):
                flows.post(server.url, flows.alert(f"storm-{n}", "trigger"), client)
        flows.wait_for(lambda: len(microsoft.sent) >= STORM, timeout=180, what="500 emails")
        time.sleep(1)  # anything sent twice would arrive now
        counts = flows.outbox(server.url)["counts"]
    keys = Counter(s.header("X-Alertgate-Notification") for s in microsoft.sent)
    assert len(microsoft.sent) == STORM
    assert len(keys) == STORM
    assert max(keys.values()) == 1
    assert counts == {"pending": 0, "sent": STORM, "dead": 0}
    assert microsoft.throttled  # the storm did meet the throttling
    assert microsoft.max_inflight <= 4
    assert microsoft.concurrency_429s == 0  # it does throttle a fifth one: test_emulators.py
    # Each 429 pauses the mailbox for its Retry-After: a few requests per second at most
    # while throttled, not one per waiting notification.
    assert len(microsoft.throttled) < 60


def test_a_teams_outage_of_a_minute_loses_nothing(
    sqlite_url: str,
    workdir: Path,
    test_ca: LoopbackCA,
    teams_server: tuple[TeamsEmulator, ThreadedServer],
) -> None:
    """Teams answers 503 for 30 s, then is unreachable for 30 s; every self-resolved notice of
    that minute is posted once when it is back, none dead-lettered."""
    teams, first = teams_server
    teams.mode = "503"
    env = flows.base_env(test_ca, ALERTGATE_HOLD_SECONDS="120", **flows.teams_env(first.base))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        started = time.monotonic()
        for n in range(10):
            flows.post(server.url, flows.alert(f"blip-{n}", "trigger"))
            flows.post(server.url, flows.alert(f"blip-{n}", "resolve"))
        flows.wait_for(lambda: time.monotonic() - started > 30, timeout=40, what="30 s of 503s")
        first.stop()  # connection refused from now on
        for n in range(10, 20):
            flows.post(server.url, flows.alert(f"blip-{n}", "trigger"))
            flows.post(server.url, flows.alert(f"blip-{n}", "resolve"))
        flows.wait_for(lambda: time.monotonic() - started > 60, timeout=40, what="the outage")
        assert not teams.posts
        teams.mode = "ok"
        with ThreadedServer(teams.app(), test_ca, port=first.port):
            flows.wait_for(lambda: len(teams.posts) >= 20, timeout=60, what="20 Teams posts")
            time.sleep(1)
        counts = flows.outbox(server.url)["counts"]
    names = Counter(p.body["alert_name"] for p in teams.posts)
    assert sorted(names) == sorted(f"blip-{n}" for n in range(20))
    assert max(names.values()) == 1
    assert counts == {"pending": 0, "sent": 20, "dead": 0}
    assert {status for status, _ in teams.refused} == {503}


def test_a_teams_429_is_retried_after_its_retry_after_and_posted_once(
    sqlite_url: str,
    workdir: Path,
    test_ca: LoopbackCA,
    teams_server: tuple[TeamsEmulator, ThreadedServer],
) -> None:
    """The workflow's trigger answers 429 with Retry-After: 2 once: the notice waits those
    two seconds (ten times the first backoff), is then posted, exactly once, and sent."""
    teams, server_ = teams_server
    teams.mode, teams.times, teams.retry_after = "429", 1, 2
    env = flows.base_env(test_ca, ALERTGATE_HOLD_SECONDS="60", **flows.teams_env(server_.base))
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.post(server.url, flows.alert("Throttled", "trigger"))
        flows.post(server.url, flows.alert("Throttled", "resolve"))
        flows.wait_for(lambda: teams.posts, what="the Teams post after the 429")
        sent = flows.wait_for(lambda: flows.outbox(server.url, "sent")["notifications"])
        time.sleep(1)  # a duplicate would arrive now
    ((status, refused_at),) = teams.refused
    assert status == 429
    assert len(teams.posts) == 1
    assert teams.posts[0].at - refused_at >= 2
    assert [n["attempts"] for n in sent] == [2]  # type: ignore[attr-defined]


def test_sigkill_with_pending_notifications_delivers_them_after_restart(
    sqlite_url: str,
    workdir: Path,
    test_ca: LoopbackCA,
    microsoft: MicrosoftEmulator,
    teams_server: tuple[TeamsEmulator, ThreadedServer],
) -> None:
    """Graph and Teams are down, notifications wait (some mid-request), the engine is killed
    with SIGKILL; the restarted engine delivers every one of them, once."""
    teams, teams_http = teams_server
    teams.mode, microsoft.unavailable, microsoft.latency = "503", True, 0.3
    env = flows.base_env(
        test_ca, **flows.graph_env(microsoft.base), **flows.teams_env(teams_http.base)
    )
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        for n in range(10):
            flows.post(server.url, flows.alert(f"esc-{n}", "trigger"))
            flows.post(server.url, flows.alert(f"info-{n}", "trigger"))
            flows.post(server.url, flows.alert(f"info-{n}", "resolve"))
        flows.wait_for(
            lambda: flows.outbox(server.url)["counts"]["pending"] == 20,  # type: ignore[index]
            what="20 pending notifications",
        )
        flows.wait_for(lambda: microsoft.send_requests >= 10, what="Graph attempts")
        # kill it mid-request: a sendMail takes 0.3 s, so this one is still being answered
        flows.wait_for(lambda: microsoft.inflight > 0, what="a sendMail in flight")
        server.kill()
    teams.mode, microsoft.unavailable = "ok", False
    with ServerProcess(sqlite_url, workdir, env=env) as server:
        flows.wait_for(
            lambda: len(microsoft.sent) >= 10 and len(teams.posts) >= 10,
            timeout=60,
            what="every notification after the restart",
        )
        time.sleep(1)
        counts = flows.outbox(server.url)["counts"]
        restarted_log = server.log()
    # the rows leased by the killed process were handed back at once, not after their lease
    assert '"event":"delivery.leases_released"' in restarted_log
    subjects = Counter(s.message["subject"] for s in microsoft.sent)
    names = Counter(p.body["alert_name"] for p in teams.posts)
    assert sorted(subjects) == sorted(f"[ESCALATION][P1] esc-{n} on i-0abc123" for n in range(10))
    assert sorted(names) == sorted(f"info-{n}" for n in range(10))
    assert max(subjects.values()) == max(names.values()) == 1
    assert counts == {"pending": 0, "sent": 20, "dead": 0}
