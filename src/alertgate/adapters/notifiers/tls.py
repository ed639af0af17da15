"""TLS trust for every outbound connection: the system's CAs, certifi's, and the extra ones
named by ALERTGATE_CA_BUNDLE (a corporate proxy's CA, a test emulator's CA)."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import httpx


class TrustError(ValueError):
    """The CA bundle cannot be read as PEM certificates."""


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """A verifying client context that trusts the system CAs, certifi's and `ca_bundle`."""
    context = ssl.create_default_context()  # the system's store (e.g. /etc/ssl/certs)
    context.load_verify_locations(cafile=certifi.where())  # what httpx would use by default
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise TrustError(
                f"ALERTGATE_CA_BUNDLE (tls.ca_bundle): {ca_bundle} holds no usable PEM "
                f"certificates: {exc}"
            ) from None
    return context


def http_client(context: ssl.SSLContext) -> httpx.AsyncClient:
    """The one shared client of every HTTP notifier: explicit timeouts, no redirects.

    A redirect is not followed: a POST redirected to another host could lose its body or carry
    a token where it should not go, so a 3xx is reported as a failure instead.
    """
    return httpx.AsyncClient(
        verify=context,
        timeout=httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=30.0),
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        follow_redirects=False,
        headers={"User-Agent": "alertgate"},
    )
