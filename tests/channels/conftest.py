"""Fixtures of the channel tests: a test CA and the emulators, each on its own free port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulators.https import LoopbackCA, ThreadedServer
from tests.emulators.microsoft import MicrosoftEmulator
from tests.emulators.receiver import WebhookReceiver
from tests.emulators.smtp import SmtpEmulator
from tests.emulators.teams import TeamsEmulator


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCA:
    return LoopbackCA.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def microsoft(test_ca: LoopbackCA) -> Iterator[MicrosoftEmulator]:
    emulator = MicrosoftEmulator()
    with ThreadedServer(emulator.app(), test_ca) as server:
        emulator.base = server.base
        yield emulator


@pytest.fixture
def teams_server(test_ca: LoopbackCA) -> Iterator[tuple[TeamsEmulator, ThreadedServer]]:
    emulator = TeamsEmulator()
    server = ThreadedServer(emulator.app(), test_ca).start()
    try:
        yield emulator, server
    finally:
        server.stop()


@pytest.fixture
def teams(teams_server: tuple[TeamsEmulator, ThreadedServer]) -> TeamsEmulator:
    return teams_server[0]


@pytest.fixture
def receiver(test_ca: LoopbackCA) -> Iterator[tuple[WebhookReceiver, str]]:
    emulator = WebhookReceiver()
    with ThreadedServer(emulator.app(), test_ca) as server:
        yield emulator, f"{server.base}/hooks/alerts?token=s3cret-token"


@pytest.fixture
def smtp(test_ca: LoopbackCA) -> Iterator[SmtpEmulator]:
    with SmtpEmulator(test_ca) as emulator:
        yield emulator


@pytest.fixture
def smtps(test_ca: LoopbackCA) -> Iterator[SmtpEmulator]:
    """SMTP with implicit TLS (the port-465 kind)."""
    with SmtpEmulator(test_ca, implicit_tls=True) as emulator:
        yield emulator


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
