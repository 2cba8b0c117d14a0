"""The extract processor through the runtime's broker-free harness (real Avro codec)."""

from __future__ import annotations

from extract_records import CONTRACT_PROSE, invoice_lines, ocr_result, page, rows

from inkstream.settings import load_settings
from streams.extract.processor import factory
from streams.registry import load_processor
from streams.runtime.testing import run_processor
from schemas.codec import Codec


def test_an_ocr_result_becomes_one_validated_fields_record_with_its_version():
    settings = load_settings()
    record = ocr_result([page(rows(CONTRACT_PROSE))], doc_id="doc-42")
    run = run_processor(factory(settings, codec=Codec()), [("ocr.results", record)])
    [out] = run.on("fields.validated")
    assert out["doc_id"] == "doc-42" and out["trace"] == record["trace"]
    assert out["original"] == record["original"]
    assert (out["doc_type"], out["status"], out["extractor_version"]) == ("contract", "accepted", "rules-3")
    assert out["producer"]["name"] == "extract" and out["producer"]["version"].endswith("+rules-3")
    assert {f["name"]: f["normalized"] for f in out["fields"]}["total_amount"] == "48250.00"
    assert out["review"] is None
    assert [(s["doc_id"], s["stage"]) for s in run.statuses] == [("doc-42", "extracted")]


def test_line_items_survive_the_avro_round_trip():
    items = [("Implementation day", "5", "950.00", "4,750.00")]
    run = run_processor(factory(load_settings(), codec=Codec()), [("ocr.results", ocr_result([page(invoice_lines(items, "$4,750.00"))]))])
    [out] = run.on("fields.validated")
    assert [(i["description"], i["amount"]) for i in out["line_items"]] == [("Implementation day", "4750.00")]


def test_the_candidate_share_routes_documents_and_each_record_says_which_rules_ran():
    base = load_settings()
    settings = base.model_copy(update={"extraction": base.extraction.model_copy(
        update={"candidate_version": "rules-2", "candidate_share": 0.5})})
    inputs = [("ocr.results", ocr_result([page(rows(CONTRACT_PROSE))], doc_id=f"doc-{i}")) for i in range(30)]
    run = run_processor(factory(settings, codec=Codec()), inputs)
    versions = [o["extractor_version"] for o in run.on("fields.validated")]
    assert set(versions) == {"rules-3", "rules-2"}
    again = [o["extractor_version"] for o in run_processor(factory(settings, codec=Codec()), inputs).on("fields.validated")]
    assert versions == again


def test_undecodable_input_goes_to_the_dlq_and_the_next_record_still_flows():
    record = ocr_result([page(rows(CONTRACT_PROSE))])
    run = run_processor(factory(load_settings(), codec=Codec()), [("ocr.results", b"\x00garbage"), ("ocr.results", record)])
    assert [d["error_type"] for d in run.dead] == ["SchemaError"]
    assert len(run.on("fields.validated")) == 1


def test_a_document_without_text_comes_out_unknown_for_review_not_as_an_error():
    run = run_processor(factory(load_settings(), codec=Codec()), [("ocr.results", ocr_result([page([])]))])
    [out] = run.on("fields.validated")
    assert (out["doc_type"], out["status"], out["fields"]) == ("unknown", "review", [])
    assert run.dead == []


def test_the_registry_builds_the_extract_processor(codec):
    proc = load_processor("extract", load_settings(), codec)
    assert (proc.name, proc.inputs, proc.stage) == ("extract", ("ocr.results",), "extracted")
