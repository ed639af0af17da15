"""Routing: which route (Teams or email) carries each kind of notification."""

from __future__ import annotations

import enum
from types import MappingProxyType

from alertgate.domain.decisions import NotificationKind


class Route(enum.StrEnum):
    """The audience of a notification; configuration maps each route to concrete channels."""

    TEAMS = "teams"  # the team's channel: information that needs no action
    EMAIL = "email"  # the on-call: escalations and their follow-ups


ROUTES = MappingProxyType(
    {
        NotificationKind.SELF_RESOLVED: Route.TEAMS,
        NotificationKind.ESCALATION: Route.EMAIL,
        NotificationKind.RESOLUTION: Route.EMAIL,
        NotificationKind.INFORMATION: Route.TEAMS,
    }
)


def route_for(kind: NotificationKind) -> Route:
    """The route a notification of this kind takes."""
    return ROUTES[kind]
