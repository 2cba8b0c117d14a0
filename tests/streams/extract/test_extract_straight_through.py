"""Invoices accepted whole only on second readings: the due date beside an early-payment
discount deadline, totals printed once and confirmed by another printing or by the tax at its
printed rate (streams/extract/multilingual.py, amounts.py)."""

from __future__ import annotations

import pytest

from tests.streams.extract.test_extract_multilingual import fields_of, layout, run

HEAD = [[("Muster GmbH", 120)], [("RECHNUNG", 120)],
        [("Rechnungsnummer:", 120), ("RE-2026-0042", 700)],
        [("Rechnungsdatum:", 120), ("03.04.2026", 700)],
        [("Nettobetrag", 900), ("100,00 EUR", 1200)],
        [("MwSt 19%", 900), ("19,00 EUR", 1200)],
        [("Gesamtbetrag", 900), ("119,00 EUR", 1200)]]


@pytest.mark.parametrize("discount", [
    [("Zahlbar mit 2% Skonto bis", 120), ("14.04.2026", 700)],  # its own row, label and date in two boxes
    [("Zahlbar innerhalb 30 Tagen netto bis 03.05.2026, 2% Skonto innerhalb 10 Tagen bis 13.04.2026.", 120)],
])
def test_an_early_payment_discount_deadline_is_not_a_second_due_date(discount):
    rows = [*HEAD, [("Zahlbar ohne Abzug bis", 120), ("03.05.2026", 700)], discount]
    f = fields_of(run(layout(rows)))["due_date"]
    assert f["normalized"] == "2026-05-03" and f["status"] == "accept"


def test_two_due_dates_that_are_not_a_discount_deadline_still_go_to_review():
    rows = [*HEAD, [("Zahlbar ohne Abzug bis", 120), ("03.05.2026", 700)], [("Fällig am", 120), ("13.04.2026", 700)]]
    f = fields_of(run(layout(rows)))["due_date"]
    assert f["status"] == "review" and "read differently" in f["reason"]


# --- the supplier (informational, but a field the posting person reads) ---

def _supplier(rows, **kw):
    return fields_of(run(layout(rows), **kw))["supplier"]["normalized"]


TOTALS = [[("Rechnungsnummer:", 900), ("RE-7", 1300)], [("Rechnungsdatum:", 900), ("03.04.2026", 1300)],
          [("Gesamtbetrag", 900), ("119,00 EUR", 1300)]]


def test_a_copy_mark_is_not_the_supplier_and_payable_to_heads_the_payees_block():
    rows = [[("ORIGINAL", 1400)], [("INVOICE", 700)], [("PAYABLE TO :", 70)], [("Northwind Traders, Inc.", 110)],
            [("Post Office Box #100402", 115)], [("Pasadena, CA 91189-0402", 115)],
            [("Invoice Number:", 900), ("20517440", 1300)], [("Invoice Date:", 900), ("12/30/2013", 1300)],
            [("INVOICE TOTAL", 900), ("$2,978.00", 1300)]]
    assert _supplier(rows) == "Northwind Traders, Inc."
    no_label = [r for r in rows if r[0][0] != "PAYABLE TO :"]
    assert _supplier(no_label) != "ORIGINAL"


def test_a_footer_line_with_separators_is_not_the_letterhead():
    rows = [[("Die Vordefinierte Firma", 315)], [("Waldstrasse 86-90", 317)], [("13403 Berlin", 317)], [("Rechnung", 1225)],
            *TOTALS,
            *[[("Text", 120)] for _ in range(40)],
            [("Friedrich-Wagner-Straße 16 · D-60318 Frankfurt/M · Postfach 16 05 29 · Telefon (0 69) 99-0", 146)],
            [("Volksbank Frankfurt · IBAN DE02 5019 0000 0000 1234 56 · BIC FFVBDEFF", 146)]]
    assert _supplier(rows) == "Die Vordefinierte Firma"


# --- a total printed once, confirmed by the tax at its printed rate ---

def _total(rows, **kw):
    return fields_of(run(layout(rows), **kw))["total_amount"]


NO_SUBTOTAL = [[("Muster GmbH", 120)], [("RECHNUNG", 120)], [("Rechnungsnummer:", 120), ("RE-2026-0042", 700)],
               [("Rechnungsdatum:", 120), ("03.04.2026", 700)]]


@pytest.mark.parametrize("tax_row, total, ok", [
    ([("MwSt 19%", 900), ("19,00 EUR", 1200)], "119,00 EUR", True),
    ([("enthaltene MwSt 19 %", 900), ("19,00 EUR", 1200)], "119,00 EUR", True),
    ([("TVA 20 %", 900), ("20,00 EUR", 1200)], "120,00 EUR", True),
    ([("TVA 5,5 %", 900), ("5,21 EUR", 1200)], "99,95 EUR", True),  # 94,74 x 5,5 % = 5,2107
    ([("MwSt 19%", 900), ("19,00 EUR", 1200)], "100,00 EUR", False),  # the net: 81,00 x 19 % is not 19,00
    ([("MwSt", 900), ("19,00 EUR", 1200)], "119,00 EUR", False),  # no rate printed: nothing to compute
])
def test_the_tax_at_its_printed_rate_of_the_total_less_tax_confirms_a_plain_total(tax_row, total, ok):
    rows = [*NO_SUBTOTAL, [("Summe", 900), (total, 1200)], tax_row]
    f = _total(rows)
    assert (f["status"] == "accept") is ok
    if ok:
        assert "% of the total less tax" in f["reason"]


def test_a_total_and_an_amount_due_that_differ_are_not_settled_by_the_tax_rate():
    rows = [*NO_SUBTOTAL, [("Summe", 900), ("119,00 EUR", 1200)], [("MwSt 19%", 900), ("19,00 EUR", 1200)],
            [("Zahlbetrag", 900), ("50,00 EUR", 1200)]]
    assert _total(rows)["status"] == "review"


# --- a total printed once, confirmed by the page asking for that amount again ---

ENGLISH = [[("Contoso", 110)], [("Invoice Number", 110), ("Invoice Date", 390), ("Due Date", 670), ("Charges", 950)],
           [("458176", 110), ("3/28/2018", 390), ("4/16/2018", 670), ("$89,024.34", 950)],
           [("Bellevue, WA 99501", 110)]]


@pytest.mark.parametrize("slip, ok", [
    ([("Amount enclosed:", 110), ("$89,024.34", 700)], True),
    ([("Please pay $89,024.34 by April 16, 2018.", 110)], True),
    ([("Amount enclosed:", 110), ("$89,024.43", 700)], False),  # another amount: no second reading
    ([("Project total", 110), ("$89,024.34", 700)], False),  # printed again, but not as what to pay
])
def test_the_amount_printed_again_where_the_page_asks_for_payment_confirms_a_lone_total(slip, ok):
    f = _total([*ENGLISH, slip])
    assert f["normalized"] == "89024.34" and (f["status"] == "accept") is ok


def test_a_second_printing_read_by_ocr_is_no_check():
    rows = [*ENGLISH, [("Amount enclosed:", 110), ("$89,024.34", 700)]]
    f = _total(rows, source="ocr")
    assert f["status"] == "review"


# --- amount conventions ---

def test_indian_lakh_grouping_is_read_on_total_rows():
    rows = [[("Contoso LTD", 300)], [("Tax Invoice", 550)], [("Invoice No:", 300), ("INV-77", 700)],
            [("Invoice Date:", 300), ("31-12-2022", 700)],
            [("SUBTOTAL", 620), ("6,00,000.00", 800)], [("IGST 18%", 620), ("₹1,08,000.00", 800)],
            [("TOTAL DUE", 620), ("₹7,08,000.00", 790)]]
    f = _total(rows)
    assert f["normalized"] == "708000.00" and f["status"] == "accept" and "600000.00 + tax 108000.00" in f["reason"]


def test_a_total_with_its_currency_before_incl_vat_is_the_total_not_a_tax_row():
    rows = [[("Invoice 103767", 160)], [("Invoice Date:", 160), ("February 17, 2026", 500)],
            [("Subtotal", 968), ("573.00", 1491)], [("19% VAT", 970), ("108.87", 1492)],
            [("Total € Incl. VAT", 967), ("681.87", 1491)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "681.87" and f["total_amount"]["status"] == "accept"
    assert f["tax_amount"]["normalized"] == "108.87"


# --- the customer (informational unless extraction.own_companies is set) ---

@pytest.mark.parametrize("source", ["text_layer", "ocr"])
def test_a_labelled_short_name_beside_the_legal_name_printed_in_full_is_not_accepted(source):
    rows = [[("MICROSOFT LTD", 120)], [("Microsoft UK Campus", 120)], [("Reading RG6 1WG", 120)],
            [("Invoice Number:", 900), ("654123", 1300)], [("Date:", 900), ("15/01/2023", 1300)],
            [("Client:", 120), ("MICROSOFT", 400)], [("GBP TOTAL", 900), ("118,368.00", 1300)]]
    f = fields_of(run(layout(rows), source=source))["customer"]
    assert f["normalized"] == "MICROSOFT" and f["status"] == "review" and "in full elsewhere" in f["reason"]
    alone = [r for r in rows if r[0][0] != "MICROSOFT LTD"]
    assert "in full elsewhere" not in (fields_of(run(layout(alone), source=source))["customer"]["reason"] or "")


def test_a_compound_title_whose_date_wrapped_to_the_next_line_gives_the_invoice_date():
    rows = [[("Handelsrechnung Nr. 9314110911/00/M/00/N vom", 140)], [("01.10.2018", 142)],
            [("Liefer- und Leistungsdatum", 140), (": 29.09.2018", 645)],
            [("Rechnungssumme ohne USt.", 780), ("286,52", 1400)], [("Steuerbetrag 19%", 780), ("54,44", 1400)],
            [("Bruttosumme", 780), ("340,96 EUR", 1400)]]
    f = fields_of(run(layout(rows)))["invoice_date"]
    assert f["normalized"] == "2018-10-01" and f["status"] == "accept"


@pytest.mark.parametrize("stamp", [
    [("IBAN DE34 7007 0010 0156 9193 01", 140), ("Datum: 30.10.2024 Zeit: 04:59:13 Seite: 1", 900)],
    [("IBAN DE34 7007 0010 0156 9193 01", 140), ("Datum: 30.10.2024", 900), ("Zeit: 04:59:13", 1150), ("Seite: 1", 1350)],
])
def test_an_erp_print_stamp_with_a_clock_time_is_not_accepted_as_the_invoice_date(stamp):
    body = [[("Rechnung", 140)], [("Rechnungsnummer: 2015738820", 140)],
            [("Nettobetrag", 780), ("376,37", 1400)], [("MwSt. 19%", 780), ("71,51", 1400)],
            [("Summe gesamt", 780), ("447,88 EUR", 1400)]]
    f = fields_of(run(layout([stamp] + body)))["invoice_date"]
    assert f["normalized"] == "2024-10-30" and f["status"] == "review", f
    # the same label and date without the clock: the document's date as before
    plain = [[("Datum: 30.10.2024", 140)]]
    f = fields_of(run(layout(plain + body)))["invoice_date"]
    assert f["normalized"] == "2024-10-30" and f["status"] == "accept", f
