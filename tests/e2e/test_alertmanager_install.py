"""What `make test` does on a machine without Alertmanager: `python -m tests.support.alertmanager`
fetches Debian's package with apt and unpacks a working binary (and amtool) into the venv,
without installing it (no system service is started)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import alertmanager
from tests.support.alertmanager import AptUnreachableError

pytestmark = pytest.mark.slow


def test_a_machine_without_the_package_gets_a_working_binary_from_apt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No system binary, no override, nothing unpacked yet: the make step fetches the package,
    prints where the binary is, and that binary and its amtool run."""
    unpacked = tmp_path / "venv" / "alertmanager"
    monkeypatch.setattr(alertmanager, "SYSTEM_BINARY", tmp_path / "not-installed")
    monkeypatch.setattr(alertmanager, "UNPACKED", unpacked)
    monkeypatch.delenv("ALERTGATE_TEST_ALERTMANAGER", raising=False)
    try:
        alertmanager.binary()
    except AptUnreachableError as exc:
        pytest.skip(f"apt cannot reach its mirror: {exc}")
    capsys.readouterr()
    assert alertmanager.main() == 0  # a second run finds it unpacked
    executable = unpacked / "usr" / "bin" / "prometheus-alertmanager"
    assert capsys.readouterr().out == f"alertmanager: {executable}\n"
    for program in (executable, executable.with_name("amtool")):
        ran = subprocess.run(
            [str(program), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        assert ran.returncode == 0, ran.stderr
        assert "version 0." in ran.stdout + ran.stderr
    assert not list(unpacked.parent.glob("alertmanager.*"))  # no staging directory left behind
