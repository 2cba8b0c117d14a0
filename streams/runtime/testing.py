"""Run a processor without a broker: the same decode/handle/encode/DLQ code as the
Kafka loop, with records given as a list and outputs collected in lists.

>>> from streams.runtime import Emit, Processor
>>> from schemas.records import envelope
>>> def done(record, ctx):
...     yield Emit("documents.status", {**envelope(record["doc_id"], producer="t"),
...                                     "stage": "x", "status": "ok", "detail": None})
>>> proc = Processor(name="t", inputs=("documents.status",), handle=done)
>>> rec = {**envelope("d1", producer="t"), "stage": "s", "status": "ok", "detail": None}
>>> run = run_processor(proc, [("documents.status", rec), ("documents.status", b"junk")])
>>> [e.value["doc_id"] for e in run.emitted], [d["error_type"] for d in run.dead]
(['d1'], ['SchemaError'])

Every input dict is encoded with its topic's schema and every output is encoded and
decoded again, so a record that does not match its schema fails here as it would in
production (as a DLQ record, reported in ``.dead``). Retries do not sleep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.codec import Codec
from streams.runtime.execute import Incoming, Outcome, Runner
from streams.runtime.processor import Emit, Processor

__all__ = ["run_processor", "TestRun"]

# A processor that keeps asking for backpressure on the same record is a test bug.
_MAX_BACKPRESSURE = 100


@dataclass
class TestRun:
    """What a processor did. ``emitted``: decoded outputs (excluding documents.status
    records the runtime adds for ``stage=``; those are in ``statuses``); ``dead``:
    DeadLetter records; ``skipped``: reasons; ``erased``: doc ids of records skipped because
    their document was erased; ``backpressure``: each retry_after asked."""

    __test__ = False  # not a pytest test class

    emitted: list[Emit] = field(default_factory=list)
    dead: list[dict] = field(default_factory=list)
    statuses: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)
    backpressure: list[float] = field(default_factory=list)
    retries_slept: list[float] = field(default_factory=list)
    flushes: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def on(self, topic: str) -> list[dict]:
        """Values emitted to logical ``topic``."""
        return [e.value for e in self.emitted if e.topic == topic]


def run_processor(proc: Processor, records: list[tuple], *, settings: Any = None,
                  codec: Codec | None = None) -> TestRun:
    """Feed ``records`` through ``proc`` in order: ``(logical_topic, dict | bytes)`` or
    ``(logical_topic, dict | bytes, key)``; the key defaults to a dict's ``doc_id``.
    ``codec``: the one the records are encoded and decoded with; by default one without a
    key store (records in clear: pass ``Codec.from_settings(settings)`` to test sealing)."""
    codec = codec or Codec()
    run = TestRun()
    runner = Runner(proc, codec, topic_name=lambda t: t, settings=settings, sleep=run.retries_slept.append)
    pending = 0
    for offset, (topic, value, *rest) in enumerate(records):
        raw = value if isinstance(value, (bytes, bytearray)) or value is None else codec.encode(topic, value)
        key = rest[0] if rest else (value.get("doc_id") if isinstance(value, dict) else None)
        msg = Incoming(topic=topic, logical_topic=topic, partition=0, offset=offset,
                       key=key.encode() if isinstance(key, str) else None, value=raw)
        outcome = _until_not_backpressure(runner, msg, run)
        run.outcomes.append(outcome)
        _collect(run, codec, outcome)
        pending += 1
        if proc.batch_sink is not None and pending >= proc.batch_max_records:
            _flush(runner, run, codec)
            pending = 0
    if proc.batch_sink is not None and pending:
        _flush(runner, run, codec)
    return run


def _flush(runner: Runner, run: TestRun, codec: Codec) -> None:
    """The loop's checkpoint: the sink's flush and the records it hands back."""
    outcome = runner.flush_sink()
    run.flushes += 1
    run.outcomes.append(outcome)
    _collect(run, codec, outcome)


def _until_not_backpressure(runner: Runner, msg: Incoming, run: TestRun) -> Outcome:
    for _ in range(_MAX_BACKPRESSURE):
        outcome = runner.execute(msg)
        if outcome.kind != "backpressure":
            return outcome
        run.backpressure.append(outcome.retry_after)
    raise RuntimeError(f"processor asked for backpressure {_MAX_BACKPRESSURE} times on offset {msg.offset}")


def _collect(run: TestRun, codec: Codec, outcome: Outcome) -> None:
    if outcome.kind == "skipped":
        run.skipped.append(outcome.reason)
    elif outcome.kind == "erased":
        run.erased.append(outcome.doc_id)
    # Runner puts the processor's own emits first, then DLQ / documents.status records.
    for index, produced in enumerate(outcome.produced):
        value = codec.decode(produced.value, produced.topic)
        if index < len(outcome.emits):
            key = produced.key.decode() if produced.key is not None else None
            run.emitted.append(Emit(outcome.emits[index].topic, value, key))
        elif produced.topic.endswith(".dlq"):
            run.dead.append(value)
        else:
            run.statuses.append(value)
