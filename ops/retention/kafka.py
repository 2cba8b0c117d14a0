"""Kafka topic retention: ``retention.ms`` and ``cleanup.policy`` of every planned topic.

One source of truth: ``topics.topics[...]`` in ``inkstream.yaml`` (what ``inkstream up``
creates topics with, ``ops.stack.topics``). ``apply`` brings existing topics back to it
(incremental alter: hand-set configs stay); it never creates topics. On top, the per
document type policy bounds the topics that carry document content: OCR text
(``ocr.results`` and its DLQ twin) must not outlive the shortest ``ocr_text_days``,
validated fields the shortest ``fields_days``; a topic configured longer is a *conflict*.
Compacted topics keep the latest value per key for ever, by design (serving state).
"""

from __future__ import annotations

from typing import Any

from inkstream.errors import StackError
from inkstream.kafka_config import client_config
from inkstream.settings import Settings
from ops.retention.policy import Item, days, fmt_days, ms_days

__all__ = ["desired", "report", "apply", "content_limits"]

_KEYS = ("retention.ms", "cleanup.policy")
# Topics whose records carry a document's content, and which per-type limit bounds them.
_CONTENT = {"ocr.results": "ocr_text_days", "fields.validated": "fields_days"}


def desired(settings: Settings) -> dict[str, dict[str, str]]:
    """Full topic name -> the retention configs ``inkstream up`` gives it."""
    from inkstream.topic_plan import planned_topics, topic_configs  # the same computation as topic creation

    return {settings.topics.name(logical): {k: v for k, v in topic_configs(cfg).items() if k in _KEYS}
            for logical, cfg in planned_topics(settings).items()}


def content_limits(settings: Settings) -> dict[str, int]:
    """Logical topic (and its .dlq twin) -> the longest retention the policy allows, in days."""
    policies = [settings.retention.default, *settings.retention.doc_types.values()]
    out: dict[str, int] = {}
    for topic, field in _CONTENT.items():
        limits = [getattr(p, field) for p in policies if getattr(p, field) is not None]
        if limits:
            out[topic] = out[f"{topic}.dlq"] = min(limits)
    return out


def _admin(settings: Settings, admin: Any | None):
    from confluent_kafka.admin import AdminClient

    return admin or AdminClient(client_config(settings))


def _actual(admin: Any, names: list[str], timeout: float) -> dict[str, dict[str, str] | None]:
    """Current configs of ``names``; None for a topic that does not exist."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import ConfigResource

    try:
        existing = set(admin.list_topics(timeout=timeout).topics)
    except KafkaException as exc:
        raise StackError(f"cannot reach Kafka to read topic configs: {exc}") from exc
    out: dict[str, dict[str, str] | None] = {n: None for n in names if n not in existing}
    present = [n for n in names if n in existing]
    if present:
        futures = admin.describe_configs([ConfigResource("TOPIC", n) for n in present], request_timeout=timeout)
        for res, fut in futures.items():
            entries = fut.result()
            out[res.name] = {k: entries[k].value for k in _KEYS if k in entries}
    return out


def _row(settings: Settings, name: str, want: dict[str, str], have: dict[str, str] | None,
         limits: dict[str, int]) -> Item:
    compact = "compact" in want["cleanup.policy"]
    configured = ("compact (latest value per key kept)" if compact
                  else fmt_days(days(int(want["retention.ms"]))))
    if have is None:
        return Item("kafka", name, configured, "-", "missing", "topic not created (inkstream up)")
    actual = ("compact (latest value per key kept)" if "compact" in have.get("cleanup.policy", "")
              and have.get("retention.ms") == want["retention.ms"]
              else f"{have.get('cleanup.policy')}, {fmt_days(days(int(have.get('retention.ms', '-1'))))}")
    logical = name[len(settings.topics.prefix):]
    limit = limits.get(logical)
    if limit is not None:
        want_ms = int(want["retention.ms"])
        if compact or want_ms < 0 or want_ms > ms_days(limit):
            return Item("kafka", name, configured, actual, "conflict",
                        f"carries document content: the policy allows at most {limit}d (topics.topics in inkstream.yaml)")
    if have != want:
        return Item("kafka", name, configured, actual, "drift")
    return Item("kafka", name, configured, actual, "ok")


def report(settings: Settings, admin: Any | None = None, *, timeout: float = 15.0) -> list[Item]:
    want = desired(settings)
    have = _actual(_admin(settings, admin), sorted(want), timeout)
    limits = content_limits(settings)
    return [_row(settings, name, want[name], have[name], limits) for name in sorted(want)]


def apply(settings: Settings, admin: Any | None = None, *, dry_run: bool = False,
          timeout: float = 15.0) -> list[Item]:
    """Set ``retention.ms``/``cleanup.policy`` where they differ. Missing topics are listed,
    not created (that is ``inkstream up``'s job, with partitions)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

    admin = _admin(settings, admin)
    want = desired(settings)
    have = _actual(admin, sorted(want), timeout)
    out: list[Item] = []
    todo: list[str] = []
    for name in sorted(want):
        row = _row(settings, name, want[name], have[name], {})
        if row.state == "drift":
            todo.append(name)
            out.append(Item("kafka", name, row.configured, row.actual, "would change" if dry_run else "changed"))
        else:
            out.append(Item("kafka", name, row.configured, row.actual,
                            "unchanged" if row.state == "ok" else row.state, row.note))
    if todo and not dry_run:
        resources = [ConfigResource("TOPIC", name, incremental_configs=[
            ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in want[name].items()
        ]) for name in todo]
        for res, fut in admin.incremental_alter_configs(resources, request_timeout=timeout).items():
            try:
                fut.result()
            except KafkaException as exc:
                raise StackError(f"setting the retention of topic {res.name} failed: {exc}") from exc
    return out
