"""One record through a processor: decode, handle (with bounded retries), encode.

Shared by the Kafka loop and by :func:`streams.runtime.testing.run_processor`, so unit
tests exercise exactly the code that runs against the broker. Nothing here touches Kafka.

A record of an erased document (sealed with a destroyed key, ``RecordErased``) is
consumed and skipped: outcome ``erased``, no DLQ record, no status, nothing produced
(an output about an erased document cannot be written either). A batch sink that wants
to know (the audit sink keeps its chain positions) defines ``erased(doc_id, ctx)``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inkstream import __version__
from inkstream.errors import RecordErased, SchemaError
from schemas.codec import Codec
from streams.runtime.processor import Backpressure, Context, Emit, Processor, Refused, Retryable, SkipRecord

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["Incoming", "Produced", "Outcome", "Runner", "dead_letter", "status_record", "dlq_topic"]

# Longest reason kept in a DeadLetter; reasons are messages, not payload dumps.
_MAX_REASON = 2000


@dataclass(slots=True)
class Incoming:
    """A consumed record as the runtime sees it (raw topic name, i.e. with prefix)."""

    topic: str
    logical_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None
    headers: dict[str, bytes] = field(default_factory=dict)


@dataclass(slots=True)
class Produced:
    """A record ready to produce: physical topic, key and encoded value."""

    topic: str
    key: bytes | None
    value: bytes


@dataclass(slots=True)
class Outcome:
    """What happened to one record. ``kind``: ok | skipped | erased | dead | backpressure."""

    kind: str
    produced: list[Produced] = field(default_factory=list)
    emits: list[Emit] = field(default_factory=list)
    attempts: int = 0
    retry_after: float = 0.0
    reason: str = ""
    error_type: str = ""
    doc_id: str | None = None  # set for ``erased`` (an id, never content)


def dlq_topic(topic: str) -> str:
    """The DLQ twin of a physical topic: ``<input>.dlq``."""
    return f"{topic}.dlq"


def _now_ms() -> int:
    return int(time.time() * 1000)


# Records the runtime writes on its own get ids derived from the input's position, so a
# sink that redelivers after a crash writes the same ids again and readers dedupe them.
_RUNTIME_NAMESPACE = uuid.UUID("5b0c7a52-3f0e-4d4a-9a43-6a8f3e1c2d10")


def _derived_id(proc: Processor, msg: Incoming, *parts: str) -> str:
    name = "/".join((proc.name, msg.topic, str(msg.partition), str(msg.offset), *parts))
    return str(uuid.uuid5(_RUNTIME_NAMESPACE, name))


def dead_letter(proc: Processor, msg: Incoming, exc: BaseException, attempts: int) -> dict[str, Any]:
    """The DeadLetter record (schemas/dlq.avsc) for ``msg``, keeping its original bytes."""
    return {
        "event_id": _derived_id(proc, msg, "dlq"),
        "occurred_at": _now_ms(),
        "processor": proc.name,
        "topic": msg.topic,
        "partition": msg.partition,
        "offset": msg.offset,
        "key": msg.key,
        "value": msg.value,
        "error_type": type(exc).__name__,
        "error": (str(exc) or type(exc).__name__)[:_MAX_REASON],
        "attempts": attempts,
    }


def status_record(proc: Processor, doc_id: str, trace: str | None, status: str, detail: str | None) -> dict[str, Any]:
    """A documents.status record for ``doc_id`` at ``proc.stage``."""
    return {
        "event_id": str(uuid.uuid4()),
        "doc_id": doc_id,
        "occurred_at": _now_ms(),
        "producer": {"name": proc.name, "version": proc.version or __version__},
        "trace": trace or uuid.uuid4().hex,
        "stage": proc.stage or proc.name,
        "status": status,
        "detail": detail,
    }


def _key_bytes(key: str | None) -> bytes | None:
    return key.encode() if key is not None else None


class Runner:
    """Holds what ``execute`` needs; one per processor instance."""

    def __init__(self, proc: Processor, codec: Codec, topic_name: Callable[[str], str],
                 settings: Settings | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.proc, self.codec, self._topic_name = proc, codec, topic_name
        self.settings, self.sleep = settings, sleep
        self._topics: dict[str, str] = {}
        # Batch sink: the records added since the last flush, by position, so a row the
        # flush refuses gets its DeadLetter with the original bytes.
        self._added: dict[tuple[str, int, int], tuple[Incoming, dict[str, Any]]] = {}

    def topic_name(self, logical: str) -> str:
        """Physical name of a logical topic (cached: it is on every output's path)."""
        name = self._topics.get(logical)
        if name is None:
            name = self._topics[logical] = self._topic_name(logical)
        return name

    def execute(self, msg: Incoming) -> Outcome:
        try:
            return self._execute(msg)
        except RecordErased as exc:
            self._tell_sink_erased(exc.doc_id, msg)
            return Outcome("erased", reason=f"document {exc.doc_id} was erased", doc_id=exc.doc_id)

    def _execute(self, msg: Incoming) -> Outcome:
        self._msg = msg
        try:
            if msg.value is None:
                raise SchemaError("record has no value (tombstone)")
            record = self.codec.decode(msg.value, msg.topic)
        except SchemaError as exc:
            return self._dead(msg, exc, 1, None)
        ctx = Context(processor=self.proc.name, topic=msg.logical_topic, partition=msg.partition,
                      offset=msg.offset, key=msg.key.decode(errors="replace") if msg.key is not None else None,
                      timestamp_ms=msg.timestamp_ms, headers=dict(msg.headers), settings=self.settings)
        attempt = 1
        while True:
            ctx.attempt = attempt
            try:
                return self._attempt(record, ctx, attempt)
            except SkipRecord as exc:
                return Outcome("skipped", attempts=attempt, reason=exc.reason)
            except Backpressure as exc:
                return Outcome("backpressure", attempts=attempt, retry_after=exc.retry_after, reason=exc.reason)
            except RecordErased:
                raise  # erased while in hand: its outputs cannot be sealed any more
            except Retryable as exc:
                if attempt >= self.proc.max_attempts:
                    return self._dead(msg, exc, attempt, record)
                self.sleep(self.proc.backoff(attempt))
                attempt += 1
            except Exception as exc:  # noqa: BLE001 - every other failure becomes a DLQ record
                return self._dead(msg, exc, attempt, record)

    def _attempt(self, record: dict[str, Any], ctx: Context, attempt: int) -> Outcome:
        if self.proc.batch_sink is not None:
            self.proc.batch_sink.add(record, ctx)
            self._added[(ctx.topic, ctx.partition, ctx.offset)] = (self._msg, record)
            return Outcome("ok", attempts=attempt)
        handle = self.proc.handle
        assert handle is not None  # Processor.__post_init__ refuses neither handle= nor batch_sink=
        emits = list(handle(record, ctx) or ())
        return Outcome("ok", produced=self._encode(emits, record), emits=emits, attempts=attempt)

    def _encode(self, emits: list[Emit], record: dict[str, Any] | None, *, statuses: bool = True) -> list[Produced]:
        produced = []
        for emit in emits:
            if not isinstance(emit, Emit):
                raise TypeError(f"handle() must yield Emit, got {type(emit).__name__}")
            topic = self.topic_name(emit.topic)
            produced.append(Produced(topic, _key_bytes(emit.resolved_key), self.codec.encode(topic, emit.value)))
        if self.proc.stage and statuses:
            produced += self._statuses(emits, record)
        return produced

    def flush_sink(self) -> Outcome:
        """Flush the batch sink; its Emits and Refused rows as one Outcome to produce before
        the offsets are committed (emits first, then status and DLQ records). An exception
        from ``flush()`` propagates: the caller repeats the batch."""
        sink = self.proc.batch_sink
        if sink is None:
            raise ValueError(f"processor {self.proc.name!r} has no batch sink to flush")
        added, self._added = self._added, {}
        items = list(sink.flush() or ())
        emits = [i for i in items if not isinstance(i, Refused)]
        produced = self._encode(emits, None, statuses=False)
        if self.proc.stage:  # a ``done`` status per document, with its first emit's trace
            first: dict[str, Emit] = {}
            for emit in emits:
                if emit.topic != "documents.status" and isinstance(emit.value.get("doc_id"), str):
                    first.setdefault(emit.value["doc_id"], emit)
            for emit in first.values():
                produced += self._statuses([emit], emit.value)
        for item in items:
            if isinstance(item, Refused):
                position = (item.ctx.topic, item.ctx.partition, item.ctx.offset)
                if position not in added:
                    raise ValueError(f"flush() refused {position}, which was not added since the last flush")
                msg, record = added[position]
                produced += self._dead(msg, item.error, 1, record).produced
        return Outcome("ok", produced=produced, emits=emits, attempts=1)

    def _statuses(self, emits: list[Emit], record: dict[str, Any] | None) -> list[Produced]:
        topic = self.topic_name("documents.status")
        seen: dict[str, None] = {}
        for emit in emits:
            doc_id = emit.value.get("doc_id")
            if isinstance(doc_id, str) and emit.topic != "documents.status":
                seen.setdefault(doc_id)
        trace = record.get("trace") if isinstance(record, dict) else None
        return [Produced(topic, _key_bytes(d), self.codec.encode(
            topic, status_record(self.proc, d, trace, "done", None))) for d in seen]

    def _tell_sink_erased(self, doc_id: str, msg: Incoming) -> None:
        erased = getattr(self.proc.batch_sink, "erased", None)
        if erased is not None:
            erased(doc_id, Context(processor=self.proc.name, topic=msg.logical_topic, partition=msg.partition,
                                   offset=msg.offset, timestamp_ms=msg.timestamp_ms, settings=self.settings))

    def _dead(self, msg: Incoming, exc: BaseException, attempts: int, record: dict[str, Any] | None) -> Outcome:
        topic = dlq_topic(msg.topic)
        produced = [Produced(topic, msg.key, self.codec.encode(topic, dead_letter(self.proc, msg, exc, attempts)))]
        doc_id = record.get("doc_id") if isinstance(record, dict) else None
        if self.proc.stage and isinstance(doc_id, str):
            status_topic = self.topic_name("documents.status")
            detail = f"{type(exc).__name__}: {str(exc)[:200]}"
            try:
                produced.append(Produced(status_topic, _key_bytes(doc_id), self.codec.encode(
                    status_topic, status_record(self.proc, doc_id, record.get("trace") if record else None, "failed", detail))))
            except RecordErased:
                pass  # erased meanwhile: the DLQ record (original bytes) is all that is kept
        return Outcome("dead", produced=produced, attempts=attempts,
                       reason=str(exc)[:_MAX_REASON], error_type=type(exc).__name__)

