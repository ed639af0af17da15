"""alertgate installed the way the deploy files install it (a fresh venv, `pip install -c
constraints.txt ".[postgres]"`, not editable) runs the command lines of the systemd unit and
of the container image, with their settings."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from tests.support.deploy_files import DEPLOY, ROOT, dockerfile, env_assignments, unit_file
from tests.support.net import free_port
from tests.support.polling import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with alertgate installed from this checkout as the Dockerfile does."""
    venv = tmp_path_factory.mktemp("install") / "alertgate"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            venv / "bin" / "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(ROOT / "constraints.txt"),
            f"{ROOT}[postgres]",
        ],
        check=True,
        timeout=600,
    )
    return venv


def clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ALERTGATE_", "GRAPH_"))}


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def start(
    argv: list[str],
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    processes: list[subprocess.Popen[bytes]],
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            argv, env={**clean_environ(), **env}, cwd=cwd, stdout=out, stderr=out
        )
    processes.append(process)
    return process


def stopped_cleanly(process: subprocess.Popen[bytes], log: Path) -> bool:
    """Shut down gracefully after SIGTERM. uvicorn re-raises the signal once it has finished,
    so the status is "terminated by SIGTERM", which systemd and Docker count as a clean stop."""
    status = process.wait(timeout=45)
    return status in (0, -signal.SIGTERM) and '"event":"engine.stopped"' in log.read_text()


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_the_systemd_exec_start_serves_with_the_units_settings(
    installed: Path, tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    """ExecStart with the unit's Environment= defaults overridden by an env file written like
    the example serves webhooks, keeps its database in the StateDirectory, answers the CLI,
    and exits 0 on SIGTERM well within TimeoutStopSec."""
    service = unit_file(DEPLOY / "alertgate.service")["Service"]
    state = tmp_path / "state"  # stands for /var/lib/alertgate
    state.mkdir()
    defaults = dict(e.split("=", 1) for e in service["Environment"])
    env = {k: v.replace("/var/lib/alertgate", str(state)) for k, v in defaults.items()}
    port = free_port()
    env_file = tmp_path / "alertgate.env"  # what EnvironmentFile= would load
    env_file.write_text(
        f"ALERTGATE_PORT={port}\nALERTGATE_HOLD_SECONDS=10m\nEMAIL_TO=a@example.com\n"
    )
    env.update(dict(line.split("=", 1) for line in env_file.read_text().splitlines()))
    argv = shlex.split(service["ExecStart"][0].replace("/opt/alertgate", str(installed)))
    process = start(argv, env, state, tmp_path / "serve.log", started)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: healthy(url), "the unit's ExecStart to serve /health")
    body = b'{"alert_id": "unit", "alert_name": "From systemd", "alert_action": "TRIGGERED"}'
    assert httpx.post(f"{url}/coralogix/webhook", content=body).status_code == 202
    assert (state / "alertgate.db").is_file()
    listing = subprocess.run(
        [installed / "bin" / "alertgate", "incidents", "list", "--env-file", str(env_file)],
        env={**clean_environ(), **{k: v for k, v in env.items() if k != "ALERTGATE_PORT"}},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "From systemd" in listing.stdout, listing.stderr
    began = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert stopped_cleanly(process, tmp_path / "serve.log")
    assert time.monotonic() - began < int(service["TimeoutStopSec"][0].removesuffix("s"))


def test_the_container_command_lines_serve_and_pass_the_health_check(
    installed: Path, tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    """ENTRYPOINT + CMD with the image's ENV (volume and port mapped to this test) serves, and
    the HEALTHCHECK command exits 0 against it, 1 once it has stopped."""
    steps = dockerfile(DEPLOY / "Dockerfile")
    last = max(n for n, s in enumerate(steps) if s.keyword == "FROM")
    runtime = steps[last:]
    volume = tmp_path / "volume"
    volume.mkdir()
    port = str(free_port())
    env: dict[str, str] = {}
    for step in runtime:
        if step.keyword == "ENV":
            env.update(env_assignments(step.arguments))
    env = {k: v.replace("/var/lib/alertgate", str(volume)) for k, v in env.items() if k != "PATH"}
    env["ALERTGATE_PORT"] = port  # `-p` would map the EXPOSEd port; here it must be free
    env["PATH"] = f"{installed / 'bin'}:{os.environ['PATH']}"
    (entrypoint,) = [s.exec_form() for s in runtime if s.keyword == "ENTRYPOINT"]
    (cmd,) = [s.exec_form() for s in runtime if s.keyword == "CMD"]
    (check,) = [s.exec_form() for s in runtime if s.keyword == "HEALTHCHECK"]
    process = start(entrypoint + cmd, env, volume, tmp_path / "container.log", started)
    wait_for(lambda: healthy(f"http://127.0.0.1:{port}"), "the image's CMD to serve /health")
    run = {"env": {**clean_environ(), **env}, "cwd": volume, "capture_output": True, "check": False}
    assert subprocess.run(check, **run).returncode == 0  # type: ignore[call-overload]
    assert (volume / "alertgate.db").is_file()
    process.send_signal(signal.SIGTERM)
    assert stopped_cleanly(process, tmp_path / "container.log")
    assert subprocess.run(check, **run).returncode == 1  # type: ignore[call-overload]
