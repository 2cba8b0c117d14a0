"""The ocr processor through the runtime's broker-less harness, with an in-memory store."""

from __future__ import annotations

import pytest

from inkstream.settings import load_settings
from streams.ocr.processor import INPUT_BULK, INPUT_PRIORITY, bulk_factory, factory, priority_factory
from streams.ocr.testpages import contract_lines, mixed_pdf, render_pdf_page, text_pdf
from schemas.records import envelope
from streams.runtime.testing import run_processor

DPI = 150  # the dpi of the ocr_settings fixture (conftest.py)


def ingested(store, data: bytes, *, doc_id="doc-1", priority="normal", key="originals/aa/x"):
    ref = store.put(key, data, content_type="application/pdf")
    return {**envelope(doc_id, producer="capture.test"), "source": "cli", "source_ref": None,
            "filename": "contract.pdf", "original": ref.to_record(), "duplicate_of": None,
            "priority": priority, "crm_ref": "006Dn000001", "email": None, "metadata": {}}


@pytest.fixture
def settings(ocr_settings):
    return load_settings().model_copy(update={"ocr": ocr_settings})


def test_a_scanned_pdf_becomes_one_ocr_result_with_engine_and_key_strings(settings, reader, memstore):
    scan = render_pdf_page(text_pdf([contract_lines(0)[:8]]), 0, DPI)
    rec = ingested(memstore, mixed_pdf([scan, ["Typed annex: Schedule A, data processing services"]], DPI), priority="high")
    run = run_processor(factory(settings, store=memstore, reader=reader), [(INPUT_PRIORITY, rec)])
    assert run.dead == []
    [out] = run.on("ocr.results")
    assert (out["doc_id"], out["trace"], out["crm_ref"], out["priority"]) == ("doc-1", rec["trace"], "006Dn000001", "high")
    assert out["original"] == rec["original"] and out["producer"]["name"] == "ocr"
    assert out["engine"]["name"] == "rapidocr" and out["engine"]["device"] == "cpu"
    assert "PP-OCRv6_rec_tiny" in out["engine"]["models"]  # the default model (ocr.model)
    text = "\n".join(ln["text"] for ln in out["pages"][0]["lines"])
    assert "MSA-2026-04000" in text and "EUR 48,750.00" in text
    assert [p["text_source"] for p in out["pages"]] == ["ocr", "text_layer"]
    assert out["pages"][1]["lines"][0]["text"] == "Typed annex: Schedule A, data processing services"
    assert [s["status"] for s in run.statuses] == ["done"]


def test_bytes_that_do_not_match_the_recorded_sha256_go_to_the_dlq(settings, reader, memstore):
    rec = ingested(memstore, text_pdf([["genuine"]]))
    memstore.objects[rec["original"]["key"]] = text_pdf([["tampered with"]])
    run = run_processor(factory(settings, store=memstore, reader=reader), [(INPUT_BULK, rec)])
    assert run.emitted == []
    [dead] = run.dead
    assert dead["error_type"] == "OcrError" and "SHA-256" in dead["error"]


def test_a_document_over_the_page_limit_goes_to_the_dlq_with_the_reason(settings, reader, memstore):
    rec = ingested(memstore, text_pdf([[f"page {i}"] for i in range(1, 8)]))
    run = run_processor(factory(settings, store=memstore, reader=reader), [(INPUT_BULK, rec)])
    assert run.emitted == []
    [dead] = run.dead
    assert dead["error_type"] == "PageLimitExceeded"
    assert "7 pages; the limit is 5" in dead["error"]


def test_a_missing_object_is_retried_then_dead_lettered(settings, reader, memstore):
    from inkstream.errors import ObjectStoreError

    class Broken:
        def get(self, ref):
            raise ObjectStoreError("connection refused")

    rec = ingested(memstore, text_pdf([["x"]]))
    proc = factory(settings, store=Broken(), reader=reader)
    run = run_processor(proc, [(INPUT_BULK, rec)])
    [dead] = run.dead
    assert dead["attempts"] == proc.max_attempts and "connection refused" in dead["error"]


def test_lanes_have_their_own_inputs_names_and_batching(settings, reader, memstore):
    both, prio, bulk = (f(settings, store=memstore, reader=reader) for f in (factory, priority_factory, bulk_factory))
    assert both.inputs == (INPUT_PRIORITY, INPUT_BULK) and prio.inputs == (INPUT_PRIORITY,) and bulk.inputs == (INPUT_BULK,)
    # distinct names -> distinct consumer groups and transactional ids
    assert len({both.name, prio.name, bulk.name}) == 3
    assert prio.batch_max_records == 1 and bulk.batch_max_records > 1
    lane = settings.model_copy(update={"ocr": settings.ocr.model_copy(update={"lane": "priority"})})
    assert factory(lane, store=memstore, reader=reader).inputs == (INPUT_PRIORITY,)


def test_the_registry_builds_the_ocr_processors(settings, codec):
    from streams.registry import load_processor

    assert load_processor("ocr.priority", settings, codec).inputs == (INPUT_PRIORITY,)
    assert load_processor("ocr", settings, codec).stage == "ocr"


def test_pages_and_seconds_per_page_are_exported_on_the_processors_registry(settings, reader, memstore):
    scan = render_pdf_page(text_pdf([contract_lines(0)[:4]]), 0, DPI)
    typed = ingested(memstore, text_pdf([["Typed page one: Schedule A, data processing services"],
                                               ["Typed page two: Schedule B, service levels and credits"]]), doc_id="doc-typed", key="originals/aa/t")
    mixed = ingested(memstore, mixed_pdf([scan, ["Typed annex: Schedule A, data processing services"]], DPI), doc_id="doc-mixed", key="originals/aa/m")
    proc = factory(settings, store=memstore, reader=reader)
    run = run_processor(proc, [(INPUT_BULK, typed), (INPUT_BULK, mixed)])
    assert run.dead == []
    value = proc.registry.get_sample_value
    assert value("inkstream_ocr_pages_total", {"text_source": "text_layer"}) == 3
    assert value("inkstream_ocr_pages_total", {"text_source": "ocr"}) == 1
    # the all-text document's pages are timed as text layer, the scanned one's as OCR
    assert value("inkstream_ocr_page_seconds_count", {"text_source": "text_layer"}) == 2
    assert value("inkstream_ocr_page_seconds_count", {"text_source": "ocr"}) == 2
    assert value("inkstream_ocr_page_seconds_sum", {"text_source": "ocr"}) > value(
        "inkstream_ocr_page_seconds_sum", {"text_source": "text_layer"})
