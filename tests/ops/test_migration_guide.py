"""docs/migrating-from-poc.md, run: steps 2 and 3 are executed by bash as written, in a sandbox
(paths under a temporary directory, no sudo, this user's group for `alertgate`, a free port,
the proof of concept's Teams URL pointing at the Workflows emulator), on the proof of concept's
env file saved without a final line break. Step 1's install is test_installed.py's; step 4's
unit is test_systemd_unit.py's and test_installed.py's."""

from __future__ import annotations

import grp
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.emulators.https import LoopbackCA, ThreadedServer
from tests.emulators.teams import TeamsEmulator, workflow_url
from tests.support.deploy_files import ROOT
from tests.support.net import free_port
from tests.support.polling import wait_for

GUIDE = ROOT / "docs" / "migrating-from-poc.md"
POC_ENV = FIXTURES / "config" / "aiops.env"  # /etc/aiops.env in the proof of concept's format
POC_TEAMS_URL = re.compile(r'^TEAMS_WEBHOOK_URL=".*"$', re.MULTILINE)


def step_blocks(step: int) -> list[str]:
    """The ```sh blocks of step N ("**N. ..." up to the next step), as written."""
    text = GUIDE.read_text()
    part = text.split(f"\n**{step}. ", 1)[1].split(f"\n**{step + 1}. ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", part, flags=re.DOTALL)


def sandboxed(script: str, tmp: Path, port: int) -> str:
    """The guide's commands with this machine's equivalents for its paths and users."""
    alertgate = shutil.which("alertgate") or str(ROOT / ".venv" / "bin" / "alertgate")
    group = grp.getgrgid(os.getgid()).gr_name
    for old, new in [
        ("sudo -u alertgate ", ""),
        ("sudo ", ""),
        ("-g alertgate", f"-g {group}"),
        ("/etc/aiops.env", f"{tmp}/aiops.env"),
        ("/etc/alertgate", f"{tmp}/etc-alertgate"),
        ("/opt/alertgate/bin/alertgate", alertgate),
        ("/tmp/alertgate-rehearsal.db", f"{tmp}/rehearsal.db"),  # noqa: S108 - replaced
        ("/var/lib/alertgate", f"{tmp}/state"),
        ("5001", str(port)),
    ]:
        script = script.replace(old, new)
    return script


def waiting_for_the_background_server(script: str, port: int) -> str:
    """A person types the next command a moment after `... &`; a script must wait."""
    health = f"curl -fs http://localhost:{port}/health >/dev/null"
    wait = f"for _ in $(seq 200); do {health} && break; sleep 0.1; done"
    return re.sub(r"^(.*&)$", lambda m: f"{m[1]}\n{wait}", script, flags=re.MULTILINE)


@pytest.fixture
def teams(tmp_path: Path) -> Iterator[tuple[TeamsEmulator, ThreadedServer, LoopbackCA]]:
    ca = LoopbackCA.create(tmp_path)
    emulator = TeamsEmulator()
    server = ThreadedServer(emulator.app(), ca).start()
    yield emulator, server, ca
    server.stop()


@pytest.mark.slow
def test_steps_2_and_3_work_as_written_on_the_proof_of_concepts_env_file(
    tmp_path: Path, teams: tuple[TeamsEmulator, ThreadedServer, LoopbackCA]
) -> None:
    """Step 2 adds its lines even though the last line of /etc/aiops.env has no line break,
    check-config accepts the result with Graph on the email route and the token from the file;
    step 3's rehearsal answers /health, holds the trigger, decides the resolve
    resolved_in_hold, posts the card to Teams within seconds, and is stopped and cleaned up."""
    emulator, server, ca = teams
    poc = POC_TEAMS_URL.sub(f'TEAMS_WEBHOOK_URL="{workflow_url(server.base)}"', POC_ENV.read_text())
    (tmp_path / "aiops.env").write_text(poc.rstrip("\n"))  # saved without a final line break
    port = free_port()
    step3_run, step3_stop = step_blocks(3)
    script = "\n".join(
        [
            "set -e",
            *step_blocks(2),
            waiting_for_the_background_server(step3_run, port),
            'echo; echo "=== rehearsed"',  # curl prints no final line break
            "read -r _",
            step3_stop,
            'echo "=== stopped"',
        ]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALERTGATE_", "GRAPH_"))}
    env["ALERTGATE_CA_BUNDLE"] = str(ca.ca_path)  # trust the emulator, as a real CA is trusted
    with subprocess.Popen(
        ["bash", "-c", sandboxed(script, tmp_path, port)],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as bash:
        assert bash.stdin is not None
        assert bash.stdout is not None
        try:
            lines = []
            while (line := bash.stdout.readline()) and line != "=== rehearsed\n":
                lines.append(line)
            out = "".join(lines)
            assert line == "=== rehearsed\n", out
            wait_for(lambda: emulator.cards, "the self-resolved card to reach Teams", timeout=15)
            bash.stdin.write("\n")
            bash.stdin.flush()
            rest = bash.stdout.read()
            assert bash.wait(timeout=60) == 0, rest
        finally:
            if bash.poll() is None:
                bash.kill()
    settings_file = (tmp_path / "etc-alertgate" / "alertgate.env").read_text()
    assert re.search(r"^EMAIL_TO=alerts@company.com, oncall@company.com$", settings_file, re.M)
    assert re.search(r"^ALERTGATE_WEBHOOK_TOKEN=[0-9a-f]{64}$", settings_file, re.M)
    assert "configuration OK" in out
    assert re.search(r"email +-> graph", out)
    assert re.search(r"ALERTGATE_WEBHOOK_TOKEN .*\*\*\* \(set\) +\[env file\]", out)
    assert re.search(r"ALERTGATE_HOST .* 0\.0\.0\.0 +\[env file\]", out)
    assert "warning:" not in out
    assert '{"status":"ok"}' in out
    assert '"status":"monitoring"' in out
    assert '"decision":"resolved_in_hold"' in out
    assert "=== stopped" in rest
    assert not list(tmp_path.glob("rehearsal.db*"))


def test_the_guide_retires_aiops_service_and_can_roll_back() -> None:
    """The guide disables aiops.service before enabling alertgate (both want port 5000) and
    says how to go back."""
    text = GUIDE.read_text()
    assert text.index("disable --now aiops.service") < text.index("enable --now alertgate")
    assert "enable --now aiops.service" in text.split("## Rolling back", 1)[1]


def test_the_guide_puts_alertgate_back_on_loopback_once_the_tunnel_carries_the_webhooks() -> None:
    """Step 2 listens where the proof of concept did while Coralogix posts to port 5000;
    step 6, with the tunnel in place, removes exactly that line again."""
    (added,) = re.findall(r"^ALERTGATE_HOST=.*$", "".join(step_blocks(2)), flags=re.MULTILINE)
    (removal,) = step_blocks(6)
    (pattern,) = re.findall(r"sed -i '/(.*)/d'", removal)
    assert re.fullmatch(pattern, added)
    assert "systemctl restart alertgate" in removal
