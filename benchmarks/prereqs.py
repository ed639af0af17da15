"""The tools the benchmarks drive: find them, install the Debian packages when missing, and
report their versions."""

from __future__ import annotations

import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

# Debian package -> the binary it provides (bookworm: Alertmanager 0.25, wrk 4.1).
PACKAGES = {"wrk": "wrk", "prometheus-alertmanager": "prometheus-alertmanager"}


class PrerequisiteError(RuntimeError):
    """A tool the benchmarks need is missing and cannot be installed here."""


@dataclass(frozen=True, slots=True)
class Tools:
    wrk: str
    alertmanager: str
    py_spy: str | None


def ensure_tools() -> Tools:
    """Find wrk and Alertmanager, installing their Debian packages (as root) when missing."""
    missing = [pkg for pkg, binary in PACKAGES.items() if _which(binary) is None]
    if missing:
        _apt_install(missing)
    found = {pkg: _which(binary) for pkg, binary in PACKAGES.items()}
    absent = [pkg for pkg, path in found.items() if path is None]
    if absent:
        raise PrerequisiteError(f"installed {absent} but their binaries are still not on PATH")
    return Tools(
        wrk=str(found["wrk"]),
        alertmanager=str(found["prometheus-alertmanager"]),
        py_spy=_which("py-spy"),
    )


def _which(binary: str) -> str | None:
    # The venv's bin first: py-spy comes from PyPI (the `bench` dependency group).
    beside = Path(sys.executable).parent / binary
    if beside.exists():
        return str(beside)
    return shutil.which(binary) or (
        f"/usr/bin/{binary}" if Path(f"/usr/bin/{binary}").exists() else None
    )


def _apt_install(packages: list[str]) -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PrerequisiteError(
            f"missing {', '.join(packages)}; install them with "
            f"`apt-get install {' '.join(packages)}` (needs root and Debian)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"benchmarks: installing {' '.join(packages)} with apt-get", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    # --no-install-recommends: Alertmanager's recommends pull in nothing the benchmark uses,
    # and the package's own service is never started (we run our own instance).
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env=env,
    )


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError as exc:
        return f"unavailable ({exc})"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def versions(tools: Tools, pg_version: str | None) -> dict[str, str]:
    """Every version that shapes the numbers, for the report."""
    packages = ("alertgate", "uvicorn", "uvloop", "httptools", "SQLAlchemy", "psycopg", "orjson")
    found = {name: _dist_version(name) for name in packages}
    found["Python"] = f"{platform.python_implementation()} {platform.python_version()}"
    found["SQLite library"] = sqlite3.sqlite_version
    found["PostgreSQL server"] = pg_version or "not reachable"
    found["Alertmanager"] = _first_line([tools.alertmanager, "--version"])
    found["wrk"] = re.sub(r"\s+Copyright.*", "", _first_line([tools.wrk, "-v"]))
    found["py-spy"] = _first_line([tools.py_spy, "--version"]) if tools.py_spy else "not installed"
    return found


def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    """The machine the numbers were taken on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "OS": _os_release(),
        "load average at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def _os_release() -> str:
    path = Path("/etc/os-release")
    if not path.exists():
        return platform.platform()
    fields = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return fields.get("PRETTY_NAME", "unknown").strip('"')
