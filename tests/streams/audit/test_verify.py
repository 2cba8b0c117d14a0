"""``audit verify`` catches every kind of tampering with the chDB tables and the files."""

from __future__ import annotations

import uuid

import audit_samples as s
import pytest

from streams.audit.query import _Direct
from streams.audit.sink import AuditSink
from streams.audit.verify import verify
from streams.runtime import Processor
from streams.runtime.testing import run_processor


def _load(store, docs=("d1", "d2"), **ingest_kw):
    records = []
    for doc in docs:
        records += [("documents.ingested", s.ingested(doc, **ingest_kw.get(doc, {}))), ("ocr.results", s.ocr(doc)),
                    ("fields.validated", s.validated(doc)), ("crm.commands", s.command(doc)),
                    ("esign.events", s.esign(doc, "sent"))]
    sink = AuditSink(lambda: store)
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=sink, batch_max_records=7), records)


def _mutate(store, sql: str) -> None:
    store.command(sql + " SETTINGS mutations_sync = 2")


def _kinds(report) -> list[tuple[str, int | None, str]]:
    return sorted((p.doc_id, p.seq, p.kind) for p in report.problems)


@pytest.fixture
def reader(store):
    return _Direct(store, 10_000)


def test_an_untouched_trail_verifies(store, reader):
    _load(store)
    report = verify(reader, None)
    assert report.ok and report.chains == 2 and report.rows == 10


def test_an_edited_column_is_reported_with_doc_and_seq(store, reader):
    _load(store)
    _mutate(store, "ALTER TABLE audit_events UPDATE producer = 'someone-else' WHERE doc_id = 'd1' AND seq = 2")
    report = verify(reader, None)
    assert _kinds(report) == [("d1", 2, "edited")]
    problem = report.problems[0]
    assert problem.expected != problem.found and len(problem.found) == 64


def test_an_edited_payload_is_reported(store, reader):
    _load(store)
    _mutate(store, "ALTER TABLE audit_events UPDATE payload = replace(payload, '1000.00', '9000.00') "
                   "WHERE doc_id = 'd2' AND topic = 'fields.validated'")
    assert _kinds(verify(reader, None)) == [("d2", 3, "payload_edited")]


def test_a_deleted_row_is_reported_as_missing(store, reader):
    _load(store)
    _mutate(store, "ALTER TABLE audit_events DELETE WHERE doc_id = 'd1' AND seq = 3")
    report = verify(reader, None, doc_id="d1")
    assert _kinds(report) == [("d1", 3, "deleted")]
    assert "seq 3 missing" in str(report.problems[0])


def test_deleted_last_rows_are_caught_by_the_recorded_head(store, reader):
    _load(store)
    _mutate(store, "ALTER TABLE audit_events DELETE WHERE doc_id = 'd2' AND seq >= 4")
    assert _kinds(verify(reader, None)) == [("d2", 4, "truncated")]


def test_a_whole_deleted_chain_is_reported(store, reader):
    _load(store)
    _mutate(store, "ALTER TABLE audit_events DELETE WHERE doc_id = 'd2'")
    assert _kinds(verify(reader, None)) == [("d2", 1, "deleted")]


def test_swapped_rows_are_reported_as_reordered(store, reader):
    _load(store)
    # seq is part of the sort key (no UPDATE possible): an attacker deletes and re-inserts.
    cols = ("doc_id, seq, event_id, topic, partition, offset, occurred_at, producer, payload, payload_sha256, "
            "prev_hash, hash, recorded_at")
    store.command("CREATE TABLE swap AS audit_events")
    store.command(f"INSERT INTO swap SELECT {cols} FROM audit_events WHERE doc_id = 'd1' AND seq IN (2, 3)")
    _mutate(store, "ALTER TABLE audit_events DELETE WHERE doc_id = 'd1' AND seq IN (2, 3)")
    store.command("INSERT INTO audit_events SELECT doc_id, 5 - seq, event_id, topic, partition, offset, occurred_at,"
                  " producer, payload, payload_sha256, prev_hash, hash, recorded_at FROM swap")
    report = verify(reader, None)
    assert _kinds(report) == [("d1", 2, "reordered"), ("d1", 3, "reordered")]
    assert "chained at seq 3 and now sits at seq 2" in str(report.problems[0])


def test_a_duplicated_row_is_reported(store, reader):
    _load(store)
    store.command("INSERT INTO audit_events SELECT * FROM audit_events WHERE doc_id = 'd1' AND seq = 4")
    assert _kinds(verify(reader, None)) == [("d1", 4, "duplicated")]


def test_a_forged_row_appended_to_a_chain_is_reported(store, reader):
    _load(store)
    store.command("INSERT INTO audit_events SELECT doc_id, 6, generateUUIDv4(), topic, partition, offset, occurred_at,"
                  " producer, payload, payload_sha256, hash, repeat('0', 64), recorded_at FROM audit_events"
                  " WHERE doc_id = 'd1' AND seq = 5")
    assert _kinds(verify(reader, None)) == [("d1", 6, "edited")]


def test_verify_reads_chains_across_pages_of_a_row_limited_reader(store):
    reader = _Direct(store, 3)  # fewer rows per request than one chain holds, fewer heads than chains
    _load(store, docs=("a", "b", "c", "d"))
    _mutate(store, "ALTER TABLE audit_events DELETE WHERE doc_id = 'b' AND seq = 4")
    report = verify(reader, None)
    assert report.chains == 4 and report.rows == 19
    assert _kinds(report) == [("b", 4, "deleted")]


@pytest.mark.stack
def test_a_changed_or_deleted_file_in_the_object_store_is_reported(store, reader, settings):
    from connectors.objectstore import open_store

    objects = open_store(settings)
    prefix = f"tests/audit/{uuid.uuid4().hex}"
    originals = {d: objects.put(f"{prefix}/{d}", f"%PDF original {d}".encode(), content_type="application/pdf")
                 for d in ("d1", "d2", "d3")}
    signed = objects.put(f"{prefix}/signed-d1.pdf", b"%PDF signed d1", content_type="application/pdf")
    records = [("documents.ingested", s.ingested(d, original=ref.to_record())) for d, ref in originals.items()]
    records.append(("esign.events", s.esign("d1", "completed", signed=signed.to_record())))
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)), records)
    assert verify(reader, objects).ok and verify(reader, objects).files == 4

    objects.put(signed.key, b"%PDF signed d1, amended", content_type="application/pdf")  # a new version
    raw = getattr(objects, "inner", objects)  # the S3 store under the sealing
    raw._client.remove_object(objects.bucket, originals["d2"].key, version_id=originals["d2"].version_id)
    report = verify(reader, objects)
    assert _kinds(report) == [("d1", 2, "file_changed"), ("d2", 1, "file_missing")]
    changed = next(p for p in report.problems if p.kind == "file_changed")
    assert changed.expected == signed.sha256 and changed.found != signed.sha256 and "signed" in changed.detail


def test_the_verify_command_lists_findings_and_exits_non_zero(store, env):
    import typer
    from typer.testing import CliRunner

    from app.commands.audit import register

    _load(store)
    app = typer.Typer()
    register(app)
    ok = CliRunner().invoke(app, ["audit", "verify", "--no-files"], env=env)
    assert ok.exit_code == 0 and "intact" in ok.output
    _mutate(store, "ALTER TABLE audit_events DELETE WHERE doc_id = 'd2' AND seq = 2")
    bad = CliRunner().invoke(app, ["audit", "verify", "--no-files", "--json"], env=env)
    assert bad.exit_code == 1
    import json
    assert [(p["doc_id"], p["seq"], p["kind"]) for p in json.loads(bad.output)["problems"]] == [("d2", 2, "deleted")]
