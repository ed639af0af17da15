"""The alerting rules on alertgate itself: valid for Prometheus, firing exactly when their
unit tests say, and shown verbatim in docs/metrics.md."""

from __future__ import annotations

import re
import shutil
import subprocess

from tests.support.deploy_files import DEPLOY, ROOT

RULES = DEPLOY / "prometheus" / "alertgate-rules.yml"
RULE_TESTS = ROOT / "tests" / "fixtures" / "prometheus" / "alertgate-rules.test.yml"
METRICS_DOC = ROOT / "docs" / "metrics.md"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    path = shutil.which("promtool")
    assert path, "promtool not found: `make test-tools` installs it (Debian package prometheus)"
    return subprocess.run([path, *args], capture_output=True, text=True, check=False, cwd=ROOT)


def test_promtool_accepts_the_rules() -> None:
    """`promtool check rules` finds the three rules and no problem."""
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 3 rules found" in result.stdout


def test_each_rule_fires_when_and_only_when_it_should() -> None:
    """`promtool test rules`: outbox stuck after 15 min + 5 min (once for two replicas), not
    for an outbox that drains; dead letters while any is left; no events after 6 h + 10 min,
    not while events arrive."""
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_metrics_doc_shows_the_rules_file_verbatim() -> None:
    """docs/metrics.md quotes deploy/prometheus/alertgate-rules.yml exactly."""
    blocks = re.findall(r"```yaml\n(.*?)```", METRICS_DOC.read_text(), re.DOTALL)
    assert RULES.read_text() in blocks
