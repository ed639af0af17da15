"""Entra ID (token endpoint, OpenID discovery) and Microsoft Graph sendMail, as contracts.md
§4 describes them: a client secret in the form body or as HTTP Basic, real status codes and
error bodies (401s with WWW-Authenticate), Retry-After, and the mailbox concurrency limit (a
fifth request in flight gets 429 ApplicationThrottled)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CLIENT_ID = "535fb089-9ff3-47b6-9bfb-4f1264799865"
CLIENT_SECRET = "emulator-secret-value"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
MAILBOX = "alerts@contoso.com"
# What Graph sends with a 401: where to get a token, for Graph's own app id.
WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
    'authorize", client_id="00000003-0000-0000-c000-000000000000"'
)
# What `fail_next` answers for each status (contracts.md §4.4; other 5xx: errors.md).
FAILURES = {
    400: ("ErrorInvalidRecipients", "At least one recipient is not valid."),
    401: ("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."),
    403: ("ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    404: ("ResourceNotFound", "Resource could not be discovered."),
    500: ("generalException", "An unspecified error has occurred."),
    503: ("serviceNotAvailable", "The service is temporarily unavailable. Try again later."),
    504: ("serviceNotAvailable", "The service is temporarily unavailable. Try again later."),
}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def graph_error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """Graph's error body (contracts.md §4.4); a 401 carries WWW-Authenticate, as Graph's do."""
    if status == 401:
        headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": "2026-12-03T10:00:00", "request-id": str(uuid.uuid4())},
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def failure(status: int) -> JSONResponse:
    """The Graph error `fail_next` (or `unavailable`) answers with `status`."""
    code, message = FAILURES.get(
        status,
        ("generalException", "An unspecified error has occurred.")
        if status >= 500
        else ("invalidRequest", "The request is malformed or incorrect."),
    )
    return graph_error(status, code, message)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """(client_id, secret) from `Authorization: Basic`, each form-urlencoded (RFC 6749)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


def aad_error(
    status: int, error: str, code: int, text: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    trace = str(uuid.uuid4())
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: x",
        "error_codes": [code],
        "timestamp": "2026-12-03 10:00:00Z",
        "trace_id": trace,
        "correlation_id": str(uuid.uuid4()),
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return JSONResponse(body, status_code=status, headers=headers)


@dataclass
class Sent:
    mailbox: str
    message: dict[str, Any]
    at: float

    def header(self, name: str) -> str | None:
        for h in self.message.get("internetMessageHeaders", []):
            if h["name"].lower() == name.lower():
                return str(h["value"])
        return None


@dataclass
class MicrosoftEmulator:
    """One tenant, one app registration, mailboxes; knobs change its behaviour mid-test."""

    secret: str = CLIENT_SECRET
    roles: list[str] = field(default_factory=lambda: ["Mail.Send"])
    mailboxes: set[str] = field(default_factory=lambda: {MAILBOX})
    policy_excluded: set[str] = field(default_factory=set)  # ApplicationAccessPolicy
    expires_in: int = 3599
    latency: float = 0.02  # seconds each sendMail takes, so that concurrency is real
    throttle_until: float = 0.0  # monotonic: every sendMail answers 429 until then
    throttle_retry_after: int = 1
    fail_next: list[int] = field(default_factory=list)  # statuses for the next sendMails
    discovery_fail_next: list[int] = field(default_factory=list)  # ... for the next discoveries
    token_fail_next: list[int] = field(default_factory=list)  # ... for the next token requests
    unavailable: bool = False  # every sendMail answers 503 (an outage)
    base: str = ""  # https://127.0.0.1:PORT, set once the server runs
    sent: list[Sent] = field(default_factory=list)
    token_requests: int = 0
    scopes: list[str] = field(default_factory=list)  # the scope of each token request
    send_requests: int = 0
    throttled: list[float] = field(default_factory=list)  # when each 429 was answered
    concurrency_429s: int = 0
    max_inflight: int = 0
    _inflight: int = 0
    _tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def inflight(self) -> int:
        """sendMail requests being answered right now."""
        with self._lock:
            return self._inflight

    def revoke_tokens(self) -> None:
        """Graph now rejects every token issued so far (401), as after a key rollover."""
        self._tokens.clear()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery),
                Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
                Route("/v1.0/users/{mailbox}/sendMail", self.send_mail, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        if self.discovery_fail_next:
            status = self.discovery_fail_next.pop(0)
            headers = {"Retry-After": "1"} if status == 429 else None
            return JSONResponse({"error": "temporarily_unavailable"}, status, headers=headers)
        tenant = request.path_params["tenant"]
        if tenant != TENANT:
            return aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        root = f"{self.base}/{tenant}"
        return JSONResponse(
            {
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "issuer": f"{root}/v2.0",
            }
        )

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        if self.token_fail_next:  # Entra in trouble: 429 with Retry-After, or a 5xx
            status = self.token_fail_next.pop(0)
            headers = {"Retry-After": "1"} if status == 429 else None
            body = "temporarily_unavailable" if status == 429 else "server_error"
            return aad_error(status, body, 50196 if status == 429 else 50000, "Try again.", headers)
        # application/x-www-form-urlencoded; the client authenticates with client_secret in
        # the body (as msal does) or with HTTP Basic (RFC 6749 §2.3.1; contracts.md §4.1)
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "client_credentials":
            return aad_error(400, "unsupported_grant_type", 70003, "grant not supported")
        basic = _basic_credentials(request.headers.get("authorization", ""))
        client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
        if client_id != CLIENT_ID or form.get("client_id", client_id) != client_id:
            return aad_error(
                400, "unauthorized_client", 700016, "Application with identifier was not found."
            )
        if secret != self.secret:
            return aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request "
                "is the client secret value, not the client secret ID",
            )
        self.scopes.append(str(form.get("scope", "")))
        if not str(form.get("scope", "")).endswith("/.default"):
            return aad_error(400, "invalid_scope", 70011, "The provided value for scope is bad")
        claims = {"aud": "https://graph.microsoft.com", "tid": TENANT, "roles": self.roles}
        token = f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(claims)}.{uuid.uuid4().hex}"
        self._tokens.add(token)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "ext_expires_in": self.expires_in,
                "access_token": token,
            }
        )

    async def send_mail(self, request: Request) -> Response:
        self.send_requests += 1
        with self._lock:
            self._inflight += 1
            self.max_inflight = max(self.max_inflight, self._inflight)
            over = self._inflight > 4
        try:
            await asyncio.sleep(self.latency)
            if over:
                self.concurrency_429s += 1
                return self._throttle("Application is over its MailboxConcurrency limit.")
            return await self._send(request)
        finally:
            with self._lock:
                self._inflight -= 1

    def _throttle(self, message: str) -> Response:
        self.throttled.append(time.monotonic())
        return graph_error(
            429, "ApplicationThrottled", message, **{"Retry-After": str(self.throttle_retry_after)}
        )

    def _unauthenticated(self, request: Request) -> Response | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not token:
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if token.count(".") != 2:
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "CompactToken validation failed with reason code: 80049217.",
            )
        if token not in self._tokens:
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            )
        return None

    async def _send(self, request: Request) -> Response:
        refused = self._unauthenticated(request)
        if refused is not None:
            return refused
        if time.monotonic() < self.throttle_until:
            return self._throttle("Application is over its MailboxConcurrency limit.")
        if self.fail_next or self.unavailable:
            status = self.fail_next.pop(0) if self.fail_next else 503
            if status == 429:
                return self._throttle("Application is over its MailboxConcurrency limit.")
            return failure(status)
        mailbox = request.path_params["mailbox"]
        if "Mail.Send" not in self.roles:
            return graph_error(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        if mailbox not in self.mailboxes:
            return graph_error(
                404, "ErrorInvalidUser", f"The requested user '{mailbox}' is invalid."
            )
        if mailbox in self.policy_excluded:
            return graph_error(403, "ErrorAccessDenied", "Access to OData is disabled.")
        try:
            message = (await request.json())["message"]
        except (ValueError, KeyError, TypeError):
            return graph_error(400, "ErrorInvalidRequest", "The request body is invalid.")
        problem = _invalid(message)
        if problem is not None:
            return problem
        self.sent.append(Sent(mailbox, message, time.monotonic()))
        return Response(status_code=202)


def _invalid(message: dict[str, Any]) -> Response | None:
    """The 400 Graph answers for a message it cannot send, or None."""
    try:
        recipients = [r["emailAddress"]["address"] for r in message["toRecipients"]]
        valid = bool(message["subject"]) and message["body"]["contentType"].lower() in (
            "html",
            "text",
        )
    except (KeyError, TypeError, AttributeError):
        valid, recipients = False, []
    if not valid:
        return graph_error(400, "ErrorInvalidRequest", "The request body is invalid.")
    if not recipients or any("@" not in r for r in recipients):
        return graph_error(400, "ErrorInvalidRecipients", "At least one recipient is not valid.")
    if any(
        not h["name"].lower().startswith("x-") for h in message.get("internetMessageHeaders", [])
    ):
        return graph_error(
            400, "InvalidInternetMessageHeader", "The internet message header name is invalid."
        )
    return None
