"""The stack's schema registry (ops/stack/registry_server.py) as confluent-kafka's own
clients use it, and the mission topics read by a stock consumer with the stock
``AvroDeserializer``: envelope in clear, personal fields as ciphertext."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from confluent_kafka import DeserializingConsumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from test_field_encryption import EMAIL, SECRETS, records

from inkstream.crypto.datakeys import DocumentKeys
from inkstream.crypto.keyring import LocalKeyRing
from schemas.codec import Codec, registry_for
from schemas.field_encryption import is_encrypted_value
from schemas.registry import SchemaRegistry

ROOT = Path(__file__).resolve().parents[2]
MISSION = ("documents.ingested", "ocr.results", "fields.validated", "esign.events", "crm.commands")
OLD = {"type": "record", "name": "R", "namespace": "t", "fields": [{"name": "a", "type": "long"}]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def registry_url(tmp_path):
    """A registry process of the test's own (port and state), as ``inkstream up`` starts it."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ops.stack.registry_server", "--port", str(port),
                             "--store", str(tmp_path / "registry.json")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/subjects", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError(f"registry did not start: {proc.stderr.read().decode()[-2000:]}")
    yield url
    proc.terminate()
    proc.wait(10)


def test_the_confluent_client_registers_and_the_registry_checks_compatibility(registry_url) -> None:
    client = SchemaRegistryClient({"url": registry_url})
    first = client.register_schema("s-value", Schema(json.dumps(OLD), "AVRO"))
    assert client.register_schema("s-value", Schema(json.dumps(OLD), "AVRO")) == first  # idempotent
    assert client.register_schema("other-value", Schema(json.dumps(OLD), "AVRO")) == first  # ids are global
    no_default = {**OLD, "fields": OLD["fields"] + [{"name": "b", "type": "string"}]}
    with pytest.raises(SchemaRegistryError) as caught:
        client.register_schema("s-value", Schema(json.dumps(no_default), "AVRO"))
    assert caught.value.http_status_code == 409 and "b: field missing in the writer" in caught.value.error_message
    assert not client.test_compatibility("s-value", Schema(json.dumps(no_default), "AVRO"))
    with_default = {**OLD, "fields": OLD["fields"] + [{"name": "b", "type": "string", "default": ""}]}
    assert client.test_compatibility("s-value", Schema(json.dumps(with_default), "AVRO"))
    second = client.register_schema("s-value", Schema(json.dumps(with_default), "AVRO"))
    latest = client.get_latest_version("s-value")
    assert (latest.schema_id, latest.version) == (second, 2)
    assert json.loads(client.get_schema(first).schema_str) == OLD
    with pytest.raises(SchemaRegistryError) as bad:
        client.register_schema("s-value", Schema('{"type": "record"}', "AVRO"))
    assert bad.value.http_status_code == 422
    client.set_compatibility("s-value", "NONE")
    client.register_schema("s-value", Schema(json.dumps(no_default), "AVRO"))  # allowed once asked for


def test_every_current_schema_registers_with_its_pii_tags(registry_url) -> None:
    registry, codec = SchemaRegistry(registry_url), Codec()
    for topic in MISSION:
        schema_id = registry.register(f"{topic}-value", json.dumps(codec.schema(topic)))
        text = registry.schema_by_id(schema_id)
        assert '"confluent:tags":["PII"]' in text, topic


def test_settings_write_confluent_framing_while_the_stacks_registry_answers(base_settings, registry_url) -> None:
    port = int(registry_url.rsplit(":", 1)[1])
    up = base_settings.model_copy(update={
        "registry": base_settings.registry.model_copy(update={"port": port}),
        "kafka": base_settings.kafka.model_copy(update={"schema_registry_url": None})})
    registry, confluent = registry_for(up)
    assert registry.url == registry_url and confluent
    assert Codec.from_settings(up).encode("documents.status", _status())[:1] == b"\x00"
    down = up.model_copy(update={"registry": up.registry.model_copy(update={"port": _free_port()})})
    assert registry_for(down)[1] is False  # single-object encoding, which every inkstream reader reads
    assert Codec.from_settings(down).encode("documents.status", _status())[:2] == b"\xc3\x01"
    off = up.model_copy(update={"registry": up.registry.model_copy(update={"enabled": False})})
    assert registry_for(off) == (None, False)


def _status() -> dict:
    from schemas.records import envelope

    return {**envelope("", producer="t"), "stage": "ocr", "status": "done", "detail": None}


@pytest.mark.stack
def test_a_stock_consumer_reads_every_mission_topic(settings, kafka_topics, registry_url, tmp_path) -> None:
    """confluent-kafka's DeserializingConsumer + AvroDeserializer + the registry, no inkstream
    code on the reading side: everything but the personal fields is in clear."""
    names = kafka_topics(settings, list(MISSION))
    keys = DocumentKeys(tmp_path / "documents", LocalKeyRing(tmp_path / "keyring.json"))
    codec = Codec(registry=SchemaRegistry(registry_url), keys=keys, seal=True)
    doc = f"{int(time.time() * 1000):012x}-{uuid.uuid4().hex[:20]}"
    written = {topic: Codec().decode(Codec().encode(topic, r)) for topic, r in records(doc).items()}
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    for topic, name in zip(MISSION, names):
        data = codec.encode(name, written[topic])
        assert data[0] == 0 and not any(s.encode() in data for s in SECRETS)
        producer.produce(name, data, doc.encode())
    assert producer.flush(30) == 0
    consumer = DeserializingConsumer({
        "bootstrap.servers": settings.kafka.bootstrap, "group.id": f"stock-{uuid.uuid4()}",
        "auto.offset.reset": "earliest", "enable.auto.commit": False, **settings.kafka.client,
        "value.deserializer": AvroDeserializer(SchemaRegistryClient({"url": registry_url}))})
    seen: dict[str, dict] = {}
    try:
        consumer.subscribe(names)
        deadline = time.monotonic() + 60
        while len(seen) < len(names) and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                seen[msg.topic()] = msg.value()
    finally:
        consumer.close()
    assert set(seen) == set(names)
    by_topic = {topic: seen[name] for topic, name in zip(MISSION, names)}
    for topic, value in by_topic.items():
        assert value["doc_id"] == doc and str(value["event_id"]) == written[topic]["event_id"], topic
        assert value["producer"] == written[topic]["producer"] and EMAIL not in json.dumps(value, default=str)
    assert is_encrypted_value(by_topic["documents.ingested"]["email"]["sender"])
    assert by_topic["documents.ingested"]["original"]["sha256"] == "ab" * 32
    line = by_topic["ocr.results"]["pages"][0]["lines"][0]
    assert is_encrypted_value(line["text"]) and line["confidence"] == 0.5
    assert by_topic["ocr.results"]["engine"]["name"] == "rapidocr" and by_topic["ocr.results"]["duration_ms"] == 5
    field = by_topic["fields.validated"]["fields"][0]
    assert field["name"] == "signer_email" and field["status"] == "ok" and is_encrypted_value(field["value"])
    assert by_topic["fields.validated"]["status"] == "accepted"
    signer = by_topic["esign.events"]["signer"]
    assert is_encrypted_value(signer["email"]) and signer["auth_method"] == "email"
    assert by_topic["esign.events"]["payload_sha256"] == "00" * 32
    command = by_topic["crm.commands"]
    assert command["operation"] == "upsert" and is_encrypted_value(command["external_id"])
    assert is_encrypted_value(command["fields"]["Amount"]) and command["fields"]["Fax"] is None
    # and inkstream's own codec, with the key, reads them back whole
    assert codec.decode(codec.encode(names[3], written["esign.events"])) == written["esign.events"]
