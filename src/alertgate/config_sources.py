"""Loading settings: defaults < config file (TOML) < --env-file < environment < command line."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alertgate import config_envfile
from alertgate.config import (
    DURATION_FIELDS,
    HOLD_PRIORITY_ENV,
    HOLD_PRIORITY_KEY,
    SPEC_BY_FIELD,
    SPECS,
    Settings,
)
from alertgate.config_tables import TABLE_KEYS, table_problem
from alertgate.domain.alert import Priority
from alertgate.domain.durations import parse_duration
from alertgate.mail_addresses import is_object_id

_KNOWN_ENV = {s.env for s in SPECS} | set(HOLD_PRIORITY_ENV.values()) | {"ALERTGATE_CONFIG"}
# Variables of ours that are read elsewhere (tests, tools), not settings.
_OTHER_ENV_PREFIXES = ("ALERTGATE_TEST_", "ALERTGATE_BENCH_")


class ConfigError(Exception):
    """The configuration is invalid; every problem names the setting it is about. The warnings
    found on the way (an env file line systemd ignores, ...) often explain the problem."""

    def __init__(self, problems: list[str], warnings: list[str] | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.warnings = warnings or []


@dataclass(frozen=True, slots=True)
class Loaded:
    """Settings together with where each value came from."""

    settings: Settings
    origin: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def load(
    environ: Mapping[str, str],
    *,
    env_file: Path | None = None,
    config_file: Path | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Loaded:
    """Build the effective settings; raises ConfigError naming every invalid setting."""
    raw: dict[str, object] = {}
    origin: dict[str, str] = {}
    problems: list[str] = []
    warnings: list[str] = []
    from_file = _read_env_file(env_file, problems, warnings) if env_file is not None else {}
    # ALERTGATE_CONFIG in the env file names the TOML file for systemd (EnvironmentFile=), so
    # it does for --env-file too: the CLI must load what the service loads.
    named = environ.get("ALERTGATE_CONFIG") or from_file.get("ALERTGATE_CONFIG")
    config_file = config_file or _path(named)
    if config_file is not None:
        _merge(raw, origin, _from_toml(config_file, problems), f"config file {config_file}")
    if env_file is not None:
        _merge(raw, origin, _from_env(from_file, warnings), "env file")
    _merge(raw, origin, _from_env(environ, warnings), "environment")
    _merge(raw, origin, dict(overrides or {}), "command line")
    values = _convert(raw, problems)
    if problems:
        raise ConfigError(problems, warnings)
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        raise ConfigError([_describe(e) for e in exc.errors()], warnings) from None
    problems = consistency_problems(settings)
    if problems:
        raise ConfigError(problems, warnings)
    return Loaded(settings, {f: origin.get(f, "default") for f in Settings.model_fields}, warnings)


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _merge(
    raw: dict[str, object], origin: dict[str, str], new: dict[str, object], where: str
) -> None:
    for name, value in new.items():
        if name == "hold_by_priority" and isinstance(value, dict):
            merged = dict(raw.get("hold_by_priority") or {})  # type: ignore[call-overload]
            merged.update(value)
            value = merged
        raw[name] = value
        origin[name] = where


def _read_env_file(path: Path, problems: list[str], warnings: list[str]) -> dict[str, str]:
    """KEY=VALUE lines exactly as systemd's EnvironmentFile= reads them (/etc/aiops.env)."""
    if not path.is_file():
        problems.append(f"--env-file {path}: no such file")
        return {}
    try:
        env = config_envfile.read(path)
    except OSError as exc:
        problems.append(f"--env-file {path}: {exc.strerror}")
        return {}
    problems.extend(f"--env-file {path} {problem}" for problem in env.problems)
    warnings.extend(f"--env-file {path} {warning}" for warning in env.warnings)
    return env.values


def _from_env(environ: Mapping[str, str], warnings: list[str]) -> dict[str, object]:
    found: dict[str, object] = {}
    for spec in SPECS:
        value = environ.get(spec.env, "").strip()
        if value:
            found[spec.field] = value
    holds = {
        p: environ[n].strip() for p, n in HOLD_PRIORITY_ENV.items() if environ.get(n, "").strip()
    }
    if holds:
        found["hold_by_priority"] = holds
    for name in environ:
        unknown = name.startswith("ALERTGATE_") and name not in _KNOWN_ENV
        if unknown and not name.startswith(_OTHER_ENV_PREFIXES):
            warnings.append(f"{name}: not a setting alertgate knows (a typo?); ignored")
    return found


def _from_toml(path: Path, problems: list[str]) -> dict[str, object]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problems.append(f"--config {path}: {exc.strerror}")
        return {}
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"--config {path}: not valid TOML: {exc}")
        return {}
    by_key = {s.key: s.field for s in SPECS} | TABLE_KEYS
    found: dict[str, object] = {}
    for key, value in _flatten(document):
        if key.startswith(HOLD_PRIORITY_KEY + "."):
            name = key.removeprefix(HOLD_PRIORITY_KEY + ".")
            if name not in Priority.__members__:
                problems.append(f"{path}: {key}: unknown priority {name!r}; use P1..P5")
                continue
            found.setdefault("hold_by_priority", {})[Priority(name)] = value  # type: ignore[index]
        elif key in by_key:
            found[by_key[key]] = value
        else:
            problems.append(f"{path}: unknown setting {key!r}")
    return found


def _flatten(table: Mapping[str, Any], prefix: str = "") -> list[tuple[str, object]]:
    items: list[tuple[str, object]] = []
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        leaf = dotted in {s.key for s in SPECS} or dotted in TABLE_KEYS
        if isinstance(value, dict) and not leaf:
            items.extend(_flatten(value, dotted + "."))
        else:
            items.append((dotted, value))
    return items


def _convert(raw: dict[str, object], problems: list[str]) -> dict[str, object]:
    values = dict(raw)
    for name in DURATION_FIELDS & values.keys():
        values[name] = _seconds(SPEC_BY_FIELD[name].env, values[name], problems)
    holds = values.get("hold_by_priority")
    if isinstance(holds, dict):
        values["hold_by_priority"] = {
            Priority(p): _seconds(HOLD_PRIORITY_ENV[Priority(p)], v, problems)
            for p, v in holds.items()
        }
    to = values.get("email_to")
    if isinstance(to, str):
        values["email_to"] = tuple(a.strip() for a in to.replace(";", ",").split(",") if a.strip())
    elif isinstance(to, list):
        values["email_to"] = tuple(str(a).strip() for a in to)
    url = values.get("database_url")
    if isinstance(url, str):
        values["database_url"] = normalise_database_url(url)
    headers = values.get("notify_webhook_headers")
    if isinstance(headers, str):
        values["notify_webhook_headers"] = _json_headers(headers, problems)
    return values


def _json_headers(value: str, problems: list[str]) -> dict[str, object]:
    """ALERTGATE_NOTIFY_WEBHOOK_HEADERS: a JSON object of header names to values."""
    try:
        headers = json.loads(value)
    except json.JSONDecodeError as exc:
        problems.append(f"ALERTGATE_NOTIFY_WEBHOOK_HEADERS: not a JSON object: {exc.msg}")
        return {}
    if not isinstance(headers, dict):
        problems.append(
            'ALERTGATE_NOTIFY_WEBHOOK_HEADERS: expected a JSON object {"Name": "value"}'
        )
        return {}
    return headers


def _seconds(name: str, value: object, problems: list[str]) -> float:
    try:
        return parse_duration(value).total_seconds()  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        problems.append(f"{name}: {exc}")
        return 0.0


def normalise_database_url(url: str) -> str:
    """Accept the URL forms people paste (postgres://, postgresql://) for the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _describe(error: Any) -> str:
    table = table_problem(error)
    if table is not None:
        return table
    name = str(error["loc"][0]) if error["loc"] else "settings"
    spec = SPEC_BY_FIELD.get(name)
    if name == "hold_by_priority":
        label = f"ALERTGATE_HOLD_SECONDS_Pn ({HOLD_PRIORITY_KEY})"
    else:
        label = f"{spec.env} ({spec.key})" if spec else name
    return f"{label}: {error['msg']}"


def consistency_problems(settings: Settings) -> list[str]:
    """Settings that are valid one by one but do not fit together."""
    problems: list[str] = []
    graph = {
        "GRAPH_TENANT_ID": settings.graph_tenant_id,
        "GRAPH_CLIENT_ID": settings.graph_client_id,
        "GRAPH_CLIENT_SECRET": settings.graph_client_secret,
    }
    if any(graph.values()) and not all(graph.values()):
        missing = ", ".join(k for k, v in graph.items() if not v)
        problems.append(
            f"{missing}: Graph mail needs GRAPH_TENANT_ID, GRAPH_CLIENT_ID and "
            "GRAPH_CLIENT_SECRET together"
        )
    if all(graph.values()):
        if not settings.email_from:
            problems.append("EMAIL_FROM (email.from): Graph mail needs the sending mailbox")
        if not settings.email_to:
            problems.append("EMAIL_TO (email.to): Graph mail needs at least one recipient")
    url = settings.database_url.get_secret_value()
    if not url.startswith(("sqlite:///", "postgresql+psycopg://")):
        problems.append(
            "ALERTGATE_DATABASE_URL (database.url): use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DB"
        )
    teams = settings.teams_webhook_url
    if teams and not teams.get_secret_value().startswith(("https://", "http://")):
        problems.append("TEAMS_WEBHOOK_URL (teams.webhook_url): expected an https:// URL")
    return problems + _channel_problems(settings)


def _channel_problems(settings: Settings) -> list[str]:
    """Email channels that are asked for but cannot work with the settings given."""
    problems: list[str] = []
    for name, url in (
        ("GRAPH_AUTHORITY_HOST (graph.authority_host)", settings.graph_authority_host),
        ("GRAPH_API_BASE (graph.api_base)", settings.graph_api_base),
    ):
        if not url.startswith("https://"):
            problems.append(f"{name}: expected an https:// URL (tokens travel over it)")
    hook = settings.notify_webhook_url
    if hook and not hook.get_secret_value().startswith(("https://", "http://")):
        problems.append(
            "ALERTGATE_NOTIFY_WEBHOOK_URL (notify_webhook.url): expected an http(s):// URL"
        )
    if bool(settings.smtp_username) != bool(settings.smtp_password):
        problems.append(
            "ALERTGATE_SMTP_USERNAME, ALERTGATE_SMTP_PASSWORD: SMTP login needs both, or neither"
        )
    if settings.smtp_host and not (settings.email_from and settings.email_to):
        problems.append("EMAIL_FROM, EMAIL_TO: SMTP mail needs a sender and recipients")
    elif settings.smtp_host and settings.email_from and is_object_id(settings.email_from):
        problems.append(
            "EMAIL_FROM (email.from): SMTP mail needs the sender's address; an object id "
            "works for Graph only"
        )
    if settings.delivery_backoff_first > settings.delivery_backoff_max:
        problems.append(
            "ALERTGATE_DELIVERY_BACKOFF_FIRST (delivery.backoff_first): longer than "
            "ALERTGATE_DELIVERY_BACKOFF_MAX"
        )
    chosen = settings.email_channel
    missing = {
        "graph": not settings.graph_tenant_id,
        "smtp": not settings.smtp_host,
        "webhook": not settings.notify_webhook_url,
    }
    needs = {
        "graph": "GRAPH_TENANT_ID, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET",
        "smtp": "ALERTGATE_SMTP_HOST",
        "webhook": "ALERTGATE_NOTIFY_WEBHOOK_URL",
    }
    if missing.get(chosen):
        problems.append(
            f"ALERTGATE_EMAIL_CHANNEL (email.channel): {chosen} is chosen but "
            f"{needs[chosen]} is not set"
        )
    return problems
