"""`alertgate incidents`, `outbox`, `healthcheck` and `version` against real databases and a real
server."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import create_engine, text

from alertgate import __version__
from alertgate.adapters.stores import migrate
from tests.support.cli import run_cli
from tests.support.net import free_port
from tests.support.polling import wait_for
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow


def poc(alert_id: str, action: str, name: str) -> bytes:
    return orjson.dumps({"alert_id": alert_id, "alert_name": name, "alert_action": action})


def test_incidents_list_and_show_read_the_store_beside_a_running_server(
    store_url: str, tmp_path: Path
) -> None:
    """While the server runs, `incidents list` shows its incidents (filtered by state) and
    `incidents show` an incident's timeline, and --json matches the HTTP API."""
    env = {"ALERTGATE_DATABASE_URL": store_url}
    with ServerProcess(store_url, tmp_path, env={"ALERTGATE_HOLD_SECONDS": "1"}) as server:
        hook = f"{server.url}/coralogix/webhook"
        open_id = httpx.post(hook, content=poc("cpu", "TRIGGERED", "CPU spike")).json()
        healed = httpx.post(hook, content=poc("disk", "TRIGGERED", "Disk full")).json()
        httpx.post(hook, content=poc("disk", "RESOLVED", "Disk full"))
        wait_for(
            lambda: "escalated" in run_cli(["incidents", "list"], env, tmp_path).out,
            "the CLI to see the escalation",
        )
        listing = run_cli(["incidents", "list"], env, tmp_path)
        escalated = run_cli(["incidents", "list", "--state", "escalated"], env, tmp_path)
        shown = run_cli(["incidents", "show", open_id["incident_id"]], env, tmp_path)
        as_json = run_cli(["incidents", "show", healed["incident_id"], "--json"], env, tmp_path)
        api = httpx.get(f"{server.url}/api/incidents/{healed['incident_id']}").json()
        listed_json = run_cli(["incidents", "list", "--json", "--limit", "1"], env, tmp_path)
        api_page = httpx.get(f"{server.url}/api/incidents", params={"limit": 1}).json()

    assert listing.code == 0, listing.err
    assert listing.out.splitlines()[0].split() == ["ID", "STATE", "PRI", "OPENED", "REASON", "NAME"]
    assert "CPU spike" in listing.out
    assert "Disk full" in listing.out
    assert "CPU spike" in escalated.out
    assert "Disk full" not in escalated.out
    assert shown.code == 0, shown.err
    assert "state        escalated (episode 1, because hold_expired)" in shown.out
    assert "decision      escalated because hold_expired" in shown.out
    assert "notification  escalation to email via log: sent after 1 attempt(s)" in shown.out
    assert orjson.loads(as_json.out) == api
    assert orjson.loads(listed_json.out) == api_page
    assert api_page["next_cursor"]  # two incidents, one per page


def test_incidents_show_of_an_unknown_id_exits_1_naming_it(sqlite_url: str, tmp_path: Path) -> None:
    """An id with nothing stored for it is reported on stderr with exit status 1."""
    env = {"ALERTGATE_DATABASE_URL": sqlite_url}
    assert run_cli(["migrate"], env, tmp_path).code == 0
    result = run_cli(["incidents", "show", "0123456789abcdef"], env, tmp_path)
    assert (result.code, result.out) == (1, "")
    assert "no incident '0123456789abcdef' and no event for it" in result.err


def test_incidents_show_of_an_id_with_only_recorded_events_prints_them(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The id a resolve with nothing open was answered with: `show` exits 0, says no incident
    was ever opened and lists the recorded event; --json matches the API (incident null)."""
    env = {"ALERTGATE_DATABASE_URL": sqlite_url}
    with ServerProcess(sqlite_url, tmp_path) as server:
        hook = f"{server.url}/coralogix/webhook"
        answer = httpx.post(hook, content=poc("ghost", "RESOLVED", "Ghost")).json()
        api = httpx.get(f"{server.url}/api/incidents/{answer['incident_id']}").json()
    shown = run_cli(["incidents", "show", answer["incident_id"]], env, tmp_path)
    as_json = run_cli(["incidents", "show", answer["incident_id"], "--json"], env, tmp_path)
    assert shown.code == 0, shown.err
    assert f"incident {answer['incident_id']}: never opened" in shown.out
    assert "resolve received (episode 0): resolve_without_incident" in shown.out
    assert as_json.code == 0, as_json.err
    assert orjson.loads(as_json.out) == api
    assert api["incident"] is None


def test_incidents_on_a_missing_sqlite_file_explain_and_create_nothing(tmp_path: Path) -> None:
    """A wrong ALERTGATE_DATABASE_URL is reported, not answered with an empty new database."""
    path = tmp_path / "nowhere" / "alertgate.db"
    result = run_cli(
        ["incidents", "list"], {"ALERTGATE_DATABASE_URL": f"sqlite:///{path}"}, tmp_path
    )
    assert result.code == 1
    assert f"no database at {path}" in result.err
    assert not path.parent.exists()


@pytest.mark.parametrize(
    "args", [["outbox", "list"], ["outbox", "retry", "--all-dead"], ["outbox", "retry", "1"]]
)
def test_outbox_on_a_missing_sqlite_file_explains_and_creates_nothing(
    args: list[str], tmp_path: Path
) -> None:
    """Like `incidents`, `outbox` opens the server's database or says it is not there: an
    empty new database would answer "0 pending, 0 dead" and hide the wrong setting."""
    path = tmp_path / "nowhere" / "alertgate.db"
    result = run_cli(args, {"ALERTGATE_DATABASE_URL": f"sqlite:///{path}"}, tmp_path)
    assert result.code == 1
    assert f"no database at {path}" in result.err
    assert not path.parent.exists()


@pytest.mark.parametrize("command", [["incidents", "list"], ["outbox", "list"]])
@pytest.mark.parametrize("value", ["0", "-1", "1001", str(10**20), "ten"])
def test_a_page_size_out_of_range_is_a_usage_error_naming_the_option(
    command: list[str], value: str, tmp_path: Path
) -> None:
    """--limit takes 1 to 1000: anything else exits 2 naming the option, before any database
    is opened (so no traceback from the driver, and no file created)."""
    result = run_cli([*command, "--limit", value], {}, tmp_path)
    assert result.code == 2
    assert "argument --limit" in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "var").exists()


def test_incidents_refuse_a_database_at_another_schema_revision(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A database migrated by another alertgate version is named, with what to do about it."""
    env = {"ALERTGATE_DATABASE_URL": sqlite_url}
    assert run_cli(["migrate"], env, tmp_path).code == 0
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    result = run_cli(["incidents", "list"], env, tmp_path)
    assert result.code == 1
    assert "schema revision 0099" in result.err
    assert "alertgate migrate" in result.err


def test_healthcheck_is_0_for_a_running_server_and_1_when_none_answers(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The Docker HEALTHCHECK command: healthy while the server runs, unhealthy after."""
    port = free_port()
    env = {"ALERTGATE_PORT": str(port), "ALERTGATE_HOST": "0.0.0.0"}
    with ServerProcess(sqlite_url, tmp_path, port=port, env={"ALERTGATE_HOST": "0.0.0.0"}):
        healthy = run_cli(["healthcheck"], env, tmp_path)
    down = run_cli(["healthcheck", "--timeout", "2"], env, tmp_path)
    assert (healthy.code, healthy.out) == (0, f"ok: http://127.0.0.1:{port}/health\n")
    assert down.code == 1
    assert f"http://127.0.0.1:{port}/health" in down.err


def test_healthcheck_rejects_a_url_that_is_not_http(tmp_path: Path) -> None:
    """--url only takes http(s): the probe never opens files or other schemes."""
    result = run_cli(["healthcheck", "--url", "file:///etc/passwd"], {}, tmp_path)
    assert result.code == 1
    assert "must be an http:// or https:// URL" in result.err


def test_version_prints_the_version_python_and_schema(tmp_path: Path) -> None:
    """`version` and `--version` need no settings and no database."""
    result = run_cli(["version"], {"ALERTGATE_DATABASE_URL": "bogus"}, tmp_path)
    assert result.code == 0
    assert result.out.startswith(f"alertgate {__version__} (Python 3.")
    assert f"database schema {migrate.head_revision()}" in result.out
    flag = run_cli(["--version"], {}, tmp_path)
    assert flag.out == f"alertgate {__version__}\n"
