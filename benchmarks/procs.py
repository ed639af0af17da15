"""The processes a benchmark runs (alertgate, Alertmanager, the bare ASGI app) and what the
kernel says about them: CPU time, resident memory, and the whole machine's busy time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
# Settings of the developer's shell must not leak into a measured engine.
_FOREIGN_PREFIXES = ("ALERTGATE_", "GRAPH_", "TEAMS_", "EMAIL_", "CORALOGIX_")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the peak resident size) in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def machine_busy_seconds() -> float:
    """CPU seconds all processes on the machine have used since boot (every core)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICK


@dataclass
class Service:
    """One server process started by the harness, its log in `log_path`."""

    name: str
    argv: list[str]
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    started: float  # monotonic time of the spawn
    settings: dict[str, str]  # the environment variables the harness set for it
    ready_s: float = 0.0  # spawn -> first good answer on the readiness URL

    @property
    def command_line(self) -> str:
        """How to start it by hand: its settings, then its argv."""
        return " ".join([*(f"{k}={v}" for k, v in self.settings.items()), *self.argv])

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def memory(self) -> dict[str, int]:
        return memory_kb(self.pid)

    def stop(self, timeout: float = 30.0) -> str | None:
        """SIGTERM and wait (alertgate commits what it accepted before it exits).

        Returns None after a clean exit, else what went wrong; a process that does not stop in
        time is killed.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            return f"{self.name} did not stop within {timeout:g}s of SIGTERM; killed"
        # uvicorn re-raises the signal it shut down on, so -SIGTERM is a clean exit too.
        if code in (0, -signal.SIGTERM):
            return None
        return f"{self.name} exited with status {code}"


def spawn(
    name: str,
    argv: Sequence[str],
    url: str,
    ready_path: str,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> Service:
    """Start a server and wait until `ready_path` answers 200 (polled every 10 ms).

    A server killed by a signal while it starts is started once more: on a machine shared
    with other developers, someone's clean-up may hit it.
    """
    try:
        return _spawn(name, argv, url, ready_path, log_path, env, timeout)
    except _KilledError:
        print(f"benchmarks: {name} was killed while starting; starting it again", file=sys.stderr)
        return _spawn(name, argv, url, ready_path, log_path, env, timeout)


class _KilledError(RuntimeError):
    """The server died of a signal before it was ready."""


def _spawn(
    name: str,
    argv: Sequence[str],
    url: str,
    ready_path: str,
    log_path: Path,
    env: Mapping[str, str] | None,
    timeout: float,
) -> Service:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN_PREFIXES)}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, env={**clean, **(env or {})}
        )
    service = Service(name, list(argv), url, log_path, process, started, dict(env or {}))
    deadline = started + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            error = _KilledError if code < 0 else RuntimeError
            raise error(f"{name} exited ({code}) before it was ready; log: {log_path}")
        if http_status(url + ready_path) == 200:
            service.ready_s = time.monotonic() - started
            return service
        time.sleep(0.01)
    service.stop()
    raise RuntimeError(f"{name} not ready after {timeout}s; log: {log_path}")


def http_status(url: str, timeout: float = 1.0) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return None


def alertgate(
    database_url: str,
    port: int,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120.0,
) -> Service:
    """`alertgate serve` as a user runs it: its own defaults, JSON logs to a file."""
    argv = [sys.executable, "-m", "alertgate", "serve", "--port", str(port)]
    settings = {
        "ALERTGATE_DATABASE_URL": database_url,
        "ALERTGATE_LOG_FORMAT": "json",
        **(env or {}),
    }
    url = f"http://127.0.0.1:{port}"
    return spawn("alertgate", argv, url, "/ready", log_path, settings, timeout)


def bare_asgi(port: int, log_path: Path) -> Service:
    argv = [sys.executable, "-m", "benchmarks.bare_asgi", str(port)]
    url = f"http://127.0.0.1:{port}"
    return spawn("bare-asgi", argv, url, "/", log_path)


ALERTMANAGER_CONFIG = """\
# Written by alertgate's benchmarks: one route, grouped by alertname, to a receiver with no
# integration, so the benchmark measures ingest (nothing is sent anywhere).
route:
  receiver: blackhole
  group_by: ['alertname']
receivers:
  - name: blackhole
"""


def alertmanager(binary: str, port: int, directory: Path) -> Service:
    """A single-node Alertmanager (clustering off), as tools/run_alertmanager.sh starts one."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "alertmanager.yml"
    config.write_text(ALERTMANAGER_CONFIG)
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.path={directory / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
    url = f"http://127.0.0.1:{port}"
    return spawn("alertmanager", argv, url, "/-/ready", directory / "alertmanager.log")
