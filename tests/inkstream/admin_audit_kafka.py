"""Helpers for tests that read ``admin.actions`` back from the real broker."""

from __future__ import annotations

import uuid

from inkstream.settings import Settings
from topic_admin import watermarks  # tests/topic_admin.py


def create_admin_topic(settings: Settings) -> str:
    """Create only this test's ``admin.actions`` topic (ensure_topics would make ~30)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    name = settings.topics.name("admin.actions")
    admin = AdminClient({"bootstrap.servers": settings.kafka.bootstrap})
    for fut in admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)]).values():
        fut.result(timeout=30)
    return name


def read_admin_actions(settings: Settings) -> list[tuple[bytes | None, bytes]]:
    """Every (key, raw value) on this test's ``admin.actions`` topic, oldest first."""
    from confluent_kafka import Consumer, TopicPartition

    name = settings.topics.name("admin.actions")
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap, "group.id": f"t-{uuid.uuid4().hex}",
                         "enable.auto.commit": False})
    try:
        tp = TopicPartition(name, 0, 0)
        end = watermarks(consumer, tp)[1]
        consumer.assign([tp])
        out: list[tuple[bytes | None, bytes]] = []
        idle = 0
        while len(out) < end and idle < 20:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                idle += 1
                continue
            out.append((msg.key(), msg.value()))
        return out
    finally:
        consumer.close()
