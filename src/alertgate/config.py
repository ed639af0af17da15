"""Typed settings, validated at start-up; every setting has one environment name and one key in
the config file, and secrets are never printed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, FilePath, SecretStr, field_validator

from alertgate.config_tables import GenericSource, NoResolveRuleSettings, check_sender_names
from alertgate.domain.alert import Priority
from alertgate.domain.no_resolve import DEFAULT_MODE, NoResolveMode

DEFAULT_DATABASE_URL = "sqlite:///var/alertgate.db"
DEFAULT_GRAPH_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_GRAPH_API_BASE = "https://graph.microsoft.com/v1.0"
EmailChannel = Literal["auto", "graph", "smtp", "webhook", "log"]
SmtpSecurity = Literal["starttls", "tls", "none"]
# One bare address, its domain made of labels: an env file's inline "# comment", or a next
# line appended without a line break between ("a@b.comKEY=..."), must not pass.
_ADDRESS = re.compile(r"[^@\s,;<>]+@[\w-]+(\.[\w-]+)*")


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
    graph_authority_host: str = DEFAULT_GRAPH_AUTHORITY_HOST
    graph_api_base: str = DEFAULT_GRAPH_API_BASE
    ca_bundle: FilePath | None = None
    email_channel: EmailChannel = "auto"
    smtp_host: str | None = None
    smtp_port: int | None = Field(None, ge=1, le=65535)  # None: 587, 465 or 25 by security
    smtp_security: SmtpSecurity = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    notify_webhook_url: SecretStr | None = None
    notify_webhook_headers: dict[str, SecretStr] = Field(default_factory=dict)
    delivery_max_age: float = Field(86400.0, gt=0, le=30 * 86400)
    delivery_backoff_first: float = Field(2.0, gt=0, le=3600)
    delivery_backoff_max: float = Field(300.0, gt=0, le=86400)
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
            if not _ADDRESS.fullmatch(address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    @field_validator("notify_webhook_headers")
    @classmethod
    def _header_names(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, header in value.items():
            if not name or not all(c.isalnum() or c in "-_" for c in name):
                raise ValueError(f"{name!r} is not an HTTP header name")
            if any(c in header.get_secret_value() for c in "\r\n"):
                raise ValueError(f"header {name}: a value may not contain a line break")
        return value

    @property
    def smtp_port_effective(self) -> int:
        """The SMTP port: as set, or the usual one for the security mode."""
        return self.smtp_port or {"starttls": 587, "tls": 465, "none": 25}[self.smtp_security]


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
    Spec(
        "graph_authority_host",
        "GRAPH_AUTHORITY_HOST",
        "graph.authority_host",
        "Entra ID login host (national clouds): https://login.microsoftonline.com",
    ),
    Spec(
        "graph_api_base",
        "GRAPH_API_BASE",
        "graph.api_base",
        "Microsoft Graph base URL: https://graph.microsoft.com/v1.0",
    ),
    Spec(
        "ca_bundle",
        "ALERTGATE_CA_BUNDLE",
        "tls.ca_bundle",
        "PEM file of extra CA certificates trusted for all outbound HTTPS (and SMTP TLS)",
    ),
    Spec(
        "email_channel",
        "ALERTGATE_EMAIL_CHANNEL",
        "email.channel",
        "channel of escalations: auto (graph, else smtp, else webhook, else log), graph, "
        "smtp, webhook or log",
    ),
    Spec("smtp_host", "ALERTGATE_SMTP_HOST", "smtp.host", "SMTP server for email without Graph"),
    Spec(
        "smtp_port",
        "ALERTGATE_SMTP_PORT",
        "smtp.port",
        "SMTP port (default: 587 starttls, 465 tls, 25 none)",
    ),
    Spec(
        "smtp_security",
        "ALERTGATE_SMTP_SECURITY",
        "smtp.security",
        "starttls (upgrade after connecting), tls (implicit TLS) or none",
    ),
    Spec("smtp_username", "ALERTGATE_SMTP_USERNAME", "smtp.username", "SMTP login (optional)"),
    Spec(
        "smtp_password",
        "ALERTGATE_SMTP_PASSWORD",
        "smtp.password",
        "SMTP password",
        secret=True,
    ),
    Spec(
        "notify_webhook_url",
        "ALERTGATE_NOTIFY_WEBHOOK_URL",
        "notify_webhook.url",
        "outbound JSON webhook URL (treated as a secret: URLs often carry tokens)",
        secret=True,
    ),
    Spec(
        "notify_webhook_headers",
        "ALERTGATE_NOTIFY_WEBHOOK_HEADERS",
        "notify_webhook.headers",
        "extra headers of the outbound webhook; TOML table, or a JSON object in the env",
        secret=True,
    ),
    Spec(
        "delivery_max_age",
        "ALERTGATE_DELIVERY_MAX_AGE",
        "delivery.max_age",
        "how long a notification is retried before it is dead-lettered",
    ),
    Spec(
        "delivery_backoff_first",
        "ALERTGATE_DELIVERY_BACKOFF_FIRST",
        "delivery.backoff_first",
        "first retry delay (doubles per attempt, with jitter)",
    ),
    Spec(
        "delivery_backoff_max",
        "ALERTGATE_DELIVERY_BACKOFF_MAX",
        "delivery.backoff_max",
        "longest retry delay",
    ),
    Spec("log_level", "ALERTGATE_LOG_LEVEL", "log.level", "debug, info, warning or error"),
    Spec(
        "log_format",
        "ALERTGATE_LOG_FORMAT",
        "log.format",
        "auto (JSON unless on a terminal), json or console",
    ),
)
# Settings given as durations ("90s", "10m", 600) and kept as seconds.
DURATION_FIELDS = frozenset(
    {
        "hold_seconds",
        "no_resolve_after",
        "delivery_max_age",
        "delivery_backoff_first",
        "delivery_backoff_max",
    }
)
SPEC_BY_FIELD = {s.field: s for s in SPECS}
HOLD_PRIORITY_ENV = {p: f"ALERTGATE_HOLD_SECONDS_{p.value}" for p in Priority}
HOLD_PRIORITY_KEY = "hold.priority"
