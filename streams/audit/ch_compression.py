"""ClickHouse's own compressed-block framing, for the HTTP interface's ``compress=1``
(response) and ``decompress=1`` (request body) parameters.

ClickHouse's official clients ask for it by default (the JDBC driver / client-v2 sends
``compress=1`` and reads the answer as LZ4 blocks; clickhouse-go does with
``Compression: LZ4``). The frame, per block (ClickHouse ``CompressedWriteBuffer``, as
``clickhouse-driver``'s ``streams/compressed.py`` writes and checks it)::

    checksum   16 bytes  CityHash128 v1.0.2 of everything after it: high 64 bits, low 64 bits, little-endian
    method      1 byte   0x82 LZ4, 0x02 none
    compressed  4 bytes  size of method + both sizes + data (9 + len(data)), little-endian
    plain       4 bytes  size of the block before compression
    data                 the LZ4 block (raw, no frame)

>>> unframe(frame(b"abc" * 1000)) == b"abc" * 1000
True
"""

from __future__ import annotations

import struct

import lz4.block
from clickhouse_cityhash.cityhash import CityHash128

from inkstream.errors import SchemaError

__all__ = ["frame", "unframe", "BLOCK"]

BLOCK = 1 << 20            # ClickHouse's max_compress_block_size
_LZ4, _NONE = 0x82, 0x02
_MASK = (1 << 64) - 1
_HEAD = struct.Struct("<BII")


def _checksum(block: bytes) -> bytes:
    value = CityHash128(block)
    return struct.pack("<QQ", (value >> 64) & _MASK, value & _MASK)


def frame(data: bytes) -> bytes:
    """``data`` as LZ4-compressed ClickHouse blocks (an empty answer is no block at all)."""
    out = bytearray()
    for start in range(0, len(data), BLOCK):
        plain = data[start:start + BLOCK]
        packed = lz4.block.compress(plain, store_size=False)
        block = _HEAD.pack(_LZ4, _HEAD.size + len(packed), len(plain)) + packed
        out += _checksum(block) + block
    return bytes(out)


def unframe(data: bytes) -> bytes:
    """The plain bytes of ClickHouse-compressed blocks; a bad checksum, method or size is
    a ``SchemaError`` (the caller answers 400)."""
    out, at = bytearray(), 0
    while at < len(data):
        if len(data) - at < 16 + _HEAD.size:
            raise SchemaError("truncated compressed block header")
        method, size, plain = _HEAD.unpack_from(data, at + 16)
        block = data[at + 16:at + 16 + size]
        if size < _HEAD.size or len(block) != size:
            raise SchemaError("truncated compressed block")
        if _checksum(block) != data[at:at + 16]:
            raise SchemaError("compressed block checksum mismatch")
        if method == _LZ4:
            try:
                out += lz4.block.decompress(block[_HEAD.size:], uncompressed_size=plain)
            except lz4.block.LZ4BlockError as exc:
                raise SchemaError(f"corrupt LZ4 block: {exc}") from exc
        elif method == _NONE:
            out += block[_HEAD.size:]
        else:
            raise SchemaError(f"unsupported compression method 0x{method:02x} (LZ4 or none)")
        at += 16 + size
    return bytes(out)
