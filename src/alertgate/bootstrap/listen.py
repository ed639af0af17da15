"""The listening sockets of `serve`, bound before the server starts, so that a host that does not
resolve or a port that cannot be had is reported in one line naming its setting."""

from __future__ import annotations

import errno
import socket
from typing import Any

from alertgate.config import Settings

BACKLOG = 2048  # uvicorn's default


class ListenError(Exception):
    """The host and port in the settings cannot be listened on; the message names the setting."""


def _host(settings: Settings) -> str:
    return f"ALERTGATE_HOST={settings.host!r} (server.host, --host)"


def _port(settings: Settings) -> str:
    return f"ALERTGATE_PORT={settings.port} (server.port, --port)"


def _addresses(settings: Settings) -> list[tuple[int, int, int, tuple[Any, ...]]]:
    try:
        infos = socket.getaddrinfo(
            settings.host, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise ListenError(f"{_host(settings)} does not resolve: {exc.strerror}") from None
    unique = {(family, kind, proto, address) for family, kind, proto, _, address in infos}
    return sorted(unique, key=lambda info: info[0])


def host_problem(settings: Settings) -> str | None:
    """Why the host cannot be listened on as far as can be told without binding, or None."""
    try:
        _addresses(settings)
    except ListenError as exc:
        return str(exc)
    return None


def _bind_error(settings: Settings, exc: OSError) -> ListenError:
    where = f"{settings.host}:{settings.port}"
    if exc.errno == errno.EADDRINUSE:
        why = f"{_port(settings)}: {where} is already in use (another server on it?)"
    elif exc.errno == errno.EADDRNOTAVAIL:
        why = f"{_host(settings)} is not an address of this machine"
    elif exc.errno == errno.EACCES:
        why = f"{_port(settings)}: not allowed to listen on {where} ({exc.strerror})"
    else:
        why = f"{_host(settings)}, {_port(settings)}: cannot listen on {where}: {exc.strerror}"
    return ListenError(why)


def bind(settings: Settings) -> list[socket.socket]:
    """Listen on every address the host resolves to, as asyncio's create_server would (an
    address family the machine lacks is skipped); raise ListenError naming the setting."""
    bound: list[socket.socket] = []
    unavailable: OSError | None = None
    for family, kind, proto, address in _addresses(settings):
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind(address)
            sock.listen(BACKLOG)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRNOTAVAIL:
                unavailable = exc
                continue
            close(bound)
            raise _bind_error(settings, exc) from None
        bound.append(sock)
    if not bound:
        raise _bind_error(settings, unavailable or OSError(errno.EADDRNOTAVAIL, "no address"))
    return bound


def close(sockets: list[socket.socket]) -> None:
    """Let go of sockets that will not be served."""
    for sock in sockets:
        sock.close()
