"""Source parsers: webhook bodies from each monitoring system, turned into alert events."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from alertgate.adapters.sources import alertmanager, coralogix, coralogix_nc
from alertgate.ports import SourceParser

PARSERS: Mapping[str, SourceParser] = MappingProxyType(
    {
        "coralogix": coralogix.parse,
        "coralogix-nc": coralogix_nc.parse,
        "alertmanager": alertmanager.parse,
    }
)
"""Every built-in source by the name in its URL (`POST /webhooks/{name}`)."""
