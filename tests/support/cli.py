"""Running the `alertgate` command as a user would, in a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run_cli(args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 60) -> Result:
    """`alertgate ARGS` with only `env` as settings (none inherited from the test process)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ALERTGATE_", "GRAPH_"))}
    done = subprocess.run(
        [sys.executable, "-m", "alertgate", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)
