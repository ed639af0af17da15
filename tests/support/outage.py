"""A stand-in for alertgate while it is down behind a proxy: it answers every POST 503 (as a
reverse proxy does with its backend gone) and keeps each body, so a test sees exactly what a
sender tried to deliver during the outage."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.threaded import BackgroundServer


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


class Refuser(BackgroundServer):
    """Listens on `port` (alertgate's, while alertgate is stopped) until the block ends."""

    def __init__(self, port: int) -> None:
        self._recording = _RecordingServer(port)
        super().__init__(self._recording)

    def alerts(self) -> list[dict[str, object]]:
        """Every alert of every refused body, in the order they came (one per attempt)."""
        with self._recording.lock:
            bodies = list(self._recording.bodies)
        return [alert for body in bodies for alert in json.loads(body)["alerts"]]
