"""Data-subject erasure in the audit sink and in ``audit verify`` (real codec, real chDB):
the erasure is a link of the document's chain, personal columns and earlier payloads are
blanked, the chain still verifies, and a forged erasure marker does not hide tampering."""

from __future__ import annotations

import json

import audit_samples as s
import pytest

from streams.audit.chain import ERASED_PAYLOAD
from streams.audit.query import _Direct
from streams.audit.sink import AuditSink
from streams.audit.verify import verify
from schemas.records import envelope
from streams.runtime import Processor
from streams.runtime.testing import run_processor
from session_codec import session_codec

PERSONAL = ("Ada Lovelace", "ada@example.com", "203.0.113.7")


def _run(store, records, batch: int = 100) -> None:
    sink = AuditSink(lambda: store, decode=session_codec().decode)
    run = run_processor(Processor(name="audit", inputs=("x",), batch_sink=sink, batch_max_records=batch), records)
    assert run.dead == []


def erasure(doc_id: str, *, request_id: str = "req-1", objects=()) -> dict:
    return {**envelope(doc_id, producer="privacy"), "request_id": request_id, "actor": "os:test",
            "key_destroyed": True, "objects": [{"key": k, "versions_deleted": 1} for k in objects]}


def _pipeline(doc_id: str) -> list[tuple[str, dict]]:
    fields = s.validated(doc_id)
    fields["fields"].append({"name": "signer_email", "value": " Ada@Example.com", "normalized": "ada@example.com",
                             "confidence": 0.9, "status": "accept", "page": 1, "box": None, "reason": None})
    return [("documents.ingested", s.ingested(doc_id)), ("ocr.results", s.ocr(doc_id)),
            ("fields.validated", fields), ("crm.commands", s.command(doc_id)),
            ("esign.events", s.esign(doc_id, "completed")), ("documents.status", s.status(doc_id, "ocr"))]


def _traces(store, doc_id: str) -> list[str]:
    """Every String/Nullable(String) column of every table, for rows of ``doc_id`` that
    hold a personal value."""
    _, tables = store.query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                            "AND engine LIKE '%MergeTree'")
    found = []
    for (table,) in tables:
        _, cols = store.query("SELECT name FROM system.columns WHERE database = currentDatabase() "
                              "AND table = {t:String} AND type LIKE '%String%' AND type NOT LIKE 'Array%'",
                              {"t": table})
        names = [c for (c,) in cols]
        if "doc_id" not in names:
            continue
        for col in names:
            for value in PERSONAL:
                _, hit = store.query(f"SELECT count() FROM `{table}` WHERE doc_id = {{d:String}} "
                                     f"AND positionCaseInsensitive(ifNull(`{col}`, ''), {{v:String}}) > 0",
                                     {"d": doc_id, "v": value})
                if hit[0][0]:
                    found.append(f"{table}.{col}: {value}")
    return found


@pytest.fixture
def reader(store):
    return _Direct(store, 10_000)


def test_erasure_is_chained_blanks_the_document_and_the_chain_still_verifies(store, reader):
    _run(store, _pipeline("d1") + _pipeline("d2"), batch=4)
    assert _traces(store, "d1")  # the test would see personal data if it were left
    _run(store, [("privacy.erasures", erasure("d1", objects=["originals/ab/abc"]))])

    assert _traces(store, "d1") == []
    assert _traces(store, "d2")  # only the erased document
    _, rows = store.query("SELECT seq, topic, payload FROM audit_events WHERE doc_id = 'd1' ORDER BY seq")
    assert [t for _, t, _ in rows][-1] == "privacy.erasures"  # the erasure is a link of the chain
    assert all(p == ERASED_PAYLOAD for _, t, p in rows if t != "privacy.erasures")
    assert "req-1" in rows[-1][2]
    _, applied = store.query("SELECT doc_id, request_id, rows_blanked FROM erasures FINAL")
    assert applied == [("d1", "req-1", 6)]
    # Amounts and statuses stay for the analytics.
    _, kept = store.query("SELECT name, status FROM fields FINAL WHERE doc_id = 'd1' ORDER BY name")
    assert ("total_amount", "accept") in kept

    report = verify(reader, None)
    assert report.ok, [str(p) for p in report.problems]
    assert report.erased_rows == 6


def test_records_of_an_erased_document_arriving_later_are_chained_unreadable(store, reader):
    _run(store, _pipeline("d1") + [("privacy.erasures", erasure("d1"))])
    late = s.esign("d1", "completed", signer_name="Ada Lovelace")
    dead = s.dead("esign.events", b"\x00sealed bytes of an erased record", key=b"d1",
                  error="record of document d1 was erased (its key was destroyed)")
    _run(store, [("esign.events", late), ("esign.events.dlq", dead)])

    _, rows = store.query("SELECT seq, topic, payload FROM audit_events WHERE doc_id = 'd1' ORDER BY seq")
    assert [r[1] for r in rows[-2:]] == ["esign.events", "esign.events.dlq"]  # chained, not dropped
    assert all(r[2] == ERASED_PAYLOAD for r in rows[-2:])
    assert _traces(store, "d1") == []
    assert store.query("SELECT count() FROM signatures WHERE event_id = {e:String}",
                       {"e": late["event_id"]})[1][0][0] == 0
    assert verify(reader, None).ok


def test_erasing_twice_is_harmless_and_a_replayed_erasure_blanks_again(store, reader):
    _run(store, _pipeline("d1"))
    first = erasure("d1")
    _run(store, [("privacy.erasures", first)])
    # A crash after the link but before the blanking finished: a personal row is left...
    store.insert("fields", [["d1", "e-left", "signer_name", "Ada Lovelace"]], ["doc_id", "event_id", "name", "value"])
    # ...and the runtime redelivers the batch: the known link is not chained again, the
    # blanking is applied again.
    _run(store, [("privacy.erasures", first)])
    assert _traces(store, "d1") == []
    _run(store, [("privacy.erasures", erasure("d1", request_id="req-2"))])  # a second request
    _, rows = store.query("SELECT count() FROM audit_events WHERE doc_id = 'd1' AND topic = 'privacy.erasures'")
    assert rows[0][0] == 2
    report = verify(reader, None)
    assert report.ok, [str(p) for p in report.problems]


def test_a_forged_erasure_marker_is_still_tampering(store, reader):
    _run(store, _pipeline("d1") + _pipeline("d2"))
    _run(store, [("privacy.erasures", erasure("d1"))])
    # d2 has no erasure link: blanking its payload is an edit like any other.
    store.command("ALTER TABLE audit_events UPDATE payload = {m:String} WHERE doc_id = 'd2' AND seq = 3",
                  {"m": ERASED_PAYLOAD}, settings={"mutations_sync": 2})
    # In the erased chain, other columns are still covered.
    store.command("ALTER TABLE audit_events UPDATE producer = 'forged' WHERE doc_id = 'd1' AND seq = 2",
                  settings={"mutations_sync": 2})
    problems = sorted((p.doc_id, p.seq, p.kind) for p in verify(reader, None).problems)
    assert problems == [("d1", 2, "edited"), ("d2", 3, "payload_edited")]


def test_without_an_intact_erasure_link_the_markers_are_tampering(store, reader):
    _run(store, _pipeline("d1"))
    _run(store, [("privacy.erasures", erasure("d1"))])
    _run(store, [("crm.commands", s.command("d1"))])  # chained late, with the marker as its real payload
    # The erasure link itself blanked (as if to hide that an erasure took place).
    store.command("ALTER TABLE audit_events UPDATE payload = {m:String} WHERE doc_id = 'd1' "
                  "AND topic = 'privacy.erasures'", {"m": ERASED_PAYLOAD}, settings={"mutations_sync": 2})
    kinds = sorted((p.seq, p.kind) for p in verify(reader, None).problems)
    # Without an intact erasure link, every blanked row is an edit again; the late row
    # (seq 8, chained with the marker as its payload) is intact.
    assert kinds == [(seq, "payload_edited") for seq in range(1, 8)]


def test_verify_against_kafka_skips_only_the_erased_rows(store, reader):
    _run(store, _pipeline("d1") + _pipeline("d2"))
    _run(store, [("privacy.erasures", erasure("d1"))])
    _run(store, [("crm.commands", s.command("d1"))])  # late: chained with the marker
    asked = []

    def kafka(refs, _reader):
        asked.extend(refs)
        return [], type("Stats", (), {"checked": len(refs), "unavailable": 0})()

    report = verify(reader, None, kafka=kafka)
    assert report.ok
    # d2 whole; of d1 only the erasure link, whose record names no one and still opens.
    assert sorted((r.doc_id, r.topic) for r in asked if r.doc_id == "d1") == [("d1", "privacy.erasures")]
    assert len([r for r in asked if r.doc_id == "d2"]) == 6


def test_the_verify_command_reports_erased_rows_as_intact(store, env):
    import typer
    from typer.testing import CliRunner

    from app.commands.audit import register
    from app.commands.privacy import register as register_subject

    _run(store, _pipeline("d1"))
    _run(store, [("privacy.erasures", erasure("d1"))])
    app = typer.Typer()
    register(app)
    register_subject(app)
    ok = CliRunner().invoke(app, ["audit", "verify", "--no-files"], env=env)
    assert ok.exit_code == 0 and "intact" in ok.output and "rows 6, files 0" in ok.output, ok.output
    # A request with no address is refused plainly, before anything is touched.
    bad = CliRunner().invoke(app, ["subject", "erase", "Ada Lovelace", "--yes"], env=env)
    assert bad.exit_code == 1 and "not an e-mail address" in bad.output and "Traceback" not in bad.output


def test_a_record_the_runtime_could_not_open_is_chained_with_the_marker(store, reader):
    """The runtime hands the sink a record sealed with a destroyed key (``RecordErased``)
    through ``AuditSink.erased``: it becomes a link, also before the erasure link arrives,
    and its redelivery is recognised."""
    from types import SimpleNamespace

    _run(store, _pipeline("d1"))
    sink = AuditSink(lambda: store, decode=session_codec().decode)
    at = SimpleNamespace(topic="fields.validated", partition=3, offset=41, timestamp_ms=1_767_225_600_000)
    sink.erased("d1", at)
    sink.flush()
    sink.erased("d1", at)  # redelivered after a crash
    sink.flush()
    _, rows = store.query("SELECT seq, topic, offset, payload FROM audit_events WHERE doc_id = 'd1' ORDER BY seq")
    assert [r[:3] for r in rows[6:]] == [(7, "fields.validated", 41)] and rows[6][3] == ERASED_PAYLOAD
    assert store.query("SELECT count() FROM fields WHERE doc_id = 'd1'")[1][0][0] == 3  # no analytics rows
    assert verify(reader, None).ok
    _run(store, [("privacy.erasures", erasure("d1"))])
    report = verify(reader, None)
    assert report.ok and report.erased_rows == 6


def test_the_certificate_of_an_erased_document_still_verifies_and_names_no_one(store, reader):
    from streams.audit.certificate import build_certificate

    _run(store, _pipeline("d1"))
    _run(store, [("privacy.erasures", erasure("d1"))])
    cert = build_certificate(reader, "d1")
    assert cert["audit_chain"]["verified"] and cert["erased"] is True
    assert cert["signers"] == [] and cert["document"]["filename"] is None
    assert not any(v.lower() in json.dumps(cert).lower() for v in PERSONAL)
