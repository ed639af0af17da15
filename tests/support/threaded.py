"""`http.server` servers for tests: run on a background thread for the length of a `with`
block, and quiet about clients that hang up mid-request."""

from __future__ import annotations

import sys
import threading
from http.server import HTTPServer, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class BackgroundServer:
    """Starts `server.serve_forever` on entry; shuts it down and closes its socket on exit."""

    def __init__(self, server: HTTPServer) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


class PeerClosingServer(ThreadingHTTPServer):
    """A threading server for clients that drop their connections mid-request when they are
    done (wrk at the end of its run): a connection error is theirs, not the test's, and prints
    no traceback; any other error still does."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
