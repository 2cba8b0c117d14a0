"""Create and delete a test's prefixed topics on the dev broker (shared by the stack tests:
the ``kafka_topics`` fixture in tests/conftest.py and tests/streams/runtime/kafka_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from confluent_kafka.admin import AdminClient, NewTopic

__all__ = ["create_topics", "delete_topics"]


def _admin(settings) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})


def create_topics(settings, partitions: Mapping[str, int] | Iterable[str]) -> list[str]:
    """Create logical topics (prefixed): ``{topic: partitions}``, or names with one
    partition each. Returns the physical names."""
    counts = dict(partitions) if isinstance(partitions, Mapping) else dict.fromkeys(partitions, 1)
    admin = _admin(settings)  # must outlive the futures
    futures = admin.create_topics(
        [NewTopic(settings.topics.name(t), num_partitions=n, replication_factor=1) for t, n in counts.items()],
        request_timeout=15)
    for future in futures.values():
        future.result(30)
    return [settings.topics.name(t) for t in counts]


def delete_topics(settings, names: list[str]) -> None:
    admin = _admin(settings)
    for future in admin.delete_topics(names).values():
        try:
            future.result(30)
        except Exception:  # noqa: BLE001 - cleanup only
            pass
