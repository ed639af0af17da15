"""wrk and its Lua script send exactly the bodies the plan says, in order, and say so when the
plan ran out; several runs merge into one latency distribution."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.bodies import Mix, plan
from benchmarks.templates import CORALOGIX, render

from benchmarks import prereqs, wrk
from tests.support.net import free_port
from tests.support.threaded import BackgroundServer, PeerClosingServer

pytestmark = pytest.mark.slow
START = 1_764_000_000_000


class _Capture(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    bodies: list[bytes] = []
    paths: list[str] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append(body)
        type(self).paths.append(self.path)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def capture() -> Iterator[str]:
    _Capture.bodies, _Capture.paths = [], []
    server = PeerClosingServer(("127.0.0.1", free_port()), _Capture)
    with BackgroundServer(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


def test_lua_script_sends_the_python_rendering_of_each_plan_item(
    capture: str, tmp_path: Path
) -> None:
    """Over one connection the bodies arrive in plan order, byte for byte what Python renders;
    once the plan is used up it starts again and the result says it wrapped."""
    tools = prereqs.ensure_tools()
    items = plan(50, Mix(), 9, START)
    data = wrk.write_data(CORALOGIX, items, "s1", tmp_path)
    result = wrk.run(wrk.command(tools.wrk, capture, data, 1, connections=1))
    expected = [render(CORALOGIX, item, "s1") for item in items]
    assert len(_Capture.bodies) > len(items)
    assert _Capture.bodies[: len(items)] == expected
    assert _Capture.bodies[len(items) : 2 * len(items)] == expected[: len(_Capture.bodies) - 50]
    assert set(_Capture.paths) == {"/coralogix/webhook"}
    assert result.wrapped
    assert result.failed == 0
    assert result.requests >= len(items)
    assert 0 < result.percentile_ms(50) <= result.percentile_ms(99) <= result.percentile_ms(100)


def test_a_long_enough_plan_does_not_wrap(capture: str, tmp_path: Path) -> None:
    """A plan longer than what the server takes in the time is not reported as wrapped."""
    tools = prereqs.ensure_tools()
    data = wrk.write_data(CORALOGIX, plan(200_000, Mix(), 9, START), "s1", tmp_path)
    result = wrk.run(wrk.command(tools.wrk, capture, data, 1, connections=2))
    assert not result.wrapped
    assert result.generated >= result.requests > 0


def test_merged_runs_weigh_each_run_by_its_requests() -> None:
    """Merging a fast run with three times as many requests and a slow one puts the median in
    the fast run and the p90 in the slow one; counts and errors add up."""
    fast = wrk.WrkResult(300, 1.0, 300, False, {"status": 0}, [(1000, 1.0)])
    slow = wrk.WrkResult(100, 1.0, 100, False, {"status": 2}, [(9000, 1.0)])
    merged = wrk.merge([fast, slow])
    assert merged.requests == 400
    assert merged.failed == 2
    assert merged.percentile_ms(50) == 1.0
    assert merged.percentile_ms(90) == 9.0
    assert merged.throughput == 400.0
