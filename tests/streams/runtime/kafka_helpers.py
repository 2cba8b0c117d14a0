"""Broker helpers for the runtime's stack tests: topics, input records, reading outputs."""

from __future__ import annotations

import socket
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from topic_admin import create_topics, delete_topics, watermarks  # tests/topic_admin.py, shared with the kafka_topics fixture

from schemas.records import envelope
from schemas.codec import Codec

__all__ = ["require_broker", "create_topics", "delete_topics", "ingested", "produce", "read_all"]


def require_broker(settings) -> None:
    host, _, port = settings.kafka.bootstrap.split(",")[0].rpartition(":")
    with socket.socket() as sock:
        sock.settimeout(2)
        if sock.connect_ex((host, int(port))) != 0:
            raise AssertionError(f"Kafka is not reachable at {settings.kafka.bootstrap}: run `inkstream up` first")


def ingested(n: int, *, poison_every: int = 0) -> list[dict]:
    """``n`` documents.ingested records; every ``poison_every``-th is refused by relay()."""
    out = []
    for i in range(n):
        name = "poison.pdf" if poison_every and i % poison_every == poison_every - 1 else f"doc-{i}.pdf"
        out.append({
            **envelope(f"doc-{i:06d}", producer="test"), "source": "test", "source_ref": None, "filename": name,
            "original": {"bucket": "b", "key": f"originals/{i:064x}"[:74], "version_id": None,
                         "sha256": f"{i:064x}", "size_bytes": 10, "content_type": "application/pdf"},
            "duplicate_of": None, "priority": "normal", "crm_ref": None, "email": None, "metadata": {},
        })
    return out


def produce(settings, topic: str, values: list[bytes | dict], *, keys: list[str | None] | None = None,
            codec: Codec | None = None) -> None:
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap, "linger.ms": 20, **settings.kafka.client})
    physical = settings.topics.name(topic)
    codec = codec or Codec.from_settings(settings)  # the key store the workers of these settings read with
    for i, value in enumerate(values):
        data = value if isinstance(value, bytes) else codec.encode(physical, value)
        key = keys[i] if keys else (value.get("doc_id") if isinstance(value, dict) else str(uuid.uuid4()))
        while True:
            try:
                producer.produce(physical, data, key.encode() if key else None)
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(30) == 0


def read_all(settings, topic: str, *, isolation: str = "read_committed", timeout: float = 30.0) -> list:
    """Every message of logical ``topic`` up to its current end (as seen by ``isolation``)."""
    physical = settings.topics.name(topic)
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"reader-{uuid.uuid4()}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "isolation.level": isolation, **settings.kafka.client})
    try:
        metadata = consumer.list_topics(physical, timeout=10).topics[physical]
        parts = [TopicPartition(physical, p) for p in metadata.partitions]
        ends = {tp.partition: watermarks(consumer, tp)[1] for tp in parts}
        consumer.assign([TopicPartition(physical, p, 0) for p in ends])
        out: list = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out.extend(m for m in consumer.consume(1000, 0.5) if m.error() is None)
            # Positions move past transaction markers too, so they reach the high watermark.
            positions = consumer.position([TopicPartition(physical, p) for p in ends])
            if all(ends[tp.partition] == 0 or tp.offset >= ends[tp.partition] for tp in positions):
                return out
        raise AssertionError(f"could not read {physical} to its end within {timeout}s")
    finally:
        consumer.close()
