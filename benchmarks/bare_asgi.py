"""The yardstick: a bare ASGI app on uvicorn that reads each body and answers 200, storing
nothing. Run with the same uvicorn options as `alertgate serve` (uvloop, httptools, no access
log), so a ratio against it is what alertgate's own work costs on this machine, this run."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

Message = MutableMapping[str, Any]
_BODY = b'{"status":"ok"}'
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"15")]


async def app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return  # lifespan: nothing to start
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})


def main(port: int) -> None:
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
