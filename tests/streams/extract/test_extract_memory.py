"""Sender memory: a reviewer's approval teaches where a sender puts its fields; the next
document from that sender is read from there (extractor memory-1)."""

from __future__ import annotations

import json

from inkstream.settings import ExtractionSettings
from session_codec import decode, encode
from streams.extract import extract
from streams.extract.layout import Layout
from streams.extract.memory import SenderMemory, learner, memory_record
from streams.review.decision import decide
from tests.streams.extract.extract_records import line, ocr_result, page


def invoice(number: str, date: str, total: str, *, supplier="Northwind Supplies Ltd", shift: float = 0.0) -> dict:
    cells = [[(supplier, 120)], [("billing@northwind-supplies.example", 120)], [("INVOICE", 120)],
             [("Invoice No:", 120), (number, 600)], [("Invoice Date:", 120), (date, 600)],
             [("Bill To:", 120), ("Contoso Ltd", 600)],
             [("Subtotal", 900), (f"${float(total) / 1.1:,.2f}", 1200)],
             [("Tax", 900), (f"${float(total) - round(float(total) / 1.1, 2):,.2f}", 1200)],
             [("Total Due", 900), (f"${float(total):,.2f}", 1200)]]
    lines = [line(t, row=r, x=x + shift, conf=1.0) for r, row in enumerate(cells) for t, x in row]
    return ocr_result([page(lines, source="text_layer")], doc_id=f"doc-{abs(hash(number)) % 10**8}")


def fields_of(result):
    return {f["name"]: f for f in result["fields"]}


def validated(ocr, result):
    from streams.extract.processor import validated_record

    return validated_record(ocr, result)


def first_reviewed(memory):
    first = invoice("NW-1001", "03/04/2026", "110.00")
    result = extract(first, ExtractionSettings(), version="memory-1", memory=memory)
    assert result["status"] == "review"  # 03/04/2026 from an English invoice: April 3 or March 4?
    assert fields_of(result)["invoice_date"]["normalized"] is None
    record = validated(first, result)
    approved = decide(record, reviewer="ana", decision="approved",
                      corrections={"invoice_date": "2026-04-03"})
    return record, approved


def test_the_second_invoice_of_a_sender_is_read_from_memory_and_accepted():
    memory = SenderMemory()
    record, approved = first_reviewed(memory)
    learnt = memory_record(approved)
    assert learnt and learnt["sender"] == record["sender"] and learnt["sender"].startswith("mail:")
    # No values on the memory topic: places, labels and hashes only.
    blob = json.dumps(learnt)
    assert "NW-1001" not in blob and "Northwind" not in blob and "110.00" not in blob
    hashed = {p["name"] for p in learnt["fields"] if p["value_sha256"]}
    assert hashed and hashed <= {"supplier", "supplier_vat_id", "iban", "currency"}
    memory.learn(decode(encode("extract.memory", learnt)))

    second = extract(invoice("NW-1002", "05/06/2026", "220.00"), ExtractionSettings(), version="memory-1",
                     memory=memory)
    f = fields_of(second)
    assert f["invoice_date"]["normalized"] == "2026-06-05"  # day first, as the reviewer's date proved
    assert (f["invoice_date"]["source"], f["invoice_date"]["status"]) == ("memory", "accept")
    assert second["status"] == "accepted"
    # The supplier's name, unconfirmable the first time, agrees with the memory's place and value.
    assert f["supplier"]["normalized"] == "Northwind Supplies Ltd" and f["supplier"]["status"] == "accept"


def test_without_memory_the_same_second_invoice_goes_to_review():
    second = extract(invoice("NW-1002", "05/06/2026", "220.00"), ExtractionSettings(), version="memory-1",
                     memory=SenderMemory())
    assert second["status"] == "review"


def test_memory_never_overrides_a_value_a_cross_check_contradicted():
    memory = SenderMemory()
    _, approved = first_reviewed(memory)
    memory.learn(memory_record(approved))
    doc = invoice("NW-1003", "05/06/2026", "220.00")
    for ln in doc["pages"][0]["lines"]:
        if ln["text"] == "$220.00":
            ln["text"] = "$230.00"  # subtotal + tax no longer make the total
    f = fields_of(extract(doc, ExtractionSettings(), version="memory-1", memory=memory))
    assert f["total_amount"]["status"] == "review"


def test_a_corrected_value_not_printed_at_its_box_teaches_no_place():
    memory = SenderMemory()
    record, _ = first_reviewed(memory)
    wrong = decide(record, reviewer="ana", decision="approved", corrections={"invoice_number": "XX-9"})
    learnt = memory_record(wrong)
    assert "invoice_number" not in {p["name"] for p in learnt["fields"]}


def test_a_rejected_document_teaches_nothing():
    record, _ = first_reviewed(SenderMemory())
    assert memory_record(decide(record, reviewer="ana", decision="rejected")) is None


def test_the_learner_emits_to_the_compacted_topic_keyed_by_sender_and_type():
    _, approved = first_reviewed(SenderMemory())
    proc = learner()
    out = list(proc.handle(approved, _ctx("fields.validated")))
    assert {o.topic for o in out} == {"extract.memory"} and len(out) >= 3
    assert all(o.key == f"{approved['sender']}|invoice|{o.value['fields'][0]['name']}" for o in out)
    assert "invoice_date" in {o.value["fields"][0]["name"] for o in out}


def test_a_later_review_teaching_one_field_keeps_the_other_places():
    memory = SenderMemory()
    _, approved = first_reviewed(memory)
    learnt = memory_record(approved)
    memory.learn(learnt)
    memory.learn({**learnt, "doc_id": "later", "fields": [p for p in learnt["fields"] if p["name"] == "supplier"]})
    second = extract(invoice("NW-1002", "05/06/2026", "220.00"), ExtractionSettings(), version="memory-1",
                     memory=memory)
    assert fields_of(second)["invoice_date"]["source"] == "memory"


def test_a_different_sender_gets_no_memory():
    memory = SenderMemory()
    _, approved = first_reviewed(memory)
    memory.learn(memory_record(approved))
    other = invoice("X-1", "05/06/2026", "220.00", supplier="Fabrikam Tools")
    for ln in other["pages"][0]["lines"]:
        ln["text"] = ln["text"].replace("northwind-supplies", "fabrikam")
    assert extract(other, ExtractionSettings(), version="memory-1", memory=memory)["status"] == "review"


def _ctx(topic):
    from streams.runtime.processor import Context

    return Context(processor="extract-memory", topic=topic)


def test_a_value_the_rules_never_found_is_learnt_where_the_reviewer_says_it_is():
    """'Our ref.' is no invoice-number label the rules know: the first document needs a
    reviewer; the learner finds the typed number on the page, next to its label, and the
    second document's number is read from there."""
    def with_ref(doc, number):
        for ln in doc["pages"][0]["lines"]:
            if ln["text"] == "Invoice No:":
                ln["text"] = "Our ref."
        return doc

    first = with_ref(invoice("NW-3001", "2026-04-03", "110.00"), "NW-3001")
    result = extract(first, ExtractionSettings(), version="memory-1", memory=SenderMemory())
    assert fields_of(result)["invoice_number"]["normalized"] is None and result["status"] == "review"
    record = validated(first, result)
    approved = decide(record, reviewer="ana", decision="approved", corrections={"invoice_number": "NW-3001"})

    proc = learner()
    assert list(proc.handle(first, _ctx("ocr.results"))) == []
    assert list(proc.handle(record, _ctx("fields.validated"))) == []  # the extractor's verdict: review
    out = list(proc.handle(approved, _ctx("fields.validated")))
    places = {o.value["fields"][0]["name"]: o.value["fields"][0] for o in out}
    assert places["invoice_number"]["label"] == "Our ref."

    memory = SenderMemory()
    for o in out:
        memory.learn(o.value)
    second = extract(with_ref(invoice("NW-3002", "2026-05-06", "220.00"), "NW-3002"), ExtractionSettings(),
                     version="memory-1", memory=memory)
    f = fields_of(second)["invoice_number"]
    assert (f["normalized"], f["source"], f["status"]) == ("NW-3002", "memory", "accept")
    assert second["status"] == "accepted"


def test_without_the_pages_a_value_never_located_is_not_learnt():
    first = invoice("NW-3001", "2026-04-03", "110.00")
    for ln in first["pages"][0]["lines"]:
        if ln["text"] == "Invoice No:":
            ln["text"] = "Our ref."
    result = extract(first, ExtractionSettings(), version="memory-1", memory=SenderMemory())
    approved = decide(validated(first, result), reviewer="ana", decision="approved",
                      corrections={"invoice_number": "NW-3001"})
    assert "invoice_number" not in {p["name"] for p in memory_record(approved)["fields"]}


def test_the_sender_is_its_vat_id_only_when_the_check_digits_pass():
    from streams.extract.confidence import FieldValue
    from streams.extract.layout import Layout
    from streams.extract.memory import fingerprint

    def sender(letterhead: str, vat: str) -> str | None:
        lines = [line(t, row=r, x=120, conf=1.0) for r, t in enumerate([letterhead, "Musterstraße 1", "RECHNUNG"])]
        layout = Layout.from_ocr(ocr_result([page(lines, source="text_layer")]))
        return fingerprint(layout, [FieldValue("supplier_vat_id", vat, vat, 1.0)])

    assert sender("Alpha Werkzeug GmbH", "DE136695976") == sender("Alpha Werkzeug GmbH Köln", "DE136695976")
    assert sender("Alpha Werkzeug GmbH", "DE136695976").startswith("vat:")
    # A specimen id many producers print: the letterhead tells the senders apart.
    a, b = sender("Alpha Werkzeug GmbH", "DE123456789"), sender("Beta Textil AG", "DE123456789")
    assert a.startswith("layout:") and a != b


def receipt(doc_id: str, total: str) -> dict:
    """A till roll whose street line carries no house number ("Am Markt"): the rules read only
    "33102 Paderborn", not a whole address, and leave it for review."""
    head = ["Marktkauf Lehr", "Am Markt", "33102 Paderborn", "info@marktkauf-lehr.example"]
    money = [("BROT", "2.50"), ("MILCH", total), ("SUMME", f"{2.5 + float(total):.2f}")]
    rows = [[(t, 20)] for t in head] + [[(w, 20), (a, 420)] for w, a in money] + [[("DANKE", 20)]]
    lines = [line(t, row=r, x=x, conf=0.99) | {"agreed": True} for r, cells in enumerate(rows) for t, x in cells]
    pg = page(lines, source="ocr")
    pg["width"], pg["height"] = 600, 1600
    return ocr_result([pg], doc_id=doc_id)


def test_a_corrected_merchant_address_is_learnt_and_the_next_receipt_read_from_memory():
    first = receipt("rcpt-1", "1.10")
    result = extract(first, ExtractionSettings(), version="memory-1", memory=SenderMemory())
    assert result["doc_type"] == "receipt"
    addr = fields_of(result)["merchant_address"]
    assert addr["normalized"] == "33102 Paderborn" and addr["status"] != "accept"
    record = validated(first, result)
    approved = decide(record, reviewer="ana", decision="approved",
                      corrections={"merchant_address": "Am Markt 33102 Paderborn"})

    proc = learner()
    list(proc.handle(first, _ctx("ocr.results")))
    list(proc.handle(record, _ctx("fields.validated")))
    out = list(proc.handle(approved, _ctx("fields.validated")))
    places = {o.value["fields"][0]["name"]: o.value["fields"][0] for o in out}
    place = places["merchant_address"]
    # A place and a hash, no text: not the address, nor the merchant's name printed above it as a label.
    assert place["label"] is None and place["value_sha256"]
    assert "Paderborn" not in json.dumps(place) and "Marktkauf" not in json.dumps(place)
    assert any(o.key.endswith("|receipt|merchant_address") for o in out)

    memory = SenderMemory()
    for o in out:
        memory.learn(decode(encode("extract.memory", o.value)))
    second = extract(receipt("rcpt-2", "1.20"), ExtractionSettings(), version="memory-1", memory=memory)
    f = fields_of(second)["merchant_address"]
    assert (f["normalized"], f["source"], f["status"]) == ("Am Markt 33102 Paderborn", "memory", "accept")
    # Another sender's receipt is not read from this memory.
    other = receipt("rcpt-3", "1.30")
    for ln in other["pages"][0]["lines"]:
        ln["text"] = ln["text"].replace("marktkauf-lehr", "frischmarkt")
    f = fields_of(extract(other, ExtractionSettings(), version="memory-1", memory=memory))["merchant_address"]
    assert (f["normalized"], f["source"]) == ("33102 Paderborn", "ocr")


def test_a_merchant_address_printed_differently_is_not_the_remembered_one():
    first = receipt("rcpt-1", "1.10")
    result = extract(first, ExtractionSettings(), version="memory-1", memory=SenderMemory())
    approved = decide(validated(first, result), reviewer="ana", decision="approved",
                      corrections={"merchant_address": "Am Markt 33102 Paderborn"})
    learnt = memory_record(approved, Layout.from_ocr(first))
    memory = SenderMemory()
    memory.learn(learnt)
    moved = receipt("rcpt-2", "1.20")
    for ln in moved["pages"][0]["lines"]:
        ln["text"] = ln["text"].replace("Am Markt", "Am Dom")
    f = fields_of(extract(moved, ExtractionSettings(), version="memory-1", memory=memory))["merchant_address"]
    # Read from the remembered place, but not the remembered value: no check, never accepted on it.
    assert f["normalized"] == "Am Dom 33102 Paderborn" and f["status"] != "accept"
