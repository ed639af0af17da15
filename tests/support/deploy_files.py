"""Readers for the deploy files, as systemd and Docker read them (the parts tests check)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "alertgate.env.example"
SETTING_LINE = re.compile(r"^#([A-Z][A-Z0-9_]*)=(.*)$")
# A pinned install of this checkout with extras: pip (or the Makefile's $(PIP)) install -c ...
INSTALL = re.compile(
    r"(?:pip|\$\(PIP\)) install (?:--quiet )?-c constraints\.txt (?:-e )?[\"']?\.(\[[a-z,]+\])"
)


def uncommented_env(path: Path) -> dict[str, str]:
    """The example env file's commented-out settings, as NAME -> the text after "="."""
    return {m[1]: m[2] for line in path.read_text().splitlines() if (m := SETTING_LINE.match(line))}


def documented_extras() -> str:
    """The extras of the install the deploy files document (the Dockerfile's, which every other
    place must match): "[postgres,graph]"."""
    (extras,) = {str(e) for e in INSTALL.findall((DEPLOY / "Dockerfile").read_text())}
    return extras


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


def shell_blocks(markdown: str) -> list[list[str]]:
    """The commands of each ```sh block, continuation lines joined."""
    blocks: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, flags=re.DOTALL):
        commands: list[str] = []
        pending = ""
        for line in block.splitlines():
            if line.endswith("\\"):
                pending += line[:-1].strip() + " "
                continue
            commands.append((pending + line.strip()).strip())
            pending = ""
        blocks.append([c for c in commands if c])
    return blocks


def comment_commands(path: Path, program: str) -> list[str]:
    """Commands shown in a file's `#   program ...` comment lines, continuations joined."""
    commands: list[str] = []
    pending: str | None = None
    for raw in path.read_text().splitlines():
        text = raw.removeprefix("#").strip()
        if pending is None and not text.startswith(program + " "):
            continue
        pending = (pending or "") + text.removesuffix("\\").strip() + " "
        if not text.endswith("\\"):
            commands.append(pending.strip())
            pending = None
    return commands


_DOCKER_FLAGS = {"-d", "--detach", "--rm", "-i", "-t", "-it", "--init"}


@dataclass(frozen=True)
class DockerRun:
    """`docker run [OPTIONS] IMAGE [ARG...]`, as the Docker CLI splits it."""

    options: list[tuple[str, str | None]]
    image: str
    args: list[str]

    def values(self, name: str) -> list[str]:
        return [v for n, v in self.options if n == name and v is not None]

    def mounts(self) -> dict[str, str]:
        """-v SOURCE:TARGET[:MODE] -> {TARGET: SOURCE}."""
        return {v.split(":")[1]: v.split(":")[0] for v in self.values("-v")}


def docker_run(command: str) -> DockerRun:
    words = shlex.split(command)
    assert words[:2] == ["docker", "run"], command
    options: list[tuple[str, str | None]] = []
    i = 2
    while words[i].startswith("-"):
        word = words[i]
        if word.startswith("--") and "=" in word:
            name, value = word.split("=", 1)
            options.append((name, value))
            i += 1
        elif word in _DOCKER_FLAGS:
            options.append((word, None))
            i += 1
        else:
            options.append((word, words[i + 1]))
            i += 2
    return DockerRun(options, words[i], words[i + 1 :])


def documented_runs() -> list[DockerRun]:
    """The `docker run` commands of docs/deploy.md and of the Dockerfile's header."""
    guide = [c for b in shell_blocks((ROOT / "docs" / "deploy.md").read_text()) for c in b]
    header = comment_commands(DEPLOY / "Dockerfile", "docker")
    return [docker_run(c) for c in guide + header if c.startswith("docker run")]
