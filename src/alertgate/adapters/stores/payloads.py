"""Raw webhook bodies as the event log keeps them: losslessly compressed against a dictionary of
what webhook bodies are made of, so a 2.6 KB Coralogix default body takes ~150 bytes.

The stored form is self-describing: `0x01` + deflate stream against dictionary v1; `0x00` + the
raw body when that is no larger and the body itself starts with one of these bytes; else the
raw body as it came (webhook bodies are JSON objects, so they start with neither). The
dictionary file is part of the format: never edit it; add a v2 file and a new leading byte.
"""

from __future__ import annotations

import zlib
from pathlib import Path

_RAW = b"\x00"
_V1 = b"\x01"
_DICTIONARY_V1 = (Path(__file__).parent / "payload_dictionary_v1.txt").read_bytes()
# Primed once: a copy is far cheaper than feeding the dictionary to a new compressor per body.
# An 8 KiB window and a small hash table keep that copy small (the default state is ~270 KB,
# and copying it per body showed up in the ingest profile); bodies compress just as well.
_COMPRESSOR = zlib.compressobj(3, zlib.DEFLATED, 13, 2, zlib.Z_DEFAULT_STRATEGY, _DICTIONARY_V1)
_DECOMPRESSOR = zlib.decompressobj(15, _DICTIONARY_V1)


def pack(body: bytes) -> bytes:
    """The stored form of a body (compressed when that is smaller)."""
    compressor = _COMPRESSOR.copy()
    packed = _V1 + compressor.compress(body) + compressor.flush()
    if len(packed) < len(body):
        return packed
    return _RAW + body if body[:1] in (_RAW, _V1) else body


def unpack(stored: bytes) -> bytes:
    """The body exactly as the sender sent it."""
    if stored[:1] == _RAW:
        return stored[1:]
    if stored[:1] != _V1:
        return stored
    decompressor = _DECOMPRESSOR.copy()
    return decompressor.decompress(stored[1:]) + decompressor.flush()
