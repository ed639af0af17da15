"""A throw-away real Prometheus (the Debian package's binary) scraping a test's servers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from tests.support.net import free_port
from tests.support.polling import wait_for


class PrometheusProcess:
    """Scrapes `targets` as job `job` every second and evaluates `rules` every second."""

    def __init__(self, workdir: Path, job: str, targets: list[str], rules: Path) -> None:
        binary = shutil.which("prometheus")
        assert binary, "prometheus not found: `make test-tools` installs it (Debian: prometheus)"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "prometheus.log"
        config = workdir / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: ['{rules}']\n"
            f"scrape_configs:\n  - job_name: {job}\n"
            f"    static_configs: [{{targets: {targets!r}}}]\n"
        )
        self._argv = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PrometheusProcess:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(self._argv, stdout=log, stderr=log)
        wait_for(self._ready, "Prometheus to be ready", timeout=30)
        return self

    def _ready(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise AssertionError(f"prometheus exited:\n{self.log_path.read_text()}")
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def api(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=5)
        response.raise_for_status()
        return response.json()["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api("query", query=expr)["result"]
        return result

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
