"""Real HTTPS servers on loopback for emulators: an ASGI app under uvicorn on a thread, with a
certificate from a throw-away CA (trustme) that alertgate trusts through ALERTGATE_CA_BUNDLE."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
import uvicorn

from tests.support.net import free_port


@dataclass(frozen=True)
class LoopbackCA:
    """A CA, the PEM file alertgate is told to trust, and a loopback server certificate."""

    ca: trustme.CA
    ca_path: Path
    cert_path: Path  # key + certificate chain, for uvicorn and aiosmtpd

    @classmethod
    def create(cls, directory: Path) -> LoopbackCA:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca_path, cert_path = directory / "test-ca.pem", directory / "server.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
        return cls(ca, ca_path, cert_path)


class ThreadedServer:
    """uvicorn serving `app` over TLS on 127.0.0.1 from a background thread."""

    def __init__(self, app: Any, ca: LoopbackCA, port: int | None = None) -> None:
        self.app, self.ca = app, ca
        self.port = port or free_port()
        self.base = f"https://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ThreadedServer:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            ssl_certfile=str(self.ca.cert_path),
            access_log=False,
            loop="asyncio",
            http="h11",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"emulator on port {self.port} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
            self._server = None

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
