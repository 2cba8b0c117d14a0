"""The audit sink through the runtime's own ``run_processor`` (real codec, real chDB)."""

from __future__ import annotations

import audit_samples as s
import pytest

from streams.audit.chain import GENESIS, check_chain
from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor
from session_codec import session_codec


def _proc(store, batch: int = 100, **kw) -> tuple[Processor, AuditSink]:
    sink = AuditSink(lambda: store, decode=session_codec().decode, **kw)
    return Processor(name="audit", inputs=("documents.ingested",), batch_sink=sink, batch_max_records=batch), sink


def _chain(store, doc_id: str) -> list[dict]:
    cols, rows = store.query(
        "SELECT doc_id, seq, event_id, topic, partition, offset, toUnixTimestamp64Milli(occurred_at) AS occurred_at_ms,"
        " producer, payload, payload_sha256, prev_hash, hash FROM audit_events WHERE doc_id = {d:String} ORDER BY seq",
        {"d": doc_id})
    return [dict(zip(cols, r)) for r in rows]


def _count(store, sql: str, params=None) -> int:
    return store.query(sql, params)[1][0][0]


def test_every_record_becomes_one_chained_row_per_document(store):
    records = [("documents.ingested", s.ingested("d1")), ("ocr.results", s.ocr("d1")),
               ("fields.validated", s.validated("d1")), ("documents.ingested", s.ingested("d2")),
               ("crm.commands", s.command("d1")), ("esign.events", s.esign("d1", "completed"))]
    proc, _ = _proc(store, batch=4)
    run = run_processor(proc, records)
    assert run.dead == [] and run.flushes == 2
    chain = _chain(store, "d1")
    assert [r["seq"] for r in chain] == [1, 2, 3, 4, 5]
    assert [r["topic"] for r in chain] == ["documents.ingested", "ocr.results", "fields.validated",
                                           "crm.commands", "esign.events"]
    assert chain[0]["prev_hash"] == GENESIS and all(b["prev_hash"] == a["hash"] for a, b in zip(chain, chain[1:]))
    assert check_chain("d1", chain, head=(5, chain[-1]["hash"])) == []
    assert _count(store, "SELECT count() FROM audit_events WHERE doc_id = 'd2'") == 1
    assert _count(store, "SELECT seq FROM audit_chain_heads FINAL WHERE doc_id = 'd1'") == 5


def test_a_redelivered_batch_adds_no_row_and_no_link(store):
    records = [("documents.ingested", s.ingested("d1")), ("ocr.results", s.ocr("d1")),
               ("fields.validated", s.validated("d1"))]
    proc, _ = _proc(store)
    run_processor(proc, records)
    # A crash after flush() and before the offset commit: the same records come again,
    # in a new sink instance (restarted process) that has no memory of them.
    proc2, _ = _proc(store)
    run_processor(proc2, records + [("esign.events", s.esign("d1", "sent"))])
    assert [r["seq"] for r in _chain(store, "d1")] == [1, 2, 3, 4]
    assert _count(store, "SELECT count() FROM audit_events") == 4
    assert _count(store, "SELECT count() FROM documents FINAL") == 1
    assert _count(store, "SELECT count() FROM fields FINAL") == 2


def test_duplicates_inside_one_batch_are_chained_once(store):
    rec = s.ingested("d1")
    proc, _ = _proc(store)
    run_processor(proc, [("documents.ingested", rec), ("documents.ingested", rec)])
    assert _count(store, "SELECT count() FROM audit_events") == 1


def test_analytics_rows_land_in_their_tables(store):
    dead_cmd = s.command("d9")
    records = [("documents.ingested", s.ingested("d9", source="folder")), ("ocr.results", s.ocr("d9")),
               ("fields.validated", s.validated("d9", amount="12.50")),
               ("esign.events", s.esign("d9", "completed", signed=s.obj("signed/d9/x.pdf", b"signed"))),
               ("crm.commands", s.command("d9")), ("documents.status", s.status("d9", "ocr")),
               ("crm.dryrun", s.dryrun("d9")), ("webhooks.rejected", s.rejected("dropbox_sign", "stale_timestamp")),
               ("crm.commands.dlq", s.dead("t.crm.commands", session_codec().encode("crm.commands", dead_cmd),
                                           key=b"d9", error="400 INVALID_FIELD"))]
    proc, _ = _proc(store, prefix="t.")
    assert run_processor(proc, records).dead == []
    assert store.query("SELECT source, filename FROM documents FINAL")[1] == [("folder", "d9.pdf")]
    assert store.query("SELECT lines, low_confidence_lines, round(min_confidence, 2) FROM ocr_quality")[1] == [(2, 1, 0.7)]
    assert store.query("SELECT normalized FROM fields WHERE name = 'total_amount'")[1] == [("12.50",)]
    assert store.query("SELECT event_type, signer_ip, signed_key FROM signatures")[1] == [
        ("completed", "203.0.113.7", "signed/d9/x.pdf")]
    assert store.query("SELECT stage FROM status_changes")[1] == [("ocr",)]
    assert store.query("SELECT crm, method FROM crm_dryrun")[1] == [("salesforce", "PATCH")]
    assert sorted(store.query("SELECT outcome, target, ifNull(error, '') FROM crm_syncs FINAL")[1]) == [
        ("failed", "salesforce", "400 INVALID_FIELD"), ("queued", "salesforce", "")]
    assert store.query("SELECT doc_id, source_topic, error FROM dlq_events")[1] == [
        ("d9", "crm.commands", "400 INVALID_FIELD")]
    assert store.query("SELECT provider, reason, header_names FROM webhook_rejections")[1] == [
        ("dropbox_sign", "stale_timestamp", ["content-type", "x-docusign-signature-1"])]
    assert store.query("SELECT seq FROM audit_events WHERE doc_id = '~webhooks.rejected'")[1] == [(1,)]
    # The DLQ record joins its document's chain (its key is the doc_id).
    assert _chain(store, "d9")[-1]["topic"] == "crm.commands.dlq"


def test_records_without_a_document_chain_per_topic(store):
    rec = s.dead("t.ocr.results", b"\x00junk", key=None)
    proc, _ = _proc(store)
    run_processor(proc, [("ocr.results.dlq", rec)])
    assert store.query("SELECT doc_id, seq FROM audit_events")[1] == [("~ocr.results.dlq", 1)]


class _FailingInsert:
    """Wraps the real store; fails the n-th insert into ``table`` (a ClickHouse outage)."""

    def __init__(self, store, table: str) -> None:
        self.store, self.table, self.armed = store, table, True

    def query(self, *a, **kw):
        return self.store.query(*a, **kw)

    def insert(self, table, rows, columns):
        if table == self.table and self.armed:
            self.armed = False
            raise ConnectionError("ClickHouse went away")
        return self.store.insert(table, rows, columns)


def test_a_failed_flush_raises_and_the_retried_batch_chains_cleanly(store):
    flaky = _FailingInsert(store, "audit_chain_heads")
    sink = AuditSink(lambda: flaky)
    proc = Processor(name="audit", inputs=("documents.ingested",), batch_sink=sink)
    records = [("documents.ingested", s.ingested("d1")), ("ocr.results", s.ocr("d1"))]
    with pytest.raises(ConnectionError):
        run_processor(proc, records)
    # audit_events was written before the failure; the runtime repeats the batch.
    # The heads were not written; the redelivery alone (nothing new for d2) repairs them.
    run_processor(proc, records)
    assert store.query("SELECT doc_id, max(seq) FROM audit_chain_heads GROUP BY doc_id")[1] == [("d1", 2)]
    run_processor(proc, records + [("fields.validated", s.validated("d1"))])
    chain = _chain(store, "d1")
    assert [r["seq"] for r in chain] == [1, 2, 3]
    assert check_chain("d1", chain, head=(3, chain[-1]["hash"])) == []


class _Ctx:
    def __init__(self, topic: str, offset: int) -> None:
        self.topic, self.partition, self.offset, self.key = topic, 0, offset, None


def test_a_record_the_analytics_tables_cannot_hold_is_still_chained_and_does_not_block(store):
    from prometheus_client import CollectorRegistry

    from streams.audit.sink import AuditMetrics

    registry = CollectorRegistry()
    sink = AuditSink(lambda: store, metrics=AuditMetrics.create(registry))
    bad = s.validated("d1")
    bad["fields"][0]["name"] = None                       # non-nullable column: the row cannot be written
    worse = {**s.ocr("d1"), "pages": [{"lines": [{"confidence": "n/a"}]}]}  # rows cannot even be built
    far = {**s.status("d1", "ocr"), "occurred_at": 10**17}  # beyond DateTime64: clamped, not fatal
    for i, (topic, rec) in enumerate([("documents.ingested", s.ingested("d1")), ("fields.validated", bad),
                                      ("ocr.results", worse), ("documents.status", far)]):
        sink.add(rec, _Ctx(topic, i))
    sink.flush()
    assert [r["seq"] for r in _chain(store, "d1")] == [1, 2, 3, 4]
    assert check_chain("d1", _chain(store, "d1")) == []
    assert store.query("SELECT name FROM fields ORDER BY name")[1] == [("total_amount",)]
    assert store.query("SELECT count() FROM status_changes")[1] == [(1,)]
    assert registry.get_sample_value("inkstream_audit_analytics_skipped_total", {"table": "fields"}) == 1
    assert registry.get_sample_value("inkstream_audit_analytics_skipped_total", {"table": "(building)"}) == 1
