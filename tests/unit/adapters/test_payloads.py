"""Stored webhook bodies: compressed losslessly, read back byte for byte."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from alertgate.adapters.stores.payloads import pack, unpack
from tests.conftest import FIXTURES


def test_every_fixture_body_round_trips_and_the_default_body_shrinks_tenfold() -> None:
    """Bodies as senders send them come back exactly; a Coralogix default body shrinks a lot."""
    for path in sorted(FIXTURES.rglob("*.json")):
        body = path.read_bytes()
        assert unpack(pack(body)) == body, path
    default = (FIXTURES / "coralogix" / "default_resolve.json").read_bytes()
    assert len(pack(default)) * 10 < len(default)


@given(st.binary(max_size=5000))
def test_any_bytes_round_trip(body: bytes) -> None:
    """Whatever was accepted is kept exactly (the log is the source of truth)."""
    assert unpack(pack(body)) == body


def test_a_body_stored_before_compression_reads_as_it_was() -> None:
    """Raw bodies (JSON objects never start with the format byte) are read unchanged."""
    assert unpack(b'{"alert_id": "x"}') == b'{"alert_id": "x"}'
