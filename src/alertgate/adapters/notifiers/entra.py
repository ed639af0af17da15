"""Entra ID (Azure AD) app-only tokens for Microsoft Graph, through msal (the `graph` extra).

msal is synchronous (requests), so every call runs on a worker thread, one at a time: the first
caller fetches the token and the others find it in msal's cache. msal gets its own
`requests.Session` that ignores REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (`trust_env = False`):
otherwise requests silently swaps our trust store for the environment's (contracts.md §4.2).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import ssl
from dataclasses import dataclass
from typing import Any

import msal
import requests
from msal.exceptions import MsalServiceError
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager

from alertgate.ports import DeliveryError

# AADSTS codes people actually hit, with what to do about each (contracts.md §4.1).
_HINTS = {
    7000215: "GRAPH_CLIENT_SECRET is wrong: use the secret's Value, not its Secret ID",
    7000222: "GRAPH_CLIENT_SECRET has expired: create a new client secret",
    700016: "GRAPH_CLIENT_ID is not an application in this tenant",
    90002: "GRAPH_TENANT_ID names no tenant",
    900023: "GRAPH_TENANT_ID is not a valid tenant id or domain",
}
_DISCOVERY_STATUS = re.compile(r"HTTP status: (\d{3})")
_BUSY = {"temporarily_unavailable": "rate_limited", "server_error": "server_error"}
_PERMANENT = {"invalid_client", "unauthorized_client", "invalid_request", "invalid_scope"}


@dataclass(frozen=True, slots=True)
class Token:
    value: str
    expires_in: int
    from_cache: bool

    @property
    def roles(self) -> list[str] | None:
        """The app roles in the token (e.g. Mail.Send), or None when it is not a readable JWT."""
        try:
            payload = self.value.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError, binascii.Error):
            return None
        roles = claims.get("roles") if isinstance(claims, dict) else None
        return [str(r) for r in roles] if isinstance(roles, list) else []


class _TrustingAdapter(HTTPAdapter):
    """Connection pools that verify with our SSL context (system + certifi + the extra CAs)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__(max_retries=1)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> PoolManager:
        kwargs["ssl_context"] = self._context
        manager: PoolManager = super().proxy_manager_for(proxy, **kwargs)
        return manager


def session_for(context: ssl.SSLContext, authority: str) -> requests.Session:
    """A requests session for msal: our trust store, proxies from the environment."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE replaces our verify= silently
    session.proxies.update(requests.utils.get_environ_proxies(authority))
    adapter = _TrustingAdapter(context)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def scope_for(api_base: str) -> str:
    """The app-only scope of a Graph deployment: https://graph.microsoft.com/.default."""
    scheme, _, rest = api_base.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/.default"


class EntraTokens:
    """Client-credentials tokens for one app registration, cached by msal."""

    def __init__(
        self,
        *,
        tenant: str,
        client_id: str,
        secret: str,
        authority_host: str,
        scope: str,
        context: ssl.SSLContext,
        timeout: float = 10.0,
    ) -> None:
        self.authority = f"{authority_host.rstrip('/')}/{tenant}"
        self._client_id, self._secret, self._scope = client_id, secret, scope
        self._context, self._timeout = context, timeout
        self._app: Any = None
        self._session: requests.Session | None = None
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        """Close msal's connections (at shutdown)."""
        if self._session is not None:
            await asyncio.to_thread(self._session.close)

    async def get(self) -> Token:
        """A valid token (from msal's cache while it has more than 5 minutes left)."""
        async with self._lock:
            return await asyncio.to_thread(self._acquire)

    async def forget(self, token: str) -> None:
        """Drop a token Graph rejected (401), so that the next get() asks Entra again."""
        async with self._lock:
            await asyncio.to_thread(self._forget, token)

    def _forget(self, token: str) -> None:
        if self._app is None:
            return
        cache = self._app.token_cache
        entries = list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN))
        for entry in entries:  # listed first: removing while msal iterates its dict fails
            if entry.get("secret") == token:
                cache.remove_at(entry)

    def _application(self) -> Any:
        """msal's app, built on first use (its constructor runs tenant discovery)."""
        if self._app is None:
            # One session for the life of this object: a constructor that fails (discovery
            # down) is tried again on the next send, and must not leak a pool each time.
            if self._session is None:
                self._session = session_for(self._context, self.authority)
            self._app = msal.ConfidentialClientApplication(
                self._client_id,
                client_credential=self._secret,
                authority=self.authority,
                http_client=self._session,
                instance_discovery=False,  # the authority is configured, not discovered
                timeout=self._timeout,
                token_cache=msal.TokenCache(),
            )
        return self._app

    def _acquire(self) -> Token:
        what = f"Entra ID token from {self.authority}"
        try:
            result = self._application().acquire_token_for_client(scopes=[self._scope])
        except (requests.exceptions.RequestException, MsalServiceError, ValueError) as exc:
            raise _request_failure(exc, what) from None
        if "access_token" in result:
            return Token(
                result["access_token"],
                int(result.get("expires_in", 0)),
                result.get("token_source") == "cache",
            )
        raise _token_error(what, result)


def _request_failure(exc: Exception, what: str) -> DeliveryError:
    """A token request or tenant discovery that got no usable answer, classified."""
    if isinstance(exc, requests.exceptions.SSLError):
        return DeliveryError(
            "tls",
            f"{what}: certificate not trusted ({exc}); see ALERTGATE_CA_BUNDLE",
            retryable=False,
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return DeliveryError("timeout", f"{what}: no answer in time", retryable=True)
    if isinstance(exc, requests.exceptions.RetryError):
        # urllib3 waited out one Retry-After (429, 503) and was refused again
        return DeliveryError("rate_limited", f"{what}: throttled ({exc})", retryable=True)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return DeliveryError("connection", f"{what}: {exc}", retryable=True)
    if isinstance(exc, requests.exceptions.RequestException) and not isinstance(exc, ValueError):
        # a broken response (ChunkedEncodingError and the like): the connection, not the setup
        return DeliveryError("connection", f"{what}: {type(exc).__name__}: {exc}", retryable=True)
    if isinstance(exc, requests.exceptions.HTTPError | MsalServiceError):
        # msal raises these for a 5xx from discovery or the token endpoint (MsalServiceError
        # since msal 1.3x, requests' HTTPError before): Entra is having trouble, retry.
        return DeliveryError("server_error", f"{what}: {exc}", retryable=True)
    # msal raises ValueError for any 4xx of tenant discovery, with the status only in the
    # error it replaced: a throttled or timed-out discovery is retried, not dead-lettered.
    status = _DISCOVERY_STATUS.search(f"{exc} {exc.__context__ or ''}")
    if status and status.group(1) in ("408", "429"):
        reason = "rate_limited" if status.group(1) == "429" else "timeout"
        answered = f"{what}: tenant discovery answered {status.group(1)}"
        return DeliveryError(reason, answered, retryable=True)
    return DeliveryError(
        "auth",
        f"{what}: {exc} -- check GRAPH_TENANT_ID and GRAPH_AUTHORITY_HOST",
        retryable=False,
    )


def _token_error(what: str, result: dict[str, Any]) -> DeliveryError:
    error = str(result.get("error", "unknown_error"))
    description = str(result.get("error_description", "")).split("\r\n")[0].split("\n")[0]
    codes = [c for c in result.get("error_codes", []) if isinstance(c, int)]
    hint = next((_HINTS[c] for c in codes if c in _HINTS), None)
    message = f"{what} failed: {error}: {description}"
    if hint:
        message += f" -- {hint}"
    # OAuth's own words for "not now" (RFC 6749 §5.2 as Entra uses it, e.g. with a 429)
    reason = _BUSY.get(error, "auth")
    return DeliveryError(reason, message, retryable=error not in _PERMANENT)
