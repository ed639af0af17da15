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


# tests/fixtures/coralogix/poc_triggered.json as the release before Zstandard stored it
# (format byte 0x01: deflate against dictionary v1), kept verbatim.
_STORED_AS_DEFLATE = bytes.fromhex(
    "015866a36b365203360f515a68c02653896e4505a859081587b5c5408dace082ccec548510a01a2405889611b0"
    "487077770d7205f67e6bb900edab1b18"
)


def test_a_body_stored_in_the_earlier_deflate_format_reads_back_exactly() -> None:
    """Stores written before Zstandard keep reading as they were: the format byte decides."""
    body = (FIXTURES / "coralogix" / "poc_triggered.json").read_bytes()
    assert unpack(_STORED_AS_DEFLATE) == body


def test_new_bodies_are_stored_as_zstandard() -> None:
    """What is written now carries the Zstandard format byte."""
    body = (FIXTURES / "coralogix" / "default_trigger.json").read_bytes()
    assert pack(body)[:1] == b"\x02"
