"""Raw webhook bodies as the event log keeps them: losslessly compressed against a dictionary of
what webhook bodies are made of, so a 3 KB Coralogix default body takes tens of bytes.

The stored form is self-describing by its first byte:
- `0x02` + a Zstandard frame against dictionary v1 (raw content): what is written now;
- `0x01` + a deflate stream against dictionary v1: written before 0x02, still read;
- `0x00` + the raw body, when compressing does not make it smaller and the body itself starts
  with one of these bytes;
- anything else: the raw body as it came (webhook bodies are JSON objects, so they start with
  none of the format bytes).
The dictionary file is part of the format: never edit it; add a v2 file and a new leading byte.
"""

from __future__ import annotations

import threading
import zlib
from pathlib import Path

import zstandard

_RAW = b"\x00"
_DEFLATE_V1 = b"\x01"
_ZSTD_V1 = b"\x02"
_FORMAT_BYTES = (_RAW, _DEFLATE_V1, _ZSTD_V1)
_DICTIONARY_V1 = (Path(__file__).parent / "payload_dictionary_v1.txt").read_bytes()
# Zstandard at level 3 packs a default body as small as deflate did in a fifth of the CPU time
# (~8 us against ~38 us per body; deflate was a tenth of the ingest profile: docs/benchmarks.md).
_ZSTD_LEVEL = 3
_ZSTD_DICTIONARY = zstandard.ZstdCompressionDict(
    _DICTIONARY_V1, dict_type=zstandard.DICT_TYPE_RAWCONTENT
)
_DEFLATE_DECOMPRESSOR = zlib.decompressobj(15, _DICTIONARY_V1)


class _Codecs(threading.local):
    """One compressor and decompressor per thread: zstandard's objects are not thread-safe."""

    def __init__(self) -> None:
        self.compressor = zstandard.ZstdCompressor(
            level=_ZSTD_LEVEL,
            dict_data=_ZSTD_DICTIONARY,
            write_checksum=False,  # the database pages carry their own integrity
            write_content_size=True,
            write_dict_id=False,  # the format byte names the dictionary
        )
        self.decompressor = zstandard.ZstdDecompressor(dict_data=_ZSTD_DICTIONARY)


_codecs = _Codecs()


def pack(body: bytes) -> bytes:
    """The stored form of a body (compressed when that is smaller)."""
    packed = _ZSTD_V1 + _codecs.compressor.compress(body)
    if len(packed) < len(body):
        return packed
    return _RAW + body if body[:1] in _FORMAT_BYTES else body


def unpack(stored: bytes) -> bytes:
    """The body exactly as the sender sent it."""
    head = stored[:1]
    if head == _ZSTD_V1:
        return _codecs.decompressor.decompress(stored[1:])
    if head == _DEFLATE_V1:
        decompressor = _DEFLATE_DECOMPRESSOR.copy()
        return decompressor.decompress(stored[1:]) + decompressor.flush()
    if head == _RAW:
        return stored[1:]
    return stored
