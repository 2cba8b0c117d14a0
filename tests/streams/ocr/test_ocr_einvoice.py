"""E-invoices through the OCR and extract processors (broker-free harness, real Avro codec):
a plain XML invoice passes the OCR stage as a document without pages, a Factur-X PDF keeps its
pages and carries its XML's values, and extraction takes the fields from the XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from inkstream.settings import load_settings
from streams.extract.processor import factory as extract_factory
from streams.ocr.processor import INPUT_BULK, factory
from schemas.records import envelope
from streams.runtime.testing import run_processor
from schemas.codec import Codec

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "zugferd"


def ingested(store, data: bytes, content_type: str, *, doc_id="doc-e1"):
    ref = store.put(f"originals/ee/{doc_id}", data, content_type=content_type)
    return {**envelope(doc_id, producer="capture.test"), "source": "folder", "source_ref": None,
            "filename": "invoice", "original": ref.to_record(), "duplicate_of": None,
            "priority": "normal", "crm_ref": None, "email": None, "metadata": {}}


@pytest.fixture
def settings(ocr_settings):
    return load_settings().model_copy(update={"ocr": ocr_settings})


def _through(settings, reader, memstore, data: bytes, content_type: str):
    run = run_processor(factory(settings, store=memstore, reader=reader),
                        [(INPUT_BULK, ingested(memstore, data, content_type))])
    assert run.dead == []
    [ocr] = run.on("ocr.results")
    [validated] = run_processor(extract_factory(settings, codec=Codec()), [("ocr.results", ocr)]).on("fields.validated")
    return ocr, validated


def test_a_plain_ubl_invoice_passes_ocr_without_pages_and_extracts_from_its_xml(settings, reader, memstore):
    data = (CORPUS / "XML-Rechnung__UBL__EN16931_Physiotherapeut.ubl.xml").read_bytes()
    ocr, out = _through(settings, reader, memstore, data, "application/xml")
    assert ocr["pages"] == [] and ocr["einvoice"]["syntax"] == "ubl"
    assert ocr["einvoice"]["fields"]["invoice_number"] == "R18-31"
    assert (out["doc_type"], out["status"]) == ("invoice", "accepted")
    fields = {f["name"]: f for f in out["fields"]}
    assert fields["total_amount"]["normalized"] == "380.00" and fields["due_date"]["normalized"] == "2018-11-21"
    assert all(f["status"] == "accept" for f in fields.values())


def test_a_factur_x_pdf_keeps_its_pages_and_its_xml_values_win(settings, reader, memstore):
    data = (CORPUS / "ZUGFeRDv2__correct__FNFE-factur-x-examples__Facture_FR_BASICWL.pdf").read_bytes()
    ocr, out = _through(settings, reader, memstore, data, "application/pdf")
    assert [p["text_source"] for p in ocr["pages"]] == ["text_layer"]
    assert "Facture FA-2017-0010" in [ln["text"] for ln in ocr["pages"][0]["lines"]]
    assert ocr["einvoice"]["xml_name"] == "factur-x.xml" and ocr["einvoice"]["error"] is None
    fields = {f["name"]: f["normalized"] for f in out["fields"]}
    assert (fields["invoice_number"], fields["total_amount"], fields["currency"]) == ("FA-2017-0010", "671.15", "EUR")
    assert out["status"] == "accepted"


def test_xml_that_is_no_invoice_goes_to_the_dlq_with_the_reason(settings, reader, memstore):
    rec = ingested(memstore, b"<?xml version='1.0'?><note>hello</note>", "application/xml")
    run = run_processor(factory(settings, store=memstore, reader=reader), [(INPUT_BULK, rec)])
    assert run.emitted == []
    [dead] = run.dead
    assert dead["error_type"] == "OcrError" and "not a readable e-invoice" in dead["error"]
