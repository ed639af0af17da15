"""Typed settings, validated at start-up; every setting has one environment name and one key in
the config file, and secrets are never printed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from alertgate.config_tables import GenericSource, NoResolveRuleSettings, check_sender_names
from alertgate.domain.alert import Priority
from alertgate.domain.no_resolve import DEFAULT_MODE, NoResolveMode

DEFAULT_DATABASE_URL = "sqlite:///var/alertgate.db"


class Settings(BaseModel):
    """Everything alertgate reads from its environment, env file, config file and flags."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(5000, ge=1, le=65535)
    webhook_token: SecretStr | None = None
    max_body_bytes: int = Field(1_048_576, ge=1024, le=64 * 1_048_576)
    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    hold_seconds: float = Field(600.0, gt=0, le=7 * 86400)
    hold_by_priority: dict[Priority, float] = Field(default_factory=dict)
    no_resolve_mode: NoResolveMode = DEFAULT_MODE
    no_resolve_after: float | None = Field(None, gt=0, le=30 * 86400)
    no_resolve_rules: tuple[NoResolveRuleSettings, ...] = ()
    generic_sources: dict[str, GenericSource] = Field(default_factory=dict)
    coralogix_api_key: SecretStr | None = None
    coralogix_api_base: str | None = None
    teams_webhook_url: SecretStr | None = None
    graph_tenant_id: str | None = None
    graph_client_id: str | None = None
    graph_client_secret: SecretStr | None = None
    email_from: str | None = None
    email_to: tuple[str, ...] = ()
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"

    @field_validator("hold_by_priority")
    @classmethod
    def _positive_windows(cls, value: dict[Priority, float]) -> dict[Priority, float]:
        for priority, seconds in value.items():
            if not 0 < seconds <= 7 * 86400:
                raise ValueError(f"{priority.value}: hold must be between 1s and 7d")
        return value

    @field_validator("generic_sources")
    @classmethod
    def _sender_names(cls, value: dict[str, GenericSource]) -> dict[str, GenericSource]:
        check_sender_names(list(value))
        return value

    @field_validator("email_to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if "@" not in address:
                raise ValueError(f"{address!r} is not an email address")
        return value


@dataclass(frozen=True, slots=True)
class Spec:
    """Where one setting comes from and how it is described."""

    field: str
    env: str
    key: str  # dotted key in the TOML config file
    help: str
    secret: bool = False


SPECS: tuple[Spec, ...] = (
    Spec("host", "ALERTGATE_HOST", "server.host", "address to listen on"),
    Spec("port", "ALERTGATE_PORT", "server.port", "port to listen on"),
    Spec(
        "webhook_token",
        "ALERTGATE_WEBHOOK_TOKEN",
        "server.webhook_token",
        "shared secret webhooks must send (Authorization: Bearer, or X-Alertgate-Token)",
        secret=True,
    ),
    Spec(
        "max_body_bytes",
        "ALERTGATE_MAX_BODY_BYTES",
        "server.max_body_bytes",
        "largest webhook body accepted; larger ones get 413",
    ),
    Spec(
        "database_url",
        "ALERTGATE_DATABASE_URL",
        "database.url",
        "sqlite:///PATH (one process) or postgresql+psycopg://USER@HOST/DB (replicas)",
        secret=True,
    ),
    Spec(
        "hold_seconds",
        "ALERTGATE_HOLD_SECONDS",
        "hold.default",
        "how long an alert is held before it escalates",
    ),
    Spec(
        "no_resolve_mode",
        "ALERTGATE_NO_RESOLVE_MODE",
        "no_resolve.mode",
        "alerts that never send a resolve: escalate (default), inform or expire",
    ),
    Spec(
        "no_resolve_after",
        "ALERTGATE_NO_RESOLVE_AFTER",
        "no_resolve.after",
        "how long one episode of such an alert lasts (default: its hold)",
    ),
    Spec(
        "coralogix_api_key",
        "CORALOGIX_API_KEY",
        "coralogix.api_key",
        "Coralogix API key (kept for verification and enrichment)",
        secret=True,
    ),
    Spec(
        "coralogix_api_base",
        "CORALOGIX_API_BASE",
        "coralogix.api_base",
        "Coralogix API base URL, e.g. https://api.ap1.coralogix.com",
    ),
    Spec(
        "teams_webhook_url",
        "TEAMS_WEBHOOK_URL",
        "teams.webhook_url",
        "Teams Workflows / Power Automate webhook URL (its sig= is a secret)",
        secret=True,
    ),
    Spec("graph_tenant_id", "GRAPH_TENANT_ID", "graph.tenant_id", "Entra ID tenant id"),
    Spec("graph_client_id", "GRAPH_CLIENT_ID", "graph.client_id", "app registration client id"),
    Spec(
        "graph_client_secret",
        "GRAPH_CLIENT_SECRET",
        "graph.client_secret",
        "app registration client secret",
        secret=True,
    ),
    Spec("email_from", "EMAIL_FROM", "email.from", "mailbox escalations are sent from"),
    Spec("email_to", "EMAIL_TO", "email.to", "recipients, comma-separated"),
    Spec("log_level", "ALERTGATE_LOG_LEVEL", "log.level", "debug, info, warning or error"),
    Spec(
        "log_format",
        "ALERTGATE_LOG_FORMAT",
        "log.format",
        "auto (JSON unless on a terminal), json or console",
    ),
)
SPEC_BY_FIELD = {s.field: s for s in SPECS}
HOLD_PRIORITY_ENV = {p: f"ALERTGATE_HOLD_SECONDS_{p.value}" for p in Priority}
HOLD_PRIORITY_KEY = "hold.priority"
