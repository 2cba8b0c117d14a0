"""Retention next to the audit trail (real chDB, records written by the real audit sink):
expired fields go, the hash chains still verify, the document type S3 expiry needs
outlives the fields, and with a running sink `apply` leaves the TTLs to it."""

from __future__ import annotations

from tests.streams.audit import audit_samples as samples

from inkstream.settings import DocRetention
from ops.retention import clickhouse, s3
from ops.retention.runner import apply_all
from streams.audit.query import QueryServer, running_endpoint
from streams.audit.sink import AuditSink
from streams.audit.verify import verify
from streams.runtime import Processor
from streams.runtime.testing import run_processor


def _policy(settings, **tables):
    r = settings.retention.model_copy(update={
        "doc_types": {"contract": DocRetention(originals_days=3650, signed_days=3650, fields_days=3650),
                      "invoice": DocRetention(originals_days=3650, signed_days=3650, fields_days=30)},
        "default": DocRetention(originals_days=365, signed_days=365, fields_days=30), "tables": tables})
    return settings.model_copy(update={"retention": r})


def _sink(store, records) -> None:
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)), records)


def _count(store, sql: str) -> int:
    return store.query(sql)[1][0][0]


def test_expired_fields_go_and_the_audit_chain_still_verifies(rsettings, rstore):
    s = _policy(rsettings)
    records = []
    for doc, doc_type in (("c1", "contract"), ("i1", "invoice")):  # written 2026-01-01: > 30 days ago
        records += [("documents.ingested", samples.ingested(doc)), ("ocr.results", samples.ocr(doc)),
                    ("fields.validated", samples.validated(doc, doc_type=doc_type))]
    _sink(rstore, records)
    links = _count(rstore, "SELECT count() FROM audit_events")
    assert verify(rstore, None).ok

    clickhouse.apply(s, rstore)
    for table in ("fields", "extractions"):
        rstore.command(f"ALTER TABLE {table} MATERIALIZE TTL")

    assert {r[0] for r in rstore.query("SELECT DISTINCT doc_id FROM fields")[1]} == {"c1"}  # invoice fields: 30 d
    # The invoice's decision stays (3650 d, its originals' retention), so its original
    # still resolves to "invoice", not to the default.
    types = s3.doc_types(rstore, "originals/", ["originals/c1", "originals/i1"])
    assert types == {"originals/c1": {"contract"}, "originals/i1": {"invoice"}}
    assert _count(rstore, "SELECT count() FROM audit_events") == links
    report = verify(rstore, None)
    assert report.ok and report.rows == links


def test_a_lookup_table_shorter_than_its_files_is_a_conflict(rsettings, rstore):
    s = _policy(rsettings, documents=30)
    row = {i.target: i for i in clickhouse.report(s, rstore)}["documents"]
    assert row.state == "conflict" and "originals_days (3650d)" in row.note
    assert {i.target: i.state for i in clickhouse.report(_policy(rsettings, documents=3650), rstore)}["documents"] != "conflict"


def test_with_a_running_sink_apply_leaves_the_ttls_to_it(rsettings, rstore):
    s = _policy(rsettings, crm_dryrun=90)
    s = s.model_copy(update={"audit": s.audit.model_copy(update={"query_port": 0})})
    _sink(rstore, [("documents.ingested", samples.ingested("d1")), ("fields.validated", samples.validated("d1"))])
    server = QueryServer(rstore, s).start()
    try:
        endpoint = running_endpoint(s)
        assert endpoint is not None
        rows = {i.target: i for i in apply_all(s, ("clickhouse",))}
        assert rows["crm_dryrun"].state == "pending" and "restart `inkstream run audit`" in rows["crm_dryrun"].note
        assert " TTL " not in rstore.query("SELECT engine_full FROM system.tables WHERE database = currentDatabase() "
                                           "AND name = 'crm_dryrun'")[1][0][0]
        # The S3 type lookup works through the endpoint (array parameter over HTTP).
        assert s3.doc_types(endpoint, "originals/", ["originals/d1", "originals/zz"]) == {"originals/d1": {"contract"}}
    finally:
        server.stop()
