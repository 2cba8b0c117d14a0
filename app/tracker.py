"""Follow what happens to a set of documents across the topics: the demo's and the
end-to-end tests' view of the pipeline, read from Kafka exactly as a consumer sees it
(read_committed), starting at a point in time."""

from __future__ import annotations

import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from confluent_kafka import Consumer, TopicPartition

from inkstream.kafka_config import client_config
from inkstream.settings import Settings
from schemas.codec import Codec

__all__ = ["DocView", "Tracker", "TOPICS"]

TOPICS = ("documents.ingested", "documents.ingested.priority", "ocr.results", "fields.validated",
          "crm.commands", "esign.events", "esign.envelopes", "documents.status", "documents.ingested.dlq",
          "ocr.results.dlq", "fields.validated.dlq", "crm.commands.dlq", "esign.events.dlq")


@dataclass
class DocView:
    doc_id: str
    ingested: dict | None = None
    ocr: dict | None = None
    fields: list[dict] = field(default_factory=list)        # every fields.validated record, in order
    commands: dict[str, dict] = field(default_factory=dict)  # idempotency_key -> command
    esign: list[dict] = field(default_factory=list)
    envelopes: dict[str, dict] = field(default_factory=dict)  # envelope_id -> latest state
    status: list[dict] = field(default_factory=list)
    dead: list[dict] = field(default_factory=list)

    @property
    def latest_fields(self) -> dict | None:
        return self.fields[-1] if self.fields else None

    @property
    def decision(self) -> str | None:
        return self.latest_fields["status"] if self.fields else None

    def has_event(self, event_type: str) -> bool:
        return any(e["event_type"] == event_type for e in self.esign)

    @property
    def signed(self) -> dict | None:
        return next((e["signed"] for e in self.esign if e.get("signed")), None)

    def operations(self) -> list[str]:
        return sorted(c["operation"] for c in self.commands.values())


class Tracker:
    """Reads the pipeline's topics from ``since_ms`` on, keeping a DocView per doc_id."""

    def __init__(self, settings: Settings, codec: Codec, *, since_ms: int | None = None,
                 topics: tuple[str, ...] = TOPICS) -> None:
        self.settings, self.codec = settings, codec
        self.docs: dict[str, DocView] = defaultdict(lambda: DocView(""))
        # Where each record identity was found: two offsets for one identity is a duplicate
        # (the same offset read twice, e.g. after a rebalance re-seek, is not).
        self.seen: dict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
        self.since_ms = since_ms if since_ms is not None else int(time.time() * 1000)
        self._logical = {settings.topics.name(t): t for t in topics}
        self._consumer = Consumer(client_config(settings, **{
            "group.id": f"inkstream.tracker.{uuid.uuid4().hex}", "enable.auto.commit": False,
            "isolation.level": "read_committed", "auto.offset.reset": "earliest",
        }))
        self._consumer.subscribe(list(self._logical), on_assign=self._seek_to_start)

    def _seek_to_start(self, consumer, partitions) -> None:
        wanted = [TopicPartition(p.topic, p.partition, self.since_ms) for p in partitions]
        found = consumer.offsets_for_times(wanted, timeout=10)
        consumer.assign([TopicPartition(p.topic, p.partition, p.offset if p.offset >= 0 else -1) for p in found])

    def view(self, doc_id: str) -> DocView:
        view = self.docs[doc_id]
        view.doc_id = doc_id
        return view

    def poll(self, seconds: float = 1.0) -> int:
        """Read what arrived within ``seconds``; returns the number of records applied."""
        applied, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = self._consumer.poll(max(0.05, deadline - time.monotonic()))
            if msg is None or msg.error():
                continue
            topic = self._logical.get(msg.topic())
            try:
                record = self.codec.decode(msg.value())
            except Exception:  # noqa: BLE001 - a record the tracker cannot read is not one it waits for
                continue
            self._apply(topic, record, msg.key(), (msg.partition(), msg.offset()))
            applied += 1
        return applied

    def _apply(self, topic: str, record: dict, key: bytes | None, position: tuple[int, int] = (0, 0)) -> None:
        if topic.endswith(".dlq"):
            doc_id = (key or b"").decode(errors="replace")
            self.view(doc_id).dead.append(record)
            return
        view = self.view(record["doc_id"])
        identity = _identity(topic, record)
        if identity is not None:
            self.seen[(f"{topic} from {record['producer']['name']}", identity)].add(position)
        if topic.startswith("documents.ingested"):
            view.ingested = record
        elif topic == "ocr.results":
            view.ocr = record
        elif topic == "fields.validated":
            view.fields.append(record)
        elif topic == "crm.commands":
            view.commands[record["idempotency_key"]] = record
        elif topic == "esign.events":
            view.esign.append(record)
        elif topic == "esign.envelopes":
            view.envelopes[record["envelope_id"]] = record
        elif topic == "documents.status":
            view.status.append(record)

    def duplicates(self) -> dict[str, int]:
        """Per topic and producer, how many record identities sit at more than one offset."""
        out: Counter[str] = Counter()
        for (topic, _), positions in self.seen.items():
            if len(positions) > 1:
                out[topic] += 1
        return dict(out)

    def close(self) -> None:
        self._consumer.close()


def _identity(topic: str, record: dict) -> str | None:
    """What must be unique on each topic when every hop is exactly-once."""
    if topic == "ocr.results":
        return record["doc_id"]
    if topic == "fields.validated":
        # one extraction per document, one decision per review
        return f"{record['doc_id']}/{record['producer']['name']}/{record['status']}"
    if topic == "crm.commands":
        return record["idempotency_key"]
    if topic == "esign.events":
        return f"{record['provider_event_id']}/{record['event_type']}"
    return None
