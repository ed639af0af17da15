"""Shared HTTP rules of the notifiers: classify a response or a transport failure into a
DeliveryError with a bounded reason, read Retry-After, and keep secrets out of URLs in messages.

The rule (as Alertmanager's `Retrier`): 2xx is success and is never retried; connection errors,
timeouts, 408, 429 and 5xx are retryable; every other status is permanent.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit, urlunsplit

import httpx

from alertgate.ports import DeliveryError

Scrub = Callable[[str], str]

MAX_RETRY_AFTER = 3600.0  # a server asking for more than an hour is capped (msal does the same)
BODY_EXCERPT = 300  # characters of an error body kept in the message
# Query parameters that carry credentials in webhook URLs (Workflows: sig; others: token, key).
_SECRET_PARAMS = re.compile(r"sig|signature|token|key|api[-_]?key|code|secret|password", re.I)


def is_secret_param(name: str) -> bool:
    """True for query parameters that carry credentials in URLs people configure (`sig`)."""
    return bool(_SECRET_PARAMS.fullmatch(name))


class Failure(enum.StrEnum):
    """Bounded failure reasons: safe as metric labels and for grouping in `outbox list`."""

    AUTH = "auth"  # 401, 403, or a token that could not be acquired
    NOT_FOUND = "not_found"  # 404: the webhook, mailbox or resource does not exist
    RATE_LIMITED = "rate_limited"  # 429
    CLIENT_ERROR = "client_error"  # any other 4xx: the request itself is wrong
    SERVER_ERROR = "server_error"  # 5xx
    TIMEOUT = "timeout"  # 408, or no answer in time
    CONNECTION = "connection"  # could not connect, or the connection broke
    TLS = "tls"  # the server's certificate is not trusted (see ALERTGATE_CA_BUNDLE)
    UNEXPECTED = "unexpected_status"  # 1xx/3xx: a redirect is not followed (it may drop a body)


def redact_url(url: str) -> str:
    """The URL with its credentials (query secrets such as `sig=`, user:password) masked.

    Every other byte stays as it was (`sp=%2Ftriggers...` is not decoded): the URL shown is the
    URL configured, minus its secrets. This is the one place that knows which query parameters
    are credentials; check-config, errors and `target` strings all go through it.
    """
    parts = urlsplit(url)
    query = "&".join(_redact_param(param) for param in parts.query.split("&"))
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _redact_param(param: str) -> str:
    name, equals, _ = param.partition("=")
    return f"{name}=***" if equals and is_secret_param(unquote_plus(name)) else param


def url_secrets(url: str) -> list[str]:
    """The credentials a URL carries: its password and the value of each secret query
    parameter (`sig=`), as written and decoded. A server that quotes the request back in its
    error body must not carry them into a message (see `check`)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return []
    found = [unquote(parts.password)] if parts.password else []
    for param in parts.query.split("&"):
        name, equals, raw = param.partition("=")
        if equals and raw and is_secret_param(unquote_plus(name)):
            found.append(raw)
    found += [v for k, v in parse_qsl(parts.query) if v and is_secret_param(k)]
    return list(dict.fromkeys(found))


def _keep(text: str) -> str:
    return text


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds a server asked us to wait (`Retry-After: 120` or an HTTP date), capped."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def failure_for_status(status: int) -> tuple[Failure, bool]:
    """The reason and retryability of a non-2xx status."""
    if status in (401, 403):
        return Failure.AUTH, False
    if status == 404:
        return Failure.NOT_FOUND, False
    if status == 408:
        return Failure.TIMEOUT, True
    if status == 429:
        return Failure.RATE_LIMITED, True
    if status >= 500:
        return Failure.SERVER_ERROR, True
    if status >= 400:
        return Failure.CLIENT_ERROR, False
    return Failure.UNEXPECTED, False


def excerpt(response: httpx.Response, scrub: Scrub = _keep) -> str:
    """The start of a response body, on one line, for an error message: scrubbed of secrets
    before it is cut, so that no secret survives even in part."""
    text = " ".join(scrub(response.text).split())
    return text[:BODY_EXCERPT] + ("..." if len(text) > BODY_EXCERPT else "")


def check(
    response: httpx.Response, what: str, hint: str | None = None, scrub: Scrub = _keep
) -> None:
    """Return on 2xx; otherwise raise the classified DeliveryError (with the body's start).

    `scrub` removes the caller's secrets from the body: a receiver may quote the request,
    URL and headers included, back in its error, and the message is stored and shown.
    """
    if response.is_success:
        return
    reason, retryable = failure_for_status(response.status_code)
    body = excerpt(response, scrub)
    message = f"{what} answered {response.status_code}" + (f": {body}" if body else "")
    if hint:
        message += f" -- {hint}"
    raise DeliveryError(
        reason.value,
        message,
        retryable=retryable,
        retry_after=retry_after(response.headers) if retryable else None,
    )


def with_hint(error: DeliveryError, hint: str | None) -> DeliveryError:
    """The same failure, its message followed by the likely cause and fix."""
    if not hint:
        return error
    return DeliveryError(
        error.reason,
        f"{error.message} -- {hint}",
        retryable=error.retryable,
        retry_after=error.retry_after,
    )


def transport_failure(exc: httpx.TransportError, what: str, scrub: Scrub = _keep) -> DeliveryError:
    """A DeliveryError for a request that got no HTTP answer (all retryable but TLS trust)."""
    detail = scrub(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return DeliveryError(Failure.TIMEOUT.value, f"{what}: no answer in time", retryable=True)
    if "CERTIFICATE_VERIFY_FAILED" in detail:
        return DeliveryError(
            Failure.TLS.value,
            f"{what}: the server's TLS certificate is not trusted ({detail}); add its CA to "
            "ALERTGATE_CA_BUNDLE",
            retryable=False,
        )
    return DeliveryError(
        Failure.CONNECTION.value, f"{what}: {type(exc).__name__}: {detail}", retryable=True
    )


async def post(
    client: httpx.AsyncClient,
    url: str,
    what: str,
    *,
    content: bytes,
    headers: Mapping[str, str],
    scrub: Scrub = _keep,
) -> httpx.Response:
    """POST and return the response; a transport failure becomes a classified DeliveryError."""
    try:
        return await client.post(url, content=content, headers=dict(headers))
    except httpx.TransportError as exc:
        raise transport_failure(exc, what, scrub) from None
