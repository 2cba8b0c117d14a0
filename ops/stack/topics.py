"""Create inkstream's topics from ``inkstream.yaml`` (idempotent).

Every topic in ``settings.topics.topics`` and the five mission topics, plus
``documents.ingested.priority`` (the priority lane, same settings as
``documents.ingested``), plus a ``.dlq`` twin of each of them with ``settings.topics.dlq``. Names carry ``settings.topics.prefix``.
A topic that already exists keeps its partitions; its configs are brought back to the
file's values (retention and cleanup policy can change, partitions only grow by hand).
"""

from __future__ import annotations

from inkstream.errors import StackError
from inkstream.kafka_config import client_config
from inkstream.settings import Settings
from inkstream.topic_plan import planned_topics, topic_configs

__all__ = ["ensure_topics"]

def ensure_topics(settings: Settings, admin=None, *, timeout: float = 30.0) -> dict[str, str]:
    """Create missing topics and align configs. Returns ``{full_name: "created"|"exists"}``."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

    admin = admin or AdminClient(client_config(settings))
    plan = {settings.topics.name(n): cfg for n, cfg in planned_topics(settings).items()}
    try:
        existing = set(admin.list_topics(timeout=timeout).topics)
    except KafkaException as exc:
        raise StackError(f"cannot reach Kafka at {settings.kafka.bootstrap} to create topics: {exc}. "
                         "Run `inkstream up` (or set KAFKA_BOOTSTRAP_SERVERS).") from exc
    result: dict[str, str] = {}
    new = [NewTopic(name, num_partitions=cfg.partitions, replication_factor=cfg.replication_factor,
                    config=topic_configs(cfg)) for name, cfg in plan.items() if name not in existing]
    if new:
        for name, fut in admin.create_topics(new, request_timeout=timeout).items():
            try:
                fut.result()
                result[name] = "created"
            except KafkaException as exc:
                if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":  # a concurrent creator won: fine
                    raise StackError(f"creating topic {name} failed: {exc}") from exc
                result[name] = "exists"
    old = [name for name in plan if name in existing]
    if old:
        # Incremental alter touches only the keys we own, leaving hand-set configs alone.
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry

        resources = [ConfigResource("TOPIC", name, incremental_configs=[
            ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in topic_configs(plan[name]).items()
        ]) for name in old]
        for res, fut in admin.incremental_alter_configs(resources).items():
            try:
                fut.result()
            except KafkaException as exc:
                raise StackError(f"updating the config of topic {res.name} failed: {exc}") from exc
        result.update({name: "exists" for name in old})
    return result
