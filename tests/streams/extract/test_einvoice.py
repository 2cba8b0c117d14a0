"""E-invoices read exactly: Factur-X / ZUGFeRD 1 and 2 in PDFs, XRechnung CII and UBL, Peppol
UBL; the XML's values win over the picture and the picture is checked against them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from streams.extract.einvoice import (
    EInvoiceError, compare, extract_document, for_ocr_record, from_pdf, looks_like_xml, merge, read_xml,
)

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "zugferd"
TRUTH = json.loads((CORPUS / "truth.json").read_text())


def _read(name: str):
    data = (CORPUS / name).read_bytes()
    return from_pdf(data) if name.endswith(".pdf") else read_xml(data)


@pytest.mark.parametrize("name", sorted(TRUTH), ids=lambda n: n[:60])
def test_every_corpus_invoice_reads_to_its_committed_truth(name):
    inv = _read(name)
    assert inv is not None
    assert inv.fields == TRUTH[name]["xml_fields"]
    assert inv.doc_type == TRUTH[name]["doc_type"] and inv.syntax == TRUTH[name]["syntax"]
    assert [li["amount"] for li in inv.line_items] == [li["amount"] for li in TRUTH[name]["line_items"]]


def _printed(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    doc.close()
    return re.sub(r"\s+", "", text)


def _german(amount: str) -> set[str]:
    whole, cents = amount.lstrip("-").split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return {f"{whole},{cents}", f"{grouped},{cents}", f"{whole}.{cents}", f"{int(whole):,}.{cents}"}


@pytest.mark.parametrize("name", [n for n in sorted(TRUTH) if n.endswith(".pdf") and not TRUTH[n]["printed_differs"]],
                         ids=lambda n: n[:60])
def test_the_xml_total_and_number_are_what_the_page_prints(name):
    """Independent of the reader's own truth: the page's text layer shows the XML's values."""
    data = (CORPUS / name).read_bytes()
    inv = from_pdf(data)
    printed = _printed(data)
    assert inv.fields["invoice_number"].replace(" ", "") in printed
    assert any(form in printed for form in _german(inv.fields["total_amount"])), inv.fields["total_amount"]


def test_every_syntax_reports_its_profile_cii_d16b_included():
    """ZUGFeRD 1 and CII D16B name the context element differently; both give the guideline id."""
    profiles = {n: _read(n).profile for n in TRUTH}
    assert all(profiles.values()), [n for n, p in profiles.items() if not p]
    assert profiles == {n: TRUTH[n]["profile"] for n in TRUTH}
    assert profiles["ZUGFeRDv2__correct__FNFE-factur-x-examples__Facture_FR_BASICWL.pdf"] == "urn:factur-x.eu:1p0:basicwl"
    assert profiles["XML-Rechnung__CII__XRECHNUNG_Einfach.cii.xml"].endswith("urn:xeinkauf.de:kosit:xrechnung_3.0")
    assert profiles["ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach.pdf"] == \
        "urn:ferd:CrossIndustryDocument:invoice:1p0:basic"


def test_the_three_syntaxes_and_credit_notes():
    assert _read("ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach.pdf").syntax == "zugferd1"
    fr = _read("ZUGFeRDv2__correct__FNFE-factur-x-examples__Facture_FR_BASICWL.pdf")
    assert (fr.syntax, fr.xml_name) == ("cii", "factur-x.xml")
    assert {k: fr.fields[k] for k in ("invoice_number", "invoice_date", "due_date", "total_amount", "currency",
                                      "supplier_vat_id", "customer_vat_id")} == {
        "invoice_number": "FA-2017-0010", "invoice_date": "2017-11-13", "due_date": "2017-12-13",
        "total_amount": "671.15", "currency": "EUR", "supplier_vat_id": "FR11999999998",
        "customer_vat_id": "FR19787878784"}  # as printed on the page
    assert _read("ZUGFeRDv2__correct__FNFE-factur-x-examples__Avoir_FR_type381_BASIC.pdf").doc_type == "credit_note"
    ubl = _read("XML-Rechnung__UBL__ubl-tc434-creditnote1.xml")
    assert (ubl.syntax, ubl.doc_type, ubl.fields["invoice_number"]) == ("ubl", "credit_note", "018304 / 28865")
    peppol = _read("XML-Rechnung__UBL__EN16931_Einfach.ubl.xml")
    assert "peppol" in peppol.profile and peppol.fields["supplier_vat_id"] == "DE123456789"
    gbp = _read("ZUGFeRDv2__correct__intarsys__EXTENDED__zugferd_2p0_EXTENDED_Fremdwaehrung.pdf")
    assert gbp.fields["currency"] == "GBP"  # the tax total in EUR too: the invoice currency's one is kept
    assert gbp.fields["tax_amount"] != "" and gbp.fields["total_amount"] == "1021.91"


def test_a_pdf_without_an_attachment_is_no_e_invoice():
    from streams.ocr.testpages import text_pdf

    assert from_pdf(text_pdf([["Invoice INV-1", "Total 12.00"]])) is None
    assert for_ocr_record(text_pdf([["Invoice INV-1"]])) is None
    assert for_ocr_record(b"\x89PNG\r\n\x1a\n....") is None


def test_xml_that_is_no_invoice_or_is_hostile_is_refused_without_expanding_anything(tmp_path):
    with pytest.raises(EInvoiceError, match="not a CII, ZUGFeRD 1 or UBL"):
        read_xml(b"<?xml version='1.0'?><note><to>Tove</to></note>")
    with pytest.raises(EInvoiceError, match="well-formed"):
        read_xml(b"<?xml version='1.0'?><Invoice><unclosed></Invoice>")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    xxe = (f"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file://{secret}'>]>"
           "<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2' "
           "xmlns:cbc='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'>"
           "<cbc:ID>&e;</cbc:ID><cbc:Note>x</cbc:Note></Invoice>").encode()
    try:
        inv = read_xml(xxe)
    except EInvoiceError:
        return  # refused outright: fine
    assert "TOP-SECRET" not in json.dumps(inv.fields)
    laughs = ("<?xml version='1.0'?><!DOCTYPE l [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>"
              "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;'>]><Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'"
              " xmlns:cbc='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'><cbc:ID>&c;</cbc:ID>"
              "</Invoice>").encode()
    with pytest.raises(EInvoiceError):
        read_xml(laughs)


def test_looks_like_xml():
    assert looks_like_xml(b"\xef\xbb\xbf<?xml version='1.0'?><a/>") and looks_like_xml(b"\n <Invoice/>")
    assert not looks_like_xml(b"%PDF-1.7") and not looks_like_xml(b"<!DOCTYPE html><html>")


def _visual(**fields):
    return {"doc_type": "invoice", "status": "accepted", "extractor_version": "rules-2", "line_items": [],
            "fields": [{"name": k, "value": v, "normalized": v, "confidence": 0.97, "status": "accept", "page": 1,
                        "box": {"x0": 1.0, "y0": 2.0, "x1": 3.0, "y1": 4.0}, "reason": None} for k, v in fields.items()]}


def test_the_xml_wins_and_a_page_that_disagrees_on_the_total_goes_to_review():
    inv = _read("ZUGFeRDv2__correct__FNFE-factur-x-examples__Facture_FR_BASICWL.pdf")
    agreed = merge(_visual(invoice_number="FA-2017-0010", total_amount="671.15"), inv)
    assert agreed["status"] == "accepted" and agreed["einvoice_checks"] == []
    by = {f["name"]: f for f in agreed["fields"]}
    assert all(f["source"] == "e-invoice" and f["status"] == "accept" for f in by.values())
    assert by["total_amount"]["page"] == 1 and by["total_amount"]["box"]["x0"] == 1.0  # where the page shows it
    assert by["customer_vat_id"]["normalized"] == "FR19787878784" and by["customer_vat_id"]["page"] is None
    assert agreed["line_items"] == []  # BASIC WL: a profile without lines

    tampered = merge(_visual(invoice_number="FA-2017-0010", total_amount="617.15"), inv)
    assert tampered["status"] == "review"
    assert tampered["einvoice_checks"] == [{"field": "total_amount", "e_invoice": "671.15", "visual": "617.15",
                                            "page": 1, "box": {"x0": 1.0, "y0": 2.0, "x1": 3.0, "y1": 4.0}}]
    total = next(f for f in tampered["fields"] if f["name"] == "total_amount")
    assert total["normalized"] == "671.15" and total["status"] == "review" and "617.15" in total["reason"]
    # a doubtful visual reading that differs is reported, but does not hold the document
    unsure = _visual(total_amount="617.15")
    unsure["fields"][0]["status"] = "review"
    assert merge(unsure, inv)["status"] == "accepted" and len(merge(unsure, inv)["einvoice_checks"]) == 1
    assert compare(inv, _visual(customer="MA JOLIE BOUTIQUE")["fields"]) == []  # names compared case-folded


def _text_pages(data: bytes) -> list[dict]:
    from streams.ocr.raster import iter_pages

    return [{"number": p.number, "text_source": "text_layer",
             "lines": [{"text": r.text, "confidence": 1.0, "box": dict(zip(("x0", "y0", "x1", "y1"), r.box))}
                       for r in p.text_runs]} for p in iter_pages(data, dpi=150, max_pages=5)]


def test_a_page_that_never_prints_the_xmls_number_or_total_goes_to_review():
    """The @gp sample pairs a GnuAccounting page (RE-20190121/507, 571,04 €) with another
    invoice's XML (FA-2017-0010, 671.15): whatever the visual rules read, the exact text layer
    shows neither value, so the document is not accepted on the XML's word."""
    data = (CORPUS / "ZUGFeRDv2__correct__PHP_gpFacturX__sample_inofficial_20190125_atgp_factur-x_v_1_0.pdf").read_bytes()
    result = merge(_visual(), from_pdf(data), _text_pages(data))
    assert result["status"] == "review"
    by = {f["name"]: f for f in result["fields"]}
    assert by["invoice_number"]["status"] == by["total_amount"]["status"] == "review"
    assert by["total_amount"]["reason"] == "e-invoice XML; not printed on the page"
    assert {d["field"] for d in result["einvoice_checks"]} == {"invoice_number", "total_amount"}
    # the same check on a genuine Factur-X page: both printed ("671,15 €"), accepted
    genuine = (CORPUS / "ZUGFeRDv2__correct__FNFE-factur-x-examples__Facture_FR_BASICWL.pdf").read_bytes()
    ok = merge(_visual(), from_pdf(genuine), _text_pages(genuine))
    assert ok["status"] == "accepted" and ok["einvoice_checks"] == []
    # an OCR'd page is only reported, never held: OCR misses characters
    ocr_pages = [{**p, "text_source": "ocr"} for p in _text_pages(data)]
    reported = merge(_visual(), from_pdf(data), ocr_pages)
    assert reported["status"] == "accepted" and len(reported["einvoice_checks"]) == 2


def test_a_plain_xml_invoice_extracts_with_no_pages():
    from inkstream.settings import ExtractionSettings

    data = (CORPUS / "XML-Rechnung__CII__XRECHNUNG_Einfach.cii.xml").read_bytes()
    record = {"doc_id": "x1", "pages": [], "einvoice": for_ocr_record(data)}
    result = extract_document(record, ExtractionSettings())
    assert (result["doc_type"], result["status"]) == ("invoice", "accepted")
    got = {f["name"]: f["normalized"] for f in result["fields"]}
    assert got["invoice_number"] == "471102" and got["total_amount"] == "529.87" and got["currency"] == "EUR"
    assert {f["source"] for f in result["fields"]} == {"e-invoice"}
    assert [(li["description"], li["quantity"], li["amount"], li["confidence"]) for li in result["line_items"]] == [
        ("Trennblätter A4", "20", "198.00", 1.0), ("Joghurt Banane", "50", "275.00", 1.0)]
    # without the e-invoice the same empty record is a document for a person, not an error
    assert extract_document({"doc_id": "x1", "pages": []}, ExtractionSettings())["status"] == "review"
