"""alertgate installed the way the deploy files install it (a fresh venv, `pip install -c
constraints.txt ".[postgres,graph]"`, not editable) runs the command lines of the systemd unit and
of the documented `docker run`, with the proof of concept's settings (Graph mail included).

Run as root (as CI is), every alertgate process here runs as the unprivileged user the unit and
the image name, with no supplementary group: the state directory or volume is owned by it with
mode 0750 and the env file is root's, mode 0640, readable through the group. So the permission
model the guides describe is exercised, not only the command lines.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from alertgate import config_envfile
from tests.conftest import FIXTURES
from tests.support.deploy_files import (
    DEPLOY,
    ROOT,
    dockerfile,
    documented_extras,
    documented_runs,
    env_assignments,
    unit_file,
)
from tests.support.net import free_port
from tests.support.polling import wait_for

pytestmark = pytest.mark.slow
POC_ENV = FIXTURES / "config" / "aiops.env"  # /etc/aiops.env: Teams and Graph mail (GRAPH_*)
TOKEN = "0123456789abcdef"  # migrating-from-poc.md step 2 adds a webhook token
TOKEN_LINE = f"ALERTGATE_WEBHOOK_TOKEN={TOKEN}"


SYSTEM_PYTHON = Path("/usr/bin/python3")  # what `sudo python3 -m venv /opt/alertgate` runs
# The image's USER (uid:gid); the systemd unit's User=alertgate gets the same numbers here.
SERVICE_UID, SERVICE_GID = (
    int(n)
    for n in next(
        s.arguments for s in dockerfile(DEPLOY / "Dockerfile") if s.keyword == "USER"
    ).split(":")
)
AS_ROOT = os.geteuid() == 0


def base_python() -> str:
    """The interpreter the venv is made from. As root: the distribution's python3, as the
    guides use it, and one the service user can run (pyenv's, under /root, it cannot)."""
    if not AS_ROOT:
        return sys.executable
    found = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import ensurepip, sys; print(sys.version_info >= (3, 11))"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout.strip() == "True", (
        f"{SYSTEM_PYTHON} must be Python 3.11+ with venv (Debian: python3-venv): {found.stderr}"
    )
    return str(SYSTEM_PYTHON)


@pytest.fixture(scope="module")
def world() -> Iterator[Path]:
    """A directory other users can traverse (pytest's own temporary root is root's, 0700)."""
    path = Path(tempfile.mkdtemp(prefix="alertgate-installed-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def place(world: Path, tmp_path: Path) -> Path:
    """A fresh directory under `world` for one test's state directory and env file."""
    path = world / tmp_path.name
    path.mkdir(mode=0o755)
    return path


def as_service_user() -> dict[str, Any]:
    """Popen arguments that drop root to the service user, its group only (none when the tests
    run unprivileged already)."""
    return {"user": SERVICE_UID, "group": SERVICE_GID, "extra_groups": []} if AS_ROOT else {}


def state_directory(path: Path) -> Path:
    """What StateDirectory= (or the image's `install -d`) makes: the user's own, mode 0750."""
    path.mkdir(mode=0o750)
    if AS_ROOT:
        os.chown(path, SERVICE_UID, SERVICE_GID)
    return path


def secret_file(path: Path) -> Path:
    """`install -m 0640 -g alertgate`: root's file, readable by the service user's group."""
    path.chmod(0o640)
    if AS_ROOT:
        os.chown(path, 0, SERVICE_GID)
    return path


def running_as(process: subprocess.Popen[bytes]) -> tuple[int, int]:
    """The real uid and gid of a running process (Linux /proc)."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    uid = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
    gid = re.search(r"^Gid:\s+(\d+)", status, re.MULTILINE)
    assert uid
    assert gid
    return int(uid[1]), int(gid[1])


@pytest.fixture(scope="module")
def installed(world: Path) -> Path:
    """A fresh venv with alertgate installed from this checkout as the Dockerfile (and every
    other documented install) does."""
    venv = world / "alertgate"
    subprocess.run([base_python(), "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            venv / "bin" / "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(ROOT / "constraints.txt"),
            f"{ROOT}{documented_extras()}",
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
            argv,
            env={**clean_environ(), **env},
            cwd=cwd,
            stdout=out,
            stderr=out,
            **as_service_user(),
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


def poc_env_file(path: Path, *extra: str) -> Path:
    """/etc/aiops.env copied with the lines migrating-from-poc.md step 2 appends (the token),
    installed as that step installs it (root's, mode 0640, the service user's group)."""
    path.write_text(POC_ENV.read_text() + "".join(f"{line}\n" for line in (TOKEN_LINE, *extra)))
    return secret_file(path)


def run_cli(
    alertgate: Path, args: list[str], env: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [alertgate, *args],
        env={**clean_environ(), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        **as_service_user(),  # `sudo -u alertgate ...`, `docker exec` (the container's user)
    )


def post_trigger(url: str, name: str) -> int:
    body = {"alert_id": name, "alert_name": name, "alert_action": "TRIGGERED"}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx.post(f"{url}/coralogix/webhook", json=body, headers=headers).status_code


def test_the_systemd_exec_start_serves_with_the_proof_of_concepts_settings(
    installed: Path, place: Path, tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    """ExecStart as the unit's User, with the unit's Environment= defaults overridden by the
    proof of concept's env file as EnvironmentFile= reads it, passes check-config with Graph
    mail on the email route, serves webhooks, keeps its database in the StateDirectory,
    answers the CLI, and exits cleanly on SIGTERM well within TimeoutStopSec."""
    service = unit_file(DEPLOY / "alertgate.service")["Service"]
    assert service["User"] == ["alertgate"]
    assert service["StateDirectoryMode"] == ["0750"]
    state = state_directory(place / "state")  # stands for /var/lib/alertgate
    defaults = dict(e.split("=", 1) for e in service["Environment"])
    env = {k: v.replace("/var/lib/alertgate", str(state)) for k, v in defaults.items()}
    port = free_port()
    env_file = poc_env_file(
        place / "alertgate.env",  # what EnvironmentFile= would load
        f"ALERTGATE_PORT={port}",
        f"ALERTGATE_DATABASE_URL=sqlite:///{state}/alertgate.db",
    )
    alertgate = installed / "bin" / "alertgate"
    checked = run_cli(alertgate, ["check-config", "--env-file", str(env_file)], {}, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert re.search(r"email +-> graph", checked.stdout), checked.stdout
    env.update(config_envfile.read(env_file).values)  # systemd's reading, tested elsewhere
    argv = shlex.split(service["ExecStart"][0].replace("/opt/alertgate", str(installed)))
    process = start(argv, env, state, tmp_path / "serve.log", started)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: healthy(url), "the unit's ExecStart to serve /health")
    assert '"email":"graph"' in (tmp_path / "serve.log").read_text()
    assert post_trigger(url, "From systemd") == 202
    assert (state / "alertgate.db").is_file()
    if AS_ROOT:
        assert running_as(process) == (SERVICE_UID, SERVICE_GID)
        assert (state / "alertgate.db").stat().st_uid == SERVICE_UID
    listing = run_cli(alertgate, ["incidents", "list", "--env-file", str(env_file)], {}, tmp_path)
    assert "From systemd" in listing.stdout, listing.stderr
    began = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert stopped_cleanly(process, tmp_path / "serve.log")
    assert time.monotonic() - began < int(service["TimeoutStopSec"][0].removesuffix("s"))


def image_environment(installed: Path, volume: Path) -> dict[str, str]:
    """The runtime stage's ENV, with this venv on PATH and the image's port swapped for a free
    one (`-p` maps the EXPOSEd port; here it must be free)."""
    steps = dockerfile(DEPLOY / "Dockerfile")
    env: dict[str, str] = {}
    for step in steps[max(n for n, s in enumerate(steps) if s.keyword == "FROM") :]:
        if step.keyword == "ENV":
            env.update(env_assignments(step.arguments))
    env = {k: v.replace("/var/lib/alertgate", str(volume)) for k, v in env.items() if k != "PATH"}
    env["ALERTGATE_PORT"] = str(free_port())
    env["HOME"] = str(volume)  # Docker sets HOME from the user's passwd entry: the volume
    env["PATH"] = f"{installed / 'bin'}:{os.environ['PATH']}"
    return env


def test_the_documented_docker_run_serves_the_proof_of_concepts_env_file(
    installed: Path, place: Path, tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> None:
    """The guide's `docker run` (ENTRYPOINT + its arguments, the image's ENV and USER, its
    mounts made directories here) serves with the proof of concept's quoted Teams URL and Graph
    settings, keeps the database in the volume, passes the HEALTHCHECK and the guide's `docker
    exec` commands, and fails the HEALTHCHECK once it has stopped."""
    steps = dockerfile(DEPLOY / "Dockerfile")
    (entrypoint,) = [s.exec_form() for s in steps if s.keyword == "ENTRYPOINT"]
    (check,) = [s.exec_form() for s in steps if s.keyword == "HEALTHCHECK"]
    run = documented_runs()[0]
    assert run.values("--user")[0].startswith(f"{SERVICE_UID}:")  # the group: the file's
    volume = state_directory(place / "volume")  # stands for /var/lib/alertgate
    mounted = {"/var/lib/alertgate": str(volume)}
    for target in run.mounts():
        if target != "/var/lib/alertgate":  # the env file
            mounted[target] = str(poc_env_file(place / Path(target).name))
    env = image_environment(installed, volume)

    def inside(args: list[str]) -> list[str]:
        return [mounted.get(a, a) for a in args]

    process = start(entrypoint + inside(run.args), env, volume, tmp_path / "run.log", started)
    url = f"http://127.0.0.1:{env['ALERTGATE_PORT']}"
    wait_for(lambda: healthy(url), "the documented docker run to serve /health")
    assert '"routes":{"teams":"teams","email":"graph"}' in (tmp_path / "run.log").read_text()
    assert post_trigger(url, "From the container") == 202
    assert (volume / "var" / "alertgate.db").is_file()
    if AS_ROOT:
        assert running_as(process) == (SERVICE_UID, SERVICE_GID)
    assert run_cli(installed / "bin" / "alertgate", check[1:], env, volume).returncode == 0
    guide = (ROOT / "docs" / "deploy.md").read_text()
    execs = re.findall(r"^docker exec alertgate alertgate (.*)$", guide, flags=re.MULTILINE)
    assert len(execs) == 2
    outputs = []
    for command in execs:
        result = run_cli(installed / "bin" / "alertgate", inside(shlex.split(command)), env, volume)
        assert result.returncode == 0, (command, result.stderr)
        outputs.append(result.stdout)
    assert "configuration OK" in outputs[0]
    assert "From the container" in outputs[1]
    process.send_signal(signal.SIGTERM)
    assert stopped_cleanly(process, tmp_path / "run.log")
    assert run_cli(installed / "bin" / "alertgate", check[1:], env, volume).returncode == 1
