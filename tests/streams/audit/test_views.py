"""The analyst views (ops/clickhouse/010_views.sql) on data written by the real sink."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

import audit_samples as s
import pytest

from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor
from session_codec import session_codec

D = s.DAY_MS
JAN, FEB = s.T0, s.T0 + 31 * D
# doc: (source, doc_type, ingested_at, decisions [(status, at)], amount, currency, signed after ms)
DOCS = {
    "c1": ("email", "contract", JAN + 4 * D, [("accepted", 1)], "1000.00", "EUR", 2 * D),
    "c2": ("email", "contract", JAN + 19 * D, [("review", 1), ("approved", 3600_000)], "500.50", "EUR", 4 * D),
    "c3": ("folder", "contract", FEB + 2 * D, [("accepted", 1)], "200.00", "USD", 1 * D + 5000),
    "c4": ("folder", "contract", FEB + 9 * D, [("rejected", 1)], "999.00", "USD", None),
    "i1": ("email", "invoice", JAN + 6 * D, [("review", 1), ("rejected", 7200_000)], "80.00", "EUR", None),
    "i2": ("email", "invoice", JAN + 8 * D, [("accepted", 1)], "90.00", "EUR", None),
}


def _records() -> list[tuple[str, dict]]:
    out = []
    for doc, (source, doc_type, at, decisions, amount, currency, signed_after) in DOCS.items():
        out.append(("documents.ingested", s.ingested(doc, at=at, source=source)))
        for status, later in decisions:
            review = s.review(status, at + later) if status in ("approved", "rejected") and later > 1 else None
            out.append(("fields.validated", s.validated(doc, at=at + later, source=source, doc_type=doc_type,
                                                        status=status, amount=amount, currency=currency,
                                                        review=review)))
        if signed_after is not None:
            out.append(("esign.events", s.esign(doc, "sent", at=at + D // 2)))
            out.append(("esign.events", s.esign(doc, "completed", at=at + signed_after)))
    return out


@pytest.fixture
def loaded(store):
    records = _records()
    codec = session_codec()
    failed_cmd = codec.encode("crm.commands", s.command("c1", target="hubspot"))
    records += [
        ("crm.commands", s.command("c1")),
        ("crm.commands.dlq", s.dead("crm.commands", failed_cmd, at=JAN + 10 * D, key=b"c1", error="429 storm")),
        ("crm.commands.dlq", s.dead("crm.commands", failed_cmd, at=JAN + 10 * D + 60_000, key=b"c1", error="400 bad")),
    ]
    sink = AuditSink(lambda: store, decode=codec.decode)
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=sink, batch_max_records=5), records)
    # A redelivery of everything (crash before the commit) must not change any figure.
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store, decode=codec.decode)),
                  records)
    return store


def test_contract_value_and_count_by_month_and_source(loaded):
    _, rows = loaded.query("SELECT month, source, currency, contracts, total_value FROM v_contract_value_by_month")
    assert rows == [(dt.date(2026, 1, 1), "email", "EUR", 2, Decimal("1500.50")),
                    (dt.date(2026, 2, 1), "folder", "USD", 1, Decimal("200.00"))]


def test_time_from_ingestion_to_signature_p50_p90(loaded):
    _, rows = loaded.query("SELECT source, documents, p50_seconds, p90_seconds FROM v_time_to_signature")
    by_source = {source: rest for source, *rest in rows}

    def expected(docs):
        secs = [DOCS[d][6] / 1000 for d in docs]
        if len(secs) == 1:
            return [1, secs[0], secs[0]]
        deciles = statistics.quantiles(secs, n=10, method="inclusive")
        return [len(secs), pytest.approx(statistics.median(secs)), pytest.approx(deciles[8])]

    assert by_source["email"] == expected(["c1", "c2"])
    assert by_source["folder"] == expected(["c3"])
    assert by_source[""] == expected(["c1", "c2", "c3"])  # every source together


def test_review_and_reject_rates_by_source_and_type(loaded):
    _, rows = loaded.query("SELECT source, doc_type, documents, reviewed, rejected, review_rate, reject_rate "
                           "FROM v_review_reject_rates")
    assert rows == [("email", "contract", 2, 1, 0, 0.5, 0.0),
                    ("email", "invoice", 2, 1, 1, 0.5, 0.5),
                    ("folder", "contract", 2, 0, 1, 0.0, 0.5)]


def test_crm_sync_failures_by_day_and_target(loaded):
    _, rows = loaded.query("SELECT day, target, operation, error_type, failures, documents, last_error "
                           "FROM v_crm_sync_failures")
    assert rows == [(dt.date(2026, 1, 11), "hubspot", "upsert", "CrmPermanentError", 2, 1, "400 bad")]


def test_views_count_no_redelivered_duplicate(loaded):
    _, rows = loaded.query("SELECT count() FROM audit_events")
    assert rows[0][0] == len(_records()) + 3


def test_ocr_quality_by_day_engine_and_device(store):
    lines = {"o1": (0.99, 0.5, 0.9), "o2": (0.8,)}
    records = [("ocr.results", s.ocr(d, at=JAN, confidences=c)) for d, c in lines.items()]
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)), records)
    _, rows = store.query("SELECT day, engine, device, documents, pages, mean_line_confidence, "
                          "low_confidence_share FROM v_ocr_quality")
    every = [c for cs in lines.values() for c in cs]
    assert rows == [(dt.date(2026, 1, 1), "rapidocr", "cpu", 2, 2, pytest.approx(sum(every) / len(every), abs=1e-4),
                     pytest.approx(sum(c < 0.8 for c in every) / len(every), abs=1e-4))]
