"""A hostile HTTP endpoint: answers every request with an error that quotes the request back.

The worst case for secret leaks: a notifier that puts a response body in its error message
would carry the URL (with its `sig=`), the headers and the body it sent into logs and the API.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.net import free_port
from tests.support.threaded import BackgroundServer


class _Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        quoted = {"error": "bad_request", "url": self.path, "headers": dict(self.headers)}
        payload = json.dumps({**quoted, "body": body}).encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _answer  # noqa: N815 - names http.server dispatches to

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the server's own log, not this one."""


class EchoServer(BackgroundServer):
    """Serves `_Echo` on a free loopback port in a background thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(ThreadingHTTPServer(("127.0.0.1", self.port), _Echo))
