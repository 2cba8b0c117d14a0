"""The review page lists and opens the document types issue 11 added (credit note, receipt,
other, unknown) and shows an e-invoice's fields, whose values come from its XML and have no box
(test_app.py checks the document page of a credit note)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streams.extract.einvoice import from_pdf, merge
from schemas.records import envelope
from tests.streams.review.review_login import login

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def _record(review, doc_type: str, fields: list[dict], status: str = "review") -> dict:
    base = review.record
    return {**envelope(uuid.uuid4().hex, producer="extract"), "source": "http", "original": base["original"],
            "crm_ref": None, "doc_type": doc_type, "status": status, "extractor_version": "rules-3",
            "line_items": [], "review": None, "fields": fields}


def _field(name: str, value: str | None, status: str, source: str = "text") -> dict:
    return {"name": name, "value": value, "normalized": value, "confidence": 0.5, "status": status, "page": 1,
            "box": {"x0": 60.0, "y0": 90.0, "x1": 400.0, "y1": 120.0}, "reason": None, "source": source}


@pytest.mark.parametrize("doc_type", ["credit_note", "receipt", "other", "unknown"])
def test_a_document_of_each_new_type_is_listed_and_opened_with_its_type(review, doc_type):
    record = _record(review, doc_type, [_field("total_amount", None, "review")])
    review.queue.apply(record)
    client = TestClient(review.app)
    assert login(client).status_code == 303
    shown = doc_type.replace("_", " ")  # "credit note"
    listing = client.get("/review", headers={"accept": "text/html"}).text
    row = listing[listing.index(record["doc_id"]):]
    row = row[:row.index("</tr>")]
    assert f"<td>{shown}</td>" in row and "total_amount" in row
    page = client.get(f"/review/docs/{record['doc_id']}")
    assert page.status_code == 200
    assert f"<strong>{shown}</strong>" in page.text


def test_an_e_invoice_whose_page_disagrees_shows_the_xml_values_and_the_reason(review):
    """samples/invoice-facturx.pdf's XML, merged with a visual reading that accepted another
    total: the document goes to review and the page shows the XML's values with the reason."""
    inv = from_pdf((SAMPLES / "invoice-facturx.pdf").read_bytes())
    visual = {"doc_type": "invoice", "status": "accepted", "line_items": [],
              "fields": [_field("total_amount", "7833.70", "accept")]}
    merged = merge(visual, inv)
    assert merged["status"] == "review"
    record = _record(review, merged["doc_type"], merged["fields"])
    review.queue.apply(record)
    client = TestClient(review.app)
    login(client)
    listing = client.get("/review", headers={"accept": "text/html"}).text
    assert record["doc_id"] in listing and "<td>invoice</td>" in listing
    html = client.get(f"/review/docs/{record['doc_id']}").text
    assert 'name="field.total_amount" value="7833.77"' in html
    assert "the page shows &#39;7833.70&#39;" in html
    assert 'name="field.iban" value="DE89370400440532013000"' in html
    assert 'id="box-iban"' not in html  # an XML value has no place on the page to draw
    assert "read (e-invoice)" in html  # where the value was read
