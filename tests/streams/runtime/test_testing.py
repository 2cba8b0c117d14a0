"""run_processor: the broker-free harness runs the same per-record code as the Kafka loop."""

from __future__ import annotations

import pytest
from kafka_helpers import ingested

from schemas.records import envelope
from session_codec import decode, encode, session_codec
from streams.runtime import Backpressure, Context, Emit, Processor, Refused, Retryable, SkipRecord
from streams.runtime.testing import run_processor

IN = "documents.status"


def status(doc_id: str, status: str = "ok") -> dict:
    return {**envelope(doc_id, producer="test"), "stage": "ingested", "status": status, "detail": None}


def mark_seen(record: dict, ctx: Context):
    yield Emit("documents.status", {**record, "status": f"seen:{ctx.offset}"})


def test_emitted_records_are_decoded_back_with_their_key_defaulting_to_doc_id() -> None:
    run = run_processor(Processor(name="p", inputs=(IN,), handle=mark_seen), [(IN, status("d1"))])
    assert [(e.topic, e.key, e.value["status"]) for e in run.emitted] == [("documents.status", "d1", "seen:0")]


def test_skip_record_is_counted_and_produces_nothing() -> None:
    def skip(record, ctx):
        raise SkipRecord("duplicate")
    run = run_processor(Processor(name="p", inputs=(IN,), handle=skip), [(IN, status("d1"))])
    assert run.emitted == [] and run.dead == [] and run.skipped == ["duplicate"]


def test_retryable_is_retried_with_backoff_then_succeeds() -> None:
    calls = []

    def flaky(record, ctx):
        calls.append(ctx.attempt)
        if ctx.attempt < 3:
            raise Retryable("timeout")
        yield Emit(IN, record)
    proc = Processor(name="p", inputs=(IN,), handle=flaky, max_attempts=3, retry_backoff_s=0.1)
    run = run_processor(proc, [(IN, status("d1"))])
    assert calls == [1, 2, 3] and len(run.emitted) == 1 and run.dead == []
    assert run.retries_slept == [0.1, 0.2]


def test_retryable_that_keeps_failing_goes_to_the_dlq_after_max_attempts() -> None:
    def down(record, ctx):
        raise Retryable("CRM unavailable")
    original = encode(IN, status("d1"))
    run = run_processor(Processor(name="p", inputs=(IN,), handle=down, max_attempts=4), [(IN, original)])
    [dead] = run.dead
    assert (dead["attempts"], dead["error_type"], dead["error"]) == (4, "Retryable", "CRM unavailable")
    assert dead["value"] == original and dead["processor"] == "p" and dead["topic"] == IN


def test_any_other_exception_goes_to_the_dlq_with_original_bytes_and_reason() -> None:
    def boom(record, ctx):
        raise KeyError("total")
    original = encode(IN, status("d9"))
    run = run_processor(Processor(name="p", inputs=(IN,), handle=boom), [(IN, original, "d9")])
    [dead] = run.dead
    assert (dead["error_type"], dead["attempts"], dead["key"]) == ("KeyError", 1, b"d9")
    assert decode(dead["value"]) == decode(original)


def test_undecodable_input_goes_to_the_dlq_as_schema_error_and_processing_continues() -> None:
    run = run_processor(Processor(name="p", inputs=(IN,), handle=mark_seen),
                        [(IN, b"\x00garbage"), (IN, status("d2"))])
    assert [d["error_type"] for d in run.dead] == ["SchemaError"] and run.dead[0]["value"] == b"\x00garbage"
    assert [e.value["doc_id"] for e in run.emitted] == ["d2"]


def test_an_output_that_does_not_match_its_schema_goes_to_the_dlq() -> None:
    def bad(record, ctx):
        yield Emit("documents.status", {**record, "status": 42})
    run = run_processor(Processor(name="p", inputs=(IN,), handle=bad), [(IN, status("d1"))])
    assert run.emitted == [] and run.dead[0]["error_type"] == "SchemaError"


def test_handle_must_yield_emit_values() -> None:
    run = run_processor(Processor(name="p", inputs=(IN,), handle=lambda r, c: [r]), [(IN, status("d1"))])
    assert run.dead[0]["error_type"] == "TypeError"


def test_backpressure_pauses_and_retries_the_same_record_without_counting_an_attempt() -> None:
    asks = iter([2.5, 1.0])

    def limited(record, ctx):
        wait = next(asks, None)
        if wait is not None:
            raise Backpressure(retry_after=wait)
        yield Emit(IN, record)
    run = run_processor(Processor(name="p", inputs=(IN,), handle=limited, max_attempts=1), [(IN, status("d1"))])
    assert run.backpressure == [2.5, 1.0] and len(run.emitted) == 1 and run.dead == []


def test_stage_writes_one_status_per_output_doc_id_and_failed_for_dlq() -> None:
    def fan_out(record, ctx):
        if record["filename"].startswith("poison"):
            raise ValueError("no pages")
        for doc in ("a", "a", "b"):
            yield Emit("documents.ingested.priority", {**record, "doc_id": doc})
    proc = Processor(name="ocr", inputs=("documents.ingested",), handle=fan_out, stage="ocr")
    good, bad = ingested(2, poison_every=2)
    run = run_processor(proc, [("documents.ingested", good), ("documents.ingested", bad)])
    assert [(s["doc_id"], s["stage"], s["status"]) for s in run.statuses] == [
        ("a", "ocr", "done"), ("b", "ocr", "done"), (bad["doc_id"], "ocr", "failed")]
    assert run.statuses[-1]["detail"] == "ValueError: no pages"
    assert [s["trace"] for s in run.statuses] == [good["trace"], good["trace"], bad["trace"]]


def test_a_status_the_processor_emits_itself_is_not_doubled() -> None:
    proc = Processor(name="p", inputs=(IN,), handle=mark_seen, stage="review")
    run = run_processor(proc, [(IN, status("d1"))])
    assert len(run.emitted) == 1 and run.statuses == []


class ListSink:
    def __init__(self, fail_on: str | None = None) -> None:
        self.buffer, self.written, self.fail_on = [], [], fail_on

    def add(self, record, ctx) -> None:
        if record["doc_id"] == self.fail_on:
            raise ValueError("unstorable")
        self.buffer.append(record["doc_id"])

    def flush(self) -> None:
        self.written.append(list(self.buffer))
        self.buffer.clear()


def test_batch_sink_gets_every_record_and_is_flushed_per_batch() -> None:
    sink = ListSink(fail_on="d2")
    proc = Processor(name="audit", inputs=(IN,), batch_sink=sink, batch_max_records=2)
    run = run_processor(proc, [(IN, status(f"d{i}")) for i in range(5)])
    assert sink.written == [["d0", "d1"], ["d3"], ["d4"]] and run.flushes == 3
    assert [d["error_type"] for d in run.dead] == ["ValueError"]


class RefusingSink:
    """Hands back a status per written record and refuses d1 at flush."""

    def __init__(self) -> None:
        self.buffer: list = []

    def add(self, record, ctx) -> None:
        self.buffer.append((record, ctx))

    def flush(self):
        batch, self.buffer = self.buffer, []
        for record, ctx in batch:
            if record["doc_id"] == "d1":
                yield Refused(ctx, ValueError("DUPLICATE_VALUE: refused by the vendor"))
            else:
                yield Emit("documents.status", {**envelope(record["doc_id"], producer="t"), "stage": "crm",
                                                "status": "created", "detail": None})


def test_a_batch_sinks_flush_records_come_back_as_statuses_and_dead_letters() -> None:
    proc = Processor(name="bulk", inputs=(IN,), batch_sink=RefusingSink(), stage="crm", batch_max_records=2)
    records = [(IN, status(f"d{i}")) for i in range(3)]
    run = run_processor(proc, records)
    assert [(s["doc_id"], s["status"]) for s in run.on("documents.status")] == [("d0", "created"), ("d2", "created")]
    assert [(d["offset"], d["error_type"]) for d in run.dead] == [(1, "ValueError")]
    assert "DUPLICATE_VALUE" in run.dead[0]["error"] and session_codec().decode(run.dead[0]["value"], IN) == records[1][1]
    assert [(s["doc_id"], s["status"]) for s in run.statuses] == [("d1", "failed")]


@pytest.mark.parametrize("kwargs", [dict(inputs=()), dict(handle=None), dict(max_attempts=0)])
def test_processor_refuses_incomplete_definitions(kwargs) -> None:
    with pytest.raises(ValueError):
        Processor(**{"name": "p", "inputs": (IN,), "handle": mark_seen, **kwargs})


def test_retry_backoff_doubles_and_is_capped() -> None:
    proc = Processor(name="p", inputs=(IN,), handle=mark_seen, retry_backoff_s=1, retry_backoff_max_s=3)
    assert [proc.backoff(a) for a in (1, 2, 3, 4)] == [1, 2, 3, 3]


def test_sink_processors_are_not_transactional() -> None:
    assert Processor(name="p", inputs=(IN,), handle=mark_seen).transactional
    assert not Processor(name="p", inputs=(IN,), handle=mark_seen, sink=True).transactional
    assert not Processor(name="p", inputs=(IN,), batch_sink=ListSink()).transactional
