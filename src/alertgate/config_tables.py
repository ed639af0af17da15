"""Table settings of the config file: generic JSON senders (`[sources.generic.NAME]`) and rules
for alerts that never resolve (`[[no_resolve.rules]]`), validated at start naming each bad key."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from alertgate.domain.alert import Priority
from alertgate.domain.durations import parse_duration
from alertgate.domain.no_resolve import NoResolveMode

# TOML key -> Settings field, for the settings that are whole tables (no environment variable).
TABLE_KEYS = {"sources.generic": "generic_sources", "no_resolve.rules": "no_resolve_rules"}
SENDER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")
_PATH = re.compile(r"(\$\.)?[^.\s]+(\.[^.\s]+)*")


def _path(value: str) -> str:
    if not _PATH.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a path; write dotted keys such as 'labels.alertname' "
            "('$.' reads from the body when `alerts` is set)"
        )
    return value


def _listed(value: object) -> object:
    """A single string where a list is expected means a list of one."""
    return [value] if isinstance(value, str) else value


def _seconds(value: object) -> object:
    if isinstance(value, str | int | float):
        return parse_duration(value).total_seconds()
    return value


Path = Annotated[str, AfterValidator(_path)]
Paths = Annotated[tuple[Path, ...], BeforeValidator(_listed)]
Words = Annotated[tuple[str, ...], BeforeValidator(_listed)]
Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0, le=30 * 86400)]


class GenericSource(BaseModel):
    """Where one JSON sender keeps each field (see docs/sources.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    identity: Paths = Field(min_length=1)
    action: Path
    trigger: Words = Field(min_length=1)
    resolve: Words = ()
    alerts: Path | None = None
    name: Path | None = None
    priority: Path | None = None
    priorities: dict[str, Priority] = Field(default_factory=dict)
    instance: Path | None = None
    link: Path | None = None
    description: Path | None = None
    time: Path | None = None
    resolve_time: Path | None = None
    labels: Paths = ()
    resends_state: bool = False

    @model_validator(mode="after")
    def _disjoint(self) -> GenericSource:
        both = {v.lower() for v in self.trigger} & {v.lower() for v in self.resolve}
        if both:
            raise ValueError(f"{sorted(both)} cannot mean both trigger and resolve")
        return self


class NoResolveRuleSettings(BaseModel):
    """One `[[no_resolve.rules]]` entry; mode and after default to `[no_resolve]`'s."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: Words = ()
    name: Words = ()
    labels: dict[str, Words] = Field(default_factory=dict)
    mode: NoResolveMode | None = None
    after: Seconds | None = None


def check_sender_names(names: Sequence[str]) -> None:
    """Sender names become URL paths: /webhooks/generic/NAME."""
    for name in names:
        if not SENDER_NAME.fullmatch(name):
            raise ValueError(
                f"{name!r} cannot name a sender: use a-z, 0-9, '-' and '_' (at most 48), "
                "it becomes /webhooks/generic/NAME"
            )


def table_label(error: Any) -> str | None:
    """`sources.generic.grafana.trigger` for an error inside a table setting, else None."""
    loc = [str(part) for part in error["loc"]]
    if not loc or loc[0] not in TABLE_KEYS.values():
        return None
    key = next(k for k, f in TABLE_KEYS.items() if f == loc[0])
    if loc[0] == "no_resolve_rules" and len(loc) > 1:
        return ".".join([f"{key}[{loc[1]}]", *loc[2:]])
    return ".".join([key, *loc[1:]])


def table_problem(error: Any) -> str | None:
    """A problem line for an error inside a table setting, else None."""
    label = table_label(error)
    if label is None:
        return None
    if error["type"] == "extra_forbidden":
        return f"{label}: unknown key"
    return f"{label}: {str(error['msg']).removeprefix('Value error, ')}"
