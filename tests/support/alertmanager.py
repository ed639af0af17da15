"""A real Prometheus Alertmanager for end-to-end tests: Debian's `prometheus-alertmanager`,
fetched with apt when missing, run as a throw-away single-node process on a free port.

The flags and timings follow the project's shared `run_alertmanager.sh` (fast group timings, no
clustering). The package is unpacked into `.venv/alertmanager/` with `apt-get download` and
`dpkg-deb -x` rather than installed: installing it would also enable and start a system service
on ports 9093/9094 of a machine other people use. `python -m tests.support.alertmanager` does it
ahead of pytest (`make test`); tests skip only when apt itself cannot reach its mirror.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.net import free_port

PACKAGE = "prometheus-alertmanager"
SYSTEM_BINARY = Path("/usr/bin/prometheus-alertmanager")
UNPACKED = Path(__file__).parents[2] / ".venv" / "alertmanager"
# apt's words for "the network or the mirror is not there" (apt-pkg/acquire*.cc messages).
_UNREACHABLE = (
    "Temporary failure resolving",
    "Could not resolve",
    "Could not connect",
    "Failed to fetch",
    "Connection failed",
    "Network is unreachable",
    "Unable to connect",
)


class AptUnreachableError(Exception):
    """apt cannot reach its mirror: the only reason end-to-end tests may skip."""


class InstallError(Exception):
    """apt answered, but the package could not be fetched or unpacked."""


def binary() -> Path:
    """The Alertmanager binary: $ALERTGATE_TEST_ALERTMANAGER, the system's, or ours (fetched)."""
    override = os.environ.get("ALERTGATE_TEST_ALERTMANAGER")
    if override:
        return Path(override)
    if SYSTEM_BINARY.exists():
        return SYSTEM_BINARY
    unpacked = UNPACKED / "usr" / "bin" / "prometheus-alertmanager"
    if not unpacked.exists():
        _fetch_and_unpack()
    return unpacked


def _run(*argv: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    if shutil.which(argv[0]) is None:
        raise AptUnreachableError(f"{argv[0]} is not on this machine")
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    output = result.stdout + result.stderr
    if result.returncode == 0:
        return
    if any(word in output for word in _UNREACHABLE):
        raise AptUnreachableError(f"{what}: apt cannot reach its mirror:\n{output.strip()}")
    raise InstallError(f"{what} failed (exit {result.returncode}):\n{output.strip()}")


def _fetch_and_unpack() -> None:
    with tempfile.TemporaryDirectory(prefix="alertgate-am-") as work:
        result = _run("apt-get", "download", PACKAGE, cwd=work)  # into the working directory
        if result.returncode != 0 and "Unable to locate package" in result.stdout + result.stderr:
            if os.geteuid() != 0:
                raise InstallError(
                    f"apt does not know {PACKAGE} and only root can run apt-get update: run "
                    f"`sudo apt-get update` once (or `sudo apt-get install {PACKAGE}`)"
                )
            _check(_run("apt-get", "update", "-qq"), "apt-get update")
            result = _run("apt-get", "download", PACKAGE, cwd=work)
        _check(result, f"apt-get download {PACKAGE}")
        (deb,) = Path(work).glob("*.deb")
        UNPACKED.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="alertmanager.", dir=UNPACKED.parent))
        unpacked = _run("dpkg-deb", "-x", str(deb), str(staging))
        if unpacked.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise InstallError(f"dpkg-deb -x {deb.name} failed:\n{unpacked.stderr}")
        try:
            staging.rename(UNPACKED)  # atomic: a concurrent run either wins or finds it done
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class Timings:
    """Route timings, fast for tests (run_alertmanager.sh's defaults)."""

    group_by: tuple[str, ...] = ("alertname",)
    group_wait: str = "1s"
    group_interval: str = "1s"
    repeat_interval: str = "1h"
    resolve_timeout: str = "1m"


class AlertmanagerProcess:
    """One throw-away Alertmanager whose only receiver is a webhook to `receiver_url`."""

    def __init__(
        self,
        receiver_url: str,
        workdir: Path,
        *,
        bearer_token: str | None = None,
        timings: Timings = Timings(),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = workdir / f"alertmanager-{self.port}"
        (self.dir / "data").mkdir(parents=True)
        self.log_path = self.dir / "alertmanager.log"
        self.config = self.dir / "alertmanager.yml"
        self.config.write_text(_config(receiver_url, bearer_token, timings))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> AlertmanagerProcess:
        executable = binary()
        amtool = executable.with_name("amtool")
        if amtool.exists():  # the same check run_alertmanager.sh makes
            checked = subprocess.run(
                [str(amtool), "check-config", str(self.config)],
                capture_output=True,
                text=True,
                check=False,
            )
            assert checked.returncode == 0, checked.stdout + checked.stderr
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(executable),
                    f"--config.file={self.config}",
                    f"--storage.path={self.dir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    f"--web.external-url={self.url}/",
                    "--cluster.listen-address=",  # no gossip port: single node
                    "--data.retention=1h",
                    "--log.level=debug",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"alertmanager exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"alertmanager not ready after {timeout}s:\n{self.log()}")

    def post_alerts(self, alerts: Sequence[Mapping[str, object]]) -> None:
        """Inject alerts through Alertmanager's own API (what Prometheus does)."""
        response = httpx.post(f"{self.url}/api/v2/alerts", json=list(alerts), timeout=10)
        assert response.status_code == 200, response.text

    def metric(self, name: str, **labels: str) -> float:
        """The sum of one counter over the series matching `labels` (from /metrics)."""
        total = 0.0
        for line in httpx.get(f"{self.url}/metrics", timeout=10).text.splitlines():
            if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def __enter__(self) -> AlertmanagerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _config(receiver_url: str, bearer_token: str | None, timings: Timings) -> str:
    group_by = ", ".join(f"'{label}'" for label in timings.group_by)
    auth = (
        f"        http_config:\n          authorization:\n            type: Bearer\n"
        f"            credentials: '{bearer_token}'\n"
        if bearer_token
        else ""
    )
    return (
        f"global:\n  resolve_timeout: {timings.resolve_timeout}\n"
        f"route:\n  receiver: alertgate\n  group_by: [{group_by}]\n"
        f"  group_wait: {timings.group_wait}\n  group_interval: {timings.group_interval}\n"
        f"  repeat_interval: {timings.repeat_interval}\n"
        "receivers:\n  - name: alertgate\n    webhook_configs:\n"
        f"      - url: '{receiver_url}'\n        send_resolved: true\n        max_alerts: 0\n"
        f"{auth}"
    )


def main() -> int:
    """Make sure the binary is there (the `make test` step); say why when it cannot be."""
    try:
        print(f"alertmanager: {binary()}")
    except AptUnreachableError as exc:
        print(f"alertmanager: end-to-end tests will skip: {exc}", file=sys.stderr)
    except InstallError as exc:
        print(f"alertmanager: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
