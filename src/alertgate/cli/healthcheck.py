"""`alertgate healthcheck`: exit 0 when the local server answers GET /health (Docker's probe)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request

from alertgate.config import Settings

EXIT_UNHEALTHY = 1
_ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104 - compared, not bound


def health_url(settings: Settings) -> str:
    """Where this host's server answers: a wildcard listen address is reached on loopback."""
    host = "127.0.0.1" if settings.host in _ANY_ADDRESS else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/health"


def healthcheck(settings: Settings, url: str | None, timeout: float) -> int:
    """GET the health URL; 0 for a 200 {"status": "ok"}, 1 (with the reason) otherwise."""
    url = url or health_url(settings)
    if not url.startswith(("http://", "https://")):
        print(f"alertgate: --url must be an http:// or https:// URL, not {url!r}", file=sys.stderr)
        return EXIT_UNHEALTHY
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            body = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        print(f"alertgate: unhealthy: {url} answered {exc.code}", file=sys.stderr)
        return EXIT_UNHEALTHY
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"alertgate: unhealthy: {url}: {reason}", file=sys.stderr)
        return EXIT_UNHEALTHY
    if body.get("status") != "ok":
        print(f"alertgate: unhealthy: {url} answered {body!r}", file=sys.stderr)
        return EXIT_UNHEALTHY
    print(f"ok: {url}")
    return 0
