"""Each new source through a real `alertgate serve`: the body as the sender posts it, the
incidents and decisions as the API shows them, and the sender's retries stored once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.server import ServerProcess
from tests.support.sources import FIXTURES, GRAFANA_TOML

pytestmark = pytest.mark.slow
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def server(store_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    env = {"ALERTGATE_CONFIG": str(GRAFANA_TOML), "ALERTGATE_HOLD_SECONDS": "600"}
    with ServerProcess(store_url, tmp_path, env=env) as running:
        yield running


def post(server: ServerProcess, source: str, fixture: str) -> httpx.Response:
    body = (FIXTURES / fixture).read_bytes()
    return httpx.post(f"{server.url}/webhooks/{source}", content=body, headers=JSON, timeout=30)


def timeline(server: ServerProcess, incident_id: str) -> Any:
    response = httpx.get(f"{server.url}/api/incidents/{incident_id}", timeout=30)
    assert response.status_code == 200, response.text
    found: Any = response.json()
    return found


def outcomes(server: ServerProcess, incident_id: str) -> list[str]:
    return [d["outcome"] for d in timeline(server, incident_id)["decisions"]]


def test_alertmanager_group_is_split_retries_are_stored_once_and_each_alert_keeps_its_status(
    server: ServerProcess,
) -> None:
    """A grouped firing body opens one incident per fingerprint; the same body again (an
    Alertmanager retry) is answered as duplicates; the partly resolved body self-resolves
    only the alert that resolved, though the group still says firing."""
    first = post(server, "alertmanager", "alertmanager/alertmanager_grouped_firing.json")
    assert first.status_code == 202, first.text
    events = first.json()["events"]
    assert [e["duplicate"] for e in events] == [False, False, False]
    ids = [e["incident_id"] for e in events]
    assert len(set(ids)) == 3
    again = post(server, "alertmanager", "alertmanager/alertmanager_grouped_firing.json")
    assert [e["duplicate"] for e in again.json()["events"]] == [True, True, True]
    partly = post(
        server, "alertmanager", "alertmanager/alertmanager_grouped_partially_resolved.json"
    )
    assert [e["action"] for e in partly.json()["events"]] == ["trigger", "resolve", "trigger"]
    assert outcomes(server, ids[1]) == ["held", "self_resolved"]
    assert outcomes(server, ids[0]) == ["held"]
    incident = timeline(server, ids[0])["incident"]
    assert incident["source"] == "alertmanager"
    assert incident["instance"] == "i-001"
    assert incident["priority"] == "P3"
    assert len(timeline(server, ids[0])["events"]) == 1


def test_coralogix_notification_center_groups_trigger_and_resolve(server: ServerProcess) -> None:
    """Two triggered groups are two incidents; the resolved group self-resolves its own."""
    triggered = post(server, "coralogix-nc", "coralogix-nc/metric_triggered.json")
    assert triggered.status_code == 202, triggered.text
    ids = [e["incident_id"] for e in triggered.json()["events"]]
    resolved = post(server, "coralogix-nc", "coralogix-nc/metric_resolved.json")
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["incident_id"] == ids[0]
    assert outcomes(server, ids[0]) == ["held", "self_resolved"]
    assert outcomes(server, ids[1]) == ["held"]


def test_grafana_through_its_mapping_triggers_and_resolves(server: ServerProcess) -> None:
    """POST /webhooks/generic/grafana with the docs' mapping: held, then self-resolved."""
    firing = post(server, "generic/grafana", "generic/grafana_firing.json")
    assert firing.status_code == 202, firing.text
    first = firing.json()["events"][0]["incident_id"]
    resolved = post(server, "generic/grafana", "generic/grafana_resolved.json")
    assert resolved.json()["incident_id"] == first
    assert outcomes(server, first) == ["held", "self_resolved"]
    assert timeline(server, first)["incident"]["source"] == "generic/grafana"


def test_unknown_generic_sender_is_a_404_listing_the_known_ones(server: ServerProcess) -> None:
    """A sender name without a mapping is refused with the names that exist."""
    response = httpx.post(f"{server.url}/webhooks/generic/nagios", content=b"{}", headers=JSON)
    assert response.status_code == 404
    assert "generic/grafana" in response.json()["known"]
