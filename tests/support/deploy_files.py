"""Readers for the deploy files, as systemd and Docker read them (the parts tests check)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def unit_file(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections -> keys -> values in order (systemd keys may repeat: Environment=, ...)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON-array (exec) form's argv; fails for the shell form."""
        args = self.arguments
        if self.keyword == "HEALTHCHECK":
            args = args[args.index("CMD") + 3 :]
        value = json.loads(args)
        assert isinstance(value, list), f"{self.keyword} is not in exec form"
        return [str(v) for v in value]

    def options(self) -> dict[str, str]:
        """--name=value options before the command (HEALTHCHECK, COPY)."""
        return dict(re.findall(r"--([a-z-]+)=(\S+)", self.arguments.split("CMD")[0]))


def dockerfile(path: Path) -> list[Instruction]:
    """Instructions in order, with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or not (line or pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(arguments.split())))
        pending = ""
    return instructions


def env_assignments(arguments: str) -> dict[str, str]:
    """ENV KEY=VALUE KEY2=VALUE2 (the modern form)."""
    return dict(word.split("=", 1) for word in shlex.split(arguments))
