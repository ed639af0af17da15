"""docs/migrating-from-poc.md step 2: the proof of concept's env file, plus the two lines the
guide appends, is a valid alertgate configuration read by the CLI as the service reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.deploy_files import ROOT

POC_ENV = ROOT / "tests" / "fixtures" / "config" / "aiops.env"  # /etc/aiops.env as the PoC wrote it


@pytest.mark.slow
def test_the_proof_of_concepts_env_file_passes_check_config(tmp_path: Path) -> None:
    """check-config accepts the copied file, takes every value from it, and masks the
    Workflows signature."""
    env_file = tmp_path / "alertgate.env"
    appended = "ALERTGATE_WEBHOOK_TOKEN=0123456789abcdef\n"
    appended += f"ALERTGATE_DATABASE_URL=sqlite:///{tmp_path}/alertgate.db\n"
    env_file.write_text(POC_ENV.read_text().rstrip("\n") + "\n" + appended)
    result = run_cli(["check-config", "--env-file", str(env_file)], {}, tmp_path)
    assert result.code == 0, result.err
    for name in ("CORALOGIX_API_BASE", "TEAMS_WEBHOOK_URL", "GRAPH_CLIENT_ID", "EMAIL_TO"):
        (line,) = [line for line in result.out.splitlines() if line.strip().startswith(name)]
        assert line.endswith("[env file]"), line
    assert "sig=***" in result.out
    assert "TopSecretSig123" not in result.out
    assert "configuration OK" in result.out


def test_the_guide_retires_aiops_service_and_can_roll_back() -> None:
    """The guide disables aiops.service before enabling alertgate (both want port 5000) and
    says how to go back."""
    text = (ROOT / "docs" / "migrating-from-poc.md").read_text()
    assert text.index("disable --now aiops.service") < text.index("enable --now alertgate")
    assert "enable --now aiops.service" in text.split("## Rolling back", 1)[1]
