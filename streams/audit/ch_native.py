"""ClickHouse's ``Native`` format at a client's protocol revision, from chDB's revision 0.

Why: over HTTP, ClickHouse writes ``Native`` for the ``client_protocol_version`` the client
names, and clickhouse-go v2 (what Grafana's ClickHouse data source uses) always names one
and decodes at it. chDB has no client, so it writes revision 0. The two differ in framing
only (ClickHouse ``NativeWriter::write``, clickhouse-go ``lib/proto/block.go``):

- revision > 0: each block starts with its ``BlockInfo`` (field 1 ``is_overflows`` UInt8 0,
  field 2 ``bucket_num`` Int32 -1, field 0 ends it);
- revision >= 54454 (custom serialization): a ``has_custom`` byte (0) after each column's type.

Inserting them needs each column's byte length, so the data is walked by type. The types
an analyst's SELECT yields are covered, ``LowCardinality`` with its dictionary too; a type
with another stateful serialization (``Dynamic``, ``Variant``, ``JSON``, aggregate states) is a
``SchemaError``, answered as a 400 that names it and asks for another FORMAT.

>>> upgrade(b"\\x01\\x01\\x01x\\x05UInt8\\x07", 54460)
b'\\x01\\x00\\x02\\xff\\xff\\xff\\xff\\x00\\x01\\x01\\x01x\\x05UInt8\\x00\\x07'
"""

from __future__ import annotations

import re
import struct
from types import MappingProxyType

from inkstream.errors import SchemaError

__all__ = ["upgrade", "CUSTOM_SERIALIZATION"]

CUSTOM_SERIALIZATION = 54454   # DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION
_BLOCK_INFO = b"\x01\x00\x02" + struct.pack("<i", -1) + b"\x00"
_FIXED = MappingProxyType({"UInt8": 1, "Int8": 1, "Bool": 1, "UInt16": 2, "Int16": 2, "Date": 2, "BFloat16": 2,
          "UInt32": 4, "Int32": 4, "Float32": 4, "Date32": 4, "DateTime": 4, "IPv4": 4, "Time": 4,
          "UInt64": 8, "Int64": 8, "Float64": 8, "DateTime64": 8, "Time64": 8, "Interval": 8,
          "UInt128": 16, "Int128": 16, "UUID": 16, "IPv6": 16, "UInt256": 32, "Int256": 32,
          "Decimal32": 4, "Decimal64": 8, "Decimal128": 16, "Decimal256": 32, "Enum8": 1, "Enum16": 2,
          "Nothing": 1})
_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(.*)", re.S)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise SchemaError("truncated Native block")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _string(data: bytes, pos: int) -> tuple[str, int]:
    size, pos = _varint(data, pos)
    if pos + size > len(data):
        raise SchemaError("truncated Native block")
    return data[pos:pos + size].decode("utf-8", "replace"), pos + size


def _args(text: str) -> list[str]:
    """Top-level comma-separated arguments of ``Name(...)``'s parentheses."""
    out, depth, start, quoted = [], 0, 0, False
    for i, ch in enumerate(text):
        if ch == "'" and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and ch == "," and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    out.append(text[start:].strip())
    return [a for a in out if a]


def _split(type_name: str) -> tuple[str, list[str]]:
    match = _NAME.fullmatch(type_name)
    if not match:
        raise SchemaError(f"unreadable column type {type_name!r}")
    name, rest = match.group(1), match.group(2).strip()
    if rest:
        if not (rest.startswith("(") and rest.endswith(")")):
            raise SchemaError(f"unreadable column type {type_name!r}")
        return name, _args(rest[1:-1])
    return name, []


def _element(arg: str) -> str:
    """A Tuple element's type without its name (``Tuple(a UInt8, b String)``): a bare type
    never has a space right after its leading name."""
    match = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\s+(\S.*)", arg, re.S)
    return match.group(1) if match else arg


def _skip(type_name: str, data: bytes, pos: int, rows: int) -> int:
    """The position after ``rows`` values of ``type_name`` starting at ``pos``."""
    name, args = _split(type_name)
    if name == "String":
        for _ in range(rows):
            size, pos = _varint(data, pos)
            pos += size
    elif name in _FIXED:
        pos += _FIXED[name] * rows
    elif name == "Decimal":
        precision = int(args[0])
        pos += (4 if precision <= 9 else 8 if precision <= 18 else 16 if precision <= 38 else 32) * rows
    elif name == "FixedString":
        pos += int(args[0]) * rows
    elif name == "Nullable":
        pos = _skip(args[0], data, pos + rows, rows)
    elif name in ("Array", "Map"):
        end = pos + 8 * rows
        total = struct.unpack_from("<Q", data, end - 8)[0] if rows else 0
        if name == "Array":
            pos = _skip(args[0], data, end, total)
        else:
            pos = _skip(args[1], data, _skip(args[0], data, end, total), total)
    elif name == "Tuple":
        for arg in args:
            pos = _skip(_element(arg), data, pos, rows)
    elif name == "LowCardinality":
        # per block: UInt64 flags (index width in the low byte), UInt64 key count, the keys
        # (the inner type without Nullable), UInt64 row count, the indexes; its prefix is
        # written before the column's data (``_prefixes``)
        if rows:
            flags = struct.unpack_from("<Q", data, pos)[0]
            keys = struct.unpack_from("<Q", data, pos + 8)[0]
            inner, inner_args = _split(args[0])
            pos = _skip(inner_args[0] if inner == "Nullable" else args[0], data, pos + 16, keys)
            count = struct.unpack_from("<Q", data, pos)[0]
            pos += 8 + (1 << (flags & 0xFF)) * count
    elif name == "SimpleAggregateFunction":
        pos = _skip(args[-1], data, pos, rows)
    else:
        raise SchemaError(f"the Native format of {type_name} is not served here; ask for another FORMAT "
                          f"(RowBinaryWithNamesAndTypes, JSON, TabSeparated)")
    if pos > len(data):
        raise SchemaError("truncated Native block")
    return pos


def _prefixes(type_name: str) -> int:
    """Bytes of the state prefixes ClickHouse writes before a column's data: one UInt64
    key version per ``LowCardinality`` in the type, depth first."""
    name, args = _split(type_name)
    if name == "LowCardinality":
        return 8
    if name in ("Array", "Nullable", "Map", "Tuple", "SimpleAggregateFunction"):
        inner = args[-1:] if name == "SimpleAggregateFunction" else args
        return sum(_prefixes(_element(a) if name == "Tuple" else a) for a in inner)
    return 0


def upgrade(data: bytes, revision: int) -> bytes:
    """chDB's revision-0 ``Native`` bytes as ClickHouse writes them for ``revision``."""
    if revision <= 0:
        return data
    out, pos = bytearray(), 0
    while pos < len(data):
        out += _BLOCK_INFO
        start = pos
        columns, pos = _varint(data, pos)
        rows, pos = _varint(data, pos)
        out += data[start:pos]
        for _ in range(columns):
            start = pos
            _, pos = _string(data, pos)
            type_name, pos = _string(data, pos)
            out += data[start:pos]
            if revision >= CUSTOM_SERIALIZATION:
                out += b"\x00"
            start, pos = pos, _skip(type_name, data, pos + (_prefixes(type_name) if rows else 0), rows)
            out += data[start:pos]
    return bytes(out)
