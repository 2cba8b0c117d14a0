"""The ClickHouse wire details the official drivers need from the HTTP interface:
LZ4 compressed blocks both ways (``compress=1`` / ``decompress=1``, checksummed) and the
Native format at the client's revision (the drivers themselves: test_third_party_clients)."""

from __future__ import annotations

import os

import httpx
import pytest
from test_clickhouse_http import served  # noqa: F401 - the served interface fixture

from inkstream.errors import SchemaError
from streams.audit.ch_compression import BLOCK, frame, unframe
from streams.audit.ch_native import upgrade


def test_blocks_round_trip_over_several_blocks_and_refuse_a_flipped_byte():
    data = os.urandom(1000) * (BLOCK // 500)   # > 2 blocks
    framed = frame(data)
    assert unframe(framed) == data and framed[16] == 0x82
    assert frame(b"") == b"" and unframe(b"") == b""
    bad = bytearray(framed)
    bad[40] ^= 1
    with pytest.raises(SchemaError, match="checksum"):
        unframe(bytes(bad))
    with pytest.raises(SchemaError, match="truncated"):
        unframe(framed[:20])


def test_native_upgrade_walks_low_cardinality_arrays_and_refuses_unknown_state(store):
    # the audit tests' one chDB (chDB opens one path per process)
    native = store.raw("SELECT [toLowCardinality(toString(number))] AS x, number AS n FROM numbers(2)",
                       None, {}, "Native")
    out = upgrade(native, 54460)
    assert out.startswith(b"\x01\x00\x02\xff\xff\xff\xff\x00") and out.endswith(
        b"\x01n\x06UInt64\x00" + (0).to_bytes(8, "little") + (1).to_bytes(8, "little"))
    assert len(out) == len(native) + 8 + 2   # block info, one has_custom byte per column
    assert upgrade(native, 0) == native
    with pytest.raises(SchemaError, match="Dynamic"):
        upgrade(b"\x01\x01\x01x\x07Dynamic\x00", 54460)


def test_the_interface_reads_a_compressed_body_and_compresses_its_answer(served):  # noqa: F811
    srv, _, secret = served
    base = f"http://127.0.0.1:{srv.port}/"
    headers = {"X-ClickHouse-User": "fin", "X-ClickHouse-Key": secret}
    resp = httpx.post(base, params={"decompress": "1", "compress": "1"}, headers=headers,
                      content=frame(b"SELECT count() FROM audit_events"))
    assert resp.status_code == 200 and unframe(resp.content) == b"6\n"
    broken = bytearray(frame(b"SELECT 1"))
    broken[-1] ^= 0xFF
    resp = httpx.post(base, params={"decompress": "1"}, headers=headers, content=bytes(broken))
    assert resp.status_code == 400 and "CANNOT_DECOMPRESS" in resp.text
    resp = httpx.post(base, params={"compress": "1", "network_compression_method": "ZSTD"}, headers=headers,
                      content=b"SELECT 1")
    assert resp.status_code == 400 and "LZ4 only" in resp.text
    # a driver's own deadline is accepted, a non-number is not, and no other cap moves
    assert httpx.post(base, params={"max_execution_time": "65"}, headers=headers,
                      content=b"SELECT 1").text == "1\n"
    assert httpx.post(base, params={"max_execution_time": "soon"}, headers=headers,
                      content=b"SELECT 1").status_code == 400
