"""A record of an erased document (sealed with a destroyed key) reaching a processor: it
is consumed and skipped — no DLQ record, no crash, no output — counted by
``inkstream_records_erased_total`` and logged by doc_id only; the next record goes on."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest
from kafka_helpers import create_topics, delete_topics, ingested, produce, read_all, require_broker

from schemas.codec import Codec
from streams.runtime import Emit, Processor
from streams.runtime.examples import OUTPUT_NAMESPACE, relay
from streams.runtime.loop import Worker
from streams.runtime.testing import run_processor

IN, OUT = "documents.ingested", "documents.ingested.priority"


@pytest.fixture
def sealed(settings, tmp_path):
    """The test's settings with a key store of its own (its erasures touch no other test)."""
    crypto = settings.crypto.model_copy(update={"document_keys_dir": tmp_path / "documents",
                                                "keyring_file": tmp_path / "keyring.json",
                                                "encrypt_records": True})
    return settings.model_copy(update={"crypto": crypto})


def _records(n: int) -> list[dict]:
    run = uuid.uuid4().hex[:8]
    return [{**r, "doc_id": f"{run}-{r['doc_id']}", "filename": f"Jane_Roe_{i}.pdf"} for i, r in enumerate(ingested(n))]


def _wait(predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"not met within {timeout}s")


@pytest.mark.stack
def test_a_worker_skips_erased_records_and_keeps_processing(sealed, caplog) -> None:
    require_broker(sealed)
    names = create_topics(sealed, {IN: 1, OUT: 1, f"{IN}.dlq": 1, "documents.status": 1})
    try:
        records = _records(6)
        erased = {records[1]["doc_id"], records[4]["doc_id"]}
        codec = Codec.from_settings(sealed)  # the worker's: the test destroys through its key store
        produce(sealed, IN, records, codec=codec)
        for doc_id in erased:
            assert codec.keys.destroy(doc_id)
        proc = Processor(name="relay", inputs=(IN,), handle=relay, stage="relay")
        worker = Worker(proc, sealed, codec=codec)
        thread = threading.Thread(target=worker.run, daemon=True)
        with caplog.at_level(logging.INFO, logger="inkstream.runtime"):
            thread.start()
            try:
                counter = worker.metrics.erased(IN)
                _wait(lambda: len(read_all(sealed, OUT)) == 4 and counter._value.get() == 2)
            finally:
                worker.stop()
                thread.join(60)
        assert not thread.is_alive()
        out = [codec.decode(m.value(), m.topic()) for m in read_all(sealed, OUT)]
        assert {r["event_id"] for r in out} == {
            str(uuid.uuid5(OUTPUT_NAMESPACE, r["event_id"])) for r in records if r["doc_id"] not in erased}
        assert read_all(sealed, f"{IN}.dlq") == []  # not a fault: nothing to replay
        statuses = [codec.decode(m.value()) for m in read_all(sealed, "documents.status")]
        assert {s["doc_id"] for s in statuses} == {r["doc_id"] for r in records} - erased
        assert worker.metrics.dlq(IN)._value.get() == 0
        erased_lines = [r.getMessage() for r in caplog.records if "was erased" in r.getMessage()]
        assert len(erased_lines) == 2 and all("Jane_Roe" not in line for line in erased_lines)
        assert {d for d in erased if any(d in line for line in erased_lines)} == erased
    finally:
        delete_topics(sealed, names)


def test_a_document_erased_while_in_hand_writes_nothing_about_it(sealed) -> None:
    """Decoded before the erasure, its outputs cannot be sealed any more: skipped, not DLQ'd."""
    codec = Codec.from_settings(sealed)
    first, second = _records(2)

    def erase_then_relay(record, ctx):
        if record["doc_id"] == first["doc_id"]:
            codec.keys.destroy(record["doc_id"])
        yield from relay(record, ctx)

    proc = Processor(name="relay", inputs=(IN,), handle=erase_then_relay, stage="relay")
    run = run_processor(proc, [(IN, first), (IN, second)], codec=codec)
    assert run.erased == [first["doc_id"]]
    assert run.dead == [] and [e.value["doc_id"] for e in run.emitted] == [second["doc_id"]]
    assert [s["doc_id"] for s in run.statuses] == [second["doc_id"]]


def test_a_batch_sink_is_told_which_document_was_erased_and_where(sealed) -> None:
    codec = Codec.from_settings(sealed)
    records = _records(3)

    class Sink:
        def __init__(self) -> None:
            self.added, self.erased_at = [], []

        def add(self, record, ctx) -> None:
            self.added.append(record["doc_id"])

        def erased(self, doc_id, ctx) -> None:  # the optional hook
            self.erased_at.append((doc_id, ctx.topic, ctx.offset))

        def flush(self) -> None:
            pass

    sink = Sink()
    raw = [codec.encode(IN, r) for r in records]
    codec.keys.destroy(records[0]["doc_id"])
    run = run_processor(Processor(name="sink", inputs=(IN,), batch_sink=sink), [(IN, b) for b in raw], codec=codec)
    assert sink.erased_at == [(records[0]["doc_id"], IN, 0)]
    assert sink.added == [r["doc_id"] for r in records[1:]]
    assert run.dead == [] and run.erased == [records[0]["doc_id"]]


def test_an_unreadable_sealed_record_is_still_a_dlq_record(sealed, tmp_path) -> None:
    """Erased is not a catch-all: a sealed record this deployment has no key for is a fault."""
    other = sealed.model_copy(update={"crypto": sealed.crypto.model_copy(
        update={"document_keys_dir": tmp_path / "other", "keyring_file": tmp_path / "other.json"})})
    [record] = _records(1)
    foreign = Codec.from_settings(other).encode(IN, record)
    run = run_processor(Processor(name="relay", inputs=(IN,), handle=relay), [(IN, foreign)],
                        codec=Codec.from_settings(sealed))
    assert run.erased == [] and [d["error_type"] for d in run.dead] == ["SchemaError"]
    assert run.dead[0]["value"] == foreign


def test_emits_for_other_documents_are_unaffected(sealed) -> None:
    codec = Codec.from_settings(sealed)
    a, b = _records(2)
    codec.keys.destroy(a["doc_id"])

    def fan_out(record, ctx):  # one input, outputs about two documents, one of them erased
        yield from relay(record, ctx)
        yield Emit(OUT, {**record, "doc_id": a["doc_id"], "event_id": str(uuid.uuid4())})

    run = run_processor(Processor(name="fan", inputs=(IN,), handle=fan_out), [(IN, b)], codec=codec)
    # An output about an erased document cannot be written: the record is skipped whole
    # (in one transaction, all outputs or none), and nothing lands in the DLQ.
    assert run.erased == [a["doc_id"]] and run.emitted == [] and run.dead == []
