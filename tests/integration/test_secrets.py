"""No configured secret leaves a real running server: not in a log line, not in an API response,
not in an error message, whether the input is good, bad or hostile."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import quote

import httpx
import orjson
import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from alertgate.config import SPECS, Settings
from tests.support import pg
from tests.support.cli import run_cli
from tests.support.echo import EchoServer
from tests.support.polling import wait_for
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

TOKEN = "tok-Wx7pQ2vR9sLkM3"
GRAPH_SECRET = "gr8Q~Secret.9f8e7d6c_5b4a"
SIG = "SiGvAlUe0123456789abcdefXYZ"
CORALOGIX_KEY = "cxtp_CoralogixKey1234567"
DB_PASSWORD = "pg@Pa55word#Xyz"  # '@' and '#' must be percent-encoded in the URL
HOOK_TOKEN = "hook-T0ken-in-the-url-Abc"
HOOK_HEADER = "hook-Header-Value-Def"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Settings whose value must have a shape; every other setting marked secret in config.SPECS
# (an SMTP password, say) gets a generated value and is checked the same way.
SHAPED = {"webhook_token", "coralogix_api_key", "graph_client_secret", "database_url"}
SHAPED |= {"teams_webhook_url", "notify_webhook_url", "notify_webhook_headers"}


def generated_secrets() -> dict[str, str]:
    """A distinct value for each secret setting that needs no particular shape."""
    return {
        spec.env: f"{spec.field.replace('_', '-')}-S3cr3t-Value"
        for spec in SPECS
        if spec.secret and spec.field not in SHAPED
    }


HAS_NOTIFY_WEBHOOK = "notify_webhook_url" in Settings.model_fields  # the webhook channel
SECRETS: tuple[str, ...] = (TOKEN, GRAPH_SECRET, SIG, CORALOGIX_KEY, DB_PASSWORD)
SECRETS += (HOOK_TOKEN, HOOK_HEADER) * HAS_NOTIFY_WEBHOOK + tuple(generated_secrets().values())


def spellings(secret: str) -> set[str]:
    """How a secret could appear in text: as is, JSON-escaped, percent-encoded."""
    return {secret, orjson.dumps(secret).decode()[1:-1], quote(secret, safe="")}


def leaks(text: str) -> list[str]:
    return [s for secret in SECRETS for s in spellings(secret) if s in text]


class Transcript:
    """Every response the test saw, as text, to be searched for secrets at the end."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def record(self, response: httpx.Response) -> httpx.Response:
        # the response only: the request the test sent quotes secrets on purpose
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.texts.append(f"{response.status_code}\n{headers}\n{response.text}")
        return response


@pytest.fixture
def secret_env(pg_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A PostgreSQL URL with a password (trust auth ignores it) and every secret setting set,
    the Teams URL pointing at a server that quotes requests back in its errors."""
    url = pg_url.replace("postgres@", f"postgres:{quote(DB_PASSWORD, safe='')}@", 1)
    with EchoServer() as echo:
        env = {
            "ALERTGATE_WEBHOOK_TOKEN": TOKEN,
            "ALERTGATE_HOLD_SECONDS": "1",
            "CORALOGIX_API_KEY": CORALOGIX_KEY,
            "CORALOGIX_API_BASE": echo.url,
            "TEAMS_WEBHOOK_URL": f"{echo.url}/workflows/1/triggers/manual/paths/invoke"
            f"?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIG}",
            "GRAPH_TENANT_ID": "00000000-0000-0000-0000-000000000001",
            "GRAPH_CLIENT_ID": "00000000-0000-0000-0000-000000000002",
            "GRAPH_CLIENT_SECRET": GRAPH_SECRET,
            "EMAIL_FROM": "alerts@example.com",
            "EMAIL_TO": "oncall@example.com",
            **generated_secrets(),
        }
        if "ALERTGATE_SMTP_PASSWORD" in env:  # a login needs its user name too
            env["ALERTGATE_SMTP_USERNAME"] = "alertgate"
        if "notify_webhook_url" in Settings.model_fields:
            env["ALERTGATE_NOTIFY_WEBHOOK_URL"] = (
                f"{echo.url}/hooks/{HOOK_TOKEN}?token={HOOK_TOKEN}"
            )
            env["ALERTGATE_NOTIFY_WEBHOOK_HEADERS"] = orjson.dumps({"X-Hook": HOOK_HEADER}).decode()
        else:  # not a setting yet: the secret is only sent as input
            env["ALERTGATE_TEST_UNUSED"] = HOOK_TOKEN
        yield url, env


def body(action: str, alert_id: str = "leak-1", **extra: str) -> bytes:
    fields = {"alert_id": alert_id, "alert_name": "Leak test", "alert_action": action, **extra}
    return orjson.dumps(fields)


def good_input(url: str, seen: Transcript) -> str:
    """A trigger that escalates, one that resolves in its hold, a Coralogix Test & Save sample,
    and every read endpoint. Returns an incident id whose stored payload quotes every secret."""
    hook = f"{url}/coralogix/webhook"
    # A sender that pasted secrets into its template: stored as sent, shown by the API.
    quoting = body("TRIGGERED", "quoting", description=" ".join(SECRETS))
    quoted_id: str = seen.record(httpx.post(hook, content=quoting, headers=AUTH)).json()[
        "incident_id"
    ]
    seen.record(httpx.post(hook, content=body("TRIGGERED", "healing"), headers=AUTH))
    seen.record(httpx.post(hook, content=body("RESOLVED", "healing"), headers=AUTH))
    sample = b'{"alert_action": "trigger", "fields": [{"key": "application", '
    sample += b'"value": "*insert desired application name*"}]}'
    seen.record(httpx.post(hook, content=sample, headers={"X-Alertgate-Token": TOKEN}))
    wait_for(
        lambda: "escalation" in httpx.get(f"{url}/api/incidents/{quoted_id}").text,
        "the escalation to be recorded",
    )
    for path in ("/health", "/ready", "/metrics", "/openapi.json", "/docs", "/api/incidents"):
        assert seen.record(httpx.get(f"{url}{path}")).status_code == 200, path
    shown = seen.record(httpx.get(f"{url}/api/incidents/{quoted_id}"))
    assert "[REDACTED]" in shown.text  # the payload was scrubbed, not dropped
    return quoted_id


def bad_input(url: str, seen: Transcript) -> None:
    """Wrong and missing tokens, bodies and paths that quote secrets back in their errors."""
    hook = f"{url}/coralogix/webhook"
    expected = [
        (httpx.post(hook, content=body("TRIGGERED")), 401),
        (httpx.post(hook, content=body("TRIGGERED"), headers={"Authorization": "Bearer no"}), 401),
        (httpx.post(hook, content=body(TOKEN), headers=AUTH), 400),  # "unknown action '…'"
        (httpx.post(hook, content=b'{"alert_action": "' + SIG.encode(), headers=AUTH), 400),
        (httpx.post(f"{url}/webhooks/{TOKEN}", content=b"{}", headers=AUTH), 404),
        (httpx.post(hook, content=b"x" * 2_000_000, headers=AUTH), 413),
        (httpx.get(hook, headers=AUTH), 405),
        (httpx.get(f"{url}/api/incidents", params={"state": GRAPH_SECRET}), 400),
        (httpx.get(f"{url}/api/incidents", params={"cursor": CORALOGIX_KEY}), 400),
        (httpx.get(f"{url}/api/incidents/{HOOK_TOKEN}"), 404),
    ]
    for response, status in expected:
        seen.record(response)
        assert response.status_code == status, response.text
    assert expected[2][0].json()["message"] == "alert_action: unknown action '[REDACTED]'; " + (
        "expected trigger or resolve"
    )


def database_outage(url: str, database: str, seen: Transcript) -> None:
    """The database goes away: readiness, metrics and webhooks report it without the URL."""
    pg.drop_database(database)
    assert seen.record(httpx.get(f"{url}/ready")).status_code == 503
    assert seen.record(httpx.get(f"{url}/metrics")).status_code == 200
    outage = httpx.post(f"{url}/coralogix/webhook", content=body("TRIGGERED", "x"), headers=AUTH)
    assert seen.record(outage).status_code == 503


def stored_errors(database_url: str) -> list[str]:
    """The outbox's last errors as stored: a dump of the database must not hold them either."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sql("SELECT last_error FROM outbox WHERE last_error IS NOT NULL"))
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def cli(args: list[str], env: Mapping[str, str], cwd: Path) -> str:
    """Run an alertgate command the way an operator would; returns its exit status and all it
    printed (not its arguments, which quote secrets on purpose)."""
    result = run_cli(args, env, cwd)
    return f"-> {result.code}\n{result.out}{result.err}"


def test_no_secret_in_logs_responses_or_errors(
    secret_env: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """Good input, hostile input, a database outage and the CLI: the log, every response,
    every command's output and the delivery errors stored in the outbox are searched for each
    secret in each of its spellings."""
    database_url, env = secret_env
    seen = Transcript()
    with ServerProcess(database_url, tmp_path, env=env) as server:
        quoted_id = good_input(server.url, seen)
        bad_input(server.url, seen)
        operator = {**env, "ALERTGATE_DATABASE_URL": database_url}
        commands = [
            ["check-config"],
            ["migrate"],
            ["incidents", "list"],
            ["incidents", "show", quoted_id],
            ["incidents", "show", quoted_id, "--json"],
            ["incidents", "show", TOKEN],
            # The echo server quotes each request back: its URL (sig=) and headers reach the
            # stored last error of the Teams and webhook notifications, and test-notify's answer.
            ["outbox", "list"],
            ["outbox", "list", "--json"],
            ["test-notify", "teams"],
            ["test-notify", "webhook"],
        ]
        outputs = [cli(command, operator, tmp_path) for command in commands]
        assert f"incident {quoted_id}" in outputs[3]
        assert "last error: teams: client_error: Teams webhook" in outputs[6], outputs[6]
        assert "FAILED (client_error, permanent)" in outputs[8], outputs[8]
        errors = stored_errors(database_url)
        assert any("Teams webhook" in e for e in errors), errors
        database_outage(server.url, database_url.rsplit("/", 1)[1], seen)
        server.stop()
        log = server.log()
    assert '"reason":"hold_expired"' in log  # it really ran: a hold expired and was decided
    assert "[REDACTED]" in log
    for where, text in [("server log", log), *(("response", t) for t in seen.texts)]:
        assert not leaks(text), f"{where} leaks {leaks(text)}:\n{text[:3000]}"
    for output in outputs:
        assert not leaks(output), output
    for error in errors:
        assert not leaks(error), f"the outbox table stores {leaks(error)}: {error}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALERTGATE_DATABASE_URL", f"mysql://root:{quote(DB_PASSWORD, safe='')}@db/alerts"),
        ("ALERTGATE_DATABASE_URL", DB_PASSWORD),  # pasted the password alone
        ("TEAMS_WEBHOOK_URL", f"ftp://flow.example.com/invoke?sig={SIG}"),
        ("TEAMS_WEBHOOK_URL", SIG),
        ("ALERTGATE_PORT", TOKEN),  # a secret pasted into the wrong setting is not echoed
    ],
)
def test_config_errors_name_the_setting_but_never_echo_a_secret(
    name: str, value: str, tmp_path: Path
) -> None:
    """An invalid setting is reported by name, with exit code 2, without its secret value."""
    env = {"ALERTGATE_WEBHOOK_TOKEN": TOKEN, "GRAPH_CLIENT_SECRET": GRAPH_SECRET, name: value}
    for command in (["check-config"], ["serve"], ["migrate"]):
        output = cli(command, env, tmp_path)
        assert "-> 2\n" in output, output
        assert name in output, output
        assert not leaks(output), output
