"""Notification channels from settings: which channels carry each route, and the notifiers
that implement them (one shared HTTP client, msal for Graph)."""

from __future__ import annotations

import importlib.util
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from alertgate.adapters.notifiers import tls
from alertgate.adapters.notifiers.graph_mail import GraphMailNotifier, TokenSource
from alertgate.adapters.notifiers.log import LogNotifier
from alertgate.adapters.notifiers.smtp import SmtpNotifier, SmtpServer
from alertgate.adapters.notifiers.teams import TeamsNotifier
from alertgate.adapters.notifiers.webhook import WebhookNotifier
from alertgate.config import Settings
from alertgate.domain.routing import Route
from alertgate.ports import ProbedNotifier

EMAIL_CHANNELS = ("graph", "smtp", "webhook")  # the order `auto` tries them in


def _configured(settings: Settings, channel: str) -> bool:
    return {
        "graph": bool(settings.graph_tenant_id and settings.graph_client_secret),
        "smtp": bool(settings.smtp_host),
        "webhook": settings.notify_webhook_url is not None,
        "teams": settings.teams_webhook_url is not None,
        "log": True,
    }[channel]


def route_channels(settings: Settings) -> dict[Route, list[str]]:
    """The channels of each route, in the order they are tried; `log` when none is set up.

    With ALERTGATE_EMAIL_CHANNEL=auto every configured email channel is used, Graph first:
    when one fails permanently (a 403, a refused login) the next one carries the escalation.
    """
    if settings.email_channel == "auto":
        email = [c for c in EMAIL_CHANNELS if _configured(settings, c)] or ["log"]
    else:
        email = [settings.email_channel]
    return {Route.TEAMS: ["teams" if _configured(settings, "teams") else "log"], Route.EMAIL: email}


def route_descriptions(settings: Settings) -> dict[str, str]:
    """Which channel each route uses, in words (for check-config and the start-up log)."""
    return {route.value: ", then ".join(names) for route, names in route_channels(settings).items()}


def channel_problems(settings: Settings) -> list[str]:
    """Channels that are configured but cannot be built here (a missing extra, a bad CA file)."""
    problems: list[str] = []
    graph = any("graph" in names for names in route_channels(settings).values())
    if graph and importlib.util.find_spec("msal") is None:
        problems.append(
            "GRAPH_TENANT_ID, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET: Graph mail needs the "
            "'graph' extra (msal): pip install 'alertgate[graph]'"
        )
    try:
        tls.ssl_context(settings.ca_bundle)
    except tls.TrustError as exc:
        problems.append(str(exc))
    return problems


@dataclass(slots=True)
class Channels:
    """The notifiers of each route, and what must be closed when delivery stops."""

    routes: dict[Route, list[ProbedNotifier]]
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


class _Factory:
    """Builds each channel once, sharing one SSL context and one HTTP client."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.context: ssl.SSLContext = tls.ssl_context(settings.ca_bundle)
        self._client: httpx.AsyncClient | None = None
        self._built: dict[str, ProbedNotifier] = {}
        self.closers: list[Callable[[], Awaitable[None]]] = []

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = tls.http_client(self.context)
            self.closers.append(self._client.aclose)
        return self._client

    def channel(self, name: str, route: Route) -> ProbedNotifier:
        key = "log:" + route.value if name == "log" else name
        if key not in self._built:
            self._built[key] = self._build(name, route)
        return self._built[key]

    def _build(self, name: str, route: Route) -> ProbedNotifier:
        s = self.settings
        if name == "teams" and s.teams_webhook_url:
            return TeamsNotifier(self.client, s.teams_webhook_url.get_secret_value())
        if name == "graph" and s.graph_client_secret and s.email_from:
            tokens = self._tokens(s.graph_client_secret.get_secret_value())
            return GraphMailNotifier(
                self.client, tokens, s.graph_api_base, s.email_from, s.email_to
            )
        if name == "smtp" and s.smtp_host and s.email_from:
            password = s.smtp_password.get_secret_value() if s.smtp_password else None
            server = SmtpServer(
                s.smtp_host, s.smtp_port_effective, s.smtp_security, s.smtp_username, password
            )
            return SmtpNotifier(server, s.email_from, s.email_to, self.context)
        if name == "webhook" and s.notify_webhook_url:
            headers = {k: v.get_secret_value() for k, v in s.notify_webhook_headers.items()}
            return WebhookNotifier(self.client, s.notify_webhook_url.get_secret_value(), headers)
        return LogNotifier(route.value)

    def _tokens(self, secret: str) -> TokenSource:
        # msal is an optional extra: imported only when Graph mail is configured (AP-16).
        from alertgate.adapters.notifiers import entra

        s = self.settings
        tokens = entra.EntraTokens(
            tenant=s.graph_tenant_id or "",
            client_id=s.graph_client_id or "",
            secret=secret,
            authority_host=s.graph_authority_host,
            scope=entra.scope_for(s.graph_api_base),
            context=self.context,
        )
        self.closers.append(tokens.aclose)
        return tokens


def channels(settings: Settings) -> Channels:
    """Build the notifiers of every route (channel_problems() must be empty)."""
    factory = _Factory(settings)
    routes = {
        route: [factory.channel(name, route) for name in names]
        for route, names in route_channels(settings).items()
    }
    return Channels(routes, factory.closers)


TEST_CHANNELS = ("teams", "email", "smtp", "webhook")


def channel_for_test(settings: Settings, which: str) -> Channels:
    """The channel `alertgate test-notify` exercises: `email` is the email route's first."""
    name = route_channels(settings)[Route.EMAIL][0] if which == "email" else which
    route = Route.TEAMS if which == "teams" else Route.EMAIL
    factory = _Factory(settings)
    notifier = factory.channel(name if _configured(settings, name) else "log", route)
    return Channels({route: [notifier]}, factory.closers)
