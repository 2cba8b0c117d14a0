"""Confluent wire format: bytes from confluent-kafka's own AvroSerializer decode with our
codec, and ours decode with its AvroDeserializer, through a Confluent-compatible registry."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from avro_strategies import records_for
from confluent_registry import ConfluentRegistry
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from hypothesis import HealthCheck, given, settings

from inkstream.errors import SchemaError
from schemas.codec import Codec
from session_codec import session_codec
from schemas.registry import SchemaRegistry
from schemas.records import envelope

TOPIC = "t9.documents.status"


@pytest.fixture
def registry():
    with ConfluentRegistry() as server:
        yield server


def status() -> dict:
    return {**envelope("doc-7", producer="interop"), "stage": "crm", "status": "done", "detail": "ok"}


def _plain(value):
    """confluent-kafka returns logical types (datetime, UUID); ours are int ms and str."""
    if isinstance(value, dt.datetime):
        return (value - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _confluent(registry: ConfluentRegistry, topic: str):
    client = SchemaRegistryClient({"url": registry.url})
    schema = json.dumps(session_codec().schema(topic))
    return (AvroSerializer(client, schema, conf={"auto.register.schemas": True}),
            AvroDeserializer(client), SerializationContext(topic, MessageField.VALUE))


def test_bytes_from_confluent_avro_serializer_decode_with_our_codec(registry) -> None:
    serializer, _, ctx = _confluent(registry, TOPIC)
    record = status()
    data = serializer(record, ctx)
    assert data[0] == 0
    ours = Codec(registry=SchemaRegistry(registry.url))
    assert ours.decode(data) == record
    assert ("GET", f"/schemas/ids/{int.from_bytes(data[1:5], 'big')}") in registry.requests


def test_our_confluent_framed_bytes_decode_with_confluent_avro_deserializer(registry) -> None:
    ours = Codec(registry=SchemaRegistry(registry.url))
    record = status()
    data = ours.encode(TOPIC, record)
    assert data[0] == 0 and f"{TOPIC}-value" in registry.subjects
    _, deserializer, ctx = _confluent(registry, TOPIC)
    assert _plain(deserializer(data, ctx)) == record


def test_registry_ids_are_cached_per_subject(registry) -> None:
    ours = Codec(registry=SchemaRegistry(registry.url))
    for _ in range(5):
        ours.encode(TOPIC, status())
    assert registry.requests.count(("POST", f"/subjects/{TOPIC}-value/versions")) == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(records_for(session_codec().schema("fields.validated")))
def test_generated_records_cross_both_ways(registry, record: dict) -> None:
    topic = "t9.fields.validated"
    serializer, deserializer, ctx = _confluent(registry, topic)
    ours = Codec(registry=SchemaRegistry(registry.url))
    assert ours.decode(serializer(record, ctx)) == record
    assert _plain(deserializer(ours.encode(topic, record), ctx)) == record


def test_a_codec_with_a_registry_still_reads_single_object_bytes(registry) -> None:
    ours = Codec(registry=SchemaRegistry(registry.url), keys=session_codec().keys)
    record = status()
    assert ours.decode(session_codec().encode(TOPIC, record)) == record


def test_unknown_registry_id_and_unreachable_registry_are_schema_errors(registry) -> None:
    ours = Codec(registry=SchemaRegistry(registry.url))
    with pytest.raises(SchemaError, match="404"):
        ours.decode(b"\x00\x00\x00\x03\xe7\x02")
    offline = Codec(registry=SchemaRegistry("http://127.0.0.1:9", timeout=1))
    with pytest.raises(SchemaError, match="unreachable"):
        offline.encode(TOPIC, status())


def test_settings_with_a_registry_url_switch_writing_to_confluent_framing(registry, base_settings) -> None:
    # Unsealed, to see the framing (sealing wraps either one: tests/schemas/test_record_sealing.py).
    unsealed = base_settings.model_copy(update={"crypto": base_settings.crypto.model_copy(
        update={"encrypt_records": False})})
    settings = unsealed.model_copy(update={"kafka": base_settings.kafka.model_copy(
        update={"schema_registry_url": registry.url})})
    with_registry = Codec.from_settings(settings)
    assert with_registry.encode(TOPIC, status())[:1] == b"\x00"
    no_registry = unsealed.model_copy(update={"registry": unsealed.registry.model_copy(update={"enabled": False})})
    assert Codec.from_settings(no_registry).encode(TOPIC, status())[:2] == b"\xc3\x01"
