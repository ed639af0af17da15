"""docs/coralogix.md's body template, rendered the way Coralogix renders templates, gives the
incidents the guide promises; its header authenticates against a real server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import orjson
import pytest

from alertgate.adapters.sources import coralogix
from alertgate.domain.alert import Action, Priority
from tests.support.deploy_files import ROOT
from tests.support.server import ServerProcess

GUIDE = ROOT / "docs" / "coralogix.md"
PLACEHOLDER = re.compile(r"\$[A-Z][A-Z0-9_]*")
# Values as Coralogix renders them (contracts: a group-by alert captured in the wild).
VALUES = {
    "$ALERT_ACTION": "trigger",
    "$ALERT_UNIQUE_IDENTIFIER": "780c892f-f4db-43cb-a833-5f13a5523e96",
    "$ALERT_GROUP_BY_VALUES": '{"instance_id":"i-0abc123"}',
    "$ALERT_ID": "49a4afb5-9231-418d-94ea-3a7546779658",
    "$ALERT_NAME": "High CPU",
    "$ALERT_DESCRIPTION": "CPU above 90% for 5 minutes",
    "$ALERT_PRIORITY": "P2",
    "$EVENT_SEVERITY": "ERROR",
    "$ALERT_URL": "https://team.app.coralogix.in/#/insights?id=a6a74b7a",
    "$EVENT_TIMESTAMP_MS": "1723670936254",
    "$EVENT_TIMESTAMP_ISO": "2024-08-14T21:28:56.254Z",
    "$APPLICATION_NAME": "payments",
    "$SUBSYSTEM_NAME": "api",
    "$COMPUTER_NAME": "null",
    "$TEAM_NAME": "team",
}


def template() -> str:
    match = re.search(r"<!-- body-template -->\n```json\n(.*?)```", GUIDE.read_text(), re.DOTALL)
    assert match, "docs/coralogix.md lost its body template"
    return match.group(1)


def render(values: dict[str, str]) -> bytes:
    """Substitute as Coralogix does: JSON-escaped inside the template's quotes; a placeholder
    that does not apply to the alert is left as it is."""

    def value(match: re.Match[str]) -> str:
        name = match.group(0)
        return orjson.dumps(values[name]).decode()[1:-1] if name in values else name

    return PLACEHOLDER.sub(value, template()).encode()


def test_the_template_uses_only_placeholders_coralogix_has_and_quotes_each() -> None:
    """Every placeholder is a documented one, inside quotes (an unreplaced one stays valid)."""
    for name in PLACEHOLDER.findall(template()):
        assert name in VALUES, name
        assert f'"{name}"' in template(), f"{name} is not quoted"


def test_a_trigger_and_its_resolve_are_one_incident_with_everything_the_guide_lists() -> None:
    """Identity from the unique identifier and group-by values, instance from the group-by,
    priority, link, description and event time, and a resolve that finds its trigger."""
    (trigger,) = coralogix.parse(render(VALUES))
    (resolve,) = coralogix.parse(render({**VALUES, "$ALERT_ACTION": "resolve"}))
    edited = {**VALUES, "$ALERT_ID": "an-edited-alert-gets-a-new-id", "$ALERT_ACTION": "resolve"}
    (after_edit,) = coralogix.parse(render(edited))
    assert (trigger.action, resolve.action) == (Action.TRIGGER, Action.RESOLVE)
    assert trigger.incident_id == resolve.incident_id == after_edit.incident_id
    assert "780c892f-f4db-43cb-a833-5f13a5523e96" in trigger.identity
    assert trigger.instance == "i-0abc123"
    assert trigger.priority is Priority.P2
    assert trigger.link == VALUES["$ALERT_URL"]
    assert trigger.description == VALUES["$ALERT_DESCRIPTION"]
    assert trigger.event_time is not None
    assert trigger.event_time.isoformat().startswith("2024-08-14T21:28:56.254")
    assert dict(trigger.labels)["application"] == "payments"
    assert "computer" not in dict(trigger.labels)  # "null" is absent


def test_each_group_by_combination_is_its_own_incident() -> None:
    """Two instances of one alert definition are held and decided separately."""
    (first,) = coralogix.parse(render(VALUES))
    other = {**VALUES, "$ALERT_GROUP_BY_VALUES": '{"instance_id":"i-0def456"}'}
    (second,) = coralogix.parse(render(other))
    assert first.incident_id != second.incident_id


def test_an_alert_without_group_by_leaves_the_placeholder_and_still_parses() -> None:
    """Coralogix leaves `$ALERT_GROUP_BY_VALUES` unreplaced for such alerts: still one incident."""
    values = {k: v for k, v in VALUES.items() if k != "$ALERT_GROUP_BY_VALUES"}
    (event,) = coralogix.parse(render(values))
    assert event.identity == "uid=780c892f-f4db-43cb-a833-5f13a5523e96"


@pytest.mark.slow
def test_the_documented_header_and_body_pass_a_real_server(sqlite_url: str, tmp_path: Path) -> None:
    """With the token in `Authorization: Bearer`, the trigger is held (202) and the resolve
    decides it self-resolved (200); without the header it is refused (401)."""
    token = "0123456789abcdef0123456789abcdef"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    with ServerProcess(sqlite_url, tmp_path, env={"ALERTGATE_WEBHOOK_TOKEN": token}) as server:
        hook = f"{server.url}/coralogix/webhook"
        refused = httpx.post(hook, content=render(VALUES))
        held = httpx.post(hook, content=render(VALUES), headers=headers)
        resolve = render({**VALUES, "$ALERT_ACTION": "resolve"})
        healed = httpx.post(hook, content=resolve, headers=headers)
    assert refused.status_code == 401
    assert (held.status_code, held.json()["decision"]) == (202, "held")
    assert (healed.status_code, healed.json()["decision"]) == (200, "resolved_in_hold")


TUNNEL_GUIDE = ROOT / "docs" / "cloudflare.md"


def tunnel_rules() -> list[dict[str, str]]:
    """The ingress rules of docs/cloudflare.md's config.yml, in order."""
    match = re.search(
        r"<!-- tunnel-config -->\n```yaml\n(.*?)```", TUNNEL_GUIDE.read_text(), re.DOTALL
    )
    assert match, "docs/cloudflare.md lost its config.yml"
    rules: list[dict[str, str]] = []
    for line in match.group(1).split("ingress:", 1)[1].splitlines():
        key, _, value = line.strip().removeprefix("- ").partition(": ")
        if line.strip().startswith("- "):
            rules.append({})
        if key:
            rules[-1][key] = value
    return rules


def test_the_tunnel_publishes_the_webhook_paths_and_nothing_else() -> None:
    """The path rule matches both webhook paths and no API, metrics or health path, and the
    last rule is the mandatory catch-all."""
    rules = tunnel_rules()
    assert rules[-1] == {"service": "http_status:404"}
    path = re.compile(rules[0]["path"])
    assert rules[0]["service"] == "http://127.0.0.1:5000"
    for published in ("/coralogix/webhook", "/webhooks/coralogix", "/webhooks/alertmanager"):
        assert path.search(published), published
    for private in ("/api/incidents", "/metrics", "/health", "/ready", "/docs", "/"):
        assert not path.search(private), private
    for tricky in ("/coralogix/webhook/../../api", "/webhooks/x/../../metrics"):
        assert not path.search(tricky), tricky
