"""deploy/Dockerfile: non-root, the database in a volume, a health check on /health, and
command lines the CLI accepts. (No Docker engine here: the build itself is not run; the
install and the commands are, in test_installed.py.)"""

from __future__ import annotations

import fnmatch
import tomllib

from alertgate.cli import build_parser
from alertgate.config import SPECS
from tests.support.deploy_files import DEPLOY, ROOT, Instruction, dockerfile, env_assignments

DOCKERFILE = DEPLOY / "Dockerfile"


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
    """USER names a system user created with a fixed non-zero uid."""
    (user,) = [i.arguments for i in runtime() if i.keyword == "USER"]
    assert user == "alertgate"
    (created,) = [i.arguments for i in runtime() if i.keyword == "RUN" and "useradd" in i.arguments]
    assert "--uid 10001" in created
    assert "--system" in created


def test_the_database_lives_in_the_volume() -> None:
    """The only VOLUME holds the SQLite file the default database URL names."""
    (volume,) = [i.exec_form() for i in runtime() if i.keyword == "VOLUME"]
    assert volume == ["/var/lib/alertgate"]
    assert image_env()["ALERTGATE_DATABASE_URL"] == "sqlite:////var/lib/alertgate/alertgate.db"


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
