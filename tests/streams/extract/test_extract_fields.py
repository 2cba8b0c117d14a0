"""Classification, field extraction, cross-checks and confidence routing on OCR records."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from extract_records import CONTRACT_PROSE, INVOICE, invoice_lines, line, ocr_result, page, rows

from inkstream.settings import ExtractionSettings
from streams.extract.classify import classify
from streams.extract.contract import domain_matches
from streams.extract.extractor import extract


def fields_of(result: dict) -> dict[str, dict]:
    return {f["name"]: f for f in result["fields"]}


def run(lines, *, version="rules-1", source="ocr", **settings):
    return extract(ocr_result([page(lines, source=source)]), ExtractionSettings(**settings), version=version)


def test_a_prose_contract_yields_every_contract_field_normalised():
    result = run(rows(CONTRACT_PROSE))
    f = fields_of(result)
    assert result["doc_type"] == "contract"
    assert {k: v["normalized"] for k, v in f.items()} == {
        "effective_date": "2026-03-03", "term_months": "12", "total_amount": "48250.00", "currency": "USD",
        "counterparty": "Acme Corporation", "signer_name": "Jane Doe", "signer_email": "jane.doe@acme.com"}
    assert f["signer_email"]["value"] == "Jane.Doe@acme.com"  # raw text kept as read
    assert result["status"] == "accepted"


def test_each_field_names_the_page_and_box_it_came_from():
    lines = rows(CONTRACT_PROSE)
    f = fields_of(run(lines))
    name_line = next(ln for ln in lines if ln["text"] == "Name: Jane Doe")
    box = f["signer_name"]["box"]
    assert f["signer_name"]["page"] == 1
    assert box["y0"] == name_line["box"]["y0"] and box["y1"] == name_line["box"]["y1"]
    # narrowed to the value, not the label
    assert box["x0"] > name_line["box"]["x0"] and box["x1"] <= name_line["box"]["x1"] + 0.1


def test_a_blurred_amount_line_sends_the_amount_and_the_document_to_review():
    amount_row = CONTRACT_PROSE.index("Fifty US Dollars (USD 48,250.00), payable within thirty (30) days.")
    result = run(rows(CONTRACT_PROSE, low={amount_row: 0.78}))
    f = fields_of(result)
    assert f["total_amount"]["normalized"] == "48250.00"
    assert f["total_amount"]["status"] == "review"
    assert f["effective_date"]["status"] == "accept"
    assert result["status"] == "review"


def test_a_value_read_with_very_low_confidence_is_rejected_and_so_is_the_document():
    result = run(rows(CONTRACT_PROSE, low={CONTRACT_PROSE.index("Name: Jane Doe"): 0.4}))
    assert fields_of(result)["signer_name"]["status"] == "reject"
    assert result["status"] == "rejected"


def test_an_ambiguous_effective_date_goes_to_review_not_to_a_guess():
    texts = [t.replace("March 3, 2026", "03/04/2026") for t in CONTRACT_PROSE]
    f = fields_of(run(rows(texts)))
    assert f["effective_date"]["normalized"] is None
    assert f["effective_date"]["value"] == "03/04/2026"
    assert f["effective_date"]["status"] == "review"
    assert "ambiguous" in f["effective_date"]["reason"]


def test_a_missing_required_field_goes_to_review():
    texts = [t for t in CONTRACT_PROSE if not t.startswith("Email:")]
    result = run(rows(texts))
    assert fields_of(result)["signer_email"]["normalized"] is None
    assert fields_of(result)["signer_email"]["status"] == "review"
    assert result["status"] == "review"


def test_a_signer_email_on_another_domain_than_the_counterparty_is_not_auto_accepted():
    texts = [t.replace("Jane.Doe@acme.com", "jane.doe@gmail.com") for t in CONTRACT_PROSE]
    f = fields_of(run(rows(texts)))
    assert f["signer_email"]["normalized"] == "jane.doe@gmail.com"
    assert f["signer_email"]["status"] == "review"
    assert "does not match counterparty" in f["signer_email"]["reason"]


@pytest.mark.parametrize("email, company, match", [
    ("jane@acme.com", "Acme Corporation", True), ("a@umbrella-logistics.fr", "Umbrella Logistics S.A.", True),
    ("a@ibm.com", "International Business Machines Corp", True), ("a@gmail.com", "Acme Corporation", False),
])
def test_email_domains_match_company_names_by_token_or_initials(email, company, match):
    assert domain_matches(email, company) is match


def test_a_cover_sheet_with_labels_and_values_in_separate_boxes_is_read():
    labels = ["Counterparty:", "Effective Date:", "Term:", "Total Contract Value:", "Signatory:", "Signatory Email:"]
    values = ["Fabrikam GmbH", "the 3rd day of March, 2026", "2 years", "48.250,00 EUR", "Anna Schmidt",
              "anna.schmidt@fabrikam.de"]
    lines = [line("CONTRACT SUMMARY", row=0), line("This Agreement is governed by the parties hereto.", row=1)]
    for i, (lab, val) in enumerate(zip(labels, values), start=2):
        lines += [line(lab, row=i), line(val, row=i, x=700)]
    f = fields_of(run(lines))
    assert {k: v["normalized"] for k, v in f.items()} == {
        "effective_date": "2026-03-03", "term_months": "24", "total_amount": "48250.00", "currency": "EUR",
        "counterparty": "Fabrikam GmbH", "signer_name": "Anna Schmidt", "signer_email": "anna.schmidt@fabrikam.de"}


def test_side_by_side_signature_blocks_give_the_clients_signer_not_ours():
    lines = rows(CONTRACT_PROSE[:8])
    for i, (ours, theirs) in enumerate([("PROVIDER: Inkstream Demo Inc.", "CLIENT: Acme Corporation"),
                                        ("Name: Alex Morgan", "Name: Jane Doe"),
                                        ("Email: alex@inkstream.example", "Email: jane.doe@acme.com")], start=9):
        lines += [line(ours, row=i, x=120), line(theirs, row=i, x=900)]
    f = fields_of(run(lines))
    assert f["signer_name"]["normalized"] == "Jane Doe"
    assert f["signer_email"]["normalized"] == "jane.doe@acme.com"


ITEMS = [("Document capture licence", "12", "149.00", "1,788.00"), ("Implementation day", "5", "950.00", "4,750.00")]


def test_an_invoice_yields_its_fields_and_line_items():
    result = run(invoice_lines(ITEMS, "$6,538.00"))
    f = fields_of(result)
    assert result["doc_type"] == "invoice"
    assert {k: v["normalized"] for k, v in f.items()} == {
        "invoice_number": "INV-2026-0042", "invoice_date": "2026-03-03", "due_date": "2026-04-02",
        "total_amount": "6538.00", "currency": "USD", "customer": "Globex Inc."}
    assert [(i["description"], i["quantity"], i["unit_price"], i["amount"]) for i in result["line_items"]] == [
        ("Document capture licence", "12", "149.00", "1788.00"), ("Implementation day", "5", "950.00", "4750.00")]
    assert result["status"] == "accepted"


def test_line_items_that_add_up_lift_a_doubtful_total_into_acceptance():
    result = run(invoice_lines(ITEMS, "$6,538.00", total_conf=0.86))
    total = fields_of(result)["total_amount"]
    assert total["status"] == "accept" and "add up to the total" in total["reason"]


def test_line_items_that_do_not_add_up_send_the_total_to_review():
    result = run(invoice_lines(ITEMS, "$6,588.00"))
    total = fields_of(result)["total_amount"]
    assert total["normalized"] == "6588.00"
    assert total["status"] == "review" and "not the total" in total["reason"]
    assert result["status"] == "review"


def test_a_due_date_before_the_invoice_date_goes_to_review():
    lines = invoice_lines(ITEMS, "$6,538.00")
    for ln in lines:
        ln["text"] = ln["text"].replace("Due Date: 2026-04-02", "Due Date: 2026-02-02")
    f = fields_of(run(lines))
    assert f["due_date"]["status"] == "review" and "before the invoice date" in f["due_date"]["reason"]


def test_column_headers_over_values_are_read_by_position():
    lines = [line("INVOICE", row=0), line("Bill To: Globex Inc.", row=5)]
    for x, (head, value) in zip((120, 600, 1100), [("Invoice Number", "INV-7"), ("Invoice Date", "March 3, 2026"),
                                                   ("Due Date", "April 2, 2026")]):
        lines += [line(head, row=1, x=x), line(value, row=2, x=x)]
    lines.append(line("Total Due: EUR 100,00", row=7))
    f = fields_of(run(lines))
    assert (f["invoice_number"]["normalized"], f["invoice_date"]["normalized"], f["due_date"]["normalized"]) == (
        "INV-7", "2026-03-03", "2026-04-02")


def test_a_document_of_neither_type_is_unknown_and_goes_to_review():
    result = run(rows(["Dear Sir or Madam,", "thank you for your letter of 3 March 2026."]))
    assert (result["doc_type"], result["status"], result["fields"]) == ("unknown", "review", [])


def test_classifier_tells_contracts_from_invoices():
    assert classify(" ".join(CONTRACT_PROSE)) == "contract"
    assert classify(" ".join(INVOICE) + " Total Due $10.00 Qty") == "invoice"


def test_thresholds_come_from_settings_per_field():
    lines = rows(CONTRACT_PROSE, conf=0.93)
    assert fields_of(run(lines))["counterparty"]["status"] == "accept"
    strict = fields_of(run(lines, per_field={"counterparty": {"accept": 0.95}}))
    assert strict["counterparty"]["status"] == "review"
    assert strict["effective_date"]["status"] == "accept"
    lenient = fields_of(run(rows(CONTRACT_PROSE, conf=0.85), accept=0.80))
    assert lenient["counterparty"]["status"] == "accept"


@pytest.mark.parametrize("conf, status", [(0.95, "accept"), (0.90, "accept"), (0.89, "review"),
                                          (0.60, "review"), (0.59, "reject")])
def test_default_thresholds_route_at_ninety_and_sixty_percent(conf, status):
    lines = rows(CONTRACT_PROSE, low={CONTRACT_PROSE.index("CLIENT: Acme Corporation"): conf})
    assert fields_of(run(lines))["counterparty"]["status"] == status


def test_digital_pages_read_from_the_text_layer_are_trusted_exactly():
    result = run(rows(CONTRACT_PROSE, conf=1.0), source="text_layer", version="rules-2")
    assert all(f["confidence"] == 1.0 for f in result["fields"])
    assert {f["source"] for f in result["fields"]} == {"text"}
    assert result["status"] == "accepted"


def test_the_date_locale_setting_reads_numeric_dates_without_review():
    texts = [t.replace("March 3, 2026", "03/04/2026") for t in CONTRACT_PROSE]
    us = fields_of(run(rows(texts), date_locale="US"))["effective_date"]
    eu = fields_of(run(rows(texts), date_locale="EU"))["effective_date"]
    assert (us["normalized"], eu["normalized"]) == ("2026-03-04", "2026-04-03")
    assert us["status"] == "accept"


@pytest.mark.parametrize("written, ok", [
    ("Name: JaneDoe", False), ("Name: Jane Doe", True), ("Name: Angus MacArthur", True), ("Name: J4ne Doe", False),
])
def test_ocr_names_of_an_odd_shape_are_not_auto_accepted(written, ok):
    texts = [written if t == "Name: Jane Doe" else t for t in CONTRACT_PROSE]
    f = fields_of(run(rows(texts)))["signer_name"]
    assert f["normalized"] == written.split(": ")[1]
    assert (f["status"] == "accept") is ok


@pytest.mark.parametrize("customer, ok", [("Fabrikam. GmbH", False), ("Umbrella Logistics S.A.", True),
                                          ("Acme Corp. Europe", True)])
def test_a_full_stop_ocr_invented_in_a_company_name_sends_it_to_review(customer, ok):
    lines = invoice_lines(ITEMS, "$6,538.00")
    for ln in lines:
        ln["text"] = ln["text"].replace("Globex Inc.", customer)
    f = fields_of(run(lines))["customer"]
    assert f["normalized"] == customer and (f["status"] == "accept") is ok


def test_names_from_a_digital_text_layer_are_taken_as_written():
    texts = [t.replace("Name: Jane Doe", "Name: JaneDoe") for t in CONTRACT_PROSE]
    assert fields_of(run(rows(texts, conf=1.0), source="text_layer"))["signer_name"]["status"] == "accept"


def test_line_items_plus_the_printed_tax_add_up_to_the_total():
    lines = invoice_lines(ITEMS, "$7,780.22")
    total_row = lines[-1]
    tax_row = line("VAT 19%  1,242.22", row=int((total_row["box"]["y0"] - 100) // 44), x=900)
    total_row["box"] = {**total_row["box"], "y0": total_row["box"]["y0"] + 44, "y1": total_row["box"]["y1"] + 44}
    lines.insert(-1, tax_row)
    total = fields_of(run(lines))["total_amount"]
    assert total["normalized"] == "7780.22"
    assert total["status"] == "accept" and "and tax add up" in total["reason"]


def test_an_amount_ocr_garbled_into_an_impossible_number_is_shown_for_review_not_truncated():
    lines = [line("CONTRACT SUMMARY", row=0), line("This Agreement is governed by the parties hereto.", row=1),
             line("Total Contract Value: GBP214.06450", row=2), line("Term: 2 years", row=3)]
    f = fields_of(run(lines))["total_amount"]
    assert f["value"] == "GBP214.06450"
    assert f["normalized"] is None  # not 214064.00: digits never run on past a match
    assert f["status"] == "review" and "unreadable" in f["reason"]

_WORDS = st.sampled_from(["Invoice", "Date:", "Due", "Total", "Agreement", "CLIENT:", "Name:", "Email:", "$", "€",
                          "12", "03/04/2026", "March", "3,", "2026", "Qty", "Description", "By:", "term", "of",
                          "(12)", "months", "a@b.co", "48.250,00", "Bill To:", "VAT", "Net 30"])


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.lists(_WORDS | st.text(max_size=8), max_size=8), st.floats(0, 1),
                          st.integers(0, 30), st.integers(0, 1400)), max_size=30))
def test_extraction_never_crashes_and_never_accepts_what_it_could_not_normalise(cells):
    lines = [line(" ".join(words), row=r, x=float(x), conf=c) for words, c, r, x in cells]
    result = run(lines)
    assert result["status"] in {"accepted", "review", "rejected"}
    for f in result["fields"]:
        assert f["status"] != "accept" or f["normalized"] is not None
        assert 0.0 <= f["confidence"] <= 1.0


def test_every_field_says_where_it_was_read():
    f = fields_of(run(rows(CONTRACT_PROSE)))
    assert {v["source"] for v in f.values()} == {"ocr"}
