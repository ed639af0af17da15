"""deploy/alertgate.service: valid for systemd, hardened, and running the command it should."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from alertgate.cli import build_parser
from alertgate.config import SPECS
from tests.support.deploy_files import DEPLOY, ROOT, unit_file

UNIT = DEPLOY / "alertgate.service"
MAX_EXPOSURE = 20  # systemd-analyze security's 0-100 scale: 2.0 and below rates "OK"


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    assert path, "systemd-analyze not found: `make test-tools` installs it (Debian: systemd)"
    return path


def service() -> dict[str, list[str]]:
    return unit_file(UNIT)["Service"]


def runnable_copy(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's alertgate (verify checks it exists)."""
    alertgate = shutil.which("alertgate") or str(ROOT / ".venv" / "bin" / "alertgate")
    copy = tmp_path / "alertgate.service"
    copy.write_text(UNIT.read_text().replace("/opt/alertgate/bin/alertgate", alertgate))
    return copy


def test_systemd_accepts_the_unit_without_a_warning(tmp_path: Path) -> None:
    """`systemd-analyze verify` passes and prints nothing (unknown keys only warn: none)."""
    result = subprocess.run(
        [systemd_analyze(), "verify", str(runnable_copy(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_unit_is_hardened(tmp_path: Path) -> None:
    """`systemd-analyze security` rates the unit's exposure at 2.0 or below ("OK")."""
    result = subprocess.run(
        [
            systemd_analyze(),
            "security",
            "--offline=true",
            f"--threshold={MAX_EXPOSURE}",
            str(runnable_copy(tmp_path)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    exposure = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
    assert exposure, result.stdout + result.stderr
    assert result.returncode == 0, f"exposure {exposure[1]} above {MAX_EXPOSURE / 10}"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("Type", "exec"),
        ("User", "alertgate"),
        ("StateDirectory", "alertgate"),
        ("EnvironmentFile", "/etc/alertgate/alertgate.env"),
        ("Restart", "on-failure"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("CapabilityBoundingSet", ""),
    ],
)
def test_the_unit_sets(key: str, value: str) -> None:
    """The directives issue 6 and the deploy notes ask for are there, with these values."""
    assert service().get(key) == [value]


def test_the_unit_keeps_restarting_a_failed_start() -> None:
    """No start limit: a start that fails for a while (the database still down after five
    tries) is retried every RestartSec until it works, instead of leaving the unit failed."""
    unit = unit_file(UNIT)["Unit"]
    assert unit["StartLimitIntervalSec"] == ["0"]
    assert service()["Restart"] == ["on-failure"]
    assert service()["RestartSec"] == ["2s"]


def test_exec_start_runs_serve_and_the_defaults_are_settings_alertgate_knows() -> None:
    """ExecStart is `alertgate serve` as the CLI parses it; every Environment= default is a
    real setting; the database lives in the StateDirectory."""
    argv = shlex.split(service()["ExecStart"][0])
    assert Path(argv[0]).name == "alertgate"
    assert build_parser().parse_args(argv[1:]).command == "serve"
    defaults = dict(e.split("=", 1) for e in service()["Environment"])
    assert set(defaults) <= {s.env for s in SPECS}
    assert defaults["ALERTGATE_DATABASE_URL"] == "sqlite:////var/lib/alertgate/alertgate.db"


def test_systemd_waits_longer_than_the_graceful_shutdown() -> None:
    """TimeoutStopSec exceeds serve's 30 s drain, so SIGKILL never cuts a clean shutdown."""
    (timeout,) = service()["TimeoutStopSec"]
    assert int(timeout.removesuffix("s")) > 30


def test_the_unit_explains_replacing_the_proof_of_concept() -> None:
    """The header tells a proof-of-concept user how to retire aiops.service."""
    text = UNIT.read_text()
    assert "aiops.service" in text
    assert "/etc/aiops.env" in text
