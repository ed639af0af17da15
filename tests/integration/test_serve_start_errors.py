"""`alertgate serve` that cannot start says why in one line naming the setting, and exits non-zero.

Real `alertgate` processes: an unreachable database, a host that does not resolve or is not this
machine's, a port already taken, a SQLite file another `alertgate serve` serves from. No
traceback, and the database password never appears.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from tests.support.cli import Result, run_cli
from tests.support.db import snapshot
from tests.support.net import free_port
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

PASSWORD = "s3cret-Pw-9f2"


def only_line(result: Result) -> str:
    """The process's whole output: exactly one line, on stderr."""
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


def test_serve_with_the_database_unreachable_exits_1_naming_the_url_masked(
    tmp_path: Path,
) -> None:
    """PostgreSQL refusing connections at start: one line naming ALERTGATE_DATABASE_URL with
    the password masked, and the database's reason; exit status 1 (database not ready)."""
    url = f"postgresql+psycopg://alertgate:{PASSWORD}@127.0.0.1:{free_port()}/alertgate"
    result = run_cli(
        ["serve", "--port", str(free_port())], {"ALERTGATE_DATABASE_URL": url}, tmp_path
    )
    line = only_line(result)
    assert result.code == 1
    assert line.startswith("alertgate: cannot open the database ALERTGATE_DATABASE_URL=")
    assert "postgresql+psycopg://alertgate:***@127.0.0.1:" in line
    assert "Connection refused" in line
    assert PASSWORD not in result.err


def test_serve_and_migrate_with_an_sqlite_path_that_cannot_exist_name_the_url(
    tmp_path: Path,
) -> None:
    """A SQLite file whose directory cannot be created: the same one line, for serve and migrate."""
    env = {"ALERTGATE_DATABASE_URL": "sqlite:////proc/alertgate/alertgate.db"}
    for args in (["serve", "--port", str(free_port())], ["migrate"]):
        result = run_cli(args, env, tmp_path)
        assert result.code == 1
        assert "cannot open the database ALERTGATE_DATABASE_URL=sqlite:////proc/" in only_line(
            result
        )


def test_serve_with_a_host_that_does_not_resolve_exits_2_naming_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    """ALERTGATE_HOST that no resolver knows: one line naming the setting; check-config reports
    it too, among the invalid settings, before anyone tries to serve."""
    env = {"ALERTGATE_DATABASE_URL": sqlite_url, "ALERTGATE_HOST": "no-such-host.invalid"}
    served = run_cli(["serve", "--port", str(free_port())], env, tmp_path)
    assert served.code == 2
    line = only_line(served)
    assert "ALERTGATE_HOST='no-such-host.invalid' (server.host, --host) does not resolve" in line
    checked = run_cli(["check-config"], env, tmp_path)
    assert checked.code == 2
    assert "ALERTGATE_HOST='no-such-host.invalid'" in checked.err


def test_serve_on_an_address_of_another_machine_exits_2_naming_the_host(
    sqlite_url: str, tmp_path: Path
) -> None:
    """--host with an address this machine does not have (TEST-NET-1): one line naming it."""
    env = {"ALERTGATE_DATABASE_URL": sqlite_url}
    result = run_cli(["serve", "--host", "192.0.2.1", "--port", str(free_port())], env, tmp_path)
    assert result.code == 2
    assert "ALERTGATE_HOST='192.0.2.1' (server.host, --host) is not an address of this machine" in (
        only_line(result)
    )


def test_serve_on_a_port_in_use_exits_2_naming_the_port_and_touches_no_database(
    tmp_path: Path,
) -> None:
    """Another server holds the port: one line naming ALERTGATE_PORT; nothing is migrated."""
    database = tmp_path / "alertgate.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"ALERTGATE_DATABASE_URL": f"sqlite:///{database}", "ALERTGATE_PORT": str(port)}
        result = run_cli(["serve"], env, tmp_path)
    assert result.code == 2
    line = only_line(result)
    assert (
        f"ALERTGATE_PORT={port} (server.port, --port): 127.0.0.1:{port} is already in use" in line
    )
    assert not database.exists()


def test_a_second_serve_on_the_same_sqlite_file_exits_1_naming_the_first(
    sqlite_url: str, tmp_path: Path
) -> None:
    """SQLite takes one serving process: a second `alertgate serve` on the same file, on another
    port, refuses to start naming the process that serves (it would release that one's outbox
    leases and send what it is sending) and leaves it undisturbed. The lock dies with its
    process, SIGKILL included: the file can be served again at once."""
    env = {"ALERTGATE_DATABASE_URL": sqlite_url}
    with ServerProcess(sqlite_url, tmp_path) as first:
        assert first.process is not None
        body = b'{"alert_id": "one", "alert_action": "TRIGGERED"}'
        assert httpx.post(f"{first.url}/coralogix/webhook", content=body).status_code == 202
        second = run_cli(["serve", "--port", str(free_port())], env, tmp_path)
        assert second.code == 1
        line = only_line(second)
        assert f"another alertgate serve (pid {first.process.pid} on " in line
        assert "is using the SQLite database" in line
        assert httpx.get(f"{first.url}/ready").status_code == 200
        first.kill()
    assert len(snapshot(sqlite_url).states) == 1
    ServerProcess(sqlite_url, tmp_path).start().stop()
