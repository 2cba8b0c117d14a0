"""schemas/codec.py: framing, round trips, schema resolution, clear errors on garbage."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest
from avro_strategies import records_for
from fastavro.schema import fingerprint as fastavro_fingerprint
from hypothesis import HealthCheck, given, settings, strategies as st

from inkstream.errors import SchemaError
from schemas.records import envelope
from schemas.codec import SCHEMA_DIR, Codec, fingerprint64, logical_topic
from session_codec import decode, encode, session_codec

TOPICS = sorted(session_codec().topics)


def status(doc_id: str = "doc-1") -> dict:
    return {**envelope(doc_id, producer="test"), "stage": "ocr", "status": "done", "detail": None}


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_round_trips_generated_records(topic: str) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(records_for(session_codec().schema(topic)))
    def round_trip(record: dict) -> None:
        assert decode(encode(topic, record)) == record

    round_trip()


def test_decoded_records_use_plain_types_for_timestamps_and_uuids() -> None:
    record = status()
    decoded = decode(encode("documents.status", record))
    assert decoded == record
    assert type(decoded["occurred_at"]) is int and type(decoded["event_id"]) is str


def test_single_object_encoding_header_is_c301_and_little_endian_crc64_fingerprint() -> None:
    data = Codec().encode("documents.status", status())  # unsealed: the framing itself
    canonical = session_codec()._current["documents.status"].canonical
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == struct.pack("<Q", fingerprint64(canonical.encode()))
    # fastavro's independent CRC-64-AVRO gives the same 8 bytes (its hex is the LE byte order).
    assert data[2:10].hex() == fastavro_fingerprint(canonical, "CRC-64-AVRO")


def test_crc64_avro_matches_the_specification_vector_for_int() -> None:
    assert fingerprint64(b'"int"') == 0x7275D51A3F395C8F


@pytest.mark.parametrize("topic, schema", [
    ("t1a2b.documents.ingested", "documents.ingested"),
    ("documents.ingested.priority", "documents.ingested"),
    ("t1a2b.documents.ingested.priority", "documents.ingested"),
    ("t1a2b.ocr.results.dlq", "dlq"),
    ("documents.ingested.priority.dlq", "dlq"),
    ("fields.validated", "fields.validated"),
])
def test_topic_names_map_to_schemas_with_prefix_priority_lane_and_dlq(topic: str, schema: str) -> None:
    assert logical_topic(topic, session_codec().topics) == schema


def test_unknown_topic_is_a_schema_error_naming_it() -> None:
    with pytest.raises(SchemaError, match="no schema for topic 'nope'"):
        encode("nope", status())


def test_record_that_does_not_match_its_schema_is_a_schema_error() -> None:
    bad = {**status(), "occurred_at": "yesterday"}
    with pytest.raises(SchemaError, match="DocumentStatus"):
        encode("documents.status", bad)
    with pytest.raises(SchemaError):
        encode("documents.status", {**status(), "unexpected": 1})


def test_missing_field_with_a_default_is_filled_in() -> None:
    record = status()
    del record["detail"]
    assert decode(encode("documents.status", record))["detail"] is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_garbage_bytes_are_a_schema_error(data: bytes) -> None:
    with pytest.raises(SchemaError):
        decode(data)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_truncated_or_extended_records_are_a_schema_error(data) -> None:
    encoded = Codec().encode("documents.status", status())  # unsealed (sealed: test_record_sealing.py)
    cut = data.draw(st.integers(1, len(encoded) - 1))
    with pytest.raises(SchemaError):
        decode(encoded[:cut])
    with pytest.raises(SchemaError, match="trailing"):
        decode(encoded + b"\x00")


def test_unknown_fingerprint_and_confluent_bytes_without_registry_are_explained() -> None:
    with pytest.raises(SchemaError, match="unknown schema fingerprint"):
        decode(b"\xc3\x01" + b"\x01" * 8 + b"\x00")
    with pytest.raises(SchemaError, match="no schema registry configured"):
        Codec().decode(b"\x00\x00\x00\x00\x07" + b"\x02")
    with pytest.raises(SchemaError, match="expected bytes"):
        decode("text")  # type: ignore[arg-type]


def _evolved_schema_dir(tmp_path: Path) -> Path:
    """A schema dir whose documents.status gained a field with a default; v1 is history."""
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, schemas, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = schemas / "documents.status.avsc"
    current = json.loads(path.read_text())
    current["fields"].append({"name": "reviewer", "type": ["null", "string"], "default": None})
    path.write_text(json.dumps(current))
    return schemas


def test_records_written_with_a_released_version_decode_into_the_current_schema(tmp_path: Path) -> None:
    old_bytes = encode("documents.status", status())  # today's schema is history v1 of the evolved dir
    evolved = Codec(schema_dir=_evolved_schema_dir(tmp_path))
    assert evolved.decode(old_bytes) == {**decode(old_bytes), "reviewer": None}


def test_a_codec_without_the_released_version_cannot_read_its_bytes(tmp_path: Path) -> None:
    schemas = _evolved_schema_dir(tmp_path)
    shutil.rmtree(schemas / "history")
    with pytest.raises(SchemaError, match="unknown schema fingerprint"):
        Codec(schema_dir=schemas).decode(encode("documents.status", status()))
