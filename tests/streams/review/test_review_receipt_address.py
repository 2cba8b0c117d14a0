"""A receipt's merchant_address, as the extractor writes it, travels like any other field: through
the fields.validated Avro schema (its fields are a list of records named by a string, so a new
name needs no schema change), onto the review page (an input, its box drawn on the page) and
into the reviewer's decision as a correction."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from inkstream.settings import ExtractionSettings
from schemas.records import envelope
from streams.extract import extract
from tests.session_codec import decode, encode
from tests.streams.extract.extract_records import line, ocr_result, page
from tests.streams.review.review_login import login

HEAD = ["Marktkauf Lehr", "Detmolder Straße 4", "33102 Paderborn", "Tel. 05251 / 180420", "07.09.2018 09:18"]
MONEY = [("Brot", "2,00 EUR"), ("Milch", "3,00 EUR"), ("SUMME EUR", "5,00"), ("Bargeld", "10,00"), ("Rückgeld", "5,00")]


def _extracted() -> dict:
    rows = [[(t, 20)] for t in HEAD] + [[(w, 20), (a, 420)] for w, a in MONEY]
    lines = [line(t, row=r, x=x) for r, cells in enumerate(rows) for t, x in cells]  # one OCR reading: review
    pg = page(lines)
    pg["width"], pg["height"] = 600, 1600
    return extract(ocr_result([pg]), ExtractionSettings(), version="rules-3")


def _record(review, result: dict) -> dict:
    return {**envelope(uuid.uuid4().hex, producer="extract"), "source": "http", "original": review.record["original"],
            "crm_ref": None, "doc_type": result["doc_type"], "status": "review", "extractor_version": "rules-3",
            "line_items": [], "review": None, "fields": result["fields"]}


def test_the_address_round_trips_through_fields_validated(review):
    record = _record(review, _extracted())
    decoded = decode(encode("fields.validated", record))
    address = next(f for f in decoded["fields"] if f["name"] == "merchant_address")
    assert (address["normalized"], address["status"], address["source"]) == (
        "Detmolder Straße 4 33102 Paderborn", "review", "ocr")


def test_the_review_page_shows_the_address_and_takes_a_correction(review):
    result = _extracted()
    record = _record(review, result)
    review.queue.apply(record)
    client = TestClient(review.app)
    assert login(client).status_code == 303
    html = client.get(f"/review/docs/{record['doc_id']}").text
    assert '<label for="field-merchant_address">merchant_address</label>' in html
    assert 'name="field.merchant_address" value="Detmolder Straße 4 33102 Paderborn"' in html
    assert 'id="box-merchant_address"' in html  # drawn on the page like the other fields
    fields = {f["name"]: f["normalized"] for f in result["fields"]}
    data = {f"field.{k}": v or "" for k, v in fields.items()} | {
        "field.merchant_address": "Detmolder Straße 4, 33102 Paderborn", "decision": "approved"}
    r = client.post(f"/review/docs/{record['doc_id']}/decision", data=data, follow_redirects=False)
    assert r.status_code == 303
    [out] = review.published
    change = next(c for c in out["review"]["changes"] if c["field"] == "merchant_address")
    assert change == {"field": "merchant_address", "old": "Detmolder Straße 4 33102 Paderborn",
                      "new": "Detmolder Straße 4, 33102 Paderborn"}
