"""``inkstream audit verify --kafka``: compare the trail with the Kafka log it came from.

A hash chain only proves that rows were not changed *without recomputing the chain*;
someone who can write ClickHouse can rewrite a payload and re-hash every later link.
Kafka's log is a second, independent copy: every audit row names the topic, partition
and offset it was consumed from, so this check reads those records again and compares
them with the stored payloads.

- Match: the decoded record's canonical JSON hashes to the row's ``payload_sha256``.
- Schema evolution: a newer reader schema adds fields with defaults (never renames or
  removes, team rule), so on a hash mismatch the stored payload is fetched and must equal
  the Kafka record on every field it holds.
- Unavailable (not a finding): the offset is below the partition's low watermark
  (retention), or the topic is compacted (``documents.status``: older values per key are
  removed by design). A missing offset inside a delete-policy topic's retained range IS a
  finding: the consumer read committed records only, so the row pointed at a real one.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from inkstream.kafka_config import client_config
from streams.audit.chain import Problem, canonical_json, sha256_hex
from streams.audit.store import Reader

__all__ = ["KafkaRef", "KafkaCheck", "check_against_kafka"]

_POLL_S = 1.0
_MAX_IDLE_POLLS = 5


@dataclass(frozen=True)
class KafkaRef:
    doc_id: str
    seq: int
    event_id: str
    topic: str          # logical
    partition: int
    offset: int
    payload_sha256: str


@dataclass
class KafkaCheck:
    checked: int = 0
    unavailable: int = 0


def check_against_kafka(refs: list[KafkaRef], reader: Reader, settings: Any, decode: Callable[[bytes], dict],
                        consumer_factory: Callable[[dict], Any] | None = None) -> tuple[list[Problem], KafkaCheck]:
    """Read every referenced record back (all partitions assigned at once, each from its
    lowest wanted offset) and compare; see the module docstring."""
    from confluent_kafka import Consumer, TopicPartition

    factory = consumer_factory or Consumer
    consumer = factory(client_config(settings, **{
                        "group.id": f"inkstream-audit-verify-{uuid.uuid4().hex[:8]}", "enable.auto.commit": False,
                        "isolation.level": "read_committed", "enable.partition.eof": True}))
    compacted = _compacted_topics(settings)
    stats, problems = KafkaCheck(), []
    wanted: dict[tuple[str, int], dict[int, KafkaRef]] = defaultdict(dict)
    for ref in refs:
        wanted[(settings.topics.name(ref.topic), ref.partition)][ref.offset] = ref
    try:
        pending: dict[tuple[str, int], dict[int, KafkaRef]] = {}
        for (physical, partition), by_offset in wanted.items():
            low, high = consumer.get_watermark_offsets(TopicPartition(physical, partition), timeout=10)
            inside = {o: r for o, r in by_offset.items() if low <= o < high}
            stats.unavailable += len(by_offset) - len(inside)  # past retention
            if inside:
                pending[(physical, partition)] = inside
        if pending:
            consumer.assign([TopicPartition(t, p, min(offsets)) for (t, p), offsets in pending.items()])
            problems += _read_back(consumer, pending, reader, decode, stats)
        for _topic_partition, left in pending.items():
            for ref in left.values():
                if ref.topic in compacted:
                    stats.unavailable += 1  # compaction removed an older value of the key
                else:
                    problems.append(Problem(ref.doc_id, ref.seq, "missing_in_kafka", f"{ref.topic}[{ref.partition}]@"
                                            f"{ref.offset} holds no record though it is within retention"))
    finally:
        consumer.close()
    return problems, stats


def _compacted_topics(settings: Any) -> set[str]:
    from inkstream.topic_plan import planned_topics

    return {name for name, cfg in planned_topics(settings).items() if "compact" in cfg.cleanup_policy}


def _read_back(consumer, pending: dict[tuple[str, int], dict[int, KafkaRef]], reader: Reader, decode,
               stats: KafkaCheck) -> list[Problem]:
    """Consume until every partition passed its last wanted offset (or hit its end);
    found refs are removed from ``pending``, what is left was not found."""
    from confluent_kafka import KafkaError, TopicPartition

    problems: list[Problem] = []
    last = {tp: max(offsets) for tp, offsets in pending.items()}
    open_parts, idle = set(pending), 0
    while open_parts and idle < _MAX_IDLE_POLLS:
        msg = consumer.poll(_POLL_S)
        if msg is None or (msg.error() and msg.error().code() != KafkaError._PARTITION_EOF):
            idle += 1
            continue
        tp = (msg.topic(), msg.partition())
        if msg.error():  # end of partition: nothing further can be found there
            open_parts.discard(tp)
            continue
        idle = 0
        ref = pending.get(tp, {}).pop(msg.offset(), None)
        if ref is not None:
            stats.checked += 1
            problems += _compare(ref, msg.value(), reader, decode)
        if tp in open_parts and msg.offset() >= last[tp]:
            open_parts.discard(tp)
            consumer.pause([TopicPartition(*tp)])
    return problems


def _compare(ref: KafkaRef, value: bytes | None, reader: Reader, decode) -> list[Problem]:
    where = f"{ref.topic}[{ref.partition}]@{ref.offset}"
    try:
        record = decode(value) if value is not None else None
    except Exception as exc:  # noqa: BLE001 - an undecodable original is reported, not raised
        record = None
        reason = f"cannot be decoded ({exc})"
    else:
        reason = "is a tombstone"
    if record is None:
        return [Problem(ref.doc_id, ref.seq, "differs_from_kafka", f"{where} {reason}")]
    if sha256_hex(canonical_json(record)) == ref.payload_sha256:
        return []
    changed = _diff(_stored_payload(reader, ref), json.loads(canonical_json(record)), "")
    if not changed:
        return []  # the current reader schema added fields with defaults; everything stored matches
    return [Problem(ref.doc_id, ref.seq, "differs_from_kafka", f"{where}: stored payload differs from the Kafka "
                    f"record in {', '.join(changed) or 'event_id'}", expected=sha256_hex(canonical_json(record)),
                    found=ref.payload_sha256)]


_DEFAULTISH = (None, [], {}, "", 0, False)


def _diff(stored: Any, now: Any, path: str) -> list[str]:
    """Paths where ``stored`` differs from ``now``; a key only ``now`` has is tolerated when
    its value looks like a schema default (fields added later; a stored field that was
    removed, e.g. a signer, is not default-like and is reported)."""
    if isinstance(stored, dict) and isinstance(now, dict):
        out = []
        for key in sorted(stored.keys() | now.keys()):
            sub = f"{path}.{key}" if path else key
            if key not in stored:
                if now[key] not in _DEFAULTISH:
                    out.append(sub)
            elif key not in now:
                out.append(sub)
            else:
                out += _diff(stored[key], now[key], sub)
        return out
    if isinstance(stored, list) and isinstance(now, list) and len(stored) == len(now):
        return [d for i, (a, b) in enumerate(zip(stored, now)) for d in _diff(a, b, f"{path}[{i}]")]
    return [] if stored == now else [path or "(record)"]


def _stored_payload(reader: Reader, ref: KafkaRef) -> dict:
    _, rows = reader.query("SELECT payload FROM audit_events WHERE doc_id = {d:String} AND seq = {s:UInt64} "
                           "AND event_id = {e:String} LIMIT 1", {"d": ref.doc_id, "s": ref.seq, "e": ref.event_id})
    return json.loads(rows[0][0]) if rows else {}
