"""Several audit sink instances on one ClickHouse server: is every chain owned by one?

A chain (a document) has one writer when all of its records come through partitions that
one group member owns. Records are keyed by doc_id, so that holds when every audited
topic has the same partition count (co-partitioned: Kafka Streams refuses a join
otherwise, for the same reason) and the group uses the range assignor (librdkafka's
default, which ``streams.runtime`` keeps): member *i* then gets the same partition
numbers of every topic. ``streams.audit.processor`` checks the layout when the sink
starts against a server and says which topics break it; one instance is always safe.

>>> misaligned({"a": 6, "b": 6, "c": 1})
{'c': 1}
"""

from __future__ import annotations

from collections import Counter

__all__ = ["misaligned", "partition_counts"]


def misaligned(counts: dict[str, int]) -> dict[str, int]:
    """Topics whose partition count differs from the most common one (ties: the larger)."""
    if not counts:
        return {}
    common = max(Counter(counts.values()).items(), key=lambda kv: (kv[1], kv[0]))[0]
    return {t: n for t, n in sorted(counts.items()) if n != common}


def partition_counts(settings, topics: tuple[str, ...], admin=None, timeout: float = 10.0) -> dict[str, int]:
    """Logical topic → partition count, for the topics that exist."""
    from confluent_kafka.admin import AdminClient

    from inkstream.kafka_config import client_config

    admin = admin or AdminClient(client_config(settings))
    meta = admin.list_topics(timeout=timeout).topics
    out = {}
    for logical in topics:
        found = meta.get(settings.topics.name(logical))
        if found is not None and not found.error:
            out[logical] = len(found.partitions)
    return out
