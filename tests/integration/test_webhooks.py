"""Webhook intake over real HTTP: auth, limits, bad input, both paths, the read API."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES
from tests.support.polling import wait_for
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow
TOKEN = "s3cret-webhook-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("webhooks")
    env = {"ALERTGATE_WEBHOOK_TOKEN": TOKEN, "ALERTGATE_MAX_BODY_BYTES": "4096"}
    with ServerProcess(f"sqlite:///{workdir / 'a.db'}", workdir, env=env) as running:
        yield running


def post(
    server: ServerProcess,
    body: bytes,
    path: str = "/webhooks/coralogix",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    auth = {"Authorization": f"Bearer {TOKEN}"} if headers is None else headers
    return httpx.post(f"{server.url}{path}", content=body, headers=auth, timeout=10)


def poc(action: str, alert_id: str) -> bytes:
    return f'{{"alert_id": "{alert_id}", "alert_name": "CPU", "alert_action": "{action}"}}'.encode()


def incident_count(server: ServerProcess) -> int:
    page = httpx.get(f"{server.url}/api/incidents", params={"limit": 1000}).json()
    return len(page["incidents"])


@pytest.mark.parametrize("path", ["/coralogix/webhook", "/webhooks/coralogix"])
def test_both_paths_accept_coralogix(server: ServerProcess, path: str) -> None:
    response = post(server, poc("TRIGGERED", f"paths-{uuid.uuid4()}"), path)
    assert response.status_code == 202
    assert response.json()["state"] == "holding"


def test_content_type_is_not_trusted(server: ServerProcess) -> None:
    """Coralogix lets users set any Content-Type; the body is parsed as JSON regardless."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"}
    assert post(server, poc("trigger", f"ct-{uuid.uuid4()}"), headers=headers).status_code == 202


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"X-Alertgate-Token": "wrong"},
        {"Authorization": TOKEN},
    ],
)
def test_missing_or_wrong_token_gets_401_and_stores_nothing(
    server: ServerProcess, headers: dict[str, str]
) -> None:
    before = incident_count(server)
    response = post(server, poc("TRIGGERED", f"auth-{uuid.uuid4()}"), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert TOKEN not in response.text
    assert incident_count(server) == before


def test_without_the_token_an_unknown_source_is_401_not_a_list_of_sources(
    server: ServerProcess,
) -> None:
    """The token is checked before the path: a caller without it learns nothing about which
    sources exist (the 404 for an unknown source lists them)."""
    response = post(server, b"{}", "/webhooks/nagios", headers={})
    assert response.status_code == 401
    assert "known" not in response.json()
    assert "coralogix" not in response.text


def test_token_in_custom_header_is_accepted(server: ServerProcess) -> None:
    headers = {"X-Alertgate-Token": TOKEN}
    assert post(server, poc("TRIGGERED", f"hdr-{uuid.uuid4()}"), headers=headers).status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[]", "body"),
        (b'{"alert_id": "x"}', "alert_action"),
        (b'{"alert_id": "x", "alert_action": "exploded"}', "alert_action"),
        (b'{"alert_name": "x", "alert_action": "trigger"}', "alertUniqueIdentifier"),
        (b"\xc3\x28", "body"),
    ],
)
def test_bad_input_gets_400_naming_the_field_and_stores_nothing(
    server: ServerProcess, body: bytes, field: str
) -> None:
    before = incident_count(server)
    response = post(server, body)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert incident_count(server) == before


def test_oversized_body_gets_413(server: ServerProcess) -> None:
    body = b'{"alert_id": "big", "alert_action": "trigger", "x": "' + b"y" * 5000 + b'"}'
    response = post(server, body)
    assert response.status_code == 413
    assert response.json()["limit"] == 4096


def test_oversized_chunked_body_gets_413_without_content_length(server: ServerProcess) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"alert_id": "big", "alert_action": "trigger", "x": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    response = httpx.post(
        f"{server.url}/webhooks/coralogix",
        content=chunks(),
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 413


def test_unknown_source_and_wrong_method(server: ServerProcess) -> None:
    assert post(server, b"{}", "/webhooks/nagios").status_code == 404
    response = httpx.get(f"{server.url}/coralogix/webhook")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_test_and_save_is_answered_and_recorded_never_escalated(server: ServerProcess) -> None:
    """Coralogix's Test & Save: 200, no incident, and the id it answers shows the recorded test
    (incident null), so the id leads somewhere instead of to a 404."""
    response = post(server, (FIXTURES / "coralogix" / "test_and_save.json").read_bytes())
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["state"]) == ("test", None)
    shown = httpx.get(f"{server.url}/api/incidents/{response.json()['incident_id']}")
    assert shown.status_code == 200
    view = shown.json()
    assert (view["id"], view["incident"]) == (response.json()["incident_id"], None)
    assert {e["action"] for e in view["events"]} == {"test"}
    assert {e["reason"] for e in view["events"]} == {"test"}
    assert (view["decisions"], view["notifications"]) == ([], [])
    assert "test received" in view["timeline"][-1]["summary"]


def test_a_resolve_with_nothing_open_is_shown_by_the_id_it_answers(server: ServerProcess) -> None:
    """A resolve for an alert never triggered: recorded, and GET /api/incidents/{id} of the id
    in its answer shows that event with `incident: null`; it is not listed as an incident."""
    alert_id = f"orphan-{uuid.uuid4()}"
    answer = post(server, poc("RESOLVED", alert_id)).json()
    assert (answer["state"], answer["decision"]) == (None, "resolve_without_incident")
    view = httpx.get(f"{server.url}/api/incidents/{answer['incident_id']}").json()
    assert view["incident"] is None
    assert [(e["action"], e["reason"]) for e in view["events"]] == [
        ("resolve", "resolve_without_incident")
    ]
    assert [e["payload"]["alert_id"] for e in view["events"]] == [alert_id]
    listed = httpx.get(f"{server.url}/api/incidents", params={"limit": 1000}).json()
    assert answer["incident_id"] not in [i["id"] for i in listed["incidents"]]


def test_alerts_left_out_by_alertmanager_are_logged_counted_and_answered(
    server: ServerProcess,
) -> None:
    """An Alertmanager body with `truncatedAlerts: 2` (its receiver sets max_alerts) is
    accepted, and the two alerts alertgate never saw are in the answer, in a warning in the
    log and in alertgate_alerts_truncated_total."""
    document = json.loads((FIXTURES / "alertmanager" / "alertmanager_firing.json").read_bytes())
    document["truncatedAlerts"] = 2
    document["alerts"][0]["fingerprint"] = uuid.uuid4().hex[:16]
    response = post(server, json.dumps(document).encode(), path="/webhooks/alertmanager")
    assert response.status_code == 202, response.text
    assert response.json()["truncated_alerts"] == 2
    warnings = wait_for(
        lambda: [
            json.loads(line)
            for line in server.log().splitlines()
            if '"webhook.alerts_truncated"' in line
        ],
        "the warning in the server's log",
    )
    assert [(w["level"], w["truncated_alerts"]) for w in warnings] == [("warning", 2)]
    metrics = httpx.get(f"{server.url}/metrics", timeout=10).text
    assert 'alertgate_alerts_truncated_total{source="alertmanager"} 2.0' in metrics


def test_api_lists_and_explains_incidents(server: ServerProcess) -> None:
    alert_id = f"api-{uuid.uuid4()}"
    incident_id = post(server, poc("TRIGGERED", alert_id)).json()["incident_id"]
    post(server, poc("RESOLVED", alert_id))
    holding = httpx.get(f"{server.url}/api/incidents", params={"state": "resolved"}).json()
    assert incident_id in [i["id"] for i in holding["incidents"]]
    detail = httpx.get(f"{server.url}/api/incidents/{incident_id}").json()
    assert [d["reason"] for d in detail["decisions"]] == ["held", "resolved_in_hold"]
    assert [e["payload"]["alert_id"] for e in detail["events"]] == [alert_id, alert_id]
    assert any("resolved_in_hold" in entry["summary"] for entry in detail["timeline"])
    missing = httpx.get(f"{server.url}/api/incidents/nope")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    assert "no incident 'nope'" in missing.json()["message"]
    cursor = httpx.get(f"{server.url}/api/incidents", params={"cursor": "zz"})
    assert (cursor.status_code, cursor.json()["error"]) == (400, "invalid_cursor")


@pytest.mark.parametrize(
    ("path", "params", "parameter", "named"),
    [
        (
            "/api/incidents",
            {"state": "bogus"},
            "state",
            "'holding', 'escalated', 'resolved' or 'expired' (got 'bogus')",
        ),
        ("/api/incidents", {"limit": "0"}, "limit", "greater than or equal to 1 (got '0')"),
        ("/api/incidents", {"limit": "5000"}, "limit", "less than or equal to 1000"),
        ("/api/incidents", {"limit": "ten"}, "limit", "a valid integer"),
        ("/api/outbox", {"status": "lost"}, "status", "'pending', 'dead' or 'sent' (got 'lost')"),
        ("/api/outbox", {"before": "0"}, "before", "greater than or equal to 1"),
        ("/api/outbox", {"limit": "-1"}, "limit", "greater than or equal to 1"),
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it_and_what_it_accepts(
    server: ServerProcess, path: str, params: dict[str, str], parameter: str, named: str
) -> None:
    """Every query parameter of the JSON API: a bad value is answered 400 in the documented
    {"error", "message"} shape (not FastAPI's 422 {"detail": [...]}), naming the parameter and
    the values it accepts."""
    response = httpx.get(f"{server.url}{path}", params=params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "parameter", "message"}
    assert (body["error"], body["parameter"]) == ("invalid_parameter", parameter)
    assert body["message"].startswith(f"{parameter} must be ")
    assert named in body["message"]


def test_a_bad_path_parameter_is_a_400_too_and_openapi_says_400(server: ServerProcess) -> None:
    """A notification id that is not a number: 400 naming it. /openapi.json documents 400 with
    the error shape for the API's parameters, and no 422 anywhere."""
    response = httpx.post(f"{server.url}/api/outbox/abc/retry")
    assert response.status_code == 400
    assert response.json()["parameter"] == "notification_id"
    schema = httpx.get(f"{server.url}/openapi.json").json()
    codes = {
        code for ops in schema["paths"].values() for op in ops.values() for code in op["responses"]
    }
    assert "422" not in codes
    listing = schema["paths"]["/api/incidents"]["get"]["responses"]["400"]
    assert "invalid_parameter" in listing["description"]


def test_ready_when_the_database_answers(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/ready").json() == {"status": "ready"}


def test_ready_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    """With PostgreSQL gone, /ready says so while /health (liveness) stays up; webhooks and the
    API that read it answer 503 in their error shape with Retry-After, never a bare 500."""
    # A database that exists at start-up, then disappears.
    from tests.support import pg

    name = pg.create_database()
    with ServerProcess(pg.sqlalchemy_url(name), tmp_path) as server:
        pg.drop_database(name)
        ready = httpx.get(f"{server.url}/ready", timeout=15)
        health = httpx.get(f"{server.url}/health")
        hook = post(server, poc("TRIGGERED", "db-gone"), headers={})
        reads = [
            httpx.get(f"{server.url}{path}", timeout=15)
            for path in ("/api/incidents", "/api/incidents/0123456789abcdef", "/api/outbox")
        ]
        log = server.log()
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert health.status_code == 200
    assert hook.status_code == 503
    for read in reads:
        assert read.status_code == 503, read.text
        assert read.json()["error"] == "store_unavailable"
        assert read.headers["retry-after"] == "5"
    assert "Traceback" not in log
