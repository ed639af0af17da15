"""A real `alertgate serve` process on a free port, driven over HTTP like a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from alertgate.config import SPECS
from tests.support.net import free_port

SETTINGS = {s.env for s in SPECS}  # the PoC's names too: a developer's real TEAMS_WEBHOOK_URL


def _is_setting(name: str) -> bool:
    """A variable alertgate reads: never passed from the test runner's environment."""
    return name in SETTINGS or name.startswith(("ALERTGATE_", "GRAPH_"))


class ServerProcess:
    """Starts, stops and kills one `alertgate serve`; its log goes to `log_path`."""

    def __init__(
        self,
        database_url: str | None,
        workdir: Path,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.log_path = workdir / f"alertgate-{self.port}.log"
        self._args = args
        self._env = {
            **{k: v for k, v in os.environ.items() if not _is_setting(k)},
            # None: the default, SQLite in ./var/ of the working directory
            **({"ALERTGATE_DATABASE_URL": database_url} if database_url else {}),
            "ALERTGATE_PORT": str(self.port),
            "ALERTGATE_LOG_FORMAT": "json",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> ServerProcess:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "alertgate", "serve", *self._args],
                cwd=self.workdir,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"alertgate exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()  # never leave a half-started server behind
        raise RuntimeError(f"alertgate did not start in {timeout}s:\n{self.log()}")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, as systemd stops it; returns the exit code."""
        return self._signal(signal.SIGTERM, timeout)

    def kill(self) -> int:
        """SIGKILL: no shutdown code runs."""
        return self._signal(signal.SIGKILL, 10.0)

    def pause(self) -> None:
        """SIGSTOP: the process does nothing (no tick, no delivery) until resume()."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after pause()."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def _signal(self, sig: signal.Signals, timeout: float) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
