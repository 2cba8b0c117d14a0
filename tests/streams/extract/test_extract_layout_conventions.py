"""rules-3 layout and language conventions seen on vendor sample invoices (made-up layouts
here, several languages): a header row of field labels over one row of values, number
labels written with a title, a colon or a number sign, rupees, and a "Balance Due" that
is not the invoice's total."""

from __future__ import annotations

import pytest

from streams.extract.classify import classify_document
from streams.extract.normalize import normalize_amount, normalize_currency
from tests.streams.extract.test_extract_multilingual import fields_of, layout, run

# (number head, date head, due head, money head, title)
HEADER_ROWS = [
    ("Invoice Number", "Invoice Date", "Invoice Due Date", "Charges", "INVOICE"),
    ("Rechnungsnummer", "Rechnungsdatum", "Fälligkeit", "Betrag", "RECHNUNG"),
    ("N° de facture", "Date de facture", "Échéance", "Montant", "FACTURE"),
    ("Factuurnummer", "Factuurdatum", "Vervaldatum", "Bedrag", "FACTUUR"),
]


@pytest.mark.parametrize("number, date, due, money, title", HEADER_ROWS)
def test_a_header_row_of_field_labels_gives_each_its_value_below(number, date, due, money, title):
    rows = [[("Fabrikam Services", 120)], [(title, 120)],
            [("Address:", 120), ("Invoice For: Tailspin Toys", 900)],
            [(number, 100), (date, 400), (due, 700), (money, 1000), ("VAT ID", 1300)],
            [("458176", 100), ("2018-03-28", 400), ("2018-04-16", 700), ("$89,024.34", 1050), ("ET", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["invoice_number"]["normalized"], f["invoice_date"]["normalized"], f["due_date"]["normalized"]) == (
        "458176", "2018-03-28", "2018-04-16")
    assert f["total_amount"]["normalized"] == "89024.34"
    # a column head no total label is, and no arithmetic: found, never accepted
    assert f["total_amount"]["status"] == "review" and "column head" in f["total_amount"]["reason"]


def test_a_money_column_head_without_a_row_of_field_labels_is_no_total():
    rows = [[("INVOICE", 120)], [("Invoice No: 42", 120)],
            [("Description", 100), ("Charges", 1000)], [("Delivery", 100), ("$50.00", 1000)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] is None


def test_a_header_row_total_confirmed_by_subtotal_and_tax_is_accepted():
    rows = [[("INVOICE", 120)],
            [("Invoice Number", 100), ("Invoice Date", 400), ("Amount", 1000)],
            [("A-7", 100), ("2024-01-05", 400), ("119.00 EUR", 1000)],
            [("Subtotal", 900), ("100.00 EUR", 1200)], [("VAT 19%", 900), ("19.00 EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "119.00"
    assert f["total_amount"]["status"] == "accept" and "subtotal 100.00 + tax 19.00" in f["total_amount"]["reason"]


@pytest.mark.parametrize("rows, want", [
    # the title and its number in a box of their own beside the letterhead's column
    ([[("Contoso Headquarters", 100), ("INVOICE: INV-100", 900)]], "INV-100"),
    ([[("Muster GmbH", 100), ("RECHNUNG: RE-2024-7", 900)]], "RE-2024-7"),
    # a colon after the title, then the number word
    ([[("INVOICE: NO. 001", 100)]], "001"),
    ([[("FACTURE : N° F-0042", 100)]], "F-0042"),
    # a number sign between the label's colon and the value
    ([[("Invoice No:", 900), ("#INV03181", 1200)]], "INV03181"),
    ([[("RECHNUNG", 100)], [("Rechnungsnummer:", 900), ("# 2024-0815", 1200)]], "2024-0815"),
    ([[("FACTUUR", 100)], [("Factuurnummer: #F2024-11", 900)]], "F2024-11"),
    # "TAX INVOICE" with "# INV-000001" right under it
    ([[("Zylker Electronics", 100), ("TAX INVOICE", 1100)], [("Road 12", 100), ("# 23413561D", 1100)]], "23413561D"),
    ([[("Alpha SARL", 100), ("FACTURE", 1100)], [("Paris", 100), ("# F-77", 1100)]], "F-77"),
])
def test_number_labels_written_with_the_title_a_colon_or_a_number_sign(rows, want):
    rows = rows + [[("Date: 2024-05-06", 100)], [("Total", 900), ("10.00 EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_number"]["normalized"] == want


def test_a_number_sign_line_not_under_a_title_is_no_invoice_number():
    rows = [[("INVOICE", 100)], [("Bill To: Acme", 100)], [("Unit 4", 100)], [("# 221B", 900)],
            [("Date: 2024-05-06", 100)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_number"]["normalized"] is None


@pytest.mark.parametrize("label, want", [("DUE: 01/02/2025", "2025-01-02"), ("Due : 2025-03-04", "2025-03-04")])
def test_due_alone_with_its_colon_labels_the_due_date(label, want):
    rows = [[("INVOICE", 100)], [("Invoice No: 7", 100)], [("Seattle, WA 98109", 100)], [(label, 100)]]
    f = fields_of(run(layout(rows)))
    assert f["due_date"]["normalized"] == want


def test_amount_due_with_a_date_is_not_a_due_date_label():
    rows = [[("INVOICE", 100)], [("Invoice No: 7", 100)], [("Total Due: 01/02/2025", 100)]]
    f = fields_of(run(layout(rows)))
    assert f["due_date"]["normalized"] is None


@pytest.mark.parametrize("text, code", [("Rupees Four Hundred Thirteen Only", "INR"), ("₹ 413.00", "INR"),
                                        ("Rs. 413.00", "INR"), ("Rs 1,200", "INR")])
def test_rupees_in_words_sign_or_abbreviation_are_inr(text, code):
    assert normalize_currency(text).normalized == code


def test_an_indian_tax_invoice_in_words_and_split_gst_is_an_invoice_in_rupees():
    rows = [[("SHARMA MOTORS PVT. LTD.", 100)], [("TAX INVOICE", 700)],
            [("Invoice No : GTI1819013536", 800)], [("Invoice Date :15/02/2019", 800)],
            [("Customer GSTIN: 29AAFCA0924K1ZN", 100)], [("Place of Supply: 29-Karnataka", 100)],
            [("Terms and Conditions: goods once sold; this contract is governed by the courts of Pune", 100)],
            [("Authorised signatory", 1300)],
            [("Particulars", 300), ("Qty", 700), ("Rate", 900), ("Amount", 1300)],
            [("Brake bleeding", 300), ("1", 700), ("350.00", 900), ("350.00", 1300)],
            [("Sub Total:", 1100), ("350.00", 1400)], [("@ 9% CGST:", 1100), ("31.50", 1400)],
            [("@ 9% SGST:", 1100), ("31.50", 1400)], [("Grand Total :", 1100), ("413.00", 1400)],
            [("Rupees Four Hundred Thirteen Only.", 100)]]
    result = run(layout(rows))
    f = fields_of(result)
    assert result["doc_type"] == "invoice"
    assert f["currency"]["normalized"] == "INR"
    assert f["total_amount"]["normalized"] == "413.00" and f["total_amount"]["status"] == "accept"


@pytest.mark.parametrize("text", ["Sub Total 350.00\nPlace of Supply: 29-Karnataka\nInvoice No 42",
                                  "Balance Due 10.00\nInvoice 42\nQty 1"])
def test_place_of_supply_spaced_sub_total_and_balance_due_are_invoice_cues(text):
    assert classify_document(text + "\nTerms and conditions of this contract")[0] == "invoice"


@pytest.mark.parametrize("paid_label, total_label, due_label", [
    ("Paid", "Total", "Balance Due"),
    ("Payment received", "Total", "Amount Due"),
    ("Anzahlung", "Summe", "Zahlbetrag"),
    ("Acompte", "Total", "Net à payer"),
    ("Previous Balance", "Total", "Total Due"),
])
def test_a_balance_due_after_a_payment_is_not_the_total(paid_label, total_label, due_label):
    previous = paid_label == "Previous Balance"
    rows = [[("INVOICE", 100)], [("Invoice No: 42", 100)], [("Date: 2024-05-06", 100)],
            [("Subtotal", 900), ("100.00 EUR", 1200)], [("VAT 10%", 900), ("10.00 EUR", 1200)],
            [(total_label, 900), ("110.00 EUR", 1200)], [(paid_label, 900), ("500.00 EUR" if previous else "20.00 EUR", 1200)],
            [(due_label, 900), ("610.00 EUR" if previous else "90.00 EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "110.00" and f["total_amount"]["status"] == "accept"


@pytest.mark.parametrize("paid, due, status", [("20.00", "90.00", "accept"), ("25.00", "90.00", "review")])
def test_total_paid_and_balance_due_confirm_each_other_or_go_to_review(paid, due, status):
    # no subtotal or tax: only "total - paid = balance due" ties the total to anything
    rows = [[("INVOICE", 100)], [("Invoice No: 42", 100)], [("Date: 2024-05-06", 100)],
            [("Total", 900), ("110.00 EUR", 1200)], [("Paid", 900), (f"{paid} EUR", 1200)],
            [("Balance Due", 900), (f"{due} EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "110.00" and f["total_amount"]["status"] == status


def test_lakh_grouping_still_reads_with_rupees():
    assert normalize_amount("₹ 1,23,456.00").normalized == "123456.00"


@pytest.mark.parametrize("text, want", [
    ("Rupees Four Hundred Thirteen Only.", "413"),
    ("Rupees One Lakh Twenty Three Thousand Four Hundred Fifty Six Only", "123456"),
    ("USD One Thousand Two Hundred and 50/100 Only", "1200.5"),
    ("Two Hundred Dollars and Fifty Cents", "200.5"),
    ("Amount in words: Euros Ninety Nine Only", "99"),
    ("This Agreement runs for twelve (12) months", None),
    ("one year term", None),
])
def test_an_amount_written_in_words_is_read(text, want):
    from streams.extract.normalize import amount_in_words

    got = amount_in_words(text)
    assert (None if got is None else f"{got.normalize():f}") == want


@pytest.mark.parametrize("words, status", [("Rupees Eight Hundred Ninety Only", "accept"),
                                           ("Rupees Eight Hundred Ninety Nine Only", "review")])
def test_a_total_with_no_arithmetic_is_confirmed_by_the_same_amount_in_words(words, status):
    rows = [[("INVOICE", 100)],
            [("Invoice Number", 100), ("Invoice Date", 400), ("Charges", 1000)],
            [("A-7", 100), ("2024-01-05", 400), ("₹ 890.00", 1000)],
            [(words, 100)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "890.00" and f["total_amount"]["status"] == status
    assert f["currency"]["normalized"] == "INR"


def test_a_statement_listing_invoices_under_field_heads_gives_no_total():
    rows = [[("STATEMENT OF ACCOUNT / INVOICE LIST", 100)],
            [("Invoice Number", 100), ("Invoice Date", 400), ("Amount", 1000)],
            [("A-7", 100), ("2024-01-05", 400), ("119.00 EUR", 1000)],
            [("A-8", 100), ("2024-02-05", 400), ("80.00 EUR", 1000)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] is None


@pytest.mark.parametrize("total_label, due_label", [("Total", "Balance Due"), ("Totaal", "Te betalen"),
                                                    ("Total", "Montant à payer")])
def test_a_larger_amount_due_than_the_total_with_nothing_between_goes_to_review(total_label, due_label):
    rows = [[("INVOICE / FACTUUR / FACTURE", 100)], [("Invoice No: 42", 100)], [("Date: 2024-05-06", 100)],
            [(total_label, 900), ("110.00 EUR", 1200)], [(due_label, 900), ("130.00 EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] in ("110.00", "130.00") and f["total_amount"]["status"] == "review"


@pytest.mark.parametrize("text, want", [("Invoice For: Alpine Ski House", "Alpine Ski House"),
                                        ("Invoice for services rendered in March", None)])
def test_invoice_for_with_its_colon_labels_the_customer(text, want):
    rows = [[("Contoso Suites", 100)], [("INVOICE", 100)], [("Address:", 100), (text, 900)],
            [("Invoice Number", 100), ("Invoice Date", 400)], [("7689302", 100), ("2015-03-09", 400)]]
    f = fields_of(run(layout(rows)))
    assert f["customer"]["normalized"] == want


def test_a_date_line_at_the_top_is_no_supplier_and_from_is_the_sellers_label():
    rows = [[("Invoice", 100)], [("DATE: 01/01/2024", 100)], [("INVOICE: NO. 001", 100)],
            [("FROM: Company ABC", 100), ("TO: John Doe", 900)]]
    f = fields_of(run(layout(rows)))
    assert f["supplier"]["normalized"] == "Company ABC" and f["supplier"]["status"] == "review"
