"""A stand-in for alertgate while it is down behind a proxy: it answers every POST 503 (as a
reverse proxy does with its backend gone) and keeps each body, so a test sees exactly what a
sender tried to deliver during the outage."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class _Refuse(BaseHTTPRequestHandler):
    server: _RecordingServer

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        with self.server.lock:
            self.server.bodies.append(body)
        self.send_response(503)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read the bodies, not a request log."""


class _RecordingServer(ThreadingHTTPServer):
    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Refuse)
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()


class Refuser:
    """Listens on `port` (alertgate's, while alertgate is stopped) until the block ends."""

    def __init__(self, port: int) -> None:
        self._server = _RecordingServer(port)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def alerts(self) -> list[dict[str, object]]:
        """Every alert of every refused body, in the order they came (one per attempt)."""
        with self._server.lock:
            bodies = list(self._server.bodies)
        return [alert for body in bodies for alert in json.loads(body)["alerts"]]

    def __enter__(self) -> Refuser:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
